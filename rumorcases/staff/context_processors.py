"""What every staff page's frame needs: the signed-in user's roles and unread notifications."""

from rumorcases.core.roles import ROLE_LABELS


def staff(request):
    """Nothing for anonymous visitors; for staff, one query for the roles and one for the unread
    count, each run only when a template asks for it (templates call callables)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def role_labels():
        return [str(ROLE_LABELS[name]) for name in user.groups.values_list("name", flat=True) if name in ROLE_LABELS]

    def unread_notifications():
        return user.notifications.filter(read_at=None).count()

    return {"staff_roles": role_labels, "staff_unread": unread_notifications}

from django.db.models import QuerySet

from rumorcases.core.models import AuditEvent, Notification


def notifications_for_user(user, *, unread_only: bool = False) -> QuerySet:
    qs = Notification.objects.filter(recipient=user)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def audit_trail_for_case(*, case_reference: str) -> QuerySet:
    """The case's audit events, newest first. One query."""
    return AuditEvent.objects.filter(case_reference=case_reference).select_related("actor").order_by("-seq")

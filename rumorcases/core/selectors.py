from django.db.models import QuerySet

from rumorcases.core.models import AuditEvent, Notification


def audit_trail_for_case(*, case_reference: str) -> QuerySet:
    """The case's audit events, newest first. One query."""
    return AuditEvent.objects.filter(case_reference=case_reference).select_related("actor").order_by("-seq")


def notification_list_for_user(user) -> QuerySet:
    """The user's own notifications, newest first. One query a page."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")

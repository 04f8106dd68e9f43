import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Counter(models.Model):
    """Gap-free numbering for official references (case references, notice and bulletin numbers).

    Use `core.services.counter_next`, which locks the row; never read-and-increment by hand.
    """

    name = models.CharField(verbose_name=_("name"), max_length=64, unique=True)
    value = models.PositiveBigIntegerField(verbose_name=_("value"), default=0)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")

    def __str__(self):
        return f"{self.name} = {self.value}"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The audit trail is append-only")

    def delete(self):
        raise TypeError("The audit trail is append-only")


class AuditEvent(models.Model):
    """One link of the append-only, hash-chained audit trail.

    `hash` covers every other column and the previous event's hash, so editing,
    deleting or reordering any event breaks the chain from that point on
    (`manage.py audit_verify` finds the first broken link). Written by
    `core.audit.audit_record` in the same transaction as the change it records.
    """

    seq = models.PositiveBigIntegerField(verbose_name=_("sequence number"), unique=True, editable=False)
    occurred_at = models.DateTimeField(verbose_name=_("occurred at"), editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+"
    )
    actor_label = models.CharField(verbose_name=_("actor label"), max_length=150, blank=True,
                                   help_text=_("Username, or 'system'."))
    action = models.CharField(verbose_name=_("action"), max_length=64, db_index=True)
    object_type = models.CharField(verbose_name=_("object type"), max_length=64)
    object_id = models.CharField(verbose_name=_("object id"), max_length=64)
    case_reference = models.CharField(verbose_name=_("case reference"), max_length=32, blank=True, db_index=True)
    data = models.JSONField(verbose_name=_("data"), default=dict, blank=True)
    prev_hash = models.CharField(verbose_name=_("previous hash"), max_length=64, editable=False)
    hash = models.CharField(verbose_name=_("hash"), max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("The audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit trail is append-only")

    def compute_hash(self) -> str:
        payload = {
            "seq": self.seq,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "case_reference": self.case_reference,
            "data": self.data,
            "prev_hash": self.prev_hash,
        }
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AuditChainHead(models.Model):
    """The chain's tip: locked by every writer so links are added one at a time,
    and compared by `audit_verify` so a deleted tail is noticed too."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField(verbose_name=_("last sequence number"), default=0)
    last_hash = models.CharField(verbose_name=_("last hash"), max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")


class NotificationKind(models.TextChoices):
    CASE_TRANSITION = "case_transition", _("Case moved on")
    CASE_ASSIGNED = "case_assigned", _("Case assigned")
    REVIEW_REQUESTED = "review_requested", _("Review requested")
    REVIEW_DONE = "review_done", _("Review done")
    APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
    ORDER_UPDATE = "order_update", _("Platform order update")
    CONSULTATION_ANSWERED = "consultation_answered", _("Consultation answered")
    CASE_OVERDUE = "case_overdue", _("Case overdue")
    ORDER_OVERDUE = "order_overdue", _("Platform order overdue")
    CONSULTATION_DUE = "consultation_due", _("Consultation answer late")


class Notification(models.Model):
    """An in-app message to one user about something they must act on."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField(verbose_name=_("kind"), max_length=32, choices=NotificationKind.choices)
    title = models.CharField(verbose_name=_("title"), max_length=200)
    body = models.TextField(verbose_name=_("message"), blank=True)
    url = models.CharField(verbose_name=_("link"), max_length=300, blank=True)
    case_reference = models.CharField(verbose_name=_("case reference"), max_length=32, blank=True)
    # Identifies what caused it, so a re-run task never notifies twice.
    source_key = models.CharField(verbose_name=_("source key"), max_length=100, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(verbose_name=_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "source_key"],
                condition=~models.Q(source_key=""),
                name="notification_once_per_source",
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return f"{self.recipient}: {self.title}"


class TaskFailure(models.Model):
    """A background task that failed for good: its retries are spent, or its error is not worth a retry.

    Written by `core.tasks_base.ReliableTask.on_failure`; shown read-only in the admin, so staff can see
    what did not happen (a PDF not rendered, a notification not sent) and ask for it again.
    """

    task_name = models.CharField(verbose_name=_("task"), max_length=200, db_index=True)
    task_id = models.CharField(verbose_name=_("task id"), max_length=64, blank=True)
    # Tasks take ids only, never personal data or secrets: the arguments are safe to show.
    args = models.JSONField(verbose_name=_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(verbose_name=_("keyword arguments"), default=dict, blank=True)
    exception_type = models.CharField(verbose_name=_("error type"), max_length=200)
    message = models.TextField(verbose_name=_("error message"), blank=True)
    traceback = models.TextField(verbose_name=_("traceback"), blank=True)
    retries = models.PositiveIntegerField(verbose_name=_("retries made"), default=0)
    failed_at = models.DateTimeField(verbose_name=_("failed at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-failed_at", "-id"]
        verbose_name = _("failed background task")
        verbose_name_plural = _("failed background tasks")

    def __str__(self):
        return f"{self.task_name} [{self.task_id}]: {self.exception_type}"

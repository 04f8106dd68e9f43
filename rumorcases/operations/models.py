"""Escalations of missed deadlines, and each user's notification choices."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL


class EscalationLevel(models.IntegerChoices):
    ASSIGNEE = 1, _("Assignee (or the stage's role)")
    SUPERVISOR = 2, _("Supervisors")
    OFFICE_HEAD = 3, _("Office head")


class Escalation(models.Model):
    """One step of the escalation ladder for one missed deadline, written by the deadline sweep.

    Exactly one of `case`, `order`, `consultation` is set. The unique constraints on
    (object, deadline, level) are what make a sweep that runs twice, or on two beat hosts at
    once, escalate once: the second insert fails (on PostgreSQL it waits for the first
    transaction, then fails), and only the sweep whose row was inserted notifies.
    `deadline` is part of the key because a case's deadline restarts with every transition:
    a case overdue in two stages is escalated once in each.
    """

    case = models.ForeignKey("cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="escalations")
    order = models.ForeignKey("disposal.DisposalOrder", verbose_name=_("disposal order"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="escalations")
    consultation = models.ForeignKey("cases.Consultation", verbose_name=_("consultation"), null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField(verbose_name=_("level"), choices=EscalationLevel.choices)
    stage = models.CharField(verbose_name=_("stage"), max_length=20, blank=True,
                             help_text=_("The case's stage, or the order's status, when it was escalated."))
    deadline = models.DateTimeField(verbose_name=_("deadline missed"))
    created_at = models.DateTimeField(verbose_name=_("escalated at"), auto_now_add=True, db_index=True)
    recipients = models.PositiveIntegerField(verbose_name=_("people notified"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["case", "deadline", "level"], condition=models.Q(case__isnull=False),
                                    name="escalation_once_per_case_deadline_level"),
            models.UniqueConstraint(fields=["order", "deadline", "level"], condition=models.Q(order__isnull=False),
                                    name="escalation_once_per_order_deadline_level"),
            models.UniqueConstraint(fields=["consultation", "deadline", "level"],
                                    condition=models.Q(consultation__isnull=False),
                                    name="escalation_once_per_consultation_deadline_level"),
            models.CheckConstraint(
                condition=(models.Q(case__isnull=False, order__isnull=True, consultation__isnull=True)
                           | models.Q(case__isnull=True, order__isnull=False, consultation__isnull=True)
                           | models.Q(case__isnull=True, order__isnull=True, consultation__isnull=False)),
                name="escalation_about_exactly_one_object",
            ),
        ]

    def __str__(self):
        about = self.case or self.order or self.consultation
        return f"{about} level {self.level}"


class NotificationPreference(models.Model):
    """A user's language for notifications and the kinds they also want by e-mail.

    No row means the defaults: the office's language (zh-hans) and in-app only.
    """

    user = models.OneToOneField(USER, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="notification_preference")
    language = models.CharField(verbose_name=_("language"), max_length=10, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)
    email_kinds = models.JSONField(verbose_name=_("kinds sent by e-mail"), default=list, blank=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return f"{self.user}: {self.language}, e-mail {', '.join(self.email_kinds) or '-'}"

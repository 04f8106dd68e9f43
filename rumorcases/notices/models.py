import hashlib
import json
import uuid

import django_fsm as fsm
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rumorcases.cases.choices import RUMOUR_VERDICTS, Verdict
from rumorcases.notices.choices import NoticeStatus, ReviewDecision

USER = settings.AUTH_USER_MODEL


class DebunkNotice(fsm.ConcurrentTransitionMixin, models.Model):
    """The office's public debunk of one case's rumour.

    Content lives in `NoticeVersion` rows: every edit of a draft and every public
    correction adds one; `current_version` is what the public sees.
    """

    public_id = models.UUIDField(verbose_name=_("public id"), default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="notices")
    status = fsm.FSMField(verbose_name=_("status"), max_length=16, choices=NoticeStatus.choices,
                          default=NoticeStatus.DRAFT, protected=True, db_index=True)
    current_version = models.ForeignKey("NoticeVersion", verbose_name=_("current version"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    document_number = models.CharField(verbose_name=_("document number"), max_length=64, blank=True,
                                       help_text=_("Assigned when published."))
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(USER, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(verbose_name=_("approved at"), null=True, blank=True)
    published_by = models.ForeignKey(USER, verbose_name=_("published by"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(verbose_name=_("published at"), null=True, blank=True, db_index=True)
    withdrawn_at = models.DateTimeField(verbose_name=_("withdrawn at"), null=True, blank=True)
    withdrawal_statement = models.TextField(verbose_name=_("withdrawal statement"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("debunk notice")
        verbose_name_plural = _("debunk notices")
        permissions = [
            ("draft_notice", "Can draft debunk notices"),
            ("review_notice", "Can review debunk notices"),
            ("publish_notice", "Can publish debunk notices"),
            ("withdraw_notice", "Can withdraw or correct published notices"),
        ]

    def __str__(self):
        title = self.current_version.title if self.current_version_id else ""
        return f"{self.document_number or _('draft')} {title}"

    @fsm.transition(field=status, source=NoticeStatus.DRAFT, target=NoticeStatus.IN_REVIEW,
                    permission="notices.draft_notice")
    def submit(self):
        self.submitted_at = timezone.now()

    @fsm.transition(field=status, source=NoticeStatus.IN_REVIEW, target=NoticeStatus.APPROVED,
                    permission="notices.review_notice")
    def approve(self, *, approver):
        self.approved_by = approver
        self.approved_at = timezone.now()

    @fsm.transition(field=status, source=[NoticeStatus.IN_REVIEW, NoticeStatus.APPROVED], target=NoticeStatus.DRAFT,
                    permission="notices.review_notice")
    def send_back(self):
        self.approved_by = None
        self.approved_at = None

    @fsm.transition(field=status, source=NoticeStatus.APPROVED, target=NoticeStatus.PUBLISHED,
                    permission="notices.publish_notice")
    def publish(self, *, publisher, document_number: str):
        self.published_by = publisher
        self.published_at = timezone.now()
        self.document_number = document_number

    @fsm.transition(field=status, source=NoticeStatus.PUBLISHED, target=NoticeStatus.WITHDRAWN,
                    permission="notices.withdraw_notice")
    def withdraw(self, *, statement: str):
        self.withdrawn_at = timezone.now()
        self.withdrawal_statement = statement


class NoticeVersion(models.Model):
    """One frozen text of a notice. Never edited: a change is a new version."""

    notice = models.ForeignKey(DebunkNotice, verbose_name=_("notice"), on_delete=models.CASCADE,
                               related_name="versions")
    number = models.PositiveIntegerField(verbose_name=_("version number"))
    title = models.CharField(verbose_name=_("title"), max_length=200)
    claim = models.TextField(verbose_name=_("claim"), help_text=_("The rumour as it circulated."))
    verdict = models.CharField(verbose_name=_("verdict"), max_length=16,
                               choices=[(v.value, v.label) for v in Verdict if v in RUMOUR_VERDICTS])
    body = models.TextField(verbose_name=_("the facts"), help_text=_("The facts."))
    sources = models.JSONField(verbose_name=_("sources"), default=list, blank=True)
    title_en = models.CharField(verbose_name=_("English title"), max_length=200, blank=True)
    body_en = models.TextField(verbose_name=_("the facts in English"), blank=True)
    author = models.ForeignKey(USER, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    content_sha256 = models.CharField(verbose_name=_("SHA-256 of the text"), max_length=64)

    class Meta:
        ordering = ["notice", "number"]
        verbose_name = _("notice version")
        verbose_name_plural = _("notice versions")
        constraints = [models.UniqueConstraint(fields=["notice", "number"], name="notice_version_number_unique")]

    def __str__(self):
        return f"v{self.number} {self.title}"

    def compute_sha256(self) -> str:
        """The hash printed on the PDF: a paper copy can be checked against the site."""
        payload = {f: getattr(self, f) for f in ("title", "claim", "verdict", "body", "sources", "title_en", "body_en")}
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class NoticeReview(models.Model):
    notice = models.ForeignKey(DebunkNotice, verbose_name=_("notice"), on_delete=models.CASCADE, related_name="reviews")
    version = models.ForeignKey(NoticeVersion, verbose_name=_("version"), on_delete=models.PROTECT,
                                related_name="reviews")
    reviewer = models.ForeignKey(USER, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(verbose_name=_("decision"), max_length=10, choices=ReviewDecision.choices)
    comments = models.TextField(verbose_name=_("review comments"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notice review")
        verbose_name_plural = _("notice reviews")

    def __str__(self):
        return f"{self.get_decision_display()} by {self.reviewer}"


class NoticeCorrection(models.Model):
    """A public correction of a published notice; its note is shown at the top of the page."""

    notice = models.ForeignKey(DebunkNotice, verbose_name=_("notice"), on_delete=models.CASCADE,
                               related_name="corrections")
    version = models.OneToOneField(NoticeVersion, verbose_name=_("version"), on_delete=models.PROTECT,
                                   related_name="correction")
    note = models.TextField(verbose_name=_("correction note"), help_text=_("Public: what was corrected and why."))
    corrected_by = models.ForeignKey(USER, verbose_name=_("corrected by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notice correction")
        verbose_name_plural = _("notice corrections")

    def __str__(self):
        return f"Correction of {self.notice_id}"

import django_fsm as fsm
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rumorcases.cases import guards
from rumorcases.cases.choices import (
    Authority,
    CaseStatus,
    Category,
    ContentType,
    EvidenceKind,
    PartyRole,
    Priority,
    ReportSource,
    Resolution,
    Verdict,
)

USER = settings.AUTH_USER_MODEL
MERGEABLE = [CaseStatus.DISCOVERED, CaseStatus.VERIFYING]


class Campaign(models.Model):
    """A special action ("Qinglang" campaign) that cases are tagged to."""

    slug = models.SlugField(verbose_name=_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    problems = models.TextField(_("problems targeted"), blank=True)
    starts_on = models.DateField(verbose_name=_("starts on"))
    ends_on = models.DateField(verbose_name=_("ends on"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self):
        return self.name

    def is_running(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)


class StageDeadline(models.Model):
    """The office's override of how long a case may stay in a stage, by priority.

    Stages and priorities without a row use `cases.deadlines.DEFAULT_HOURS`.
    """

    stage = models.CharField(verbose_name=_("stage"), max_length=20,
                             choices=[(s.value, s.label) for s in CaseStatus if s != "closed"])
    priority = models.CharField(verbose_name=_("priority"), max_length=2, choices=Priority.choices)
    hours = models.PositiveIntegerField(verbose_name=_("hours"))

    class Meta:
        verbose_name = _("stage deadline")
        verbose_name_plural = _("stage deadlines")
        constraints = [models.UniqueConstraint(fields=["stage", "priority"], name="one_deadline_per_stage_priority")]

    def __str__(self):
        return f"{self.stage} {self.priority}: {self.hours} h"


class Case(fsm.ConcurrentTransitionMixin, models.Model):
    """One rumour (one claim), however many reports, posts and accounts carry it.

    The transition methods below only change this row; permissions, reasons,
    records, audit and notifications are the job of `cases.workflow`.
    """

    reference = models.CharField(verbose_name=_("reference"), max_length=32, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    claim = models.TextField(_("claim"), help_text=_("The rumour as one statement."))
    category = models.CharField(verbose_name=_("category"), max_length=32, choices=Category.choices,
                                default=Category.RUMOUR)
    priority = models.CharField(verbose_name=_("priority"), max_length=2, choices=Priority.choices, default=Priority.P3)
    status = fsm.FSMField(verbose_name=_("status"), max_length=20, choices=CaseStatus.choices,
                          default=CaseStatus.DISCOVERED, protected=True, db_index=True)
    resolution = models.CharField(verbose_name=_("resolution"), max_length=32, choices=Resolution.choices, blank=True)
    assignee = models.ForeignKey(USER, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_cases")
    campaigns = models.ManyToManyField(Campaign, verbose_name=_("campaigns"), blank=True, related_name="cases")
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged_cases")
    stage_started_at = models.DateTimeField(verbose_name=_("stage started at"), default=timezone.now)
    stage_deadline = models.DateTimeField(verbose_name=_("stage deadline"), null=True, blank=True)
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(USER, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [
            ("start_verification", "Can start verification"),
            ("dismiss_case", "Can dismiss a case"),
            ("merge_case", "Can merge a case into another"),
            ("confirm_rumour", "Can confirm a rumour"),
            ("clear_case", "Can clear a case as not a rumour"),
            ("close_unverifiable", "Can close a case as unverifiable"),
            ("publish_debunk", "Can publish a debunk"),
            ("return_to_verification", "Can return a case to verification"),
            ("complete_disposal", "Can complete disposal"),
            ("mark_exposed", "Can mark a case exposed"),
            ("close_without_exposure", "Can close a case without exposure"),
            ("reopen_case", "Can reopen a closed case"),
            ("assign_case", "Can assign cases"),
            ("open_case", "Can open a case directly"),
            ("work_case", "Can comment on and add evidence to cases"),
        ]
        indexes = [
            models.Index(fields=["status", "stage_deadline"]),
            # The staff queue's order (deadline first, then id): deep pages read it in order.
            models.Index(fields=["stage_deadline", "id"], name="case_queue_order"),
            # The queue's counts per state under its filters, from the index alone (on PostgreSQL,
            # with the id included, also when joined to the reports of one platform).
            models.Index(fields=["status", "priority", "category", "assignee"], include=["id"],
                         name="case_filter_counts"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("staff:case_detail", args=[self.reference])

    @property
    def is_overdue(self) -> bool:
        return self.stage_deadline is not None and self.stage_deadline < timezone.now()

    # --- the workflow: PRODUCT.md's table, one method per transition ----------

    @fsm.transition(field=status, source=CaseStatus.DISCOVERED, target=CaseStatus.VERIFYING,
                    permission="cases.start_verification",
                    custom={"label": _("Start verification")})
    def start_verification(self):
        pass

    @fsm.transition(field=status, source=CaseStatus.DISCOVERED, target=CaseStatus.CLOSED,
                    permission="cases.dismiss_case",
                    custom={"label": _("Dismiss (out of scope)")})
    def dismiss(self):
        self._close(Resolution.OUT_OF_SCOPE)

    @fsm.transition(field=status, source=MERGEABLE, target=CaseStatus.CLOSED, permission="cases.merge_case",
                    custom={"label": _("Merge into another case")})
    def merge_into(self, target: "Case"):
        self.merged_into = target
        self._close(Resolution.DUPLICATE)

    @fsm.transition(field=status, source=CaseStatus.VERIFYING, target=CaseStatus.DEBUNKING,
                    conditions=[guards.has_rumour_finding_with_evidence], permission="cases.confirm_rumour",
                    custom={"label": _("Confirm rumour")})
    def confirm_rumour(self):
        pass

    @fsm.transition(field=status, source=CaseStatus.VERIFYING, target=CaseStatus.CLOSED,
                    conditions=[guards.has_true_finding], permission="cases.clear_case",
                    custom={"label": _("Clear (not a rumour)")})
    def clear(self):
        self._close(Resolution.NOT_A_RUMOUR)

    @fsm.transition(field=status, source=CaseStatus.VERIFYING, target=CaseStatus.CLOSED,
                    permission="cases.close_unverifiable",
                    custom={"label": _("Close as unverifiable")})
    def close_unverifiable(self):
        self._close(Resolution.UNVERIFIABLE)

    @fsm.transition(field=status, source=CaseStatus.DEBUNKING, target=CaseStatus.DISPOSING,
                    conditions=[guards.has_notice_approved_by_another], permission="cases.publish_debunk",
                    custom={"label": _("Publish debunk")})
    def publish_debunk(self):
        pass

    @fsm.transition(field=status, source=CaseStatus.DEBUNKING, target=CaseStatus.VERIFYING,
                    permission="cases.return_to_verification",
                    custom={"label": _("Return to verification")})
    def return_to_verification(self):
        pass

    @fsm.transition(field=status, source=CaseStatus.DISPOSING, target=CaseStatus.EXPOSING,
                    conditions=[guards.all_penalties_decided, guards.all_orders_closed],
                    permission="cases.complete_disposal",
                    custom={"label": _("Complete disposal")})
    def complete_disposal(self):
        pass

    @fsm.transition(field=status, source=CaseStatus.EXPOSING, target=CaseStatus.CLOSED,
                    conditions=[guards.in_published_bulletin], permission="cases.mark_exposed",
                    custom={"label": _("Mark exposed")})
    def mark_exposed(self):
        self._close(Resolution.EXPOSED)

    @fsm.transition(field=status, source=CaseStatus.EXPOSING, target=CaseStatus.CLOSED,
                    permission="cases.close_without_exposure",
                    custom={"label": _("Close without exposure")})
    def close_without_exposure(self):
        self._close(Resolution.DISPOSED_NOT_EXPOSED)

    @fsm.transition(field=status, source=CaseStatus.CLOSED, target=CaseStatus.VERIFYING,
                    conditions=[guards.not_a_duplicate], permission="cases.reopen_case",
                    custom={"label": _("Reopen")})
    def reopen(self):
        self.resolution = ""
        self.closed_at = None

    def _close(self, resolution: str):
        self.resolution = resolution
        self.closed_at = timezone.now()


class CaseTransition(models.Model):
    """The record of one transition: who, when, from, to and why."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="transitions")
    name = models.CharField(verbose_name=_("transition"), max_length=40)
    source = models.CharField(verbose_name=_("from state"), max_length=20, choices=CaseStatus.choices)
    target = models.CharField(verbose_name=_("to state"), max_length=20, choices=CaseStatus.choices)
    actor = models.ForeignKey(USER, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    reason = models.TextField(verbose_name=_("reason"), blank=True)
    data = models.JSONField(verbose_name=_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case transition")
        verbose_name_plural = _("case transitions")

    def __str__(self):
        return f"{self.case_id}: {self.source} → {self.target} ({self.name})"


class CaseComment(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(USER, verbose_name=_("commenter"), on_delete=models.PROTECT, related_name="+")
    body = models.TextField(verbose_name=_("comment"))
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self):
        return f"{self.author} on {self.case_id}"


class CaseParty(models.Model):
    """A victim, reporter or witness. Internal only: never in any public output, and
    the privacy gate refuses public text that names them."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(verbose_name=_("role"), max_length=16, choices=PartyRole.choices)
    name = models.CharField(verbose_name=_("full name"), max_length=100)
    contact = models.CharField(verbose_name=_("contact details"), max_length=200, blank=True)
    notes = models.TextField(verbose_name=_("notes"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case party")
        verbose_name_plural = _("case parties")

    def __str__(self):
        return f"{self.get_role_display()} on case {self.case_id}"


class Report(models.Model):
    """What a platform or a staff member submitted about one post."""

    platform = models.ForeignKey("platforms.Platform", verbose_name=_("platform"), on_delete=models.PROTECT,
                                 related_name="reports")
    external_id = models.CharField(verbose_name=_("external id"), max_length=128,
                                   help_text=_("The platform's own id; unique per platform."))
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="reports")
    author = models.ForeignKey("disposal.Account", verbose_name=_("author account"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="reports")
    title = models.CharField(verbose_name=_("title"), max_length=300, blank=True)
    content = models.TextField(verbose_name=_("content"))
    content_hash = models.CharField(verbose_name=_("content hash"), max_length=64, db_index=True,
                                    help_text=_("SHA-256 of the normalised text, for matching."))
    # db_default too: rows inserted outside Django (bench/intake.py) stay valid.
    normalised = models.TextField(verbose_name=_("normalised text"), blank=True, default="", db_default="",
                                  help_text=_("The content as compared for matching (cases.normalise)."))
    url = models.URLField(verbose_name=_("URL"), max_length=1000, blank=True, db_index=True)
    posted_at = models.DateTimeField(verbose_name=_("posted at"))
    content_type = models.CharField(verbose_name=_("content type"), max_length=10, choices=ContentType.choices,
                                    default=ContentType.TEXT)
    language = models.CharField(verbose_name=_("language"), max_length=16, blank=True)
    category = models.CharField(verbose_name=_("category"), max_length=32, choices=Category.choices,
                                default=Category.RUMOUR)
    reason = models.TextField(verbose_name=_("reason for reporting"), blank=True)
    source = models.CharField(verbose_name=_("source"), max_length=24, choices=ReportSource.choices,
                              default=ReportSource.USER_REPORT)
    evidence_urls = models.JSONField(verbose_name=_("evidence URLs"), default=list, blank=True)
    views = models.PositiveBigIntegerField(verbose_name=_("view count"), default=0)
    reposts = models.PositiveBigIntegerField(verbose_name=_("repost count"), default=0)
    comments = models.PositiveBigIntegerField(verbose_name=_("comment count"), default=0)
    likes = models.PositiveBigIntegerField(verbose_name=_("like count"), default=0)
    match_score = models.FloatField(verbose_name=_("match score"), null=True, blank=True)
    match_reason = models.CharField(verbose_name=_("match reason"), max_length=40, blank=True)
    submitted_by = models.ForeignKey(USER, verbose_name=_("submitted by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(verbose_name=_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        permissions = [("submit_report", "Can record a report found by office monitoring")]
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="report_external_id_unique_per_platform")
        ]
        # The queue's platform filter: which cases carry a report from a platform, from the index alone.
        indexes = [models.Index(fields=["platform", "case"], name="report_platform_case")]

    def __str__(self):
        return self.external_id

    @property
    def reaches_serious_threshold(self) -> bool:
        """The 2013 judicial interpretation: 5,000 views or 500 reposts are serious circumstances."""
        return self.views >= 5000 or self.reposts >= 500


class EvidenceItem(models.Model):
    """A file or web capture. The bytes are immutable: an edit may change the
    description, never the file, its hash or its size; items are never deleted."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="evidence")
    report = models.ForeignKey(Report, verbose_name=_("report"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="evidence")
    kind = models.CharField(verbose_name=_("kind"), max_length=16, choices=EvidenceKind.choices,
                            default=EvidenceKind.FILE)
    file = models.FileField(verbose_name=_("file"), upload_to="evidence/%Y/%m/", max_length=300)
    original_name = models.CharField(verbose_name=_("original file name"), max_length=255, blank=True)
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(verbose_name=_("size (bytes)"))
    content_type = models.CharField(verbose_name=_("MIME type"), max_length=100)
    source_url = models.URLField(verbose_name=_("source URL"), max_length=1000, blank=True)
    description = models.TextField(verbose_name=_("description"), blank=True)
    uploaded_by = models.ForeignKey(USER, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(verbose_name=_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")

    def __str__(self):
        return f"{self.original_name or self.file.name} ({self.sha256[:12]})"


class Finding(models.Model):
    """A verification finding: the verdict on the claim and why."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="findings")
    verdict = models.CharField(verbose_name=_("verdict"), max_length=16, choices=Verdict.choices)
    reasoning = models.TextField(verbose_name=_("reasoning"))
    sources = models.JSONField(verbose_name=_("sources"), default=list, blank=True,
                               help_text=_("Authoritative sources: a list of {title, url, publisher}."))
    evidence = models.ManyToManyField(EvidenceItem, verbose_name=_("evidence"), blank=True, related_name="findings")
    recorded_by = models.ForeignKey(USER, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        permissions = [("record_finding", "Can record a verification finding")]

    def __str__(self):
        return f"{self.get_verdict_display()} on case {self.case_id}"


class Consultation(models.Model):
    """A question to an authority (police, health commission, ...) and its answer."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="consultations")
    authority = models.CharField(verbose_name=_("authority"), max_length=16, choices=Authority.choices)
    authority_name = models.CharField(verbose_name=_("authority name"), max_length=200,
                                      help_text=_("e.g. 浦东新区卫生健康委员会"))
    question = models.TextField(verbose_name=_("question"))
    due_at = models.DateTimeField(verbose_name=_("due date"))
    asked_by = models.ForeignKey(USER, verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(verbose_name=_("asked at"), auto_now_add=True)
    answer = models.TextField(verbose_name=_("answer"), blank=True)
    answered_at = models.DateTimeField(verbose_name=_("answered at"), null=True, blank=True)
    answer_recorded_by = models.ForeignKey(USER, verbose_name=_("answer recorded by"), null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")

    def __str__(self):
        return f"{self.authority_name} on case {self.case_id}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def is_overdue(self) -> bool:
        return not self.is_answered and self.due_at < timezone.now()


class ReportFingerprint(models.Model):
    """One LSH band key of a report's MinHash signature (see cases.fingerprints). The primary key
    (key, report) is the one index lookups need; no row id is stored."""

    pk = models.CompositePrimaryKey("key", "report")
    key = models.BigIntegerField(verbose_name=_("key"))
    # No database-level foreign key: intake writes some 45,000 rows a batch right after the
    # reports they point at, in the same transaction, and checking each one at commit cost a
    # tenth of a batch under the intake lock. Deleting a report still deletes its rows (Django).
    report = models.ForeignKey(Report, verbose_name=_("report"), on_delete=models.CASCADE,
                               related_name="fingerprints", db_constraint=False)

    class Meta:
        verbose_name = _("report fingerprint")
        verbose_name_plural = _("report fingerprints")

    def __str__(self):
        return f"{self.report_id}:{self.key}"

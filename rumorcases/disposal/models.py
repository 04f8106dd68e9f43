import django_fsm as fsm
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rumorcases.disposal.choices import (
    AccountType,
    Measure,
    OffenderRole,
    OrderItemKind,
    OrderItemOutcome,
    OrderStatus,
    PenaltyStatus,
    SubjectKind,
)

USER = settings.AUTH_USER_MODEL


class Subject(models.Model):
    """The person or organisation behind accounts on several platforms, so that
    repeat offences are seen across platforms. Internal only."""

    name = models.CharField(verbose_name=_("full name"), max_length=200)
    kind = models.CharField(verbose_name=_("kind"), max_length=16, choices=SubjectKind.choices,
                            default=SubjectKind.PERSON)
    notes = models.TextField(verbose_name=_("notes"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")

    def __str__(self):
        return self.name


class Account(models.Model):
    """An account on a platform, as the platform identifies it."""

    platform = models.ForeignKey("platforms.Platform", verbose_name=_("platform"), on_delete=models.PROTECT,
                                 related_name="accounts")
    platform_account_id = models.CharField(verbose_name=_("platform account id"), max_length=128)
    handle = models.CharField(verbose_name=_("handle"), max_length=150, blank=True)
    display_name = models.CharField(verbose_name=_("display name"), max_length=150, blank=True)
    account_type = models.CharField(verbose_name=_("account type"), max_length=16, choices=AccountType.choices,
                                    default=AccountType.INDIVIDUAL)
    followers = models.PositiveBigIntegerField(verbose_name=_("followers"), default=0)
    verified = models.BooleanField(verbose_name=_("verified"), default=False)
    subject = models.ForeignKey(Subject, verbose_name=_("subject"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="accounts")
    first_seen_at = models.DateTimeField(verbose_name=_("first seen at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        ordering = ["platform", "handle"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(fields=["platform", "platform_account_id"], name="account_unique_per_platform")
        ]

    def __str__(self):
        return f"@{self.handle}" if self.handle else self.platform_account_id


class LegalProvision(models.Model):
    """An entry of the office's catalogue of legal provisions that penalties cite."""

    code = models.SlugField(verbose_name=_("code"), max_length=40, unique=True)
    law = models.CharField(verbose_name=_("law"), max_length=200, help_text=_("e.g. 中华人民共和国网络安全法"))
    law_en = models.CharField(verbose_name=_("law in English"), max_length=200, blank=True)
    article = models.CharField(verbose_name=_("article"), max_length=60, help_text=_("e.g. 第十二条"))
    text = models.TextField(verbose_name=_("text of the provision"), blank=True)
    active = models.BooleanField(verbose_name=_("in force"), default=True)

    class Meta:
        ordering = ["law", "code"]
        verbose_name = _("legal provision")
        verbose_name_plural = _("legal provisions")

    def __str__(self):
        return f"{self.law} {self.article}"


class Penalty(fsm.ConcurrentTransitionMixin, models.Model):
    """A measure against one account for its part in one case."""

    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="penalties")
    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="penalties")
    role = models.CharField(verbose_name=_("role"), max_length=20, choices=OffenderRole.choices)
    measure = models.CharField(verbose_name=_("measure"), max_length=24, choices=Measure.choices)
    duration_days = models.PositiveIntegerField(verbose_name=_("duration (days)"), null=True, blank=True)
    legal_provision = models.ForeignKey(LegalProvision, verbose_name=_("legal provision"), on_delete=models.PROTECT,
                                        related_name="penalties")
    reasoning = models.TextField(verbose_name=_("reasoning"))
    prior_offences = models.PositiveIntegerField(
        verbose_name=_("prior offences"), default=0,
        help_text=_("Earlier penalties of this account or its subject when proposed."),
    )
    status = fsm.FSMField(verbose_name=_("status"), max_length=16, choices=PenaltyStatus.choices,
                          default=PenaltyStatus.PROPOSED, protected=True, db_index=True)
    status_before_appeal = models.CharField(verbose_name=_("status before appeal"), max_length=16, blank=True)
    proposed_by = models.ForeignKey(USER, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(verbose_name=_("proposed at"), auto_now_add=True)
    approved_by = models.ForeignKey(USER, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(verbose_name=_("approved at"), null=True, blank=True)
    executed_at = models.DateTimeField(verbose_name=_("executed at"), null=True, blank=True)
    revoked_reason = models.TextField(verbose_name=_("reason for revocation"), blank=True)
    appeal_note = models.TextField(verbose_name=_("appeal note"), blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("penalty")
        verbose_name_plural = _("penalties")
        permissions = [
            ("propose_penalty", "Can propose penalties"),
            ("approve_penalty", "Can approve penalties"),
            ("revoke_penalty", "Can revoke penalties and record appeals"),
        ]

    def __str__(self):
        return f"{self.get_measure_display()} → {self.account}"

    @property
    def is_heavier_than_warning(self) -> bool:
        return self.measure != Measure.WARNING

    def measure_with_duration(self) -> str:
        """The measure as people say it: "Posting ban (30 days)"."""
        if not self.duration_days:
            return str(self.get_measure_display())
        return ngettext("%(measure)s (%(n)d day)", "%(measure)s (%(n)d days)", self.duration_days) % {
            "measure": self.get_measure_display(), "n": self.duration_days}

    def needs_another_approver(self, user) -> bool:
        """The four-eyes rule: a penalty heavier than a warning is approved by someone other than
        the person who proposed it."""
        return self.is_heavier_than_warning and user is not None and user.pk == self.proposed_by_id

    @fsm.transition(field=status, source=PenaltyStatus.PROPOSED, target=PenaltyStatus.APPROVED,
                    permission="disposal.approve_penalty")
    def approve(self, *, approver):
        self.approved_by = approver
        self.approved_at = timezone.now()

    @fsm.transition(field=status, source=PenaltyStatus.APPROVED, target=PenaltyStatus.ORDERED,
                    permission="disposal.issue_order")
    def order(self):
        pass

    @fsm.transition(field=status, source=PenaltyStatus.ORDERED, target=PenaltyStatus.APPROVED)
    def release(self):
        """Its order was rejected or waived without it being carried out: it may be ordered again."""

    @fsm.transition(field=status, source=PenaltyStatus.ORDERED, target=PenaltyStatus.EXECUTED)
    def execute(self, *, at):
        self.executed_at = at

    @fsm.transition(field=status, source=[PenaltyStatus.PROPOSED, PenaltyStatus.APPROVED, PenaltyStatus.ORDERED,
                                          PenaltyStatus.APPEALED],
                    target=PenaltyStatus.REVOKED, permission="disposal.revoke_penalty")
    def revoke(self, *, reason: str):
        self.revoked_reason = reason

    @fsm.transition(field=status, source=[PenaltyStatus.APPROVED, PenaltyStatus.ORDERED, PenaltyStatus.EXECUTED],
                    target=PenaltyStatus.APPEALED, permission="disposal.revoke_penalty")
    def appeal(self, *, note: str):
        self.status_before_appeal = self.status
        self.appeal_note = note

    @fsm.transition(field=status, source=PenaltyStatus.APPEALED, target=fsm.RETURN_VALUE(
        PenaltyStatus.APPROVED, PenaltyStatus.ORDERED, PenaltyStatus.EXECUTED), permission="disposal.revoke_penalty")
    def uphold(self):
        """The appeal failed: the penalty stands where it was."""
        return self.status_before_appeal


class DisposalOrder(fsm.ConcurrentTransitionMixin, models.Model):
    """An order to one platform: items to remove and accounts to act on, by a due time."""

    reference = models.CharField(verbose_name=_("reference"), max_length=32, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="orders")
    platform = models.ForeignKey("platforms.Platform", verbose_name=_("platform"), on_delete=models.PROTECT,
                                 related_name="orders")
    status = fsm.FSMField(verbose_name=_("status"), max_length=16, choices=OrderStatus.choices,
                          default=OrderStatus.ISSUED, protected=True, db_index=True)
    instructions = models.TextField(verbose_name=_("instructions"), blank=True)
    due_at = models.DateTimeField(verbose_name=_("due time"), db_index=True)
    issued_by = models.ForeignKey(USER, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(verbose_name=_("issued at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(verbose_name=_("acknowledged at"), null=True, blank=True)
    completed_at = models.DateTimeField(verbose_name=_("completed at"), null=True, blank=True)
    rejected_reason = models.TextField(verbose_name=_("reason for rejection"), blank=True)
    waived_reason = models.TextField(verbose_name=_("reason for waiver"), blank=True)
    waived_by = models.ForeignKey(USER, verbose_name=_("waived by"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("disposal order")
        verbose_name_plural = _("disposal orders")
        permissions = [
            ("issue_order", "Can issue orders to platforms"),
            ("waive_order", "Can waive platform orders"),
        ]

    def __str__(self):
        return f"{self.reference} → {self.platform_id}"

    @property
    def is_overdue(self) -> bool:
        return self.status in (OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED) and self.due_at < timezone.now()

    @fsm.transition(field=status, source=[OrderStatus.ISSUED, OrderStatus.OVERDUE], target=OrderStatus.ACKNOWLEDGED)
    def acknowledge(self):
        self.acknowledged_at = timezone.now()

    @fsm.transition(field=status, source=[OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED], target=OrderStatus.OVERDUE)
    def mark_overdue(self):
        pass

    @fsm.transition(field=status, source=[OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED, OrderStatus.OVERDUE],
                    target=OrderStatus.COMPLETED)
    def complete(self):
        self.completed_at = timezone.now()

    @fsm.transition(field=status, source=[OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED, OrderStatus.OVERDUE],
                    target=OrderStatus.REJECTED)
    def reject(self, *, reason: str):
        self.rejected_reason = reason

    @fsm.transition(field=status, source=[OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED, OrderStatus.OVERDUE,
                                          OrderStatus.REJECTED],
                    target=OrderStatus.WAIVED, permission="disposal.waive_order")
    def waive(self, *, waiver, reason: str):
        self.waived_by = waiver
        self.waived_reason = reason


class OrderItem(models.Model):
    """One thing a platform must do: remove a post, or carry out a penalty on an account."""

    order = models.ForeignKey(DisposalOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(verbose_name=_("kind"), max_length=16, choices=OrderItemKind.choices)
    report = models.ForeignKey("cases.Report", verbose_name=_("report"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    url = models.URLField(verbose_name=_("URL"), max_length=1000, blank=True)
    account = models.ForeignKey(Account, verbose_name=_("account"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    penalty = models.ForeignKey(Penalty, verbose_name=_("penalty"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="order_items")
    outcome = models.CharField(verbose_name=_("outcome"), max_length=16, choices=OrderItemOutcome.choices,
                               default=OrderItemOutcome.PENDING)
    done_at = models.DateTimeField(verbose_name=_("done at"), null=True, blank=True)
    note = models.TextField(verbose_name=_("note"), blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("order item")
        verbose_name_plural = _("order items")

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_outcome_display()})"

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rumorcases.cases.selectors import access_case_read
from rumorcases.disposal.choices import MEASURES_WITH_DURATION, SEVERITY, Measure, OffenderRole, PenaltyStatus
from rumorcases.disposal.models import Account, DisposalOrder, OrderItem, Penalty, Subject
from rumorcases.disposal.services import prior_penalties


def orders_for_platform(platform, *, status: str | None = None) -> QuerySet:
    """A platform's own orders only, with their items (and each item's account, penalty and
    its legal provision, and report) prefetched. Two queries."""
    items = OrderItem.objects.select_related("account", "penalty__legal_provision", "report")
    qs = DisposalOrder.objects.filter(platform=platform).select_related("case").prefetch_related(
        Prefetch("items", queryset=items)
    )
    if status == "open":
        qs = qs.filter(status__in=["issued", "acknowledged", "overdue"])
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("due_at", "id")


def order_get_for_platform(platform, *, order_id: int) -> DisposalOrder:
    """One of the platform's own orders, prefetched as in `orders_for_platform`; 404 for any
    other, whether or not it exists. Two queries."""
    order = orders_for_platform(platform).filter(pk=order_id).first()
    if order is None:
        raise Http404
    return order


# --- the staff UI's reads --------------------------------------------------------------


@dataclass(frozen=True)
class PenaltySuggestion:
    """What the proposal form preselects for an account, and why."""

    measure: str
    role: str
    duration_days: int | None
    reason: str
    prior: list  # the standing earlier penalties it rests on, heaviest first

    @property
    def measure_label(self) -> str:
        return Measure(self.measure).label


def _penalty_line(penalty) -> str:
    account = penalty.account
    return _("%(measure)s on %(platform)s @%(handle)s in %(case)s (%(status)s)") % {
        "measure": penalty.measure_with_duration(), "platform": account.platform.name,
        "handle": account.handle or account.platform_account_id, "case": penalty.case.reference,
        "status": penalty.get_status_display(),
    }


def penalty_suggestion(account: Account, case, *, prior=None) -> PenaltySuggestion:
    """The measure to preselect for `account` in `case`: a warning for a first offence, else one
    step heavier (in `SEVERITY` order) than the heaviest standing penalty of the account or of any
    account of its subject, on every platform. `prior`: those penalties, if already loaded
    (with account__platform and case); otherwise one query."""
    if prior is None:
        prior = list(prior_penalties(account, exclude_case=case).select_related("account__platform", "case"))
    if not prior:
        return PenaltySuggestion(measure=Measure.WARNING, role=OffenderRole.SPREADER, duration_days=None, prior=[],
                                 reason=_("No earlier penalty of this account or its subject: a warning."))
    prior = sorted(prior, key=lambda p: (SEVERITY[Measure(p.measure)], p.duration_days or 0), reverse=True)
    heaviest = prior[0]
    order = list(Measure)
    measure = order[min(SEVERITY[Measure(heaviest.measure)] + 1, len(order) - 1)]
    duration = None
    if measure in MEASURES_WITH_DURATION:
        longest = max((p.duration_days or 0 for p in prior), default=0)
        duration = min(longest * 2, 3650) if longest else 30
    reason = ngettext(
        "Repeat offender: %(count)s earlier penalty — %(list)s. The heaviest was %(heaviest)s, "
        "so one step heavier is suggested: %(measure)s.",
        "Repeat offender: %(count)s earlier penalties — %(list)s. The heaviest was %(heaviest)s, "
        "so one step heavier is suggested: %(measure)s.",
        len(prior),
    ) % {"count": len(prior), "list": "; ".join(_penalty_line(p) for p in prior),
         "heaviest": heaviest.get_measure_display(), "measure": measure.label}
    return PenaltySuggestion(measure=measure, role=OffenderRole.REPEAT_OFFENDER, duration_days=duration,
                             reason=reason, prior=prior)


@dataclass
class DisposalAccountRow:
    """One account involved in a case, as the disposal tab shows it."""

    account: Account
    reports: list = field(default_factory=list)
    penalties: list = field(default_factory=list)  # in this case
    prior: list = field(default_factory=list)  # standing penalties in other cases, every platform of its subject
    suggestion: PenaltySuggestion | None = None

    @property
    def repeat_count(self) -> int:
        return len(self.prior)


def case_disposal_accounts(case) -> list[DisposalAccountRow]:
    """The accounts of a case (its reports' authors and any account penalised in it), each with
    its reports, its penalties in the case, its earlier standing penalties across its subject's
    accounts, and the suggested measure. Four queries, whatever the number of accounts."""
    reports = list(case.reports.select_related("author__platform", "author__subject", "platform")
                   .filter(author__isnull=False).order_by("received_at", "id"))
    penalties = list(case.penalties.select_related("account__platform", "account__subject", "legal_provision",
                                                   "proposed_by", "approved_by").order_by("proposed_at", "id"))
    rows: dict[int, DisposalAccountRow] = {}
    for report in reports:
        rows.setdefault(report.author_id, DisposalAccountRow(account=report.author)).reports.append(report)
    for penalty in penalties:
        rows.setdefault(penalty.account_id, DisposalAccountRow(account=penalty.account)).penalties.append(penalty)
    if not rows:
        return []
    subjects = {row.account.subject_id for row in rows.values() if row.account.subject_id}
    others = (Penalty.objects.filter(Q(account_id__in=rows) | Q(account__subject_id__in=subjects))
              .exclude(status__in=[PenaltyStatus.REVOKED, PenaltyStatus.PROPOSED]).exclude(case=case)
              .select_related("account__platform", "case").order_by("-proposed_at", "-id"))
    others = list(others)
    for row in rows.values():
        subject_id = row.account.subject_id
        row.prior = [p for p in others
                     if p.account_id == row.account.pk or (subject_id and p.account.subject_id == subject_id)]
        row.suggestion = penalty_suggestion(row.account, case, prior=row.prior)
    return sorted(rows.values(), key=lambda row: (row.account.platform.name, row.account.handle, row.account.pk))


@dataclass
class OrderDraft:
    """What an order to one platform could carry now: the case's posts there, and the approved
    penalties of the case's accounts there."""

    platform: object
    reports: list = field(default_factory=list)
    penalties: list = field(default_factory=list)


def case_order_drafts(case) -> list[OrderDraft]:
    """One draft per platform the case has reports or approved penalties on. Two queries."""
    drafts: dict[int, OrderDraft] = {}
    for report in case.reports.select_related("platform", "author").order_by("received_at", "id"):
        drafts.setdefault(report.platform_id, OrderDraft(platform=report.platform)).reports.append(report)
    approved = case.penalties.filter(status=PenaltyStatus.APPROVED).select_related("account__platform")
    for penalty in approved.order_by("id"):
        platform = penalty.account.platform
        drafts.setdefault(platform.pk, OrderDraft(platform=platform)).penalties.append(penalty)
    return sorted(drafts.values(), key=lambda d: (not d.platform.is_key, d.platform.name))


def case_orders(case) -> QuerySet:
    """The case's orders, newest first, with platform and item counts. One query."""
    return (DisposalOrder.objects.filter(case=case).select_related("platform", "issued_by", "waived_by")
            .annotate(item_count=Count("items")).order_by("-issued_at", "-id"))


def order_get_for_case(user, case, *, reference: str) -> DisposalOrder:
    """One order of the case with its items (and their report, account, penalty); 404 otherwise.
    Two queries; the webhook deliveries are `order_webhook_deliveries`'."""
    access_case_read(user)
    items = OrderItem.objects.select_related("account__platform", "penalty__legal_provision", "report")
    order = (DisposalOrder.objects.filter(case=case, reference=reference)
             .select_related("platform", "issued_by", "waived_by").prefetch_related(Prefetch("items", queryset=items))
             .first())
    if order is None:
        raise Http404
    return order


def order_webhook_deliveries(user, order: DisposalOrder) -> list:
    """The webhook deliveries of the order with their attempts, for those who may see them
    (an empty list for the others). Two queries."""
    if not user.has_perm("platforms.view_webhookdelivery"):
        return []
    from rumorcases.platforms.models import WebhookAttempt, WebhookDelivery

    attempts = WebhookAttempt.objects.order_by("number")
    return list(WebhookDelivery.objects.filter(order=order).prefetch_related(Prefetch("attempt_log", queryset=attempts))
                .order_by("created_at", "id"))


def disposal_guards(case) -> list[tuple[str, bool]]:
    """The conditions of completing disposal and whether each holds now. Two queries."""
    from rumorcases.cases import guards

    return [(str(guard.message), bool(guard(case))) for guard in (guards.all_penalties_decided,
                                                                   guards.all_orders_closed)]


def penalty_get_for_case(user, case, *, pk: int) -> Penalty:
    access_case_read(user)
    penalty = Penalty.objects.select_related("case", "account__platform").filter(case=case, pk=pk).first()
    if penalty is None:
        raise Http404
    return penalty


# --- accounts and subjects -------------------------------------------------------------


def _access_accounts(user) -> None:
    access_case_read(user)
    if not user.has_perm("disposal.view_account"):
        raise PermissionDenied


def account_list_for_user(user, *, search: str = "", platform: str = "") -> QuerySet:
    """Accounts matching `search` (handle, display name or the platform's account id) on
    `platform` (its slug), most penalised first, with counts of penalties and cases. One query a page."""
    _access_accounts(user)
    qs = Account.objects.select_related("platform", "subject").annotate(
        penalty_count=Count("penalties", distinct=True),
        case_count=Count("reports__case", distinct=True),
    )
    search = search.strip()
    if search:
        qs = qs.filter(Q(handle__icontains=search.lstrip("@")) | Q(display_name__icontains=search)
                       | Q(platform_account_id__iexact=search))
    if platform:
        qs = qs.filter(platform__slug=platform)
    return qs.order_by("-penalty_count", "platform__name", "handle", "id")


def account_get_for_user(user, *, pk: int) -> Account:
    """One account with its platform and subject; 404 for an unknown one. One query."""
    _access_accounts(user)
    account = Account.objects.select_related("platform", "subject").filter(pk=pk).first()
    if account is None:
        raise Http404
    return account


def account_cases(account: Account) -> QuerySet:
    """The cases the account's posts were reported in. One query."""
    from rumorcases.cases.models import Case

    return Case.objects.filter(reports__author=account).distinct().order_by("-created_at", "-id")


def account_penalties(account: Account) -> QuerySet:
    """Every penalty of the account, newest first. One query."""
    return account.penalties.select_related("case", "legal_provision", "proposed_by", "approved_by").order_by(
        "-proposed_at", "-id")


def subject_get_for_user(user, *, pk: int) -> Subject:
    _access_accounts(user)
    subject = Subject.objects.filter(pk=pk).first()
    if subject is None:
        raise Http404
    return subject


def subject_accounts(subject: Subject) -> QuerySet:
    return subject.accounts.select_related("platform").order_by("platform__name", "handle", "id")


def subject_penalties(subject: Subject) -> QuerySet:
    """Every penalty of every account of the subject, on every platform, newest first. One query."""
    return (Penalty.objects.filter(account__subject=subject)
            .select_related("case", "account__platform", "legal_provision").order_by("-proposed_at", "-id"))


def standing(penalties) -> list:
    """The penalties that count as offences (neither revoked nor merely proposed)."""
    return [p for p in penalties if p.status not in (PenaltyStatus.REVOKED, PenaltyStatus.PROPOSED)]


def subject_choices() -> QuerySet:
    return Subject.objects.order_by("name", "id")

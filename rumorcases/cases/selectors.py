"""Reads of cases for the interfaces, with query counts that do not grow with the data."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from rumorcases.cases.choices import OPEN_STATES, CaseStatus, ReportSource
from rumorcases.cases.models import Case, Report


def access_case_read(user) -> None:
    """Office staff with any role read every case; nobody else reads any."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied
    if not user.is_active:
        raise PermissionDenied
    if not user.has_perm("cases.view_case"):
        raise PermissionDenied


# Work that is not a case transition but still belongs to a stage: whoever may do it works
# cases in that stage. Everything else comes from the transitions' permissions.
_STAGE_WORK_PERMS = {
    "cases.record_finding": CaseStatus.VERIFYING,
    "notices.draft_notice": CaseStatus.DEBUNKING,
    "notices.review_notice": CaseStatus.DEBUNKING,
    "disposal.propose_penalty": CaseStatus.DISPOSING,
    "disposal.issue_order": CaseStatus.DISPOSING,
    "bulletins.draft_bulletin": CaseStatus.EXPOSING,
}


def case_work_states(user) -> list[str]:
    """The open states in which the user's roles have something to do, in workflow order.

    Read from the workflow itself: a state counts when the user holds the permission of a
    transition leaving it (or of the stage's other work, `_STAGE_WORK_PERMS`). Closed cases
    never count (reopening is not a queue). No query once the permission cache is loaded.
    """
    field = Case._meta.get_field("status")
    states = set()
    for transition in field.get_all_transitions(Case):
        permission = transition.permission
        if isinstance(permission, str) and transition.source in OPEN_STATES and user.has_perm(permission):
            states.add(transition.source)
    states.update(state for perm, state in _STAGE_WORK_PERMS.items() if user.has_perm(perm))
    return [state for state in OPEN_STATES if state in states]


def case_list_for_user(user, *, status: str | None = None, priority: str | None = None, assignee=None,
                       campaign: str | None = None, overdue: bool | None = None, search: str = "",
                       platform: str | None = None, category: str | None = None,
                       work_of=None, unassigned: bool = False, search_reports: bool = False) -> QuerySet:
    """Cases the user may see, soonest deadline first (no deadline last).

    `platform`: a platform's slug, cases with a report from it. `work_of`: a user, only the
    cases assigned to them or in the states their roles act on (`case_work_states`).
    `unassigned`: only cases nobody is assigned to. `search`: a reference, words of a title or
    claim, or a post's URL; with `search_reports`, words of any report's text or title too (which
    reads every report: seconds at a million). One query per page, whatever the page size;
    `case_report_counts_attach` adds the page's report counts with one more.
    """
    access_case_read(user)
    qs = _case_filter(status=status, priority=priority, assignee=assignee, campaign=campaign, overdue=overdue,
                      search=search, platform=platform, category=category, work_of=work_of, unassigned=unassigned,
                      search_reports=search_reports)
    # Ordered by the index (stage_deadline, id): a deep page reads the index, not a sort of every case.
    return qs.select_related("assignee").order_by(F("stage_deadline").asc(nulls_last=True), "id")


def case_report_counts_attach(cases) -> list[Case]:
    """Set `report_count` on each case of a page. One query for the page, not a join of every
    case's reports before paginating (which at 300,000 cases took seconds per page)."""
    cases = list(cases)
    rows = (Report.objects.filter(case__in=[case.pk for case in cases]).order_by().values("case_id")
            .annotate(n=Count("pk")))
    counts = {row["case_id"]: row["n"] for row in rows}
    for case in cases:
        case.report_count = counts.get(case.pk, 0)
    return cases


def case_counts_by_state(user, **filters) -> dict[str, int]:
    """How many cases `case_list_for_user(user, **filters)` holds in each state (every state
    present, zeros included), ignoring any `status` filter. One query. (No filter joins a
    many-valued relation, so no DISTINCT is needed.)"""
    access_case_read(user)
    filters.pop("status", None)
    counts = dict.fromkeys(CaseStatus.values, 0)
    rows = _case_filter(**filters).order_by().values("status").annotate(n=Count("pk"))
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def _case_filter(*, status=None, priority=None, assignee=None, campaign=None, overdue=None, search="",
                 platform=None, category=None, work_of=None, unassigned=False, search_reports=False) -> QuerySet:
    qs = Case.objects.all()
    if work_of is not None:
        qs = qs.filter(Q(assignee=work_of) | Q(status__in=case_work_states(work_of)))
    if status:
        qs = qs.filter(status=status)
    if priority:
        qs = qs.filter(priority=priority)
    if category:
        qs = qs.filter(category=category)
    if assignee is not None:
        qs = qs.filter(assignee=assignee)
    if unassigned:
        qs = qs.filter(assignee__isnull=True)
    if campaign:
        qs = qs.filter(Exists(Case.campaigns.through.objects.filter(case=OuterRef("pk"), campaign__slug=campaign)))
    if platform:
        qs = qs.filter(Exists(Report.objects.filter(case=OuterRef("pk"), platform__slug=platform)))
    if overdue is not None:
        late = Q(status__in=OPEN_STATES, stage_deadline__lt=timezone.now())
        qs = qs.filter(late) if overdue else qs.exclude(late)
    search = (search or "").strip()
    if search:
        # A union of ids rather than one OR across two tables: each side can use its own
        # indexes (on PostgreSQL, the trigram indexes of migration cases 0006 on titles and
        # claims; the report URL's own index).
        found = Case.objects.filter(Q(reference=search.upper()) | Q(title__icontains=search)
                                    | Q(claim__icontains=search)).order_by().values("pk")
        in_reports = Q(url=search)
        if search_reports:
            # No index for words inside report texts: keeping one up to date cost intake too much.
            in_reports |= Q(content__icontains=search) | Q(title__icontains=search)
        found = found.union(Report.objects.filter(in_reports).order_by().values("case_id"))
        qs = qs.filter(pk__in=found)
    return qs


def case_assignable_users() -> QuerySet:
    """Staff a case may be assigned to: active, with a working role (not only the auditor's). One query."""
    from django.contrib.auth import get_user_model

    from rumorcases.core import roles

    working = [role for role in roles.ALL_ROLES if role != roles.AUDITOR]
    return (get_user_model().objects.filter(is_active=True, groups__name__in=working).distinct()
            .order_by("username"))


def case_reports(case: Case) -> QuerySet:
    """The case's reports with their platform and author account, most spread first. One query."""
    return case.reports.select_related("platform", "author").order_by("-views", "-reposts", "id")


def report_get_for_user(user, *, report_id: int) -> Report:
    """One report with its case, if the user may read cases (404 otherwise). One query."""
    access_case_read(user)
    report = Report.objects.select_related("case", "platform").filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report


def case_get_for_user(user, *, reference: str) -> Case:
    """The case with this reference, if the user may read it (404 otherwise). One query."""
    access_case_read(user)
    case = Case.objects.select_related("assignee", "merged_into", "created_by").filter(reference=reference).first()
    if case is None:
        raise Http404
    return case


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # transition, comment, evidence, finding, consultation, report (+ the decisions' kinds)
    actor: object | None
    obj: object


def case_timeline(case: Case, *, decisions: bool = False) -> list[TimelineEntry]:
    """Everything that happened to a case, newest first. Six queries, whatever the case's size.

    `decisions`: also the debunk notice's versions and reviews, the penalties and the platform
    orders (kinds notice_version, notice_review, penalty, order): four queries more.
    """
    entries = []
    for t in case.transitions.select_related("actor"):
        entries.append(TimelineEntry(t.created_at, "transition", t.actor, t))
    for c in case.comments.select_related("author"):
        entries.append(TimelineEntry(c.created_at, "comment", c.author, c))
    for e in case.evidence.select_related("uploaded_by"):
        entries.append(TimelineEntry(e.uploaded_at, "evidence", e.uploaded_by, e))
    for f in case.findings.select_related("recorded_by"):
        entries.append(TimelineEntry(f.recorded_at, "finding", f.recorded_by, f))
    for q in case.consultations.select_related("asked_by"):
        entries.append(TimelineEntry(q.asked_at, "consultation", q.asked_by, q))
    for r in case.reports.select_related("platform", "submitted_by"):
        entries.append(TimelineEntry(r.received_at, "report", r.submitted_by, r))
    if decisions:
        entries.extend(_decision_entries(case))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def _decision_entries(case: Case) -> list[TimelineEntry]:
    from rumorcases.notices.models import NoticeReview, NoticeVersion

    entries = []
    for v in NoticeVersion.objects.filter(notice__case=case).select_related("author", "notice"):
        entries.append(TimelineEntry(v.created_at, "notice_version", v.author, v))
    for r in NoticeReview.objects.filter(notice__case=case).select_related("reviewer", "version"):
        entries.append(TimelineEntry(r.created_at, "notice_review", r.reviewer, r))
    for p in case.penalties.select_related("account", "proposed_by", "approved_by", "legal_provision"):
        entries.append(TimelineEntry(p.proposed_at, "penalty", p.proposed_by, p))
    for o in case.orders.select_related("platform", "issued_by"):
        entries.append(TimelineEntry(o.issued_at, "order", o.issued_by, o))
    return entries


# --- what a platform sees over the API -------------------------------------------------


def platform_reports(platform) -> QuerySet:
    """The reports the platform itself submitted. Reports the office recorded from its own
    monitoring name the platform too, but they are the office's, not the platform's."""
    return Report.objects.filter(platform=platform).exclude(source=ReportSource.STAFF_MONITORING)


def report_list_for_platform(platform, *, external_id: str | None = None, since: datetime | None = None) -> QuerySet:
    """The platform's own reports with their case and author account. One query a page.

    `since`: received or changed (new figures, moved by a case merge) at or after it.
    """
    qs = platform_reports(platform).select_related("case", "author")
    if external_id is not None:
        qs = qs.filter(external_id=external_id)
    if since is not None:
        qs = qs.filter(updated_at__gte=since)  # updated_at is set on creation too
    return qs


def report_get_for_platform(platform, *, report_id: int) -> Report:
    """One of the platform's own reports; 404 for any other, whether or not it exists. One query."""
    report = report_list_for_platform(platform).filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report


def case_get_for_platform(platform, *, reference: str) -> Case:
    """A case the platform reported into or received an order on; 404 for any other, whether or
    not it exists. One query."""
    from rumorcases.disposal.models import DisposalOrder

    reported = Exists(platform_reports(platform).filter(case=OuterRef("pk")))
    ordered = Exists(DisposalOrder.objects.filter(platform=platform, case=OuterRef("pk")))
    case = Case.objects.filter(reference=reference).filter(reported | ordered).first()
    if case is None:
        raise Http404
    return case

"""Reads of cases for the interfaces, with query counts that do not grow with the data."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from rumorcases.cases.choices import OPEN_STATES, ReportSource
from rumorcases.cases.models import Case, Report


def access_case_read(user) -> None:
    """Office staff with any role read every case; nobody else reads any."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied
    if not user.is_active:
        raise PermissionDenied
    if not user.has_perm("cases.view_case"):
        raise PermissionDenied


def case_list_for_user(user, *, status: str | None = None, priority: str | None = None, assignee=None,
                       campaign: str | None = None, overdue: bool | None = None, search: str = "") -> QuerySet:
    """Cases the user may see, soonest deadline first, each with its report count.

    One query per page, whatever the page size.
    """
    access_case_read(user)
    qs = Case.objects.select_related("assignee").annotate(report_count=Count("reports", distinct=True))
    if status:
        qs = qs.filter(status=status)
    if priority:
        qs = qs.filter(priority=priority)
    if assignee is not None:
        qs = qs.filter(assignee=assignee)
    if campaign:
        qs = qs.filter(campaigns__slug=campaign)
    if overdue is not None:
        late = Q(status__in=OPEN_STATES, stage_deadline__lt=timezone.now())
        qs = qs.filter(late) if overdue else qs.exclude(late)
    if search:
        qs = qs.filter(
            Q(reference__iexact=search) | Q(title__icontains=search) | Q(claim__icontains=search)
            | Q(reports__content__icontains=search)
        ).distinct()
    return qs.order_by("stage_deadline", "id")


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
    kind: str  # transition, comment, evidence, finding, consultation, report
    actor: object | None
    obj: object


def case_timeline(case: Case) -> list[TimelineEntry]:
    """Everything that happened to a case, newest first. Six queries, whatever the case's size."""
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
    entries.sort(key=lambda entry: entry.at, reverse=True)
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

"""Reads of exposure bulletins for the staff UI."""

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404

from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin, BulletinEntry
from rumorcases.bulletins.services import measures_summary
from rumorcases.cases.choices import RUMOUR_VERDICTS, CaseStatus
from rumorcases.cases.models import Case
from rumorcases.cases.selectors import access_case_read


def bulletin_list_for_user(user) -> QuerySet:
    """Every bulletin, newest first, with its entry count. One query a page."""
    access_case_read(user)
    return (Bulletin.objects.select_related("drafted_by", "published_by").annotate(entry_count=Count("entries"))
            .order_by("-created_at", "-id"))


def bulletin_get_for_user(user, *, pk: int) -> Bulletin:
    """One bulletin with its entries in order (and each entry's case); 404 otherwise. Two queries."""
    access_case_read(user)
    entries = BulletinEntry.objects.select_related("case").order_by("position", "id")
    bulletin = (Bulletin.objects.select_related("drafted_by", "published_by")
                .prefetch_related(Prefetch("entries", queryset=entries)).filter(pk=pk).first())
    if bulletin is None:
        raise Http404
    return bulletin


def bulletin_entry_get(bulletin: Bulletin, *, pk: int) -> BulletinEntry:
    entry = BulletinEntry.objects.select_related("case", "bulletin").filter(bulletin=bulletin, pk=pk).first()
    if entry is None:
        raise Http404
    return entry


def bulletin_candidate_cases() -> QuerySet:
    """Cases waiting for exposure that no unpublished bulletin holds yet, longest waiting first.
    One query. (A published bulletin closes its cases, so only drafts and reviews can hold them.)"""
    held = BulletinEntry.objects.filter(case=OuterRef("pk")).exclude(bulletin__status=BulletinStatus.PUBLISHED)
    return (Case.objects.filter(status=CaseStatus.EXPOSING).exclude(Exists(held))
            .order_by("stage_started_at", "id"))


def bulletin_entry_prefill(case: Case) -> dict:
    """Starting texts for a new entry: the case's title and claim, the facts of its published
    debunk notice (else the latest rumour finding's reasoning) and the executed measures. Four queries."""
    from rumorcases.notices.selectors import notice_published_for_case

    notice = notice_published_for_case(case)
    version = notice.current_version if notice is not None else None
    finding = None if version else case.findings.filter(verdict__in=RUMOUR_VERDICTS).order_by("-recorded_at",
                                                                                            "-id").first()
    return {
        "case": case.reference,
        "headline": case.title,
        "rumour_summary": case.claim,
        "finding_summary": version.body if version else (finding.reasoning if finding else ""),
        "measures_summary": measures_summary(case),
    }


# --- the public site: published bulletins only ------------------------------------------------


def bulletin_public_list() -> QuerySet:
    """Published bulletins, newest issue first, with their entry count. One query a page."""
    return (Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).annotate(entry_count=Count("entries"))
            .order_by("-year", "-issue_number", "-id"))


def bulletin_get_public(*, year: int, issue: int) -> Bulletin:
    """A published bulletin by its number, with its entries in order and their cases' campaigns;
    404 for anything else (drafts have no number, but a number is no proof). Three queries."""
    entries = BulletinEntry.objects.prefetch_related("case__campaigns").order_by("position", "id")
    bulletin = (Bulletin.objects.filter(status=BulletinStatus.PUBLISHED, year=year, issue_number=issue)
                .prefetch_related(Prefetch("entries", queryset=entries)).first())
    if bulletin is None:
        raise Http404
    return bulletin


def bulletin_public_stamp(*, year: int, issue: int) -> tuple | None:
    """What changes when the bulletin's public pages must change, or None when it is not public.
    One query."""
    rows = (Bulletin.objects.filter(status=BulletinStatus.PUBLISHED, year=year, issue_number=issue)
            .values_list("pk", "published_at")[:1])
    return rows[0] if rows else None


def bulletins_public_stamp() -> tuple:
    """What changes when the public list of bulletins must change. One aggregate query."""
    from django.db.models import Max

    row = Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).aggregate(count=Count("id"),
                                                                            published=Max("published_at"))
    return row["count"], row["published"]


def bulletin_public_accounts(bulletin: Bulletin) -> list:
    """The penalties carried out on accounts in the bulletin's cases, by platform then handle,
    with the account and platform loaded. Only executed penalties; the caller shows only the
    platform, the public handle and the measure. One query."""
    from rumorcases.disposal.choices import PenaltyStatus
    from rumorcases.disposal.models import Penalty

    return list(Penalty.objects.filter(case__bulletin_entries__bulletin=bulletin, status=PenaltyStatus.EXECUTED)
                .select_related("account__platform")
                .order_by("account__platform__name", "account__handle", "id"))

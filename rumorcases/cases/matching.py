"""Which case does an incoming report belong to?

`match_report` is the one entry point used by the API, the staff form and imports.
This first implementation matches exactly: the same post URL, or the same text
once normalised (case, width, whitespace and punctuation ignored).
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from rumorcases.cases.choices import CaseStatus

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """NFKC (full-width → half-width), lower case, punctuation and whitespace removed."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return _NOT_WORD.sub("", text)


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Match:
    case: object | None
    score: float
    reason: str  # "exact_url", "exact_text" or "" when there is no match


NO_MATCH = Match(case=None, score=0.0, reason="")


def _candidate_reports():
    from rumorcases.cases.models import Report

    recent = timezone.now() - timedelta(days=settings.MATCH_RECENTLY_CLOSED_DAYS)
    # A merged case's reports live in the surviving case, so duplicates never match.
    return Report.objects.filter(
        ~Q(case__status=CaseStatus.CLOSED) | Q(case__closed_at__gte=recent, case__merged_into__isnull=True)
    ).select_related("case")


def match_report(*, url: str, text: str, exclude_report_id: int | None = None) -> Match:
    """Find the open or recently closed case carrying the same rumour. At most two indexed queries."""
    candidates = _candidate_reports()
    if exclude_report_id:
        candidates = candidates.exclude(pk=exclude_report_id)
    if url:
        hit = candidates.filter(url=url).order_by("-case__created_at").first()
        if hit is not None:
            return Match(case=hit.case, score=1.0, reason="exact_url")
    digest = content_hash(text)
    if normalise_text(text):
        hit = candidates.filter(content_hash=digest).order_by("-case__created_at").first()
        if hit is not None:
            return Match(case=hit.case, score=1.0, reason="exact_text")
    return NO_MATCH

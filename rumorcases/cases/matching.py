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


_EMPTY_TEXT_HASH = content_hash("")


class BatchMatcher:
    """`match_report` for many reports stored one after another in one transaction.

    Built from the (url, text) of every report the batch may store, it finds with two queries
    the candidate cases already carrying those URLs and texts. Then, for each report in turn,
    `match` answers what `match_report` would answer at that moment, counting the reports stored
    earlier in the batch, which the caller records with `add`. A stored case is named by its id;
    a case the batch opens is named by whatever object the caller passes to `add`, and counts as
    newer than any stored case (it is: it is created now).

    Whoever changes how `match_report` matches changes this class with it: the batch intake's
    equivalence tests compare the two.
    """

    def __init__(self, reports):
        reports = list(reports)
        self._digests: dict[str, str] = {}
        self._rank: dict[object, tuple] = {}
        self._opened = 0
        self._by_url: dict[str, object] = {}
        self._by_text: dict[str, object] = {}
        urls = {url for url, _ in reports if url}
        digests = {key for key in (self._text_key(text) for _, text in reports) if key}
        for field, keys, best in (("url", urls, self._by_url), ("content_hash", digests, self._by_text)):
            if not keys:
                continue
            # Distinct (key, case) pairs: many reports of one case carry the same key.
            rows = (_candidate_reports().filter(**{f"{field}__in": keys}).order_by()
                    .values_list(field, "case_id", "case__created_at").distinct())
            for key, case_id, created_at in rows:
                # `match_report` takes the most recently created case (ties: the higher id).
                self._rank[case_id] = (0, created_at, case_id)
                self._keep_best(best, key, case_id)

    def content_hash(self, text: str) -> str:
        """`content_hash`, computed once per text for the whole batch."""
        digest = self._digests.get(text)
        if digest is None:
            digest = self._digests[text] = content_hash(text)
        return digest

    def _text_key(self, text: str) -> str:
        """The content hash, or "" for a text with nothing left once normalised (never matched)."""
        digest = self.content_hash(text)
        return "" if digest == _EMPTY_TEXT_HASH else digest

    def _keep_best(self, best: dict, key: str, case) -> None:
        current = best.get(key)
        if current is None or self._rank[case] > self._rank[current]:
            best[key] = case

    def match(self, *, url: str, text: str) -> Match:
        if url and url in self._by_url:
            return Match(case=self._by_url[url], score=1.0, reason="exact_url")
        key = self._text_key(text)
        if key and key in self._by_text:
            return Match(case=self._by_text[key], score=1.0, reason="exact_text")
        return NO_MATCH

    def add(self, *, url: str, text: str, case) -> None:
        """Record a report stored in `case` (a stored case's id, or the caller's new case)."""
        if case not in self._rank:
            self._opened += 1
            self._rank[case] = (1, self._opened)
        if url:
            self._keep_best(self._by_url, url, case)
        key = self._text_key(text)
        if key:
            self._keep_best(self._by_text, key, case)

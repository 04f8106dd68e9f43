"""Which case does an incoming report belong to?

`match_report` is the one entry point used by the API, the staff form and imports.
In this order: the same post URL; the same text once normalised (`normalise`: width, case,
links, hashtags, mentions, repost chains, punctuation and script ignored); then a near duplicate,
found by MinHash band keys and confirmed by `fingerprints.similarity` against
`settings.MATCH_NEAR_THRESHOLD` (docs/matching.md).
"""

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from rumorcases.cases import fingerprints
from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.normalise import normalise

# Keys per near-duplicate lookup of a batch: stays under SQLite's 32,766 variables a statement.
_KEYS_PER_QUERY = 20000


def content_hash(text: str) -> str:
    """SHA-256 of the normalised text."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Match:
    case: object | None
    score: float
    reason: str  # "exact_url", "exact_text", "near_duplicate" or "" when there is no match


NO_MATCH = Match(case=None, score=0.0, reason="")


def _candidate_reports():
    from rumorcases.cases.models import Report

    recent = timezone.now() - timedelta(days=settings.MATCH_RECENTLY_CLOSED_DAYS)
    # A merged case's reports live in the surviving case, so duplicates never match.
    return Report.objects.filter(
        ~Q(case__status=CaseStatus.CLOSED) | Q(case__closed_at__gte=recent, case__merged_into__isnull=True)
    ).select_related("case")


def match_report(*, url: str, text: str, exclude_report_id: int | None = None) -> Match:
    """Find the open or recently closed case carrying the same rumour. At most five indexed queries."""
    candidates = _candidate_reports()
    if exclude_report_id:
        candidates = candidates.exclude(pk=exclude_report_id)
    if url:
        hit = candidates.filter(url=url).order_by("-case__created_at").first()
        if hit is not None:
            return Match(case=hit.case, score=1.0, reason="exact_url")
    norm = normalise(text)
    if not norm:
        return NO_MATCH
    digest = hashlib.sha256(norm.encode("utf-8")).hexdigest()
    hit = candidates.filter(content_hash=digest).order_by("-case__created_at").first()
    if hit is not None:
        return Match(case=hit.case, score=1.0, reason="exact_text")
    if not fingerprints.enabled():
        return NO_MATCH
    found = fingerprints.candidates(fingerprints.band_keys(norm), candidates, exclude_report_id=exclude_report_id)
    near = fingerprints.best_near_duplicate(norm, found)
    if near is not None:
        from rumorcases.cases.models import Case

        return Match(case=Case.objects.get(pk=near[0]), score=near[1], reason="near_duplicate")
    return NO_MATCH


_EMPTY_TEXT_HASH = content_hash("")


class BatchMatcher:
    """`match_report` for many reports stored one after another in one transaction.

    Built from the (url, text) of every report the batch may store, it finds with two queries
    the candidate cases already carrying those URLs and texts, and with one more (one per
    20,000 band keys: some 300 reports) the stored reports sharing band keys with its texts.
    Then, for each report in turn, `match` answers what `match_report` would answer at that
    moment, counting the reports stored earlier in the batch, which the caller records with
    `add`. A stored case is named by its id;
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
        self._norms: dict[str, str] = {}
        self._keys: dict[str, list] = {}
        # key -> the stored reports carrying it, newest first (at most POSTINGS_PER_KEY)
        self._stored_by_key: dict[int, list] = {}
        # stored report -> (normalised text, case id), or None if its case cannot be matched
        self._stored: dict[int, tuple | None] = {}
        # key -> the reports the batch added carrying it, in order ("added", n); n -> (case, text)
        self._added_by_key: dict[int, list] = {}
        self._added: list[tuple] = []
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
        self._near = fingerprints.enabled()
        if self._near:
            self._read_fingerprints({text for _, text in reports if self._text_key(text)})

    def _read_fingerprints(self, texts: set) -> None:
        """What `fingerprints.candidate_ids` reads for each text of the batch: each key's newest
        POSTINGS_PER_KEY stored reports (one query per 20,000 keys); then the texts of the
        reports that are some text's best candidates before the batch adds any (one query)."""
        from rumorcases.cases.models import ReportFingerprint

        ordered = sorted({key for text in texts for key in self.band_keys(text)})
        for start in range(0, len(ordered), _KEYS_PER_QUERY):
            newest = Window(RowNumber(), partition_by=F("key"), order_by=F("report_id").desc())
            rows = (ReportFingerprint.objects.filter(key__in=ordered[start : start + _KEYS_PER_QUERY])
                    .annotate(newest=newest).filter(newest__lte=fingerprints.POSTINGS_PER_KEY)
                    .order_by("key", "-report_id").values_list("key", "report_id"))
            for key, report_id in rows:
                self._stored_by_key.setdefault(key, []).append(report_id)
        self._read_stored({entry[1] for text in texts for entry in self._ranked(text) if entry[0] == "stored"})

    def _read_stored(self, report_ids) -> None:
        """The texts and cases of stored candidate reports; None for those in closed cases."""
        wanted = sorted(set(report_ids) - self._stored.keys())
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            chunk = wanted[start : start + _KEYS_PER_QUERY]
            self._stored.update(dict.fromkeys(chunk))
            for report_id, norm, case_id, created_at in (
                    _candidate_reports().filter(pk__in=chunk)
                    .values_list("pk", "normalised", "case_id", "case__created_at")):
                self._rank.setdefault(case_id, (0, created_at, case_id))
                self._stored[report_id] = (norm, case_id)

    def _ranked(self, text: str) -> list[tuple]:
        """`fingerprints.candidate_ids` now, as ("stored", report id) and ("added", n) entries:
        per key the newest reports, the batch's own (newer than any stored) first."""
        shared: Counter = Counter()
        for key in self.band_keys(text):
            window = self._added_by_key.get(key, [])[::-1][:fingerprints.POSTINGS_PER_KEY]
            shared.update(window)
            shared.update(("stored", report_id) for report_id in
                          self._stored_by_key.get(key, ())[:fingerprints.POSTINGS_PER_KEY - len(window)])
        newest_first = {"added": 1, "stored": 0}
        return sorted(shared, key=lambda entry: (shared[entry], newest_first[entry[0]], entry[1]),
                      reverse=True)[:fingerprints.CANDIDATE_LIMIT]

    def normalised(self, text: str) -> str:
        """`normalise`, computed once per text for the whole batch."""
        norm = self._norms.get(text)
        if norm is None:
            norm = self._norms[text] = normalise(text)
        return norm

    def band_keys(self, text: str) -> list:
        keys = self._keys.get(text)
        if keys is None:
            keys = self._keys[text] = fingerprints.band_keys(self.normalised(text))
        return keys

    def content_hash(self, text: str) -> str:
        """`content_hash`, computed once per text for the whole batch."""
        digest = self._digests.get(text)
        if digest is None:
            digest = self._digests[text] = hashlib.sha256(self.normalised(text).encode("utf-8")).hexdigest()
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
        if key and self._near:
            near = fingerprints.best_near_duplicate(self.normalised(text), self._near_candidates(text))
            if near is not None:
                return Match(case=near[0], score=near[1], reason="near_duplicate")
        return NO_MATCH

    def _near_candidates(self, text: str) -> list:
        """What `fingerprints.candidates` would find now, best first. Reads the texts of stored
        candidates not read at the start (only when the batch's own reports pushed others out)."""
        ranked = self._ranked(text)
        self._read_stored(entry[1] for entry in ranked if entry[0] == "stored")
        found = []
        for kind, number in ranked:
            if kind == "added":
                case, norm = self._added[number]
            elif self._stored[number] is not None:
                norm, case = self._stored[number]
            else:
                continue
            found.append(fingerprints.Candidate(normalised=norm, case=case))
        return found

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
            entry = ("added", len(self._added))
            self._added.append((case, self.normalised(text)))
            for band_key in self.band_keys(text) if self._near else ():
                self._added_by_key.setdefault(band_key, []).append(entry)

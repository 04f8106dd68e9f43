"""Which case does an incoming report belong to?

`match_report` is the one entry point used by the API, the staff form and imports.
In this order: the same post URL; the same text once normalised (`normalise`: width, case,
links, hashtags, mentions, repost chains, punctuation and script ignored); then a near duplicate,
found by MinHash band keys and confirmed by `fingerprints.similarity` against
`settings.MATCH_NEAR_THRESHOLD` (docs/matching.md).
"""

import hashlib
import heapq
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from rumorcases.cases import fingerprints
from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.normalise import normalise

# The batch's own reports, as candidates, are numbered from here: above any stored report's id,
# as they are newer than any.
_ADDED = 1 << 62


def _digest(norm: str) -> str:
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def content_hash(text: str) -> str:
    """SHA-256 of the normalised text."""
    return _digest(normalise(text))


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
    hit = candidates.filter(content_hash=_digest(norm)).order_by("-case__created_at").first()
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

    `read` (or the constructor) takes the (url, text) of every report the batch may store and
    finds with two queries the candidate cases already carrying those URLs and texts; for the
    texts no stored report carries, with two more (one per 20,000 keys or reports), each band
    key's newest stored reports and the texts of the best candidates.
    `prepare` does the normalising and hashing beforehand, outside the caller's locks.
    Then, for each report in turn, `match` answers what `match_report` would answer at that
    moment, counting the reports stored earlier in the batch, which the caller records with
    `add`. A stored case is named by its id;
    a case the batch opens is named by whatever object the caller passes to `add`, and counts as
    newer than any stored case (it is: it is created now).

    Whoever changes how `match_report` matches changes this class with it: the batch intake's
    equivalence tests compare the two.
    """

    def __init__(self, reports=None):
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
        # key -> the reports the batch added carrying it, in order, as _ADDED + n; n -> (case, text)
        self._added_by_key: dict[int, list] = {}
        self._added: list[tuple] = []
        # text -> its ranking before the batch added anything (`_ranked`)
        self._stored_ranking: dict[str, list[int]] = {}
        self._near = fingerprints.enabled()
        if reports is not None:
            self.read(reports)

    def prepare(self, texts) -> None:
        """Normalise, hash and fingerprint `texts` ahead of `read`: work a caller can do before
        taking its locks."""
        for text in texts:
            if self._text_key(text) and self._near:
                self.band_keys(text)

    def read(self, reports) -> None:
        """Read what the store holds for these (url, text) pairs: the cases carrying their URLs
        and texts, and the stored near-duplicate candidates of the rest."""
        reports = list(reports)
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
        if self._near:
            # A text a stored report carries (or whose URL one has) never gets as far as near
            # duplicates: `match` answers it before.
            self._read_fingerprints({text for url, text in reports if self._text_key(text)
                                     and url not in self._by_url and self._text_key(text) not in self._by_text})

    def _read_fingerprints(self, texts: set) -> None:
        """What `fingerprints.candidate_ids` reads for each text of the batch that no stored
        report matches exactly: each key's newest POSTINGS_PER_KEY stored reports; then the texts
        of the reports that are some text's best candidates before the batch adds any."""
        self._stored_by_key = fingerprints.newest_postings({key for text in texts for key in self.band_keys(text)})
        self._stored_ranking = {text: self._ranked(text) for text in texts}
        self._read_stored({entry for ranking in self._stored_ranking.values() for entry in ranking if entry < _ADDED})

    def _read_stored(self, report_ids) -> None:
        """The texts and cases of stored candidate reports; None for those in closed cases."""
        wanted = sorted(set(report_ids) - self._stored.keys())
        for start in range(0, len(wanted), fingerprints.KEYS_PER_QUERY):
            chunk = wanted[start : start + fingerprints.KEYS_PER_QUERY]
            self._stored.update(dict.fromkeys(chunk))
            for report_id, norm, case_id, created_at in (
                    _candidate_reports().filter(pk__in=chunk)
                    .values_list("pk", "normalised", "case_id", "case__created_at")):
                self._rank.setdefault(case_id, (0, created_at, case_id))
                self._stored[report_id] = (norm, case_id)

    def _ranked(self, text: str) -> list[int]:
        """`fingerprints.candidate_ids` now: stored reports by id, the batch's own as _ADDED + n;
        per key the newest reports, the batch's own (newer than any stored) first."""
        keys = self.band_keys(text)
        if text in self._stored_ranking and not any(key in self._added_by_key for key in keys):
            return self._stored_ranking[text]  # nothing the batch added shares a key with it
        shared: Counter = Counter()
        limit = fingerprints.POSTINGS_PER_KEY
        for key in keys:
            window = self._added_by_key.get(key, [])[::-1][:limit]
            shared.update(window)
            shared.update(self._stored_by_key.get(key, ())[: limit - len(window)])
        best = heapq.nlargest(fingerprints.CANDIDATE_LIMIT, ((count, entry) for entry, count in shared.items()))
        return [entry for _, entry in best]

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
            digest = self._digests[text] = _digest(self.normalised(text))
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
        self._read_stored(entry for entry in ranked if entry < _ADDED)
        found = []
        for entry in ranked:
            if entry >= _ADDED:
                case, norm = self._added[entry - _ADDED]
            elif self._stored[entry] is not None:
                norm, case = self._stored[entry]
            else:
                continue
            found.append(fingerprints.Candidate(normalised=norm, case=case))
        return found

    def add(self, *, url: str, text: str, case, reason: str = "new_case") -> None:
        """Record a report stored in `case` (a stored case's id, or the caller's new case), joined
        for `reason` (its keys count only if `fingerprints.needs_fingerprints` stores them)."""
        if case not in self._rank:
            self._opened += 1
            self._rank[case] = (1, self._opened)
        if url:
            self._keep_best(self._by_url, url, case)
        key = self._text_key(text)
        if key:
            self._keep_best(self._by_text, key, case)
            if not (self._near and fingerprints.needs_fingerprints(reason)):
                return
            entry = _ADDED + len(self._added)
            self._added.append((case, self.normalised(text)))
            for band_key in self.band_keys(text):
                self._added_by_key.setdefault(band_key, []).append(entry)

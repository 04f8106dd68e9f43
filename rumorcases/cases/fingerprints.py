"""Near-duplicate reports: MinHash fingerprints with LSH band keys, then an exact re-score.

A report's normalised text (`normalise`) is cut into character trigrams. A MinHash signature of
`NUM_PERM` values is taken over them and cut into `BANDS` bands of `ROWS` values; each band is
hashed to one 64-bit key and stored as a `ReportFingerprint` row (report, band, key), indexed on
(band, key). Two texts whose trigram Jaccard similarity is J share at least one band key with
probability 1 - (1 - J**ROWS)**BANDS: with 64 bands of 2 rows that is 93 % at J = 0.2 and over
99 % at J = 0.3, so the candidate lookup loses almost nothing at the threshold (see
docs/matching.md). The band keys only propose candidates; `similarity` on the stored normalised
texts decides, against `settings.MATCH_NEAR_THRESHOLD`.

Plain tables and an equality lookup: it works the same on SQLite and PostgreSQL.
The permutations come from a fixed seed: stored keys stay valid across processes and releases.
Changing `NUM_PERM`, `BANDS`, `ROWS`, the seed or the trigram rules needs every fingerprint
recomputed (a data migration calling `fingerprint_store` on all reports).
"""

import hashlib
import json
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db.models import Count, Q

from rumorcases.cases.normalise import normalise

NUM_PERM = 128
BANDS = 64
ROWS = 2
assert BANDS * ROWS == NUM_PERM
CANDIDATE_LIMIT = 50
# How much containment counts beside Jaccard (see `similarity`), fitted on the labelled pairs.
CONTAINMENT_WEIGHT = 0.65

_PRIME = np.uint64((1 << 61) - 1)
_SEED = 20130909
# a·h + b with a, b, h below 2**32 stays below 2**64: no overflow in uint64.
_rng = np.random.default_rng(_SEED)
_A = _rng.integers(1, 1 << 32, size=NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, 1 << 32, size=NUM_PERM, dtype=np.uint64)
del _rng


def enabled() -> bool:
    """Whether near-duplicate matching is on (`MATCH_NEAR_DUPLICATES`): fingerprints are written
    and looked up only then; exact URL and text matching work either way."""
    return settings.MATCH_NEAR_DUPLICATES


def shingles(norm: str) -> set[str]:
    """The character trigrams of a normalised text, as `tokens_for_matching` cuts them."""
    n = 3 if len(norm) >= 3 else 2
    if len(norm) < n:
        return {norm} if norm else set()
    return {norm[i : i + n] for i in range(len(norm) - n + 1)}


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=4).digest(), "little")


def band_keys(norm: str) -> list[tuple[int, int]]:
    """(band, key) pairs of an already normalised text; none for an empty text (never matched)."""
    grams = shingles(norm)
    if not grams:
        return []
    hashes = np.fromiter((_token_hash(g) for g in grams), dtype=np.uint64, count=len(grams))
    signature = ((np.outer(hashes, _A) + _B) % _PRIME).min(axis=0)
    keys = []
    for band in range(BANDS):
        chunk = signature[band * ROWS : (band + 1) * ROWS].tobytes()
        key = int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little", signed=True)
        keys.append((band, key))
    return keys


def signature(text: str) -> list[tuple[int, int]]:
    """The (band, key) pairs of a raw report text."""
    return band_keys(normalise(text))


def similarity(a_norm: str, b_norm: str) -> float:
    """How alike two normalised texts are, 0 to 1: the larger of trigram Jaccard and
    `CONTAINMENT_WEIGHT` × overlap coefficient (shared trigrams over the smaller set's).

    Containment lets a truncated copy, or a repost with a comment added, score high where
    Jaccard alone would not; weighted below Jaccard because appeal templates ("寻人 … 速回")
    share most of a short text and are different cases. Rounded to 4 places so the score
    stored on a report reads the same everywhere.
    """
    a, b = shingles(a_norm), shingles(b_norm)
    if not a or not b:
        return 0.0
    shared = len(a & b)
    jaccard = shared / (len(a) + len(b) - shared)
    containment = shared / min(len(a), len(b))
    return round(max(jaccard, CONTAINMENT_WEIGHT * containment), 4)


def fingerprint_store(reports) -> None:
    """Write the fingerprints of many reports (saved, with `normalised` set): one bulk insert
    (SQLite: one per 333 rows, Django's split under 999 variables)."""
    from rumorcases.cases.models import ReportFingerprint

    if not enabled():
        return
    ReportFingerprint.objects.bulk_create(
        [ReportFingerprint(report_id=report.pk, band=band, key=key)
         for report in reports for band, key in band_keys(report.normalised)],
    )


@dataclass(frozen=True)
class Candidate:
    """A stored or batch report sharing band keys with the text being matched."""

    shared: int  # band keys in common
    case_rank: tuple  # newer cases rank higher
    report_rank: tuple  # newer reports rank higher
    normalised: str
    case: object


def _band_filter(keys) -> Q:
    condition = Q()
    for band, key in keys:
        condition |= Q(fingerprints__band=band, fingerprints__key=key)
    return condition


def candidates(keys, limit: int = CANDIDATE_LIMIT, reports=None) -> list[Candidate]:
    """The reports of open or recently closed (not merged) cases sharing band keys with `keys`,
    most keys shared first, at most `limit`. One query (`reports`: the queryset to search)."""
    from rumorcases.cases.matching import _candidate_reports

    if not keys:
        return []
    reports = _candidate_reports() if reports is None else reports
    rows = (reports.filter(_band_filter(keys)).annotate(shared=Count("fingerprints"))
            .order_by("-shared", "-case__created_at", "-case_id", "-pk")[:limit])
    return [Candidate(shared=row.shared, case_rank=(0, row.case.created_at, row.case_id), report_rank=(0, row.pk),
                      normalised=row.normalised, case=row.case) for row in rows]


def best_near_duplicate(norm: str, found: list[Candidate], limit: int = CANDIDATE_LIMIT):
    """(case, score) of the most similar candidate at or above the threshold, or None.

    Looks at the `limit` candidates sharing most keys (ties: newer case, then newer report),
    then takes the highest similarity (ties: the earlier of those). Pure Python: the single and
    the batch path both end here, so they answer alike.
    """
    threshold = settings.MATCH_NEAR_THRESHOLD
    ranked = sorted(found, key=lambda c: (c.shared, c.case_rank, c.report_rank), reverse=True)[:limit]
    best = None
    for candidate in ranked:
        score = similarity(norm, candidate.normalised)
        if score >= threshold and (best is None or score > best[1]):
            best = (candidate.case, score)
    return best


def evaluate(pairs_path: str, posts_path: str, thresholds=(0.3, 0.35, 0.4, 0.45, 0.5)) -> list[dict]:
    """Precision and recall on the labelled same-rumour pairs (tests/data/README.md), for
    `similarity` with and without the LSH candidate step, and for plain trigram Jaccard."""
    with open(posts_path, encoding="utf-8") as posts_file:
        posts = {post["id"]: post["text"] for post in map(json.loads, posts_file)}
    with open(pairs_path, encoding="utf-8") as pairs_file:
        pairs = [json.loads(line) for line in pairs_file if line.strip()]
    scored = []
    for pair in pairs:
        a, b = normalise(posts[pair["a"]]), normalise(posts[pair["b"]])
        ga, gb = shingles(a), shingles(b)
        jaccard = len(ga & gb) / len(ga | gb) if ga and gb else 0.0
        proposed = bool(set(band_keys(a)) & set(band_keys(b)))
        scored.append((pair["same"], similarity(a, b), jaccard, proposed))
    positives = sum(1 for row in scored if row[0])
    figures = []
    for threshold in thresholds:
        for method, hit in (("similarity+lsh", lambda r, t: r[3] and r[1] >= t),
                            ("similarity", lambda r, t: r[1] >= t),
                            ("jaccard", lambda r, t: r[2] >= t)):
            tp = sum(1 for row in scored if row[0] and hit(row, threshold))
            fp = sum(1 for row in scored if not row[0] and hit(row, threshold))
            figures.append({"method": method, "threshold": threshold, "tp": tp, "fp": fp,
                            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / positives})
    return figures

"""Near-duplicate reports: MinHash band keys propose candidates, a weighted score decides.

**Candidates.** A report's normalised text (`normalise`) gets two MinHash families of
`FAMILY_BANDS` bands of `ROWS` values each: one over its character trigrams (copies that keep
the wording), one over its rarer units (`key_units`: the CJK characters and Latin trigrams of
`units` at least as rare as `KEY_MIN_WEIGHT`; rewordings that keep the words). Each band (with
its number) is hashed to one 64-bit key, stored as a `ReportFingerprint` row (key, report), the
pair being the table's primary key, so one index answers "which reports carry this key". Two
texts whose sets have Jaccard similarity J share a key of that family with probability
1 - (1 - J**ROWS)**FAMILY_BANDS: 73 % at J = 0.2, 95 % at J = 0.3.

**Decision.** `similarity` scores a candidate by the characters the two texts share, each
weighted by how rare it is in Chinese social-media text (`char_weights.tsv`), over the shorter
text's weight; reworded copies of one rumour keep its rare words (牙膏 颜色条, 多菌灵, a name, a
place) even when little of the phrasing survives. A pair that reads the same except for a short
swapped name or place (two appeals written from one template) scores 0. The result is compared
with `settings.MATCH_NEAR_THRESHOLD`. Measured on the labelled pairs in docs/matching.md.

Plain tables and equality lookups: it works the same on SQLite and PostgreSQL, and the process
keeps nothing that grows with the store (the fixed weight table, and a bounded cache of scored
texts). The permutations come from a fixed seed: stored keys stay valid across processes and
releases. Changing `NUM_PERM`, `BANDS`, `ROWS`, the seed, the unit rules, `KEY_MIN_WEIGHT` or the
weight table needs every fingerprint recomputed (docs/matching.md, "Tuning").
"""

import difflib
import functools
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection

NUM_PERM = 128
BANDS = 64  # 32 over trigrams, 32 over rare units
FAMILY_BANDS = BANDS // 2
ROWS = 2
assert BANDS * ROWS == NUM_PERM
CANDIDATE_LIMIT = 50
# Per band key, only its newest reports propose candidates: a key common to thousands of reports
# (a popular rumour's) costs no more than a rare one, and the newest are the likeliest open.
POSTINGS_PER_KEY = 100
CHAR_WEIGHTS_PATH = Path(__file__).resolve().parent / "data" / "char_weights.tsv"

# A swapped segment of at most this many characters, with at least this much unchanged text on
# either side, each side holding a character rarer than RARE_WEIGHT, makes two texts different
# rumours (寻打工者吴云飞 … / 寻打工者骆婕 …). Digits never do: a chain message's phone number
# changes as it spreads. Fitted on the labelled pairs.
SWAP_MAX_CHARS = 3
SWAP_CONTEXT_CHARS = 3
RARE_WEIGHT = 6.0
# The rare-unit band keys leave out the commoner characters (的 是 了 我 你 们 …, weight below
# this): two rewordings of a rumour share its rare words, unrelated posts share common ones.
KEY_MIN_WEIGHT = 4.0
# Numbers weigh at most this much: a chain message's phone number or date changes as it spreads,
# and an unseen number would otherwise weigh as much as the rarest word.
DIGITS_WEIGHT = 2.0

_PRIME = np.uint64((1 << 61) - 1)
_SEED = 20130909
# a·h + b with a, b, h below 2**32 stays below 2**64: no overflow in uint64.
_rng = np.random.default_rng(_SEED)
_A = _rng.integers(1, 1 << 32, size=NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, 1 << 32, size=NUM_PERM, dtype=np.uint64)
del _rng

# Han, kana and hangul count one character at a time; any other run (Latin letters, digits)
# is cut into trigrams, since normalised text keeps no spaces between words.
_SCRIPT = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"
_UNIT_RUNS = re.compile(f"[{_SCRIPT}]|[^{_SCRIPT}]+")
_HAN_ONLY = re.compile(f"[{_SCRIPT}]+")


def enabled() -> bool:
    """Whether near-duplicate matching is on (`MATCH_NEAR_DUPLICATES`, on by default):
    fingerprints are written and looked up only then; exact URL and text matching work either way."""
    return settings.MATCH_NEAR_DUPLICATES


def shingles(norm: str) -> set[str]:
    """The character trigrams of a normalised text (bigram for a two-character text)."""
    n = 3 if len(norm) >= 3 else 2
    if len(norm) < n:
        return {norm} if norm else set()
    return {norm[i : i + n] for i in range(len(norm) - n + 1)}


def units(norm: str) -> set[str]:
    """What `similarity` weighs: each CJK character, and the trigrams of other runs."""
    found = set()
    for run in _UNIT_RUNS.findall(norm):
        if len(run) == 1 or _HAN_ONLY.fullmatch(run):
            found.add(run)
        else:
            found |= shingles(run)
    return found


@functools.cache
def _weight_table() -> tuple[dict[str, float], float]:
    """unit → log((texts + 1) / (texts containing it + 1)), and the weight of an unseen unit."""
    with open(CHAR_WEIGHTS_PATH, encoding="utf-8") as table:
        header, texts = table.readline().rstrip("\n").split("\t")
        assert header == "#texts", f"{CHAR_WEIGHTS_PATH}: bad header"
        total = int(texts) + 1
        weights = {}
        for line in table:
            unit, count = line.rstrip("\n").split("\t")
            weights[unit] = math.log(total / (int(count) + 1))
    return weights, math.log(total)


def weight(unit: str) -> float:
    weights, unseen = _weight_table()
    found = weights.get(unit, unseen)
    return min(found, DIGITS_WEIGHT) if unit.isdigit() else found


def _mix(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on uint64 arrays (wrapping arithmetic): spreads every input bit."""
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def _unit_id(unit: str) -> int:
    """A unit (one to three characters) as one integer: 21 bits per code point."""
    value = 0
    for char in unit:
        value = (value << 21) | ord(char)
    return value


def key_units(norm: str) -> set[str]:
    """The units the band keys are taken over: those at least as rare as `KEY_MIN_WEIGHT` (all
    of them for a text made only of common ones)."""
    found = units(norm)
    return {unit for unit in found if weight(unit) >= KEY_MIN_WEIGHT} or found


def _trigram_ids(norm: str) -> np.ndarray:
    """`_unit_id` of every distinct trigram of `shingles(norm)`, computed on the code points in
    numpy (a text under three characters is its own single gram)."""
    points = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    width = min(3, len(points))
    grams = np.zeros(len(points) - width + 1, dtype=np.uint64)
    for offset in range(width):
        grams = (grams << np.uint64(21)) | points[offset : len(points) - width + 1 + offset]
    return np.unique(grams)


def _family_keys(ids: np.ndarray, first_band: int) -> list[int]:
    """`FAMILY_BANDS` keys of one MinHash family over `ids` (unit ids), bands numbered from
    `first_band` so the two families' keys never coincide."""
    hashes = _mix(ids) >> np.uint64(32)
    width = FAMILY_BANDS * ROWS
    signature = ((np.outer(hashes, _A[:width]) + _B[:width]) % _PRIME).min(axis=0).reshape(FAMILY_BANDS, ROWS)
    keys = _mix(np.arange(first_band + 1, first_band + 1 + FAMILY_BANDS, dtype=np.uint64))
    for row in range(ROWS):
        keys = _mix(keys ^ signature[:, row])
    return keys.view(np.int64).tolist()


def band_keys(norm: str) -> list[int]:
    """The `BANDS` keys of an already normalised text: half over its character trigrams (copies
    that keep the wording), half over its rare units (rewordings that keep the words); none for
    an empty text (never matched)."""
    if not norm:
        return []
    rare = key_units(norm)
    return (_family_keys(_trigram_ids(norm), 0)
            + _family_keys(np.fromiter(map(_unit_id, rare), dtype=np.uint64, count=len(rare)), 100))


@functools.lru_cache(maxsize=1024)
def _weighted_units(norm: str) -> tuple[dict[str, float], float]:
    # Cached, bounded: the same stored texts are candidates again and again (read only).
    found = {unit: weight(unit) for unit in units(norm)}
    return found, sum(found.values())


def _overlap(a: tuple[dict, float], b: tuple[dict, float]) -> float:
    (a_units, a_total), (b_units, b_total) = a, b
    if not a_units or not b_units:
        return 0.0
    small, large = (a_units, b_units) if len(a_units) <= len(b_units) else (b_units, a_units)
    return sum(value for unit, value in small.items() if unit in large) / min(a_total, b_total)


def overlap(a_norm: str, b_norm: str) -> float:
    """The rarity-weighted share of the shorter text's units that the other text has too, 0 to 1."""
    return _overlap(_weighted_units(a_norm), _weighted_units(b_norm))


def swapped_name(a_norm: str, b_norm: str) -> bool:
    """Whether the two texts are one template with a short rare segment swapped (a name or place)."""
    opcodes = difflib.SequenceMatcher(None, a_norm, b_norm, autojunk=False).get_opcodes()
    for index in range(1, len(opcodes) - 1):
        tag, a_start, a_end, b_start, b_end = opcodes[index]
        if tag != "replace":
            continue
        before, after = opcodes[index - 1], opcodes[index + 1]
        if before[0] != "equal" or after[0] != "equal":
            continue
        if before[2] - before[1] < SWAP_CONTEXT_CHARS or after[2] - after[1] < SWAP_CONTEXT_CHARS:
            continue
        old, new = a_norm[a_start:a_end], b_norm[b_start:b_end]
        if len(old) > SWAP_MAX_CHARS or len(new) > SWAP_MAX_CHARS:
            continue
        if not (_HAN_ONLY.fullmatch(old) and _HAN_ONLY.fullmatch(new)):
            continue
        if max(map(weight, old)) >= RARE_WEIGHT and max(map(weight, new)) >= RARE_WEIGHT:
            return True
    return False


def similarity(a_norm: str, b_norm: str) -> float:
    """How alike two normalised texts are as rumours, 0 to 1: `overlap`, or 0 when they differ by
    a swapped name (`swapped_name`). Rounded to 4 places so a stored score reads the same everywhere."""
    score = overlap(a_norm, b_norm)
    if score > 0 and swapped_name(a_norm, b_norm):
        return 0.0
    return round(score, 4)


def _copy_rows(rows: list[tuple[int, int]]) -> None:
    """Insert (key, report id) rows: COPY on PostgreSQL, one prepared statement on SQLite."""
    from rumorcases.cases.models import ReportFingerprint

    table = ReportFingerprint._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            buffer = io.StringIO("".join(f"{key}\t{report_id}\n" for key, report_id in rows))
            cursor.cursor.copy_expert(f"COPY {table} (key, report_id) FROM STDIN", buffer)
        else:
            # The table name is the model's, never input.
            cursor.executemany(f"INSERT INTO {table} (key, report_id) VALUES (%s, %s)", rows)  # noqa: S608


def fingerprint_store(reports, keys_of=None) -> None:
    """Write the fingerprints of many saved reports (with `normalised` set) in one statement;
    `keys_of(report)` gives keys already computed. A text has each key once, so (key, report)
    never repeats."""
    if not enabled():
        return
    keys_of = keys_of or (lambda report: band_keys(report.normalised))
    rows = [(key, report.pk) for report in reports for key in keys_of(report)]
    if rows:
        _copy_rows(rows)


def needs_fingerprints(match_reason: str) -> bool:
    """A report joined to its case by the same normalised text adds nothing to find: the report
    it matched carries the same keys in the same case. Only the first report of each text in a
    case is fingerprinted (reposts word for word are most of what platforms send)."""
    return match_reason != "exact_text"


def fingerprint_groups(groups, dry_run: bool = False) -> int:
    """Make sure each (case id, content hash) in `groups` has one fingerprinted report, if it
    has any report with text: after a report moved between cases, or for a backfill. Returns
    how many reports were (with `dry_run`: would be) fingerprinted."""
    from rumorcases.cases.models import Report

    if not enabled():
        return 0
    groups = set(groups)
    cases, hashes = {case for case, _ in groups}, {content_hash for _, content_hash in groups}
    done = set(Report.objects.filter(case_id__in=cases, content_hash__in=hashes, fingerprints__isnull=False)
               .values_list("case_id", "content_hash").distinct())
    missing = groups - done
    if not missing:
        return 0
    chosen = {}
    for report in (Report.objects.filter(case_id__in={case for case, _ in missing},
                                         content_hash__in={h for _, h in missing}).exclude(normalised="")
                   .only("pk", "case_id", "content_hash", "normalised").order_by("pk")):
        chosen.setdefault((report.case_id, report.content_hash), report)
    picked = [report for group, report in chosen.items() if group in missing]
    if not dry_run:
        fingerprint_store(picked)
    return len(picked)


def fingerprint_backfill(batch: int = 2000, dry_run: bool = False) -> int:
    """Fingerprint the first report of each text in each case where none is (reports stored while
    near-duplicate matching was off, or after a change of the hashing): returns how many (with
    `dry_run`: would be)."""
    from rumorcases.cases.models import Report

    done = 0
    seen: set[tuple] = set()  # a dry run writes nothing, so a later chunk would count a group again
    last_pk = 0
    while True:
        chunk = list(Report.objects.filter(pk__gt=last_pk, fingerprints__isnull=True).exclude(normalised="")
                     .order_by("pk").values_list("pk", "case_id", "content_hash")[:batch])
        if not chunk:
            return done
        last_pk = chunk[-1][0]
        groups = {(case_id, content_hash) for _, case_id, content_hash in chunk} - seen
        seen |= groups
        done += fingerprint_groups(groups, dry_run=dry_run)


@dataclass(frozen=True)
class Candidate:
    """A stored or batch report sharing band keys with the text being matched."""

    normalised: str
    case: object


# Keys per statement when many are looked up at once: under SQLite's 32,766 variables.
KEYS_PER_QUERY = 20000


def _newest_postings_sql(count: int, exclude: bool) -> tuple[str, Callable]:
    """SQL selecting (key, report id): each of `count` keys' newest `POSTINGS_PER_KEY` reports,
    optionally leaving one report out; and the function turning (keys, excluded ids) into its
    parameters. PostgreSQL: one backward index scan per element of a key array (LATERAL);
    SQLite: the keys' postings numbered by a window function."""
    from rumorcases.cases.models import ReportFingerprint

    table = ReportFingerprint._meta.db_table
    skip = " AND report_id <> %s" if exclude else ""
    # Only the table name and numbers are formatted in; keys and ids are parameters.
    if connection.vendor == "postgresql":
        sql = (f"SELECT wanted.key, newest.report_id FROM unnest(%s::bigint[]) AS wanted(key), LATERAL "  # noqa: S608
               f"(SELECT report_id FROM {table} WHERE key = wanted.key{skip} "
               f"ORDER BY report_id DESC LIMIT {POSTINGS_PER_KEY}) AS newest")
        return sql, lambda keys, excluded: [list(keys), *excluded]
    sql = (f"SELECT key, report_id FROM (SELECT key, report_id, ROW_NUMBER() OVER "  # noqa: S608
           f"(PARTITION BY key ORDER BY report_id DESC) AS newest FROM {table} "
           f"WHERE key IN ({', '.join(['%s'] * count)}){skip}) AS ranked WHERE newest <= {POSTINGS_PER_KEY}")
    return sql, lambda keys, excluded: [*keys, *excluded]


def candidate_ids(keys, limit: int | None = None, exclude_report_id=None) -> list[int]:
    """The `limit` reports naming most of `keys` among each key's newest `POSTINGS_PER_KEY`
    (ties: the newer report), best first. One query, at most 64 × POSTINGS_PER_KEY postings
    counted (PostgreSQL reads no more), however many reports carry a common key."""
    if not keys:
        return []
    excluded = [exclude_report_id] if exclude_report_id else []
    postings, params = _newest_postings_sql(len(keys), bool(excluded))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT report_id, COUNT(*) AS shared FROM ({postings}) AS postings "  # noqa: S608
                       f"GROUP BY report_id ORDER BY shared DESC, report_id DESC LIMIT %s",
                       [*params(keys, excluded), limit or CANDIDATE_LIMIT])
        return [report_id for report_id, _ in cursor.fetchall()]


def newest_postings(keys) -> dict[int, list[int]]:
    """For many keys at once (a batch's), each key's newest `POSTINGS_PER_KEY` reports, newest
    first: the rows `candidate_ids` counts. One statement per `KEYS_PER_QUERY` keys."""
    ordered = list(keys)
    found: dict[int, list[int]] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), KEYS_PER_QUERY):
            chunk = ordered[start : start + KEYS_PER_QUERY]
            sql, params = _newest_postings_sql(len(chunk), False)
            cursor.execute(sql, params(chunk, []))
            for key, report_id in cursor.fetchall():
                found.setdefault(key, []).append(report_id)
    for reports in found.values():
        reports.sort(reverse=True)
    return found


def candidates(keys, reports, limit: int | None = None, exclude_report_id=None) -> list[Candidate]:
    """`candidate_ids` among `reports` (the open or recently closed ones) as `Candidate`s naming
    their case by id, best first: a second query reads at most `limit` texts."""
    ranked = candidate_ids(keys, limit, exclude_report_id)
    if not ranked:
        return []
    found = {pk: (norm, case_id) for pk, norm, case_id in
             reports.filter(pk__in=ranked).values_list("pk", "normalised", "case_id")}
    return [Candidate(normalised=found[pk][0], case=found[pk][1]) for pk in ranked if pk in found]


def best_near_duplicate(norm: str, found: list[Candidate]):
    """(case, score) of the most similar candidate at or above the threshold, or None.

    Takes the highest `overlap` (ties: the earlier candidate); the costly swapped-name check
    runs only on candidates over the threshold, best first, until one passes. Each distinct
    text is scored once (a case's reposts often share one). Pure Python: the single and the
    batch path both end here, so they answer alike.
    """
    threshold = settings.MATCH_NEAR_THRESHOLD
    mine = _weighted_units(norm)
    scores: dict[str, float] = {}
    for candidate in found:
        if candidate.normalised not in scores:
            scores[candidate.normalised] = round(_overlap(mine, _weighted_units(candidate.normalised)), 4)
    swapped: dict[str, bool] = {}
    order = sorted(range(len(found)), key=lambda index: (-scores[found[index].normalised], index))
    for index in order:
        candidate = found[index]
        score = scores[candidate.normalised]
        if score < threshold:
            return None
        if candidate.normalised not in swapped:
            swapped[candidate.normalised] = swapped_name(norm, candidate.normalised)
        if not swapped[candidate.normalised]:
            return candidate.case, score
    return None

"""Same-rumour matching quality on the labelled pairs, beside the obvious approaches. See bench/README.md.

    .venv/bin/python bench/matching_quality.py
    .venv/bin/python bench/matching_quality.py --pg postgres://postgres@127.0.0.1:5432/rumorcases_bench_quality

For every pair of tests/data/same_rumour_pairs.jsonl (posts from ../shared/data/weibo-ced) it
decides "same rumour" four ways and prints pairwise precision and recall of each, measured in
this one run:

- **rumorcases, pair by pair**: the two posts share a band key (the candidate step) and
  `fingerprints.similarity` reaches `MATCH_NEAR_THRESHOLD`.
- **rumorcases, as intake**: all 3,387 posts go through the matcher in the order they were posted
  (`matching.BatchMatcher`, which answers as `match_report` does, each post seeing the ones
  before it); a pair counts as matched when both posts end up in one case. This is what the
  office gets: a report joins a case when it matches any report already in it.
- **trigram Jaccard**: plain character-trigram Jaccard of the normalised texts.
- **pg_trgm**: PostgreSQL's `similarity()` of the normalised texts (needs PostgreSQL; skipped
  with a note if it cannot connect).

For each: the figures at the method's default threshold (rumorcases: the setting; pg_trgm: its
`similarity_threshold` default 0.3; Jaccard: 0.4), and the best recall any threshold reaches with
precision ≥ 0.97. The result goes to bench/results/matching_quality-<time>.json.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from common import POSTS, ROOT, load_posts, write_result

PAIRS = ROOT / "tests" / "data" / "same_rumour_pairs.jsonl"
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/rumorcases_bench_quality"
TARGET_PRECISION, TARGET_RECALL = 0.97, 0.90


def setup_django(database_file: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"sqlite:///{database_file}"
    os.environ["MATCH_NEAR_DUPLICATES"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rumorcases.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def figures(decided: list[tuple[bool, bool]]) -> dict:
    """Precision and recall of (labelled same, decided same) pairs."""
    tp = sum(1 for same, hit in decided if same and hit)
    fp = sum(1 for same, hit in decided if not same and hit)
    positives = sum(1 for same, _ in decided if same)
    return {"tp": tp, "fp": fp, "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
            "recall": round(tp / positives, 4)}


def best_recall(scored: list[tuple[bool, float]]) -> dict:
    """The threshold with the highest recall at precision ≥ TARGET_PRECISION, and its figures."""
    best = {"threshold": None, "tp": 0, "fp": 0, "precision": 1.0, "recall": 0.0}
    for threshold in sorted({score for _, score in scored if score > 0}):
        found = figures([(same, score >= threshold) for same, score in scored])
        if found["precision"] >= TARGET_PRECISION and found["recall"] > best["recall"]:
            best = {"threshold": round(threshold, 4), **found}
    return best


def pg_similarities(url: str, pairs: list[tuple[str, str]]) -> list[float] | str:
    """pg_trgm `similarity()` of each pair, or why it could not be measured."""
    import psycopg2

    try:
        connection = psycopg2.connect(url, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        return f"PostgreSQL not reachable: {exc}".strip()
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("SELECT show_trgm('牙膏颜色条')")
            if not cursor.fetchone()[0]:
                return "pg_trgm finds no trigrams in Chinese text under this database's LC_CTYPE"
            scores = []
            for a, b in pairs:
                cursor.execute("SELECT similarity(%s, %s)", [a, b])
                scores.append(float(cursor.fetchone()[0]))
            return scores
    finally:
        connection.close()


def intake_cases(posts: list[dict]) -> dict[int, object]:
    """Post id → the case it ends up in, feeding every post through the matcher in posted order."""
    from rumorcases.cases.matching import BatchMatcher

    ordered = sorted(posts, key=lambda post: (post.get("posted_at") or "", post["id"]))
    matcher = BatchMatcher([("", post["text"]) for post in ordered])
    case_of = {}
    for post in ordered:
        found = matcher.match(url="", text=post["text"])
        case = found.case if found.case is not None else ("case", post["id"])
        matcher.add(url="", text=post["text"], case=case, reason=found.reason or "new_case")
        case_of[post["id"]] = case
    return case_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL database for pg_trgm (created if missing)")
    args = parser.parse_args()
    if not POSTS.exists():
        sys.exit(f"{POSTS} is missing: the benchmark needs the Weibo posts")

    with tempfile.TemporaryDirectory() as scratch:
        setup_django(str(Path(scratch) / "quality.sqlite3"))
        from django.conf import settings

        from rumorcases.cases import fingerprints
        from rumorcases.cases.normalise import normalise

        posts = load_posts()
        text = {post["id"]: normalise(post["text"]) for post in posts}
        pairs = [json.loads(line) for line in PAIRS.open(encoding="utf-8") if line.strip()]
        labels = [pair["same"] for pair in pairs]
        threshold = settings.MATCH_NEAR_THRESHOLD

        started = time.perf_counter()
        ours = []
        for pair in pairs:
            a, b = text[pair["a"]], text[pair["b"]]
            proposed = bool(set(fingerprints.band_keys(a)) & set(fingerprints.band_keys(b)))
            ours.append(fingerprints.similarity(a, b) if proposed else 0.0)
        jaccard = []
        for pair in pairs:
            a, b = fingerprints.shingles(text[pair["a"]]), fingerprints.shingles(text[pair["b"]])
            jaccard.append(len(a & b) / len(a | b) if a and b else 0.0)
        case_of = intake_cases(posts)
        intake = [case_of[pair["a"]] == case_of[pair["b"]] for pair in pairs]
        pg = pg_similarities(args.pg, [(text[pair["a"]], text[pair["b"]]) for pair in pairs])
        seconds = time.perf_counter() - started

    def method(scores, default_threshold):
        labelled = list(zip(labels, scores, strict=True))
        return {"default": {"threshold": default_threshold,
                            **figures([(same, score >= default_threshold) for same, score in labelled])},
                "best": best_recall(labelled)}

    rows = {
        "rumorcases, pair by pair": method(ours, threshold),
        "rumorcases, as intake": {"default": {"threshold": threshold,
                                              **figures(list(zip(labels, intake, strict=True)))}, "best": None},
        "trigram Jaccard": method(jaccard, 0.4),
        "pg_trgm similarity": {"skipped": pg} if isinstance(pg, str) else method(pg, 0.3),
    }

    positives = sum(labels)
    print(f"{len(pairs)} labelled pairs ({positives} same rumour, {len(pairs) - positives} different), "
          f"{len(posts)} posts; target precision ≥ {TARGET_PRECISION}, recall ≥ {TARGET_RECALL}")
    print(f"{'method':28} {'threshold':>9} {'precision':>9} {'recall':>7} {'FP':>4}   "
          f"best recall at P ≥ {TARGET_PRECISION} (threshold)")
    for name, row in rows.items():
        if "skipped" in row:
            print(f"{name:28} skipped: {row['skipped']}")
            continue
        default, best = row["default"], row["best"]
        tail = f"{best['recall']:.3f} (P {best['precision']:.3f} at {best['threshold']})" if best else "—"
        print(f"{name:28} {default['threshold']:>9} {default['precision']:>9.3f} {default['recall']:>7.3f} "
              f"{default['fp']:>4}   {tail}")
    print(f"measured in {seconds:.1f} s")

    write_result("matching_quality", {"when": datetime.now(UTC).isoformat(timespec="seconds"), "pairs": len(pairs),
                                      "positives": positives, "threshold": threshold, "methods": rows})


if __name__ == "__main__":
    main()

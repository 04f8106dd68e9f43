"""Matching one new report against the million stored in the shared store, beside pg_trgm.
See bench/README.md.

    .venv/bin/python bench/matching_scale.py                     # the store: 1,000,000 reports
    .venv/bin/python bench/matching_scale.py --scale 0.02 --database rumorcases_bench_store_2pc  # a quick try

The requirement: with 1,000,000 stored reports, `match_report` answers one new report in p95 ≤ 20 ms
on the 2-core machine, and the matcher holds nothing proportional to the store in process memory
(its index, the MinHash band keys, lives in the database).

The store is bench/store.py's (built there if missing or out of date): 300,000 cases, each a real
Weibo post recurring (re-dated, reworded), and 1,000,000 reports of them.

The queries: ~500 reports that are not stored: new rewordings of stored posts (the right answer
is one of the cases that post recurs as) and held-out posts (no case of their own). Each is
answered by `match_report(url="", text=...)` and by pg_trgm's GIN-indexed similarity query on the
normalised text, alternately, timed with `time.perf_counter`. Printed: p50/p95/p99/max of both,
how often each found a case (and a right one), table and index sizes, and the peak RSS of this
process before and after the timed loop. Results go to bench/results/matching_scale-<UTC time>.json.
"""

import argparse
import contextlib
import json
import os
import random
import resource
import statistics
import time
from collections import Counter
from datetime import UTC, datetime

import store
from common import machine, tree, write_result
from store import TRGM_INDEX, TRGM_PROBE, cumulative_weights, lc_ctype, reword, trigrams_of_probe

TARGET_P95_MS = 20
UNSEEN_SHARE = 0.2  # of the queries: held-out posts; the rest are new rewordings of stored posts
# The same candidates as match_report's: reports of open cases and of cases closed recently
# (not merged); the cut-off is the third parameter.
TRGM_SQL = ("SELECT r.id, r.case_id, similarity(r.normalised, %s) AS s FROM cases_report r "
            "JOIN cases_case c ON c.id = r.case_id WHERE r.normalised %% %s "
            "AND (c.status <> 'closed' OR (c.closed_at >= %s AND c.merged_into_id IS NULL)) "
            "ORDER BY s DESC LIMIT 1")


# --- the queries --------------------------------------------------------------------------------------


def stored_hashes(hashes: list[str]) -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT content_hash FROM cases_report WHERE content_hash = ANY(%s)", [hashes])
        return {row[0] for row in cursor.fetchall()}


def build_queries(stored: list[dict], held_out: list[dict], count: int, rng: random.Random) -> list[dict]:
    """New reports: rewordings of stored posts whose normalised text is not stored (the post they
    belong to is known: `expected_post`, its index among the stored posts), and held-out posts as
    published (no case of their own)."""
    from rumorcases.cases.matching import content_hash
    from rumorcases.cases.normalise import normalise

    unseen = [post for post in held_out if len(normalise(post["text"])) >= 10]
    queries = [{"kind": "unseen", "text": post["text"], "expected_post": None}
               for post in rng.sample(unseen, min(len(unseen), round(count * UNSEEN_SHARE)))]
    weights = cumulative_weights(stored)
    rewordings = []
    while len(rewordings) < count - len(queries):
        batch = []
        for _ in range(count - len(queries) - len(rewordings)):
            index = rng.choices(range(len(stored)), cum_weights=weights)[0]
            text = reword(stored[index]["text"], rng, change_words=True)
            if len(normalise(text)) >= 10:
                batch.append({"kind": "reworded", "text": text, "expected_post": index})
        taken = stored_hashes([content_hash(query["text"]) for query in batch])
        rewordings += [query for query in batch if content_hash(query["text"]) not in taken]
    queries += rewordings
    rng.shuffle(queries)
    return queries


def recently_closed_cutoff():
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    return timezone.now() - timedelta(days=settings.MATCH_RECENTLY_CLOSED_DAYS)


class Truth:
    """Which cases a new copy of a stored post should join. The store numbers case k (0-based)
    k + 1 and makes it a recurrence of stored post k mod (stored posts); a copy may join only
    the open or recently closed ones (as match_report rules), so a post without such a case
    should get no match: a new case."""

    def __init__(self, stored_posts: int, cases: int):
        from django.db import connection

        self.stored_posts = stored_posts
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM cases_case WHERE id <= %s AND (status <> 'closed' "
                           "OR (closed_at >= %s AND merged_into_id IS NULL))", [cases, recently_closed_cutoff()])
            self.matchable = {row[0] for row in cursor.fetchall()}
        self.posts_matchable = {(case_id - 1) % stored_posts for case_id in self.matchable}

    def right(self, case_id: int | None, post: int | None) -> bool:
        return case_id in self.matchable and (case_id - 1) % self.stored_posts == post

    def can_match(self, post: int | None) -> bool:
        return post in self.posts_matchable


# --- timing ---------------------------------------------------------------------------------------------


def run_matcher(text: str) -> tuple[float, int | None, str, float]:
    """(ms, case id or None, reason, score) of `match_report`."""
    from rumorcases.cases.matching import match_report

    began = time.perf_counter()
    match = match_report(url="", text=text)
    elapsed = time.perf_counter() - began
    return elapsed * 1000, getattr(match.case, "pk", match.case), match.reason, match.score


def run_trgm(cursor, text: str) -> tuple[float, int | None, float]:
    """(ms, case id or None, similarity) of the pg_trgm query, normalising included."""
    from rumorcases.cases.normalise import normalise

    began = time.perf_counter()
    norm = normalise(text)
    cursor.execute(TRGM_SQL, [norm, norm, recently_closed_cutoff()])
    row = cursor.fetchone()
    elapsed = time.perf_counter() - began
    return elapsed * 1000, row[1] if row else None, row[2] if row else 0.0


def time_both(queries: list[dict], cursor) -> list[dict]:
    """Each query through both, the order alternating, so that noise on the machine hits both."""
    timed = []
    for number, query in enumerate(queries):
        outcome = dict(query)
        for method in (("matcher", "trgm") if number % 2 == 0 else ("trgm", "matcher")):
            if method == "matcher":
                outcome["matcher_ms"], outcome["matcher_case"], outcome["matcher_reason"], outcome["matcher_score"] = (
                    run_matcher(query["text"]))
            else:
                outcome["trgm_ms"], outcome["trgm_case"], outcome["trgm_score"] = run_trgm(cursor, query["text"])
        timed.append(outcome)
    return timed


def latency(values: list[float]) -> dict:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(statistics.median(values), 2), "p95": round(cuts[94], 2), "p99": round(cuts[98], 2),
            "max": round(max(values), 2), "mean": round(statistics.fmean(values), 2)}


def outcomes(timed: list[dict], method: str, truth: Truth) -> dict:
    """Reworded copies of a post with a matchable case: joined the right case or not; of a post
    without one: joined a case anyway (wrongly); held-out posts: found a case at all."""
    reworded = [row for row in timed if row["kind"] == "reworded"]
    joinable = [row for row in reworded if truth.can_match(row["expected_post"])]
    unseen = [row for row in timed if row["kind"] == "unseen"]
    found = [row for row in timed if row[f"{method}_case"] is not None]
    return {
        "found": len(found), "of": len(timed),
        "reworded_found": sum(1 for row in reworded if row[f"{method}_case"] is not None),
        "reworded": len(reworded), "reworded_joinable": len(joinable),
        "reworded_right_case": sum(1 for row in joinable if truth.right(row[f"{method}_case"], row["expected_post"])),
        "reworded_wrong_case": sum(1 for row in reworded if row[f"{method}_case"] is not None
                                   and not truth.right(row[f"{method}_case"], row["expected_post"])),
        "unseen_found": sum(1 for row in unseen if row[f"{method}_case"] is not None), "unseen": len(unseen),
        "latency_ms": latency([row[f"{method}_ms"] for row in timed]),
        "latency_ms_reworded": latency([row[f"{method}_ms"] for row in reworded]) if len(reworded) > 1 else None,
        "latency_ms_unseen": latency([row[f"{method}_ms"] for row in unseen]) if len(unseen) > 1 else None,
    }


class StatementTimer:
    """A Django execute wrapper keeping each SQL statement, its parameters and its time."""

    def __init__(self):
        self.statements: list[dict] = []

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append({"sql": sql, "params": params, "ms": (time.perf_counter() - began) * 1000})


def statement_kind(sql: str) -> str:
    if "cases_reportfingerprint" in sql:
        return "band_key_candidates"
    if '"content_hash" =' in sql:
        return "exact_text"
    if '"url" =' in sql:
        return "exact_url"
    return "candidate_texts"


def matcher_statements(text: str) -> tuple[float, list[dict]]:
    """`match_report` once more, every SQL statement timed: (total ms, statements)."""
    from django.db import connection

    from rumorcases.cases.matching import match_report

    timer = StatementTimer()
    with connection.execute_wrapper(timer):
        began = time.perf_counter()
        match_report(url="", text=text)
        total = (time.perf_counter() - began) * 1000
    return total, timer.statements


def matcher_breakdown(timed: list[dict]) -> dict:
    """Where `match_report`'s time goes, from a second, untimed pass over the same queries: the
    SQL statements by kind, and the rest (Python: normalising, band keys, scoring candidates)."""
    by_kind: dict[str, list[float]] = {}
    sql_totals, python, statements_per_query = [], [], []
    for row in timed:
        total, statements = matcher_statements(row["text"])
        sql = sum(statement["ms"] for statement in statements)
        sql_totals.append(sql)
        python.append(total - sql)
        statements_per_query.append(len(statements))
        for statement in statements:
            by_kind.setdefault(statement_kind(statement["sql"]), []).append(statement["ms"])
    return {"sql_ms": latency(sql_totals), "python_ms": latency(python),
            "statements_per_query": dict(Counter(statements_per_query)),
            "by_statement_ms": {kind: {**latency(values), "count": len(values)} if len(values) > 1 else values
                                for kind, values in sorted(by_kind.items())}}


def explain_slowest(timed: list[dict], cursor, how_many: int = 3) -> list[dict]:
    """EXPLAIN ANALYZE of the slowest SQL statement `match_report` sends, for the slowest queries."""
    plans = []
    for row in sorted(timed, key=lambda row: row["matcher_ms"], reverse=True)[:how_many]:
        _, statements = matcher_statements(row["text"])
        slowest = max(statements, key=lambda statement: statement["ms"])
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"], slowest["params"])
        plans.append({"matcher_ms": round(row["matcher_ms"], 2), "kind": row["kind"],
                      "statements": len(statements), "statement": statement_kind(slowest["sql"]),
                      "sql": cursor.mogrify(slowest["sql"], slowest["params"]).decode(),
                      "plan": [line for (line,) in cursor.fetchall()]})
    return plans


def explain_trgm(timed: list[dict], cursor) -> dict:
    from rumorcases.cases.normalise import normalise

    row = max(timed, key=lambda row: row["trgm_ms"])
    norm = normalise(row["text"])
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + TRGM_SQL, [norm, norm, recently_closed_cutoff()])
    return {"trgm_ms": round(row["trgm_ms"], 2), "plan": [line for (line,) in cursor.fetchall()]}


# --- the run ---------------------------------------------------------------------------------------------


def rss_mb() -> dict:
    """Peak RSS of this process so far (getrusage) and its RSS now (/proc), in MB."""
    current = 0.0
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        current = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    return {"peak": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "now": round(current, 1)}


def sizes() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('cases_report'), "
                       "pg_total_relation_size('cases_reportfingerprint'), pg_relation_size(%s), "
                       "pg_database_size(current_database())", [TRGM_INDEX])
        report, fingerprint, trgm, database = cursor.fetchone()
        cursor.execute("SELECT c.relname, pg_relation_size(c.oid) FROM pg_index i "
                       "JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE i.indrelid = 'cases_reportfingerprint'::regclass ORDER BY c.relname")
        fingerprint_indexes = dict(cursor.fetchall())
    return {"cases_report_total": report, "cases_reportfingerprint_total": fingerprint, "trgm_gin_index": trgm,
            "database": database, "fingerprint_indexes": fingerprint_indexes}


def _p95(figures: dict | None) -> str:
    return "-" if figures is None else str(figures["p95"])


def show(result: dict) -> None:
    matcher, trgm = result["matcher"], result["pg_trgm"]
    size = result["sizes"]
    mb = 1024 * 1024
    print()
    print(f"  stored reports: {result['reports']:,} in {result['cases']:,} cases, "
          f"{result['fingerprint_rows']:,} fingerprint rows; {result['queries']} queries "
          f"({matcher['reworded']} reworded, {matcher['unseen']} unseen), {result['warmup']} warm-up")
    print(f"  synthesis (s): {result['synthesis_seconds']}, pg_trgm GIN index {result['trgm_index_seconds']} s")
    print(f"  {'latency, ms':<34}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    for label, figures in ((f"match_report (near dup. on, {result['match_near_threshold']})", matcher),
                           (f"pg_trgm GIN, threshold {result['trgm_threshold']}", trgm)):
        ms = figures["latency_ms"]
        print(f"  {label:<34}{ms['p50']:>8}{ms['p95']:>8}{ms['p99']:>8}{ms['max']:>8}")
    for label, figures in (("match_report", matcher), ("pg_trgm", trgm)):
        print(f"  {label:<13} found a case for {figures['found']}/{figures['of']}; reworded: right case "
              f"{figures['reworded_right_case']}/{figures['reworded_joinable']} with one open, wrong case "
              f"{figures['reworded_wrong_case']}/{figures['reworded']}; "
              f"unseen posts: found {figures['unseen_found']}/{figures['unseen']}; "
              f"p95 reworded {_p95(figures['latency_ms_reworded'])}, unseen {_p95(figures['latency_ms_unseen'])}")
    print(f"  match_report reasons: {result['matcher_reasons']}")
    breakdown = result["matcher_breakdown"]
    print(f"  match_report again, statements timed (ms, p50/p95): SQL {breakdown['sql_ms']['p50']}/"
          f"{breakdown['sql_ms']['p95']}, Python {breakdown['python_ms']['p50']}/{breakdown['python_ms']['p95']}; "
          + ", ".join(f"{kind} {figures['p50']}/{figures['p95']}" for kind, figures in
                      breakdown["by_statement_ms"].items() if isinstance(figures, dict)))
    met = "met" if result["target_met"] else "NOT met"
    print(f"  target: match_report p95 ≤ {TARGET_P95_MS} ms: {met} ({matcher['latency_ms']['p95']} ms)")
    print(f"  sizes: cases_report {size['cases_report_total'] / mb:,.0f} MB (the GIN index in it "
          f"{size['trgm_gin_index'] / mb:,.0f} MB), cases_reportfingerprint "
          f"{size['cases_reportfingerprint_total'] / mb:,.0f} MB, database {size['database'] / mb:,.0f} MB")
    rss = result["rss_mb"]
    print(f"  this process's RSS, MB: peak {rss['before']['peak']} before the timed loop, {rss['after']['peak']} after "
          f"(now {rss['before']['now']} → {rss['after']['now']})"
          + ("; the peak includes migrating and building the store in this run" if result["store_built_this_run"]
             else ""))
    print(f"  load average before/after: {result['machine']['load_before'][0]:.2f} / {result['load_after'][0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    store.add_arguments(parser)
    parser.add_argument("--queries", type=int, default=500, help="timed new reports (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed new reports first (default %(default)s)")
    parser.add_argument("--trgm-threshold", type=float, default=0.3, help="pg_trgm.similarity_threshold")
    parser.add_argument("--explain", action="store_true", help="print the slowest plan even when the target is met")
    args = parser.parse_args()
    state, built, stored, held_out = store.open_store(parser, args)
    from django.conf import settings
    from django.db import connection

    trigrams = trigrams_of_probe(args.database)
    print(f"  pg_trgm: {trigrams} trigrams of {TRGM_PROBE!r} under LC_CTYPE {lc_ctype(args.database)}", flush=True)

    rng = random.Random(f"{args.seed}:queries")  # noqa: S311 - test data, not secrets
    queries = build_queries(stored, held_out, args.warmup + args.queries, rng)
    warmup, queries = queries[: args.warmup], queries[args.warmup :]
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "tree": tree(),
              "database": args.database, "lc_ctype": lc_ctype(args.database), "trgm_probe_trigrams": trigrams,
              "reports": int(state["reports"]), "cases": int(state["cases"]),
              "fingerprint_rows": int(state["fingerprint_rows"]),
              "synthesis_seconds": json.loads(state["synthesis_seconds"]),
              "trgm_index_seconds": float(state["trgm_index_seconds"]), "seed": args.seed,
              "match_near_duplicates": settings.MATCH_NEAR_DUPLICATES,
              "match_near_threshold": settings.MATCH_NEAR_THRESHOLD, "trgm_threshold": args.trgm_threshold,
              "queries": len(queries), "warmup": len(warmup), "target_p95_ms": TARGET_P95_MS,
              "store_built_this_run": built}

    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(args.trgm_threshold)])
        print(f"  warming up with {len(warmup)} reports, then timing {len(queries)} through both ...", flush=True)
        time_both(warmup, cursor)
        rss_before = rss_mb()
        timed = time_both(queries, cursor)
        rss_after = rss_mb()
        cursor.execute("SHOW pg_trgm.similarity_threshold")
        result["trgm_threshold_in_effect"] = cursor.fetchone()[0]
        truth = Truth(len(stored), int(state["cases"]))
        result["matcher"], result["pg_trgm"] = (outcomes(timed, method, truth) for method in ("matcher", "trgm"))
        result["matcher_reasons"] = {kind: dict(Counter(row["matcher_reason"] or "none" for row in timed
                                                        if row["kind"] == kind).most_common())
                                     for kind in ("reworded", "unseen")}
        result["both_same_case"] = sum(1 for row in timed if row["matcher_case"] == row["trgm_case"])
        result["rss_mb"] = {"before": rss_before, "after": rss_after}
        result["load_after"] = os.getloadavg()
        result["target_met"] = result["matcher"]["latency_ms"]["p95"] <= TARGET_P95_MS
        result["sizes"] = sizes()
        result["matcher_breakdown"] = matcher_breakdown(timed)
        result["explain_matcher"] = explain_slowest(timed, cursor)
        result["explain_trgm"] = explain_trgm(timed, cursor)
    result["per_query"] = [{key: (round(value, 2) if isinstance(value, float) else value)
                            for key, value in row.items() if key != "text"} for row in timed]

    show(result)
    if not result["target_met"] or args.explain:
        slowest = result["explain_matcher"][0]
        print(f"\n  the slowest match_report ({slowest['matcher_ms']} ms, {slowest['statements']} statements); "
              f"its slowest statement ({slowest['statement']}), EXPLAIN ANALYZE:")
        print("\n".join("    " + line for line in slowest["plan"]))
    write_result("matching_scale", result)


if __name__ == "__main__":
    main()

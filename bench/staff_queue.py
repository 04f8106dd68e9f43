"""The staff queue ("My work") and case search on a large store, beside the same page's SQL run raw.
See bench/README.md.

    .venv/bin/python bench/staff_queue.py --database rumorcases_bench_store
    .venv/bin/python bench/staff_queue.py --database NAME --runs 100 --max-seconds 120

The requirement: with 300,000 cases, a page of 50 of the queue answers in p95 ≤ 150 ms, and pages
of 10, 50 and 100 cost the same number of SQL queries.

The database must exist, be migrated and hold the cases already (nothing is created but a
supervisor to sign in as, `bench_supervisor`, and the session Django keeps for it). The requests
are the ones the page really sends, answered in this process by Django's test client with
DEBUG off: the first load of /staff/ and a deep page as full pages, every filter change as the
htmx request the filter form sends (`HX-Request`, `HX-Target: queue`, every field of the form,
blanks included). Each kind of request is warmed up, then timed `--runs` times, the kinds taking
turns; a kind that runs out of its `--max-seconds` stops early and says so. Beside each request:
the statement that selects the page's cases, captured from the ORM and run raw with psycopg2.
When a kind misses the target, its slowest statement is run again under EXPLAIN (ANALYZE,
BUFFERS) and the plan is kept in the result.
"""

import argparse
import re
import time
from urllib.parse import urlencode

import common
import psycopg2
from common import PG, bench_supervisor, machine, tree, write_result

TARGET_P95_MS = 150
PAGE_SIZE = 50
COUNT_SIZES = (10, 50, 100)
FORM_FIELDS = ("q", "scope", "status", "priority", "platform", "category", "campaign", "assignee", "overdue",
               "per_page")
HANZI_RUN = re.compile(r"[\u4e00-\u9fff]{4,}")


# --- Django in this process -------------------------------------------------------------------------


def setup_django(name: str) -> None:
    """Settings as production reads them (DEBUG off) against database `name`; static files are
    named as in a checkout, since no `collectstatic` manifest is needed to measure the queue."""
    common.setup_django(name)
    from django.conf import settings
    from django.test.utils import override_settings

    storages = dict(settings.STORAGES)
    storages["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES=storages).enable()


# --- what is asked -----------------------------------------------------------------------------------


def store_figures() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        figures = {}
        for key, table in (("cases", "cases_case"), ("reports", "cases_report"), ("platforms", "platforms_platform"),
                           ("accounts", "disposal_account")):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            figures[key] = cursor.fetchone()[0]
        cursor.execute("SELECT status, count(*) FROM cases_case GROUP BY 1 ORDER BY 1")
        figures["cases_by_state"] = dict(cursor.fetchall())
    return figures


def search_words(claim: str) -> str:
    """Four characters from the middle of the longest run of Chinese characters in a claim: what
    someone who remembers a phrase of it types."""
    runs = HANZI_RUN.findall(claim)
    if not runs:
        return ""
    run = max(runs, key=len)
    start = (len(run) - 4) // 2
    return run[start:start + 4]


def request_kinds(*, page_size: int) -> list[dict]:
    """The requests measured, built from the store's own data. Each: name, what it is, whether it
    is the htmx partial, and its query parameters as the filter form sends them."""
    from django.db import connection
    from django.db.models import Count

    from rumorcases.cases.models import Case

    with connection.cursor() as cursor:
        # The store's own cases: those the transitions bench adds must not move the picks below.
        cursor.execute("SELECT count(*) FROM cases_case WHERE reference NOT LIKE 'BT-%%'")
        cases = cursor.fetchone()[0]
        # A case from the middle of the store, whose claim has a phrase of Chinese in it.
        cursor.execute("SELECT reference, claim FROM cases_case WHERE claim ~ '[一-龥]{6,}' "
                       "AND reference NOT LIKE 'BT-%%' ORDER BY id OFFSET %s LIMIT 1", [cases // 2])
        reference, claim = cursor.fetchone()
        # The platform with the median number of reports: neither the biggest nor a rare one.
        cursor.execute("SELECT p.slug FROM cases_report r JOIN platforms_platform p ON p.id = r.platform_id "
                       "GROUP BY p.slug ORDER BY count(*)")
        slugs = [row[0] for row in cursor.fetchall()]
    officer = (Case.objects.exclude(assignee=None).values("assignee").annotate(n=Count("id")).order_by("-n")
               .values_list("assignee", flat=True).first())
    all_pages = max(1, -(-cases // page_size))
    words = search_words(claim)
    kinds = [
        ("queue_mine", "my work, first load (full page)", False, {}),
        ("queue_all", "all cases, page 1", True, {"scope": "all"}),
        ("queue_deep", f"all cases, page {all_pages // 2} of {all_pages} (full page)", False,
         {"scope": "all", "page": all_pages // 2}),
        ("status", "all cases, state verifying", True, {"scope": "all", "status": "verifying"}),
        ("priority", "all cases, priority P1", True, {"scope": "all", "priority": "P1"}),
        ("platform", f"all cases, reported on {slugs[len(slugs) // 2] if slugs else '-'}", True,
         {"scope": "all", "platform": slugs[len(slugs) // 2] if slugs else ""}),
        ("overdue", "my work, overdue", True, {"overdue": "yes"}),
        ("search_reference", f"search {reference}", True, {"scope": "all", "q": reference}),
        ("search_words", f"search {words} (from the claim of {reference})", True, {"scope": "all", "q": words}),
        ("assigned_to_me", "my work, assigned to me", True, {"assignee": "me"}),
        ("assigned_to_officer", "all cases, assigned to the busiest officer", True,
         {"scope": "all", "assignee": str(officer or "")}),
    ]
    return [{"name": name, "label": label, "htmx": htmx, "params": params} for name, label, htmx, params in kinds]


def url_for(kind: dict, page_size: int) -> str:
    """/staff/ with the query the page sends: the filter form's every field for an htmx request,
    only what is set for a full page (a link or the first load)."""
    params = dict(kind["params"])
    params["per_page"] = page_size
    if kind["htmx"]:
        query = {field: params.get(field, "") for field in FORM_FIELDS}
        query.setdefault("scope", "mine")
        if not query["scope"]:
            query["scope"] = "mine"
        if "page" in params:
            query["page"] = params["page"]
    else:
        query = params
    return "/staff/?" + urlencode(query)


def get(client, kind: dict, page_size: int):
    headers = {"HX-Request": "true", "HX-Target": "queue", "HX-Current-URL": "https://testserver/staff/"} \
        if kind["htmx"] else {}
    response = client.get(url_for(kind, page_size), secure=True, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"{kind['name']}: HTTP {response.status_code} for {url_for(kind, page_size)}")
    return response


# --- measuring ---------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": round(percentile(values, 0.5), 1), "p95_ms": round(percentile(values, 0.95), 1),
            "max_ms": round(max(values), 1) if values else None}


PAGE_LIMIT = re.compile(r" LIMIT \d+( OFFSET \d+)?\s*$")


def is_page_query(sql: str) -> bool:
    """The statement that picks the page's cases: the one that ends with the page's LIMIT (an
    EXISTS inside a filter carries a LIMIT 1 of its own, never at the end)."""
    return sql.lstrip().startswith('SELECT "cases_case"."id"') and PAGE_LIMIT.search(sql) is not None


def capture(client, kind: dict, page_size: int) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        get(client, kind, page_size)
    return [{"sql": q["sql"], "ms": round(float(q["time"]) * 1000, 2)} for q in queries.captured_queries]


def raw_time(cursor, sql: str) -> float:
    started = time.perf_counter()
    cursor.execute(sql)
    cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def explain(cursor, sql: str) -> str:
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
    return "\n".join(row[0] for row in cursor.fetchall())


def run(database: str, *, runs: int = 50, warmup: int = 3, page_size: int = PAGE_SIZE, max_seconds: float = 60,
        explain_all: bool = False, quiet: bool = False) -> dict:
    """Measure every kind of request on `database`; return the figures (see the module docstring)."""
    say = (lambda *a, **k: None) if quiet else (lambda *a, **k: print(*a, **k, flush=True))
    setup_django(database)
    from django.test import Client

    host = machine()
    user = bench_supervisor()
    client = Client()
    client.force_login(user)
    store = store_figures()
    say(f"  store: {store['cases']:,} cases, {store['reports']:,} reports, {store['platforms']} platforms, "
        f"{store['accounts']:,} accounts")
    kinds = request_kinds(page_size=page_size)
    raw = psycopg2.connect(dbname=database, **PG)
    raw.autocommit = True
    cursor = raw.cursor()

    # One untimed pass per kind, queries captured: the page's statement for the baseline, the
    # query counts at each page size, the SQL time beside the whole request.
    for kind in kinds:
        started = time.perf_counter()
        for _ in range(warmup):
            get(client, kind, page_size)
        kind["warmup_s"] = round(time.perf_counter() - started, 1)
        queries = capture(client, kind, page_size)
        kind["queries"] = queries
        pages = [q["sql"] for q in queries if is_page_query(q["sql"])]
        kind["page_sql"] = pages[-1] if pages else None
        kind["counts"] = {page_size: len(queries)}
        for size in COUNT_SIZES:
            if size not in kind["counts"]:
                kind["counts"][size] = len(capture(client, kind, size))
        kind["times"], kind["raw_times"], kind["stopped_early"] = [], [], False
        say(f"  {kind['name']:<20} {len(queries)} queries, SQL {sum(q['ms'] for q in queries):.0f} ms in the "
            f"captured request; url {url_for(kind, page_size)}")

    # The timed runs: the kinds take turns, each with its raw page statement right after it.
    budget_start = {kind["name"]: 0.0 for kind in kinds}
    for i in range(runs):
        for kind in kinds:
            if kind["stopped_early"]:
                continue
            started = time.perf_counter()
            get(client, kind, page_size)
            elapsed = (time.perf_counter() - started) * 1000
            kind["times"].append(elapsed)
            if kind["page_sql"]:
                kind["raw_times"].append(raw_time(cursor, kind["page_sql"]))
            budget_start[kind["name"]] += elapsed / 1000
            if budget_start[kind["name"]] > max_seconds and i + 1 < runs:
                kind["stopped_early"] = True
                say(f"  {kind['name']}: stopped after {i + 1} runs ({max_seconds:.0f} s budget spent)")

    # Where the time goes when the target is missed: the slowest statement's plan.
    for kind in kinds:
        kind["summary"] = summary(kind["times"])
        kind["raw_summary"] = summary(kind["raw_times"]) if kind["raw_times"] else None
        missed = kind["summary"]["p95_ms"] > TARGET_P95_MS
        kind["plans"] = []
        if missed or explain_all:
            slow = sorted(kind["queries"], key=lambda q: q["ms"], reverse=True)
            for query in slow[:3]:
                if query["ms"] < 5:
                    break
                kind["plans"].append({"ms_in_request": query["ms"], "sql": query["sql"],
                                      "plan": explain(cursor, query["sql"])})
    raw.close()

    overall = [t for kind in kinds for t in kind["times"]]
    overall_raw = [t for kind in kinds for t in kind["raw_times"]]
    same_counts = all(len(set(kind["counts"].values())) == 1 for kind in kinds)
    result = {
        "machine": host, "tree": tree(), "database": database, "store": store, "page_size": page_size,
        "runs": runs, "warmup": warmup, "target_p95_ms": TARGET_P95_MS,
        "overall": summary(overall), "overall_raw_page_sql": summary(overall_raw),
        "target_met": percentile(overall, 0.95) <= TARGET_P95_MS,
        "same_query_count_at_10_50_100": same_counts,
        "kinds": [{
            "name": kind["name"], "label": kind["label"], "htmx": kind["htmx"], "url": url_for(kind, page_size),
            "request": kind["summary"], "raw_page_sql": kind["raw_summary"],
            "ratio_p95": round(kind["summary"]["p95_ms"] / kind["raw_summary"]["p95_ms"], 1)
            if kind["raw_summary"] and kind["raw_summary"]["p95_ms"] else None,
            "stopped_early": kind["stopped_early"], "warmup_s": kind["warmup_s"],
            "query_counts": {str(size): n for size, n in sorted(kind["counts"].items())},
            "sql_ms_in_captured_request": round(sum(q["ms"] for q in kind["queries"]), 1),
            "statements": [{"ms": q["ms"], "sql": q["sql"][:300]} for q in kind["queries"]],
            "page_sql": kind["page_sql"], "plans": kind["plans"],
        } for kind in kinds],
    }
    return result


def print_table(result: dict) -> None:
    print(f"\nStaff queue, pages of {result['page_size']}, {result['store']['cases']:,} cases "
          f"(target p95 ≤ {result['target_p95_ms']} ms; ms)")
    head = (f"  {'request':<20} {'runs':>4} {'p50':>7} {'p95':>7} {'max':>7} {'raw p50':>8} {'raw p95':>8} "
            f"{'ratio':>6} {'SQL':>7}  queries 10/50/100")
    print(head)
    for kind in result["kinds"]:
        r, b = kind["request"], kind["raw_page_sql"] or {}
        counts = "/".join(str(kind["query_counts"][str(s)]) for s in COUNT_SIZES if str(s) in kind["query_counts"])
        flag = " *" if kind["stopped_early"] else ""
        print(f"  {kind['name']:<20} {r['n']:>4} {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} {r['max_ms']:>7.1f} "
              f"{b.get('p50_ms', float('nan')):>8.1f} {b.get('p95_ms', float('nan')):>8.1f} "
              f"{kind['ratio_p95'] or float('nan'):>6.1f} {kind['sql_ms_in_captured_request']:>7.1f}  {counts}{flag}")
    o, ob = result["overall"], result["overall_raw_page_sql"]
    print(f"  {'overall':<20} {o['n']:>4} {o['p50_ms']:>7.1f} {o['p95_ms']:>7.1f} {o['max_ms']:>7.1f} "
          f"{ob['p50_ms']:>8.1f} {ob['p95_ms']:>8.1f} {o['p95_ms'] / ob['p95_ms'] if ob['p95_ms'] else 0:>6.1f}")
    print("  raw = the page's SELECT of cases, as the ORM sent it, run with psycopg2; SQL = every statement of one"
          " captured request; * = stopped at the time budget")
    print(f"  overall p95 {o['p95_ms']:.1f} ms, target ≤ {result['target_p95_ms']} ms: "
          f"{'met' if result['target_met'] else 'MISSED'}; the same number of queries at 10, 50 and 100 per page: "
          f"{'yes' if result['same_query_count_at_10_50_100'] else 'NO'}")
    plans = [(kind["name"], plan) for kind in result["kinds"] for plan in kind["plans"][:1]]
    if plans:
        name, plan = max(plans, key=lambda item: item[1]["ms_in_request"])
        print(f"\n  slowest statement ({name}, {plan['ms_in_request']:.0f} ms): {plan['sql'][:200]}…")
        for line in plan["plan"].splitlines()[:30]:
            print("    " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="an existing, migrated database holding the cases")
    parser.add_argument("--runs", type=int, default=50, help="timed runs of each kind of request (50)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs of each kind first (3)")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE, help="per_page of the timed requests (50)")
    parser.add_argument("--max-seconds", type=float, default=60,
                        help="time budget of each kind's timed runs; a slower kind stops early (60)")
    parser.add_argument("--explain", action="store_true", help="keep the plans of every kind, not only of misses")
    args = parser.parse_args()
    if args.runs < 1 or args.page_size < 1:
        parser.error("--runs and --page-size must be positive")
    result = run(args.database, runs=args.runs, warmup=args.warmup, page_size=args.page_size,
                 max_seconds=args.max_seconds, explain_all=args.explain)
    print_table(result)
    write_result("staff_queue", result)


if __name__ == "__main__":
    main()

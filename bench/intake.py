"""Batch intake, end to end, beside a raw insert of the same rows. See bench/README.md.

    .venv/bin/python bench/intake.py                 # what `make bench` runs
    .venv/bin/python bench/intake.py --service       # the service alone, in this process, no HTTP

End to end: builds reports from the real Weibo posts (../shared/data/weibo-ced/posts.jsonl),
creates and migrates a dedicated PostgreSQL database, creates a platform and an API token, starts
gunicorn on 127.0.0.1, and POSTs 1,000-report batches to /api/v1/reports/batch/ from a few client
threads, as a platform would. Then it inserts the same rows with psycopg2 (execute_values, one
transaction per batch) into a scratch table shaped like cases_report, and prints both rates,
their ratio and the target. Results go to bench/results/ as JSON.

Only 127.0.0.1; bounded in batches (--batches) and time (--max-seconds); gunicorn is stopped
and the database dropped at the end (--keep-db keeps it).
"""

import argparse
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import psycopg2.extras
import requests
from common import PG, POSTS, ROOT, admin_execute, database_url, drop_database, load_posts, machine, write_result

PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
TARGET = 2000  # reports per second, end to end
TARGET_WORKER_RSS_MB = 200  # resident memory of one gunicorn worker after the run


# --- the reports ------------------------------------------------------------------------------

# Round 0 sends every post as it is. Later rounds send each post again as another account's
# copy under a new external_id, in one of three shapes, so that matching has real work to do:
# the same text with other punctuation and spacing (joins the case by text), a repost carrying
# the original link (joins by URL), and a reworded copy with its own link (a new case for exact
# matching). One report in twenty of a later round is a resubmission of an earlier report with
# newer spread figures (answered `updated`).
FULLWIDTH = str.maketrans({",": "，", "!": "！", "?": "？", ":": "：", " ": "　"})
HALFWIDTH = str.maketrans({"，": ",", "！": "!", "？": "?", "：": ":", "　": " "})


def post_url(post: dict) -> str:
    return f"https://weibo.com/{post['author']['id']}/{post['mid']}"


def report_from_post(post: dict, posts: list[dict], round_no: int) -> dict:
    author = post["author"]
    text, url, external_id = post["text"], post_url(post), post["mid"]
    reposts, comments, likes = post["reposts"], post["comments"], post["likes"]
    if round_no:
        external_id = f"{post['mid']}-{round_no}"
        author = posts[(post["id"] + 7 * round_no) % len(posts)]["author"]  # another account's copy
        shape = (post["id"] + round_no) % 3
        if shape == 0:  # same words, other punctuation and spacing
            text = text.translate(HALFWIDTH if any(c in text for c in "，！？：") else FULLWIDTH) + " "
            url = f"https://weibo.com/{author['id']}/{post['mid']}r{round_no}"
        elif shape == 1:  # a repost carrying the original link
            text = f"转发微博：{text[:60]} {post_url(post)}"
        else:  # reworded, with a comment: a new case for exact matching
            text = f"{text} //@网友{round_no}: 真的假的？"
            url = f"https://weibo.com/{author['id']}/{post['mid']}c{round_no}"
        reposts, comments, likes = reposts // (round_no + 1), comments // (round_no + 1), likes
    return {
        "external_id": external_id,
        "content": text,
        "posted_at": post["posted_at"],
        "url": url,
        "content_type": "image" if post.get("pics") else "text",
        "language": "zh-CN",
        "author": {
            "account_id": author["id"],
            "account_type": "self_media" if author.get("verified") else "individual",
            "followers": author.get("followers") or 0,
            "verified": bool(author.get("verified")),
        },
        # The data set has no view counts: only reposts, comments and likes are sent.
        "metrics": {"reposts": reposts, "comments": comments, "likes": likes},
        "category": "rumour",
        "source": "user_report" if post["label"] == "rumor" else "automated_detection",
        "reason": "用户举报疑似谣言" if post["label"] == "rumor" else "",
    }


def build_reports(total: int, batch_size: int) -> list[dict]:
    posts = load_posts()
    reports, first_seen = [], {}
    round_no = 0
    while len(reports) < total:
        for post in posts:
            if len(reports) >= total:
                break
            position = len(reports)
            earlier = first_seen.get(post["mid"])
            if round_no and position % 20 == 0 and earlier is not None and earlier[0] + batch_size <= position:
                again = dict(earlier[1])  # the same report, a batch or more later, with newer figures
                again["metrics"] = {**again["metrics"], "reposts": again["metrics"]["reposts"] + 25 * round_no,
                                    "comments": again["metrics"]["comments"] + 5}
                reports.append(again)
                continue
            report = report_from_post(post, posts, round_no)
            reports.append(report)
            if not round_no:
                first_seen[post["mid"]] = (position, report)
        round_no += 1
    return reports


def batches_of(reports: list[dict], size: int) -> list[list[dict]]:
    return [reports[start:start + size] for start in range(0, len(reports), size)]


# --- the database -------------------------------------------------------------------------------


def recreate_database(name: str) -> None:
    drop_database(name)
    admin_execute(f'CREATE DATABASE "{name}"')


def app_env(database: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(database),
        "DEBUG": "False",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "API_RATE": "1000000/min",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "600",  # one database connection per worker for the whole run
        "DJANGO_SETTINGS_MODULE": "rumorcases.settings",
    }


def manage(database: str, *args: str, capture: bool = False) -> str:
    done = subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=app_env(database), check=True,  # noqa: S603
                          stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          text=True)
    return (done.stdout or "").strip()


PLATFORM_SCRIPT = """
from rumorcases.platforms.models import Platform
Platform.objects.get_or_create(slug="weibo", defaults={"name": "新浪微博", "name_en": "Weibo", "is_key": True})
"""

# For a tree without `manage.py platform_token`.
ISSUE_SCRIPT = """
from rumorcases.platforms.models import Platform
from rumorcases.platforms.services import api_token_create
_, token = api_token_create(platform=Platform.objects.get(slug="weibo"), name="bench",
                            scopes=["reports:write", "reports:read"], by=None, system=True)
print(token)
"""


def create_platform_and_token(database: str) -> str:
    manage(database, "shell", "-c", PLATFORM_SCRIPT)
    if (ROOT / "rumorcases" / "platforms" / "management" / "commands" / "platform_token.py").exists():
        return manage(database, "platform_token", "create", "--platform", "weibo", "--name", "bench",
                      "--scopes", "reports:write,reports:read", capture=True).splitlines()[-1]
    return manage(database, "shell", "-c", ISSUE_SCRIPT, capture=True).splitlines()[-1]


# --- end to end ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(database: str, port: int, workers: int) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [str(GUNICORN), "rumorcases.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "120",
         "--log-level", "warning"],
        cwd=ROOT, env=app_env(database), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited: {server.stderr.read()[-2000:]}")
        try:
            requests.get(url, timeout=10)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still importing
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def cpu_seconds(pids) -> float:
    """User + system CPU time of these processes so far (from /proc; gone processes count 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def rss_mb(pids) -> list[float]:
    """Resident memory (VmRSS) of each process, in MB (gone processes are left out)."""
    sizes = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        sizes += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")]
    return [round(size, 1) for size in sizes]


def database_backends(database: str) -> list[int]:
    connection = psycopg2.connect(dbname="postgres", **PG)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
        pids = [row[0] for row in cursor.fetchall()]
    connection.close()
    return pids


def post_batches(endpoint: str, token: str, bodies: list[bytes], clients: int, max_seconds: float) -> dict:
    """Send every body from `clients` threads; time from the first send to the last answer."""
    work = queue.Queue()
    for number, body in enumerate(bodies):
        work.put((number, body))
    answers = [None] * len(bodies)
    started = time.perf_counter()
    stop_at = started + max_seconds

    def client():
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        while time.perf_counter() < stop_at:
            try:
                number, body = work.get_nowait()
            except queue.Empty:
                return
            sent = time.perf_counter()
            response = session.post(endpoint, data=body, headers=headers, timeout=300)
            answers[number] = (response.status_code, time.perf_counter() - sent, response.content)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "answers": answers}


def summarise_answers(answers, batches) -> dict:
    outcomes, statuses, latencies, sent = {}, {}, [], 0
    for answer, batch in zip(answers, batches, strict=True):
        if answer is None:
            continue  # not sent: the time limit came first
        status, latency, content = answer
        statuses[status] = statuses.get(status, 0) + 1
        latencies.append(latency)
        sent += len(batch)
        if status == 200:
            for outcome, count in json.loads(content)["counts"].items():
                outcomes[outcome] = outcomes.get(outcome, 0) + count
    return {"reports_sent": sent, "batches_sent": len(latencies), "statuses": statuses, "outcomes": outcomes,
            "batch_seconds": {"p50": round(statistics.median(latencies), 3),
                              "p95": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 3),
                              "max": round(max(latencies), 3)}}


# --- the raw insert ---------------------------------------------------------------------------------


def raw_rows(reports: list[dict], platform_id: int) -> list[tuple]:
    """The rows the service stores, computed beforehand: only the inserts are timed."""
    sys.path.insert(0, str(ROOT))
    from rumorcases.cases.matching import content_hash  # pure Python, no Django set-up needed

    now = datetime.now(UTC)
    authors = {}
    rows = []
    for report in reports:
        metrics = report["metrics"]
        author_id = authors.setdefault(report["author"]["account_id"], len(authors) + 1)
        rows.append((
            platform_id, report["external_id"], 1, author_id, "", report["content"],
            content_hash(report["content"]), report["url"], report["posted_at"], report["content_type"],
            report["language"], report["category"], report["reason"], report["source"], "[]",
            0, metrics["reposts"], metrics["comments"], metrics["likes"], None, "new_case", None, now, now,
        ))
    return rows


RAW_COLUMNS = ("platform_id, external_id, case_id, author_id, title, content, content_hash, url, posted_at, "
               "content_type, language, category, reason, source, evidence_urls, views, reposts, comments, "
               "likes, match_score, match_reason, submitted_by_id, received_at, updated_at")


def raw_insert(database: str, batches: list[list[tuple]]) -> float:
    """execute_values into a copy of cases_report (its indexes and unique constraint, no foreign
    keys), one transaction per batch, resubmissions as ON CONFLICT updates. Rows per second."""
    connection = psycopg2.connect(dbname=database, **PG)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_report")
        cursor.execute("CREATE TABLE bench_raw_report (LIKE cases_report INCLUDING ALL)")
    connection.commit()
    sql = (f"INSERT INTO bench_raw_report ({RAW_COLUMNS}) VALUES %s "  # noqa: S608 - constant column list
           "ON CONFLICT (platform_id, external_id) DO UPDATE SET reposts = EXCLUDED.reposts, "
           "comments = EXCLUDED.comments, updated_at = EXCLUDED.updated_at")
    started = time.perf_counter()
    rows = 0
    with connection.cursor() as cursor:
        for batch in batches:
            psycopg2.extras.execute_values(cursor, sql, batch, page_size=len(batch))
            connection.commit()
            rows += len(batch)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_raw_report")
    connection.commit()
    connection.close()
    return rows / elapsed


# --- the service alone, in this process ---------------------------------------------------------


def service_run(database: str, batches: list[list[dict]], one_by_one: bool) -> dict:
    """report_ingest_batch called directly (no HTTP, no serializers), one batch at a time."""
    os.environ.update(app_env(database))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rumorcases.cases.intake import _report_ingest_one_by_one, report_ingest_batch
    from rumorcases.cases.services import AuthorInput, ReportInput
    from rumorcases.platforms.models import Platform

    def as_input(report: dict) -> ReportInput:
        author, metrics = report["author"], report["metrics"]
        return ReportInput(
            external_id=report["external_id"], content=report["content"],
            posted_at=datetime.fromisoformat(report["posted_at"]), url=report["url"],
            content_type=report["content_type"], language=report["language"], category=report["category"],
            reason=report["reason"], source=report["source"], author=AuthorInput(**author), **metrics)

    platform = Platform.objects.get(slug="weibo")
    inputs = [[as_input(report) for report in batch] for batch in batches]
    timings, queries = [], []
    for number, items in enumerate(inputs):
        if number == 1:  # one batch counted query by query, outside the timing
            with CaptureQueriesContext(connection) as captured:
                report_ingest_batch(platform=platform, items=items)
            queries.append(len(captured))
            continue
        sent = time.perf_counter()
        report_ingest_batch(platform=platform, items=items)
        timings.append(time.perf_counter() - sent)
    timed = sum(timings)
    result = {"reports_per_second": round(sum(len(b) for i, b in enumerate(inputs) if i != 1) / timed),
              "queries_per_batch": queries[0] if queries else None,
              "batch_seconds_p50": round(statistics.median(timings), 3)}
    if one_by_one:
        # The first batch again under new external_ids, through `report_ingest` item by item.
        again = [ReportInput(**{**vars(item), "external_id": item.external_id + "-x"}) for item in inputs[0]]
        with CaptureQueriesContext(connection) as captured:
            sent = time.perf_counter()
            _report_ingest_one_by_one(platform=platform, items=again)
            elapsed = time.perf_counter() - sent
        result["one_by_one"] = {"reports_per_second": round(len(again) / elapsed),
                                "queries_per_batch": len(captured)}
    return result


# --- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=30, help="batches to send (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4,
                        help="client threads, like platforms sending at once (default %(default)s)")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (default %(default)s)")
    parser.add_argument("--max-seconds", type=float, default=300, help="stop sending after this long")
    parser.add_argument("--database", default="rumorcases_bench")
    parser.add_argument("--keep-db", action="store_true", help="leave the database for inspection")
    parser.add_argument("--service", action="store_true", help="the service alone, in this process, no HTTP")
    parser.add_argument("--one-by-one", action="store_true",
                        help="with --service: also time the item-by-item path on one batch (counted query by query)")
    args = parser.parse_args()
    if args.batches < 3 or args.batch_size < 1 or args.batch_size > 1000:
        parser.error("--batches at least 3; --batch-size 1 to 1000")

    print(f"building {args.batches} batches of {args.batch_size} reports from {POSTS.name} ...", flush=True)
    reports = build_reports(args.batches * args.batch_size, args.batch_size)
    batches = batches_of(reports, args.batch_size)
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
              "batches": len(batches), "batch_size": args.batch_size}

    print(f"creating database {args.database} and migrating ...", flush=True)
    recreate_database(args.database)
    manage(args.database, "migrate", "--noinput")
    token = create_platform_and_token(args.database)
    server = None
    try:
        if args.service:
            print("service alone (no HTTP) ...", flush=True)
            result["mode"] = "service"
            result["service"] = service_run(args.database, batches, args.one_by_one)
            rate = result["service"]["reports_per_second"]
        else:
            result["mode"] = "end_to_end"
            result.update(clients=args.clients, gunicorn_workers=args.workers)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            server = start_gunicorn(args.database, port, args.workers)
            wait_until_up(f"{base}/api/v1/", server)
            endpoint = f"{base}/api/v1/reports/batch/"
            bodies = [json.dumps({"reports": batch}, ensure_ascii=False).encode() for batch in batches]
            # Warm up every worker (imports, database connection) with the first batch, untimed.
            warm = post_batches(endpoint, token, bodies[:1], 1, args.max_seconds)["answers"][0]
            if warm is None or warm[0] != 200:
                raise SystemExit(f"the batch endpoint answered {warm and warm[0]}: {warm and warm[2][:500]}")
            for _ in range(args.workers * 2):
                requests.post(endpoint, json={"reports": []}, headers={"Authorization": f"Bearer {token}"},
                              timeout=30)
            print(f"posting {len(bodies) - 1} batches from {args.clients} clients to {args.workers} workers ...",
                  flush=True)
            # CPU time of the app's workers and of the database's backends, to tell what the run
            # cost from what the machine's other load took from it.
            workers, backends = children_of(server.pid), database_backends(args.database)
            rss_warm = rss_mb(workers)
            cpu_before = cpu_seconds(workers), cpu_seconds(backends), time.process_time()
            sent = post_batches(endpoint, token, bodies[1:], args.clients, args.max_seconds)
            backends = sorted(set(backends) | set(database_backends(args.database)))
            app_cpu = cpu_seconds(workers) - cpu_before[0]
            db_cpu = cpu_seconds(backends) - cpu_before[1]
            client_cpu = time.process_time() - cpu_before[2]
            rss_after = rss_mb(workers)
            summary = summarise_answers(sent["answers"], batches[1:])
            rate = round(summary["reports_sent"] / sent["elapsed"])
            per_thousand = 1000 / summary["reports_sent"]
            result["end_to_end"] = {
                "reports_per_second": rate, "seconds": round(sent["elapsed"], 2), **summary,
                "cpu_seconds_per_1000_reports": {"app_workers": round(app_cpu * per_thousand, 3),
                                                 "postgresql": round(db_cpu * per_thousand, 3),
                                                 "bench_client": round(client_cpu * per_thousand, 3)},
                # What the app and database alone could sustain with every core of this machine.
                "cpu_bound_reports_per_second": round(os.cpu_count() / ((app_cpu + db_cpu) * per_thousand) * 1000),
                "load_after": os.getloadavg(),
            }
            result["worker_rss_mb"] = {"after_warm_up": rss_warm, "after_intake": rss_after,
                                       "max_after_intake": max(rss_after), "target": TARGET_WORKER_RSS_MB,
                                       "target_met": max(rss_after) < TARGET_WORKER_RSS_MB}
        print("raw insert of the same rows with psycopg2 ...", flush=True)
        rows = raw_rows(reports, platform_id=1)
        raw = raw_insert(args.database, batches_of(rows, args.batch_size))
        result["raw_insert"] = {"rows_per_second": round(raw), "method": "psycopg2 execute_values, "
                                "one transaction per batch, into a copy of cases_report"}
        result["ratio_raw_to_intake"] = round(raw / rate, 1)
        result["target"] = TARGET
        result["target_met"] = rate >= TARGET if not args.service else None
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep_db:
            drop_database(args.database)

    label = "service alone (no HTTP)" if args.service else "end to end (HTTP, gunicorn)"
    print()
    print(f"  intake, {label}: {rate:>8,} reports/s")
    print(f"  raw insert, psycopg2:          {result['raw_insert']['rows_per_second']:>8,} rows/s")
    print(f"  raw / intake:                  {result['ratio_raw_to_intake']:>8}x")
    if not args.service:
        met = "met" if result["target_met"] else "NOT met"
        print(f"  target:                        {TARGET:>8,} reports/s end to end: {met}")
        cpu = result["end_to_end"]["cpu_seconds_per_1000_reports"]
        print(f"  CPU s per 1,000 reports:       app {cpu['app_workers']}, PostgreSQL {cpu['postgresql']}, "
              f"client {cpu['bench_client']}")
        print(f"  CPU-bound ceiling, {os.cpu_count()} cores:     "
              f"{result['end_to_end']['cpu_bound_reports_per_second']:>8,} reports/s (app + PostgreSQL alone)")
        print(f"  load average before/after:     {result['machine']['load_before'][0]:.2f} / "
              f"{result['end_to_end']['load_after'][0]:.2f}")
        rss = result["worker_rss_mb"]
        print(f"  gunicorn worker RSS, MB:       {rss['max_after_intake']:>8} at most after the run "
              f"(each {rss['after_intake']}; after warm-up {rss['after_warm_up']}); target < {rss['target']}")
        print(f"  outcomes: {result['end_to_end']['outcomes']}  statuses: {result['end_to_end']['statuses']}")
    else:
        print(f"  queries per batch:             {result['service']['queries_per_batch']:>8}")
        if "one_by_one" in result["service"]:
            print(f"  item by item (old path):       {result['service']['one_by_one']['reports_per_second']:>8,}"
                  f" reports/s, {result['service']['one_by_one']['queries_per_batch']} queries per batch")
    write_result(f"intake-{result['mode']}", result)


if __name__ == "__main__":
    main()

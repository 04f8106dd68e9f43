"""Load with faults: intake at full rate while a web worker and the Celery worker are killed. See bench/README.md.

    .venv/bin/python bench/faults.py                  # 60 s of intake; the faults at 1/3 and 1/2 of it
    .venv/bin/python bench/faults.py --seconds 20 --keep-db

Creates and migrates a PostgreSQL database of its own, a platform whose webhook points at a
receiver this script runs (it checks each signature, answers 200 and remembers every delivery
id), an API token, three cases under debunking and the staff who work them. Starts gunicorn
(5 workers, DEBUG=False), a Celery worker and Celery beat, both on Redis. Then, for --seconds,
client threads POST 1,000-report batches built from the real Weibo posts as fast as they are
answered, retrying a failed request unchanged as docs/api.md tells platforms to, while a thread
issues orders to the platform and acknowledges them through the product's services, each of
which is a webhook event. At a third of the run one gunicorn worker (the busiest) is killed
with SIGKILL; at half, the Celery worker (its whole process group) is killed while a delivery's
request is at the platform, unanswered, and a new one started. That delivery's attempt holds a
five-minute lease, after which beat's sweep queues it again: the run takes about seven minutes
(`--celery-kill any-moment` kills the worker whenever half the time has passed, usually between
deliveries, and rarely waits). Afterwards: waits for the deliveries still outstanding, checks
with SQL that every report answered with a 2xx is stored exactly once under the id it was
answered with and that every event was delivered, runs `manage.py audit_verify`, prints the
counts, and exits non-zero if anything was lost, duplicated or left undelivered, or the audit
trail is broken.

Only 127.0.0.1; the Redis database --redis-db (7) is emptied before and after; every process
started is stopped, and the database dropped (--keep-db keeps it, and the logs).
"""

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg2
import requests
from common import PG, POSTS, ROOT, drop_database, load_posts, machine, write_result
from intake import (
    GUNICORN,
    PYTHON,
    app_env,
    batches_of,
    build_reports,
    children_of,
    cpu_seconds,
    free_port,
    post_url,
    recreate_database,
)

CELERY = ROOT / ".venv" / "bin" / "celery"
PLATFORM = "weibo"
WEBHOOK_SECRET = "bench-faults-" + "5e" * 16
STORED = {"created", "existing", "updated"}  # the outcomes that mean "stored" (docs/api.md)
RETRY_ATTEMPTS = 8  # a platform's client: the same request again after 1, 2, 4 … 16 s, jittered
MID_DELIVERY_WAIT = 15  # seconds the armed kill waits for a delivery to arrive
RATE_CEILING = 2500  # reports/s the batches are built for; the run stops sending when time is up
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def elapsed_since(started: float) -> float:
    return round(time.monotonic() - started, 1)


# --- the platform's side: its webhook endpoint and its intake client ------------------------------


class Receiver:
    """The platform's webhook endpoint as docs/webhooks.md describes it: the signature checked over
    the raw body, 200 at once; every delivery id remembered with how often it came.

    `arm(hook)`: the next request to arrive calls `hook` once it has been read and before it is
    answered (the bench kills the Celery worker there, in the middle of the delivery)."""

    def __init__(self, secret: str):
        self.secret = secret.encode()
        self.lock = threading.Lock()
        self.seen: Counter = Counter()
        self.first_body: dict[str, str] = {}  # delivery id -> sha256 of the body first received
        self.bad_signatures = 0
        self.changed_bodies = 0  # a repeat of a delivery id with other bytes (must never happen)
        self.hook = None
        self.server = None

    def arm(self, hook) -> None:
        with self.lock:
            self.hook = hook

    def disarm(self) -> bool:
        """False if a request has already taken the hook."""
        with self.lock:
            armed, self.hook = self.hook is not None, None
        return armed

    def receive(self, headers, body: bytes) -> int:
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        with self.lock:
            if not hmac.compare_digest(expected, headers.get("X-Rumorcases-Signature", "")):
                self.bad_signatures += 1
                return 401
            delivery_id = headers.get("X-Rumorcases-Delivery", "")
            digest = hashlib.sha256(body).hexdigest()
            if self.first_body.setdefault(delivery_id, digest) != digest:
                self.changed_bodies += 1
            self.seen[delivery_id] += 1
            hook, self.hook = self.hook, None
        if hook is not None:
            hook(delivery_id)
        return 200

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.receive(self.headers, body)
                with contextlib.suppress(OSError):  # the sender may have been killed meanwhile
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/rumorcases"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class Ledger:
    """What the platform sent and what it was told, report by report."""

    def __init__(self, started: float):
        self.started = started
        self.lock = threading.Lock()
        self.batches = self.reports = self.attempts = 0
        self.sent_ids: set[str] = set()
        self.retried_requests = self.retried_reports = 0
        self.failures: list[dict] = []  # requests that got no answer, or a 5xx/429
        self.statuses: Counter = Counter()
        self.outcomes: Counter = Counter()
        self.acked: dict[str, int] = {}  # external id -> the report id the 2xx answers named
        self.id_mismatches: list[dict] = []  # one external id answered with two report ids
        self.gave_up: list[dict] = []  # batches still unanswered after every retry, or refused
        self.latencies: list[float] = []

    def sent(self, batch: list[dict]) -> None:
        with self.lock:
            self.batches += 1
            self.reports += len(batch)
            self.sent_ids.update(report["external_id"] for report in batch)

    def failed(self, kind: str, detail: str, batch: list[dict]) -> None:
        with self.lock:
            self.failures.append({"at": elapsed_since(self.started), "kind": kind, "detail": detail[:200],
                                  "reports": len(batch)})

    def retrying(self, batch: list[dict]) -> None:
        with self.lock:
            self.retried_requests += 1
            self.retried_reports += len(batch)

    def answered(self, answer: dict, latency: float) -> None:
        with self.lock:
            self.latencies.append(latency)
            for result in answer["results"]:
                self.outcomes[result["outcome"]] += 1
                if result["outcome"] not in STORED:
                    continue
                known = self.acked.setdefault(result["external_id"], result["id"])
                if known != result["id"]:
                    self.id_mismatches.append({"external_id": result["external_id"], "ids": [known, result["id"]]})


def send_batches(endpoint: str, token: str, work: queue.Queue, ledger: Ledger, stop_at: float) -> None:
    """One client thread: takes batches until time is up and sends each until it gets an answer.

    A dropped connection, a time-out, a 5xx or a 429 is retried with the same body (so the same
    external ids) after a growing, jittered pause, as docs/api.md asks of platforms; a batch
    taken before the time was up is seen through even if its retries run past it."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    while time.monotonic() < stop_at:
        try:
            batch = work.get_nowait()
        except queue.Empty:
            return
        body = json.dumps({"reports": batch}, ensure_ascii=False).encode()
        ledger.sent(batch)
        for attempt in range(RETRY_ATTEMPTS):
            if attempt:
                ledger.retrying(batch)
                time.sleep(min(2 ** (attempt - 1), 16) * random.uniform(0.8, 1.2))  # noqa: S311 - jitter
            sent = time.monotonic()
            with ledger.lock:
                ledger.attempts += 1
            try:
                response = session.post(endpoint, data=body, headers=headers, timeout=120)
            except requests.RequestException as exc:
                ledger.failed(type(exc).__name__, str(exc), batch)
                session.close()
                session = requests.Session()
                continue
            with ledger.lock:
                ledger.statuses[response.status_code] += 1
            if response.status_code >= 500 or response.status_code == 429:
                ledger.failed(f"HTTP {response.status_code}", response.text, batch)
                continue
            if 200 <= response.status_code < 300:
                ledger.answered(response.json(), time.monotonic() - sent)
            else:  # refused as a whole: docs/api.md says not to send it again unchanged
                with ledger.lock:
                    ledger.gave_up.append({"status": response.status_code, "answer": response.text[:300],
                                           "reports": len(batch)})
            break
        else:
            with ledger.lock:
                ledger.gave_up.append({"status": None, "answer": "no answer after every retry",
                                       "reports": len(batch)})


# --- the office's side: orders to the platform, each a webhook event ------------------------------


def django_setup(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def staff_and_cases(posts: list[dict], count: int = 3) -> dict:
    """The officers, and `count` cases under debunking opened from real rumour posts, each with the
    report to remove. Through the product's services, as the office would do it."""
    from django.contrib.auth.models import Group, User
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rumorcases.cases import services as cases
    from rumorcases.cases import workflow
    from rumorcases.cases.choices import CaseStatus, Verdict
    from rumorcases.core import roles
    from rumorcases.platforms.models import Platform

    def officer(username: str, role: str) -> User:
        user = User.objects.create_user(username=username)  # no password: it never logs in
        user.groups.set(Group.objects.filter(name=role))
        return user

    intake_officer = officer("faults-intake", roles.INTAKE_OFFICER)
    verifier = officer("faults-verifier", roles.VERIFIER)
    disposal_officer = officer("faults-disposal", roles.DISPOSAL_OFFICER)
    platform = Platform.objects.get(slug=PLATFORM)
    seeds = []
    for post in posts:
        if len(seeds) == count:
            break
        if post["label"] != "rumor":
            continue
        result = cases.report_ingest(platform=platform, data=cases.ReportInput(
            external_id=f"seed-{post['mid']}", content=post["text"],
            posted_at=datetime.fromisoformat(post["posted_at"]), url=post_url(post) + "-seed",
            author=cases.AuthorInput(account_id=post["author"]["id"])))
        case = result.case
        if case.status != CaseStatus.DISCOVERED:
            continue  # joined a case already seeded
        workflow.case_start_verification(case=case, by=intake_officer)
        evidence = cases.evidence_add(case=case, upload=SimpleUploadedFile("capture.png", PNG), by=verifier)
        cases.finding_record(case=case, verdict=Verdict.FALSE, reasoning="官方已辟谣", by=verifier,
                             evidence=[evidence])
        workflow.case_confirm_rumour(case=case, by=verifier)
        case.refresh_from_db()
        seeds.append((case, result.report))
    return {"platform": platform, "officer": disposal_officer, "cases": seeds}


def issue_orders(office: dict, per_second: float, stop: threading.Event, tally: Counter) -> None:
    """A steady stream of webhook events: an order issued (`order.issued`), then the oldest open
    one acknowledged (`order.updated`), in turn, each in its own transaction."""
    from django.db import connection
    from django.utils import timezone

    from rumorcases.disposal import services as disposal

    platform, officer, seeds = office["platform"], office["officer"], office["cases"]
    issued = []
    number = 0
    try:
        while not stop.is_set():
            try:
                if number % 2 == 0 or not issued:
                    case, report = seeds[number % len(seeds)]
                    issued.append(disposal.order_issue(
                        case=case, platform=platform, due_at=timezone.now() + timedelta(days=1), by=officer,
                        instructions="删除原帖", items=[{"kind": "remove_content", "report": report}]))
                    tally["orders issued"] += 1
                else:
                    disposal.order_acknowledge(order=issued.pop(0), platform=platform)
                    tally["orders acknowledged"] += 1
            except Exception as exc:  # counted and shown: the stream goes on
                tally[f"refused: {type(exc).__name__}: {exc}"[:160]] += 1
            number += 1
            stop.wait(1 / per_second)
    finally:
        connection.close()


# --- the processes ---------------------------------------------------------------------------------


class Processes:
    """Every process this script starts, each with its log; all are stopped at the end."""

    def __init__(self, logs: Path, env: dict):
        self.logs, self.env = logs, env
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        log_path = self.logs / f"{name}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own executables, fixed arguments
                args, cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)  # its own group: stopped whole
        process.name, process.log_path = name, log_path
        self.started.append(process)
        return process

    def log(self, process) -> str:
        return process.log_path.read_text(errors="replace")

    def celery_worker(self, number: int, env: dict) -> subprocess.Popen:
        # As docs/background.md runs one on a small host: every queue, the default pool.
        worker = self.start(f"celery-worker-{number}", [
            str(CELERY), "-A", "rumorcases", "worker", "-n", f"faults-{os.getpid()}-{number}@%h",
            "--loglevel", "INFO", "--without-gossip", "--without-mingle"], env=env)
        deadline = time.monotonic() + 60
        while "ready." not in self.log(worker):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the Celery worker did not start:\n{self.log(worker)[-3000:]}")
            time.sleep(0.2)
        return worker

    def kill_group(self, process) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill_group(process)


def busiest_worker(master: int) -> tuple[int, float]:
    """The gunicorn worker that used the most CPU over a short look: one in the middle of a request."""
    for _ in range(20):
        pids = children_of(master)
        before = {pid: cpu_seconds([pid]) for pid in pids}
        time.sleep(0.25)
        used = {pid: cpu_seconds([pid]) - before[pid] for pid in pids}
        if used and max(used.values()) > 0:
            pid = max(used, key=used.get)
            return pid, used[pid]
    pids = children_of(master)
    return pids[0], 0.0


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, capture_output=True,  # noqa: S603
                          text=True, check=False)


def manage_ok(env: dict, *args: str) -> str:
    done = manage(env, *args)
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip()


# --- the checks, in SQL ----------------------------------------------------------------------------


def deliveries(database: str) -> dict:
    """The webhook deliveries as the database has them, and the attempts a kill interrupted."""
    from rumorcases.platforms.models import WebhookAttempt, WebhookDelivery
    from rumorcases.platforms.webhooks import NO_OUTCOME

    connection = psycopg2.connect(dbname=database, **PG)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT delivery_id::text, status, attempts, next_attempt_at "  # noqa: S608 - model's table
                           f"FROM {WebhookDelivery._meta.db_table}")
            rows = cursor.fetchall()
            cursor.execute(f"SELECT count(*) FROM {WebhookAttempt._meta.db_table} WHERE error = %s",  # noqa: S608
                           [NO_OUTCOME])
            interrupted = cursor.fetchone()[0]
    finally:
        connection.close()
    return {"rows": rows, "interrupted_attempts": interrupted}


def wait_for_deliveries(database: str, receiver: Receiver, bound: float) -> float:
    """Until every delivery is out of `pending` and the receiver has seen each, or `bound` seconds."""
    started = time.monotonic()
    said = 0.0
    while True:
        state = deliveries(database)
        pending = [row for row in state["rows"] if row[1] == "pending"]
        unseen = [row for row in state["rows"] if row[0] not in receiver.seen]
        waited = time.monotonic() - started
        if not pending and not unseen:
            return waited
        if waited > bound:
            return waited
        if waited - said >= 60 or not said:
            said = waited or 0.001
            held = [row[3] for row in pending if row[3] is not None and row[3] > datetime.now(UTC)]
            lease = (f"; {len(held)} due again in up to {(max(held) - datetime.now(UTC)).total_seconds():.0f} s "
                     "(the lease of an attempt the kill interrupted, or a retry's wait), then queued by beat's "
                     "sweep (every minute)") if held else ""
            print(f"  waiting for deliveries: {len(pending)} pending, {len(unseen)} not received yet{lease}",
                  flush=True)
        time.sleep(1)


def stored_reports(database: str) -> tuple[dict[str, int], int]:
    """external id -> report id for the platform, and how many (platform, external id) are stored twice."""
    from rumorcases.cases.models import Report
    from rumorcases.platforms.models import Platform

    connection = psycopg2.connect(dbname=database, **PG)
    try:
        with connection.cursor() as cursor:
            report, platform = Report._meta.db_table, Platform._meta.db_table
            cursor.execute(f"SELECT r.external_id, r.id FROM {report} r "  # noqa: S608 - the models' tables
                           f"JOIN {platform} p ON p.id = r.platform_id WHERE p.slug = %s", [PLATFORM])
            rows = cursor.fetchall()
            cursor.execute(f"SELECT count(*) FROM (SELECT platform_id, external_id FROM {report} "  # noqa: S608
                           "GROUP BY platform_id, external_id HAVING count(*) > 1) twice")
            duplicates = cursor.fetchone()[0]
    finally:
        connection.close()
    return dict(rows), duplicates


# --- the run ------------------------------------------------------------------------------------


def wait_for_web(url: str, server: subprocess.Popen, processes: Processes, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{processes.log(server)[-3000:]}")
        try:
            requests.get(url, timeout=10)
            return
        except requests.RequestException:  # not listening yet, or its workers still importing
            time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def kill_celery_worker(args, receiver: Receiver, processes: Processes, worker: subprocess.Popen,
                       started: float) -> dict:
    """SIGKILL the worker's whole process group: with --celery-kill mid-delivery, from inside the
    platform's endpoint, once a delivery's request has arrived and before it is answered (if none
    comes within MID_DELIVERY_WAIT seconds, at once)."""
    killed = {}
    done = threading.Event()

    def kill(delivery_id: str | None = None) -> None:
        killed.update(at=elapsed_since(started), pid=worker.pid, mid_delivery=delivery_id)
        processes.kill_group(worker)
        done.set()

    if args.celery_kill == "mid-delivery":
        receiver.arm(kill)
        if not done.wait(MID_DELIVERY_WAIT) and receiver.disarm():
            kill()
        done.wait()
    else:
        kill()
    how = f"during the delivery {killed['mid_delivery']}" if killed["mid_delivery"] else "between deliveries"
    print(f"  {killed['at']:5.1f} s  SIGKILL Celery worker {killed['pid']} (its process group) {how}; "
          "starting another", flush=True)
    return killed


def load_with_faults(args, *, endpoint: str, token: str, work: queue.Queue, office: dict, processes: Processes,
                     gunicorn: subprocess.Popen, worker: subprocess.Popen, celery_env: dict,
                     receiver: Receiver) -> dict:
    """Intake and order events for --seconds; a gunicorn worker killed at a third, the Celery worker
    at half (and another started). Returns the ledger, the office's tally and the faults."""
    started = time.monotonic()
    stop_at = started + args.seconds
    ledger, tally, stop = Ledger(started), Counter(), threading.Event()
    clients = [threading.Thread(target=send_batches, args=(endpoint, token, work, ledger, stop_at))
               for _ in range(args.clients)]
    office_thread = threading.Thread(target=issue_orders, args=(office, args.events_per_second, stop, tally))
    for thread in [*clients, office_thread]:
        thread.start()
    faults = {}
    next_progress = started + 10
    try:
        while time.monotonic() < stop_at:
            now = time.monotonic()
            if "web_worker" not in faults and now >= started + args.seconds / 3:
                pid, busy = busiest_worker(gunicorn.pid)
                os.kill(pid, signal.SIGKILL)
                faults["web_worker"] = {"at": elapsed_since(started), "pid": pid, "cpu_s_in_look": round(busy, 2)}
                print(f"  {faults['web_worker']['at']:5.1f} s  SIGKILL gunicorn worker {pid}", flush=True)
            if "celery_worker" not in faults and now >= started + args.seconds / 2:
                faults["celery_worker"] = kill_celery_worker(args, receiver, processes, worker, started)
                worker = processes.celery_worker(2, celery_env)
                faults["celery_worker"].update(new_pid=worker.pid, new_ready_at=elapsed_since(started))
                print(f"  {faults['celery_worker']['new_ready_at']:5.1f} s  Celery worker {worker.pid} ready",
                      flush=True)
            if now >= next_progress:
                next_progress += 10
                print(f"  {elapsed_since(started):5.1f} s  {len(ledger.acked):,} reports acknowledged, "
                      f"{tally['orders issued'] + tally['orders acknowledged']} order events", flush=True)
            time.sleep(0.1)
    finally:
        stop.set()
        for thread in [*clients, office_thread]:
            thread.join()
    sending = time.monotonic() - started
    if "web_worker" in faults:
        faults["web_worker"]["workers_at_end"] = len(children_of(gunicorn.pid))
    print(f"  {elapsed_since(started):5.1f} s  the last batch answered", flush=True)
    return {"ledger": ledger, "tally": tally, "faults": faults, "sending": sending}


def figures_and_problems(args, run: dict, state: dict, receiver: Receiver, stored: dict[str, int],
                         duplicates: int, audit: subprocess.CompletedProcess, waited: float) -> tuple[dict, list]:
    ledger, tally, faults = run["ledger"], run["tally"], run["faults"]
    sent_stored = {external_id for external_id in ledger.sent_ids if external_id in stored}
    lost = sorted(external_id for external_id in ledger.acked if external_id not in stored)
    wrong_id = sorted(external_id for external_id, report_id in ledger.acked.items()
                      if external_id in stored and stored[external_id] != report_id)
    by_status = Counter(row[1] for row in state["rows"])
    undelivered = [row[0] for row in state["rows"] if row[1] != "delivered" or row[0] not in receiver.seen]
    figures = {
        "sent": {"reports": ledger.reports, "external_ids": len(ledger.sent_ids), "batches": ledger.batches,
                 "requests": ledger.attempts},
        "acknowledged": len(ledger.acked),
        "retried": {"requests": ledger.retried_requests, "reports": ledger.retried_reports},
        "stored": len(sent_stored),
        "stored_without_acknowledgement": len(sent_stored - set(ledger.acked)),
        "lost": len(lost), "lost_examples": lost[:20],
        "duplicates": duplicates,
        "answered_with_another_id": len(wrong_id) + len(ledger.id_mismatches),
        "batches_given_up": ledger.gave_up,
        "outcomes": dict(ledger.outcomes), "statuses": {str(k): v for k, v in ledger.statuses.items()},
        "failed_requests": ledger.failures,
        "reports_per_second": round(ledger.reports / run["sending"]),
        "batch_seconds_max": round(max(ledger.latencies), 2) if ledger.latencies else None,
        "webhook": {
            "events_created": len(state["rows"]), "delivered": by_status.get("delivered", 0),
            "pending": by_status.get("pending", 0), "failed": by_status.get("failed", 0),
            "received_ids": len(receiver.seen),
            "received_more_than_once": sum(1 for count in receiver.seen.values() if count > 1),
            "bad_signatures": receiver.bad_signatures, "changed_bodies": receiver.changed_bodies,
            "interrupted_attempts": state["interrupted_attempts"], "undelivered": len(undelivered),
            "undelivered_examples": undelivered[:20], "settle_seconds": round(waited, 1),
            "office": {k: v for k, v in tally.items() if k.startswith("orders")},
            "office_refused": {k: v for k, v in tally.items() if not k.startswith("orders")},
        },
        "audit_verify": {"passed": audit.returncode == 0, "output": (audit.stdout + audit.stderr).strip()[-1000:]},
        "faults": faults,
    }
    problems = []
    if lost:
        problems.append(f"{len(lost)} acknowledged reports not stored")
    if duplicates:
        problems.append(f"{duplicates} external ids stored twice")
    refused = sum(count for outcome, count in ledger.outcomes.items() if outcome not in STORED)
    if refused or ledger.gave_up:
        # Every report sent is valid, and a retry must be answered `existing`, never `conflict`.
        problems.append(f"{refused} reports refused, {len(ledger.gave_up)} batches given up")
    if figures["answered_with_another_id"]:
        problems.append(f"{figures['answered_with_another_id']} reports answered with another id than stored")
    if undelivered or not state["rows"]:
        problems.append(f"{len(undelivered)} of {len(state['rows'])} webhook events not delivered")
    if receiver.bad_signatures or receiver.changed_bodies:
        problems.append("webhook requests with a bad signature or a changed body")
    if audit.returncode:
        problems.append("audit_verify failed")
    if len(faults) < 2 or faults["web_worker"]["workers_at_end"] != args.workers:
        problems.append("a fault was not injected, or gunicorn did not replace its worker")
    return figures, problems


def print_table(figures: dict, problems: list) -> None:
    sent, w, faults = figures["sent"], figures["webhook"], figures["faults"]
    failed = ", ".join(f"{failure['kind']} at {failure['at']} s" for failure in figures["failed_requests"])
    office = ", ".join(f"{count} {what}" for what, count in w["office"].items())
    web, celery = faults.get("web_worker"), faults.get("celery_worker")
    rows = [
        ("sent", f"{sent['reports']:,} reports in {sent['batches']} batches ({sent['external_ids']:,} external ids), "
                 f"{figures['reports_per_second']:,} reports/s"),
        ("acknowledged (2xx)", f"{figures['acknowledged']:,} external ids (answers: "
                               + ", ".join(f"{count:,} {outcome}" for outcome, count in figures["outcomes"].items())
                               + ")"),
        ("retried", f"{figures['retried']['requests']} requests ({figures['retried']['reports']:,} reports); "
                    f"failed: {failed or 'none'}"),
        ("stored", f"{figures['stored']:,} external ids "
                   f"({figures['stored_without_acknowledgement']} stored without an acknowledgement)"),
        ("lost", f"{figures['lost']}"),
        ("duplicates", f"{figures['duplicates']}"),
        ("answered with another id", f"{figures['answered_with_another_id']}"),
        ("batches given up", f"{len(figures['batches_given_up'])}"),
        ("webhook events created", f"{w['events_created']} ({office})"
         + (f"; refused: {w['office_refused']}" if w["office_refused"] else "")),
        ("  delivered", f"{w['delivered']} (the receiver saw {w['received_ids']} ids, "
                        f"{w['received_more_than_once']} more than once; {w['interrupted_attempts']} attempts "
                        "interrupted by the kill)"),
        ("  pending / failed", f"{w['pending']} / {w['failed']}, after waiting {w['settle_seconds']} s"),
        ("  undelivered", f"{w['undelivered']}"),
        ("audit_verify", "passed" if figures["audit_verify"]["passed"] else "FAILED"),
        ("gunicorn worker killed", f"at {web['at']} s (pid {web['pid']}); {web['workers_at_end']} workers at the end"
         if web else "no"),
        ("Celery worker killed", f"at {celery['at']} s (pid {celery['pid']}), "
                                 + ("in the middle of a delivery" if celery["mid_delivery"] else "between deliveries")
                                 + f"; the new one ready at {celery['new_ready_at']} s" if celery else "no"),
    ]
    print()
    for label, value in rows:
        print(f"  {label:<26} {value}")
    print(f"  {'result':<26} {'PASSED' if not problems else 'FAILED: ' + '; '.join(problems)}")
    if not figures["audit_verify"]["passed"]:
        print(figures["audit_verify"]["output"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long intake runs (default %(default)s)")
    parser.add_argument("--clients", type=int, default=3, help="client threads (default %(default)s)")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (default %(default)s)")
    parser.add_argument("--events-per-second", type=float, default=5,
                        help="order events the office produces (default %(default)s)")
    parser.add_argument("--celery-kill", choices=["mid-delivery", "any-moment"], default="mid-delivery",
                        help="kill the Celery worker while a delivery's request is at the platform, unanswered "
                             "(the default), or whenever half the time has passed")
    parser.add_argument("--settle-seconds", type=float, default=None,
                        help="longest wait for outstanding deliveries afterwards (default: an attempt's lease "
                             "+ 3 minutes)")
    parser.add_argument("--redis-db", type=int, default=7, help="Redis database for the broker (default %(default)s)")
    parser.add_argument("--database", default="rumorcases_bench_faults")
    parser.add_argument("--keep-db", action="store_true", help="leave the database and the logs for inspection")
    args = parser.parse_args()
    if args.seconds < 10 or args.clients < 1 or args.workers < 2 or args.events_per_second <= 0:
        parser.error("--seconds at least 10, --clients at least 1, --workers at least 2, --events-per-second > 0")
    if args.redis_db in (0, 1):
        parser.error("--redis-db: not 0 or 1, which development and the tests use")

    broker = f"redis://127.0.0.1:6379/{args.redis_db}"
    try:
        flush_redis(broker)
    except Exception as exc:
        raise SystemExit(f"needs Redis on 127.0.0.1:6379 ({exc})") from exc
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
              "seconds": args.seconds, "clients": args.clients, "gunicorn_workers": args.workers,
              "events_per_second": args.events_per_second, "broker": broker}

    total = int(args.seconds * RATE_CEILING)
    print(f"building up to {total // 1000} batches of 1,000 reports from {POSTS.name} ...", flush=True)
    posts = load_posts()
    work = queue.Queue()
    for batch in batches_of(build_reports(total, 1000), 1000):
        work.put(batch)
    scratch = Path(tempfile.mkdtemp(prefix="rumorcases-faults-"))
    (scratch / "media").mkdir()
    env = {**app_env(args.database), "CELERY_BROKER_URL": broker, "CELERY_TASK_ALWAYS_EAGER": "False",
           "MEDIA_ROOT": str(scratch / "media"), "PYTHONUNBUFFERED": "1", "LOG_FORMAT": "plain"}
    # The worker says "ready." at INFO; a connection per task, as the tests' workers do.
    celery_env = {**env, "LOG_LEVEL": "INFO", "DB_CONN_MAX_AGE": "0"}
    processes = Processes(scratch, env)
    receiver = Receiver(WEBHOOK_SECRET)
    passed = False
    try:
        print(f"creating database {args.database} and migrating ...", flush=True)
        recreate_database(args.database)
        manage_ok(env, "migrate", "--noinput")
        hook_url = receiver.start()
        django_setup(env)
        from django.db import connections

        from rumorcases.platforms.models import Platform
        from rumorcases.platforms.webhooks import ATTEMPT_LEASE

        Platform.objects.create(slug=PLATFORM, name="新浪微博", name_en="Weibo", is_key=True,
                                webhook_url=hook_url, webhook_secret=WEBHOOK_SECRET)
        token = manage_ok(env, "platform_token", "create", "--platform", PLATFORM, "--name", "bench faults",
                          "--scopes", "reports:write,reports:read").splitlines()[-1]
        office = staff_and_cases(posts)
        print(f"  {len(office['cases'])} cases under debunking; the platform's webhook receiver at {hook_url}",
              flush=True)

        print("starting a Celery worker, Celery beat and gunicorn ...", flush=True)
        worker = processes.celery_worker(1, celery_env)
        processes.start("celery-beat", [str(CELERY), "-A", "rumorcases", "beat", "--loglevel", "INFO",
                                        "--schedule", str(scratch / "beat-schedule")], env=celery_env)
        port = free_port()
        gunicorn = processes.start("gunicorn", [
            str(GUNICORN), "rumorcases.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
            "--timeout", "120", "--log-level", "warning"])
        wait_for_web(f"http://127.0.0.1:{port}/api/v1/", gunicorn, processes)
        endpoint = f"http://127.0.0.1:{port}/api/v1/reports/batch/"
        for _ in range(args.workers * 2):  # every worker imports and connects before the clock starts
            requests.post(endpoint, json={"reports": []}, headers={"Authorization": f"Bearer {token}"}, timeout=30)

        print(f"intake for {args.seconds:g} s from {args.clients} clients, {args.events_per_second:g} order "
              f"events/s; faults at {args.seconds / 3:.0f} s and {args.seconds / 2:.0f} s ...", flush=True)
        run = load_with_faults(args, endpoint=endpoint, token=token, work=work, office=office, processes=processes,
                               gunicorn=gunicorn, worker=worker, celery_env=celery_env, receiver=receiver)

        # A delivery whose attempt the kill interrupted is held by that attempt's lease, then queued
        # again by beat's sweep (every minute): the wait allows for both.
        bound = args.settle_seconds if args.settle_seconds is not None else ATTEMPT_LEASE.total_seconds() + 180
        waited = wait_for_deliveries(args.database, receiver, bound)
        state = deliveries(args.database)
        connections.close_all()
        processes.stop_all()  # before audit_verify: nothing may append to the chain while it is read
        stored, duplicates = stored_reports(args.database)
        audit = manage(env, "audit_verify")
        figures, problems = figures_and_problems(args, run, state, receiver, stored, duplicates, audit, waited)
        passed = not problems
        result.update(figures, problems=problems, passed=passed)
        print_table(figures, problems)
        write_result("faults", result)
    finally:
        processes.stop_all()
        receiver.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with contextlib.suppress(Exception):
            flush_redis(broker)
        if args.keep_db or not passed:
            print(f"  logs kept in {scratch}" + (f"; database {args.database} kept" if args.keep_db else ""))
        else:
            shutil.rmtree(scratch, ignore_errors=True)
        if not args.keep_db:
            drop_database(args.database)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()

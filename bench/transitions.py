"""Case transitions with their audit event, one at a time and from 8 clients at once, beside the bare SQL
of one transition. See bench/README.md.

    .venv/bin/python bench/transitions.py --database rumorcases_bench_store
    .venv/bin/python bench/transitions.py --database NAME --sequential 500 --clients 8 --seconds 10

The requirement: one transition (the case row moved, the transition recorded, the audit event
appended to the hash chain) in p95 ≤ 30 ms; 8 clients on 8 different cases ≥ 200 transitions/s
together, with the audit chain intact afterwards.

The database must exist and be migrated; the bench works only on cases of its own, referenced
`BT-…` (made on first use, kept and reused: each run starts by deleting their transition records,
so they do not grow from run to run; the audit events stay, as the chain requires). A case goes
round verifying → closed (`close_unverifiable`) → verifying (`reopen`): the one cycle in the
workflow whose guards need no finding, notice, penalty or bulletin. Each transition is the call the
staff view makes: the service of `cases.workflow.TRANSITION_SERVICES`, by a supervisor, with a
reason. The notification it queues once committed goes to an in-process broker and is not run
(in production a worker does that); `--notify-inline` runs it in the transaction's wake instead,
as a checkout without a broker does.

1. Sequential: `--sequential` transitions in this process, each timed alone, the case loaded
   beforehand as the view loads it.
2. Bare SQL, timed the same way: in one psycopg2 transaction, the case row's UPDATE, the
   transition row's INSERT, and the audit append (the chain head locked, the event inserted with
   its hash computed by the model's own `compute_hash`, the head moved), so the chain stays valid.
3. Concurrent: `--clients` processes, each with its own connection and its own cases, firing
   transitions for `--seconds`; transitions/s together. The same with the bare SQL.
4. `manage.py audit_verify`, as a subprocess: its exit status must be 0.
"""

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import common
import psycopg2
from common import BENCH_SUPERVISOR, PG, ROOT, bench_supervisor, database_url, machine, tree, write_result

TARGET_P95_MS = 30
TARGET_RATE = 200  # transitions/s, 8 clients together
PREFIX = "BT-"
SEQUENTIAL_CASES = 4
REASON = "bench: transition cycle"
PYTHON = ROOT / ".venv" / "bin" / "python"
NEXT = {"verifying": "close_unverifiable", "closed": "reopen"}


# --- Django in this process -------------------------------------------------------------------------


def setup_django(name: str, *, notify_inline: bool = False) -> None:
    # Queued, not run: the broker is Celery's in-process memory transport.
    os.environ.pop("CELERY_BROKER_URL", None)
    common.setup_django(name, CELERY_TASK_ALWAYS_EAGER="True" if notify_inline else "False")


# --- the bench's own cases ---------------------------------------------------------------------------


def prepare_cases(user, references: list[str]) -> dict:
    """Make the missing `BT-` cases (as `case_open` makes a case: the row and its audit event), bring
    each into the cycle (start verification when still discovered), and delete the transition records
    earlier runs left on them. Returns what was done."""
    from django.db import transaction
    from django.utils import timezone

    from rumorcases.cases import deadlines
    from rumorcases.cases.choices import CaseStatus
    from rumorcases.cases.models import Case, CaseTransition
    from rumorcases.cases.workflow import case_start_verification
    from rumorcases.core.audit import audit_record

    existing = set(Case.objects.filter(reference__in=references).values_list("reference", flat=True))
    made = 0
    for reference in references:
        if reference in existing:
            continue
        with transaction.atomic():
            now = timezone.now()
            case = Case.objects.create(
                reference=reference, title=f"Benchmark case {reference}", claim="A claim the transition bench moves.",
                priority="P2", created_by=user, stage_started_at=now,
                stage_deadline=deadlines.stage_deadline(CaseStatus.DISCOVERED, "P2", now))
            audit_record(actor=user, action="case.opened", obj=case, case_reference=reference,
                         data={"title": case.title, "priority": "P2", "category": case.category})
        made += 1
    for case in Case.objects.filter(reference__in=references, status=CaseStatus.DISCOVERED):
        case_start_verification(case=case, by=user)
    stray = Case.objects.filter(reference__in=references).exclude(status__in=list(NEXT)).count()
    if stray:
        raise RuntimeError(f"{stray} {PREFIX} cases are outside the verifying/closed cycle; delete them and rerun")
    deleted, _ = CaseTransition.objects.filter(case__reference__in=references).delete()
    return {"created": made, "transition_records_deleted": deleted}


def case_references(clients: int, per_client: int) -> dict:
    refs = {"sequential": [f"{PREFIX}S{i:02d}" for i in range(SEQUENTIAL_CASES)]}
    for client in range(clients):
        refs[f"client{client}"] = [f"{PREFIX}C{client:02d}-{i}" for i in range(per_client)]
    return refs


# --- one transition, two ways ------------------------------------------------------------------------


def service_transition(user, reference: str) -> float:
    """Load the case as the view does, then time the service call alone. Returns milliseconds."""
    from rumorcases.cases.selectors import case_get_for_user
    from rumorcases.cases.workflow import TRANSITION_SERVICES

    case = case_get_for_user(user, reference=reference)
    service = TRANSITION_SERVICES[NEXT[case.status]]
    started = time.perf_counter()
    service(case=case, by=user, reason=REASON)
    return (time.perf_counter() - started) * 1000


class BareTransition:
    """The same transition in bare SQL: UPDATE the case, INSERT the transition record, append the
    audit event (head locked, event inserted, head moved) — one psycopg2 transaction."""

    def __init__(self, database: str, user_id: int, username: str):
        from rumorcases.core.models import AuditEvent

        self.event_model = AuditEvent
        self.connection = psycopg2.connect(dbname=database, **PG)
        self.user_id, self.username = user_id, username

    def close(self) -> None:
        self.connection.close()

    def fire(self, case_id: int, reference: str) -> float:
        from rumorcases.cases import deadlines

        started = time.perf_counter()
        with self.connection, self.connection.cursor() as cursor:
            cursor.execute("SELECT status, priority FROM cases_case WHERE id = %s FOR NO KEY UPDATE", [case_id])
            source, priority = cursor.fetchone()
            name = NEXT[source]
            target = "closed" if name == "close_unverifiable" else "verifying"
            now = datetime.now(UTC)
            hours = deadlines.DEFAULT_HOURS.get(target, {}).get(priority)
            deadline = now + timedelta(hours=hours) if hours else None
            cursor.execute(
                "UPDATE cases_case SET status = %s, resolution = %s, closed_at = %s, stage_started_at = %s, "
                "stage_deadline = %s, updated_at = %s WHERE id = %s AND status = %s",
                [target, "unverifiable" if target == "closed" else "", now if target == "closed" else None, now,
                 deadline, now, case_id, source])
            cursor.execute(
                "INSERT INTO cases_casetransition (case_id, name, source, target, actor_id, reason, data, created_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, '{}', %s) RETURNING id",
                [case_id, name, source, target, self.user_id, REASON, now])
            transition_id = cursor.fetchone()[0]
            cursor.execute("SELECT last_seq, last_hash FROM core_auditchainhead WHERE id = 1 FOR UPDATE")
            last_seq, last_hash = cursor.fetchone()
            event = self.event_model(
                seq=last_seq + 1, occurred_at=now, actor_id=self.user_id, actor_label=self.username,
                action=f"case.{name}", object_type="cases.case", object_id=str(case_id), case_reference=reference,
                data={"from": source, "to": target, "reason": REASON, "transition_id": transition_id},
                prev_hash=last_hash)
            event.hash = event.compute_hash()
            cursor.execute(
                "INSERT INTO core_auditevent (seq, occurred_at, actor_id, actor_label, action, object_type, object_id, "
                "case_reference, data, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [event.seq, now, self.user_id, self.username, event.action, event.object_type, event.object_id,
                 reference, json.dumps(event.data, ensure_ascii=False), event.prev_hash, event.hash])
            cursor.execute("UPDATE core_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
                           [event.seq, event.hash])
        return (time.perf_counter() - started) * 1000


# --- concurrent clients ------------------------------------------------------------------------------


def client_process(database: str, mode: str, references: list[str], seconds: float, notify_inline: bool,
                   barrier, results) -> None:
    """One client: its own process and connection, only its own cases, transitions until the time is up."""
    setup_django(database, notify_inline=notify_inline)
    from django.contrib.auth import get_user_model

    from rumorcases.cases.models import Case

    user = get_user_model().objects.get(username=BENCH_SUPERVISOR)
    ids = dict(Case.objects.filter(reference__in=references).values_list("reference", "id"))
    bare = BareTransition(database, user.pk, user.get_username()) if mode == "bare" else None
    latencies, errors = [], {}
    barrier.wait()
    started = time.perf_counter()
    deadline = started + seconds
    i = 0
    while time.perf_counter() < deadline:
        reference = references[i % len(references)]
        i += 1
        try:
            latencies.append(bare.fire(ids[reference], reference) if bare else service_transition(user, reference))
        except Exception as exc:  # noqa: BLE001 - every failure is counted and reported, not hidden
            key = f"{type(exc).__name__}: {getattr(exc, 'code', '') or exc}"[:200]
            errors[key] = errors.get(key, 0) + 1
    finished = time.perf_counter()
    if bare:
        bare.close()
    results.put({"done": len(latencies), "errors": errors, "started": started, "finished": finished,
                 "latencies": latencies})


def concurrent(database: str, mode: str, refs: dict, clients: int, seconds: float, notify_inline: bool) -> dict:
    context = multiprocessing.get_context("spawn")
    # A client that fails before the start breaks the barrier (timeout) instead of hanging the run.
    barrier, results = context.Barrier(clients + 1, timeout=180), context.Queue()
    processes = [context.Process(target=client_process, args=(database, mode, refs[f"client{c}"], seconds,
                                                               notify_inline, barrier, results))
                 for c in range(clients)]
    try:
        for process in processes:
            process.start()
        try:
            barrier.wait()
        except threading.BrokenBarrierError as broken:
            raise SystemExit("a client did not start (see its traceback above)") from broken
        outcomes = [results.get(timeout=seconds + 120) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
                process.join(timeout=10)
    start = min(o["started"] for o in outcomes)
    end = max(o["finished"] for o in outcomes)
    done = sum(o["done"] for o in outcomes)
    errors = {}
    for outcome in outcomes:
        for key, n in outcome["errors"].items():
            errors[key] = errors.get(key, 0) + n
    latencies = [t for o in outcomes for t in o["latencies"]]
    return {"clients": clients, "seconds": round(end - start, 2), "transitions": done,
            "per_second": round(done / (end - start), 1), "per_client": [o["done"] for o in outcomes],
            "errors": errors, "latency": summary(latencies)}


# --- figures -----------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": round(percentile(values, 0.5), 2), "p95_ms": round(percentile(values, 0.95), 2),
            "p99_ms": round(percentile(values, 0.99), 2), "max_ms": round(max(values), 2) if values else None}


def audit_verify(database: str) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url(database), DEBUG="False", SECRET_KEY="bench-only-" + "x" * 40,
               LOG_LEVEL="WARNING")
    started = time.perf_counter()
    done = subprocess.run([str(PYTHON), "manage.py", "audit_verify"], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, check=False)
    return {"exit_status": done.returncode, "seconds": round(time.perf_counter() - started, 1),
            "output": (done.stdout + done.stderr).strip()[-500:]}


def run(database: str, *, sequential: int = 300, warmup: int = 20, clients: int = 8, per_client: int = 2,
        seconds: float = 10, notify_inline: bool = False, bare_concurrent: bool = True, verify: bool = True,
        quiet: bool = False) -> dict:
    """Measure transitions on `database`; return the figures (see the module docstring)."""
    say = (lambda *a, **k: None) if quiet else (lambda *a, **k: print(*a, **k, flush=True))
    setup_django(database, notify_inline=notify_inline)
    from rumorcases.cases.models import Case
    from rumorcases.core.models import AuditEvent

    host = machine()
    user = bench_supervisor()
    refs = case_references(clients, per_client)
    prepared = prepare_cases(user, [r for group in refs.values() for r in group])
    say(f"  {PREFIX} cases: {sum(len(g) for g in refs.values())} ({prepared['created']} made now), "
        f"{prepared['transition_records_deleted']} old transition records deleted")
    store = {"cases": Case.objects.count(), "audit_events_before": AuditEvent.objects.count()}

    # Sequential: the service, then the bare SQL, on the same cases, after a warm-up of each.
    seq_refs = refs["sequential"]
    for i in range(warmup):
        service_transition(user, seq_refs[i % len(seq_refs)])
    service_times = [service_transition(user, seq_refs[i % len(seq_refs)]) for i in range(sequential)]
    say(f"  sequential service: {summary(service_times)}")
    ids = dict(Case.objects.filter(reference__in=seq_refs).values_list("reference", "id"))
    bare = BareTransition(database, user.pk, user.get_username())
    for i in range(warmup):
        bare.fire(ids[seq_refs[i % len(seq_refs)]], seq_refs[i % len(seq_refs)])
    bare_times = [bare.fire(ids[seq_refs[i % len(seq_refs)]], seq_refs[i % len(seq_refs)]) for i in range(sequential)]
    bare.close()
    say(f"  sequential bare SQL: {summary(bare_times)}")

    from django.db import connections

    connections.close_all()
    together = concurrent(database, "service", refs, clients, seconds, notify_inline)
    say(f"  {clients} clients, service: {together['per_second']} transitions/s, errors {together['errors'] or 0}")
    together_bare = None
    if bare_concurrent:
        together_bare = concurrent(database, "bare", refs, clients, seconds, notify_inline)
        say(f"  {clients} clients, bare SQL: {together_bare['per_second']} transitions/s")
    verified = audit_verify(database) if verify else None
    store["audit_events_after"] = AuditEvent.objects.count()
    seq, base = summary(service_times), summary(bare_times)
    return {
        "machine": host, "tree": tree(), "database": database, "store": store, "prepared": prepared,
        "notify": "inline" if notify_inline else "queued", "target_p95_ms": TARGET_P95_MS, "target_rate": TARGET_RATE,
        "sequential": {"service": seq, "bare_sql": base,
                       "ratio_p95": round(seq["p95_ms"] / base["p95_ms"], 1) if base["p95_ms"] else None},
        "concurrent": {"service": together, "bare_sql": together_bare},
        "audit_verify": verified,
        "target_met": {
            "p95": seq["p95_ms"] <= TARGET_P95_MS,
            "rate": together["per_second"] >= TARGET_RATE and not together["errors"],
            "audit_chain_intact": verified["exit_status"] == 0 if verified else None,
        },
    }


def print_table(result: dict) -> None:
    seq, conc = result["sequential"], result["concurrent"]
    s, b = seq["service"], seq["bare_sql"]
    print(f"\nCase transitions with their audit event ({result['store']['cases']:,} cases, "
          f"{result['store']['audit_events_before']:,} audit events before; notification {result['notify']})")
    print(f"  {'':<34} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for label, row in (("one at a time, service", s), ("one at a time, bare SQL", b)):
        print(f"  {label:<34} {row['n']:>6} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} {row['p99_ms']:>8.2f} "
              f"{row['max_ms']:>8.2f}")
    print(f"  ratio p95 {seq['ratio_p95']}, target p95 ≤ {result['target_p95_ms']} ms: "
          f"{'met' if result['target_met']['p95'] else 'MISSED'}")
    together, bare = conc["service"], conc["bare_sql"]
    print(f"  {together['clients']} clients, service:  {together['per_second']:>7.1f} transitions/s "
          f"({together['transitions']} in {together['seconds']} s; per client {together['per_client']}; "
          f"p95 {together['latency']['p95_ms']} ms; errors {together['errors'] or 0})")
    if bare:
        print(f"  {bare['clients']} clients, bare SQL: {bare['per_second']:>7.1f} transitions/s "
              f"({bare['transitions']} in {bare['seconds']} s; p95 {bare['latency']['p95_ms']} ms)")
        print(f"  ratio {together['per_second'] / bare['per_second']:.2f}" if bare["per_second"] else "")
    print(f"  target ≥ {result['target_rate']} transitions/s: {'met' if result['target_met']['rate'] else 'MISSED'}")
    verified = result["audit_verify"]
    if verified:
        print(f"  audit_verify: exit {verified['exit_status']} in {verified['seconds']} s — "
              f"{verified['output'][-160:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="an existing, migrated database")
    parser.add_argument("--sequential", type=int, default=300, help="timed transitions one at a time (300)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed transitions first (20)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client processes (8)")
    parser.add_argument("--cases-per-client", type=int, default=2, help="cases each client works in turn (2)")
    parser.add_argument("--seconds", type=float, default=10, help="how long the clients run (10)")
    parser.add_argument("--notify-inline", action="store_true",
                        help="run each transition's notification in-process after commit instead of queueing it")
    parser.add_argument("--no-bare-concurrent", action="store_true", help="skip the concurrent bare-SQL run")
    parser.add_argument("--no-verify", action="store_true", help="skip manage.py audit_verify")
    args = parser.parse_args()
    if args.sequential < 1 or args.clients < 1 or args.cases_per_client < 1 or args.seconds <= 0:
        parser.error("--sequential, --clients, --cases-per-client and --seconds must be positive")
    result = run(args.database, sequential=args.sequential, warmup=args.warmup, clients=args.clients,
                 per_client=args.cases_per_client, seconds=args.seconds, notify_inline=args.notify_inline,
                 bare_concurrent=not args.no_bare_concurrent, verify=not args.no_verify)
    print_table(result)
    write_result("transitions", result)
    if result["audit_verify"] and result["audit_verify"]["exit_status"] != 0:
        sys.exit("the audit chain is not intact after the run")


if __name__ == "__main__":
    main()

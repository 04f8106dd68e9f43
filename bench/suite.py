"""Every benchmark in one run, each figure beside its baseline: what `make bench` runs. See bench/README.md.

    .venv/bin/python bench/suite.py                   # the store at full size, every benchmark
    .venv/bin/python bench/suite.py --only pdf,public # some of them
    .venv/bin/python bench/suite.py --quick           # a small store and short runs: checks the pipeline

Each benchmark is its own script, run here as a child process with its output shown as it
comes; each writes its result to bench/results/, which this script reads back. Then one table:
the figure, the baseline measured in the same run, their ratio, the target and whether it was
met; written as bench/results/suite-<UTC time>.json and .md with the machine's description.
A benchmark that fails is a row marked FAILED and makes the exit status 1; a target missed
is reported, not an error.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from common import RESULTS, ROOT, machine

BENCH = ROOT / "bench"


@dataclass
class Row:
    figure: str
    value: float | str | None
    unit: str
    baseline: str  # what the figure is compared with
    baseline_value: float | None
    target: str
    met: bool | None
    ratio: float | None = None

    def __post_init__(self):
        if self.ratio is None and isinstance(self.value, int | float) and self.baseline_value:
            self.ratio = round(self.value / self.baseline_value, 2)


# --- reading each benchmark's result -------------------------------------------------------------------


def intake_rows(result: dict) -> list[Row]:
    rate, raw = result["end_to_end"]["reports_per_second"], result["raw_insert"]["rows_per_second"]
    rss = result["worker_rss_mb"]
    return [
        Row("intake: 1,000-report batches, end to end (HTTP, gunicorn -w 5)", rate, "reports/s",
            "psycopg2 execute_values of the same rows", raw, f"≥ {result['target']:,} reports/s", result["target_met"]),
        Row("memory: largest gunicorn worker after the intake run", rss["max_after_intake"], "MB RSS",
            "the same worker after warm-up", max(rss["after_warm_up"]), f"< {rss['target']} MB", rss["target_met"]),
    ]


def matching_rows(result: dict) -> list[Row]:
    matcher, trgm = result["matcher"], result["pg_trgm"]
    return [Row(f"matching: match_report p95 at {result['reports']:,} stored reports", matcher["latency_ms"]["p95"],
                "ms", "pg_trgm GIN similarity, same reports and candidates", trgm["latency_ms"]["p95"],
                f"≤ {result['target_p95_ms']} ms", result["target_met"])]


def staff_queue_rows(result: dict) -> list[Row]:
    counts = [kind["query_counts"] for kind in result["kinds"] if kind.get("query_counts")]
    spread = " / ".join(f"{min(one[size] for one in counts)}–{max(one[size] for one in counts)}"
                        for size in ("10", "50", "100"))
    return [
        Row(f"staff queue and search at {result['store']['cases']:,} cases: p95 over "
            f"{len(result['kinds'])} kinds of page of {result['page_size']}", result["overall"]["p95_ms"], "ms",
            "the same pages' SQL, raw psycopg2", result["overall_raw_page_sql"]["p95_ms"],
            f"≤ {result['target_p95_ms']} ms", result["target_met"]),
        Row("staff queue: SQL queries per request, pages of 10 / 50 / 100", spread, "queries", "-", None,
            "the same for every size", result["same_query_count_at_10_50_100"]),
    ]


def transitions_rows(result: dict) -> list[Row]:
    sequential, concurrent = result["sequential"], result["concurrent"]
    met = result["target_met"]
    return [
        Row("case transition with its audit event, one at a time: p95", sequential["service"]["p95_ms"], "ms",
            "bare SQL: case update, transition row, chained audit row", sequential["bare_sql"]["p95_ms"],
            f"≤ {result['target_p95_ms']} ms", met["p95"]),
        Row(f"case transitions, {concurrent['service']['clients']} clients on their own cases",
            concurrent["service"]["per_second"], "transitions/s", "bare SQL, the same clients",
            (concurrent.get("bare_sql") or {}).get("per_second"),
            f"≥ {result['target_rate']}/s, audit chain intact", met["rate"] and met["audit_chain_intact"]),
    ]


def public_rows(result: dict) -> list[Row]:
    rounds = result["rounds"]
    notice = sum(one["notice"]["requests_per_s"] for one in rounds) / len(rounds)
    constant = sum(one["constant"]["requests_per_s"] for one in rounds) / len(rounds)
    targets = result["targets"]
    return [
        Row("public notice page under wrk (32 connections)", round(notice), "requests/s",
            "a constant Django page of the same size", round(constant), f"≥ {targets['ratio']:.0%} of the baseline",
            result["ratio"] >= targets["ratio"], ratio=result["ratio"]),
        Row("public notice page: p99 latency", result["notice_p99_ms"], "ms", "-", None,
            f"≤ {targets['p99_ms']:.0f} ms", result["notice_p99_ms"] <= targets["p99_ms"]),
    ]


def pdf_rows(result: dict) -> list[Row]:
    seconds = result["seconds"]
    return [Row(f"notice PDF ({result['pages']} pages, Chinese), warm: median",
                round(seconds["rumorcases"]["median"], 3), "s", "bare WeasyPrint on the same HTML",
                round(seconds["bare"]["median"], 3),
                f"≤ {result['target_seconds']} s", result["target_met"])]


@dataclass
class Step:
    name: str
    script: str
    full: list[str]
    quick: list[str]
    rows: object = None  # result → rows; None: a preparation step


QUICK_STORE = ["--scale", "0.02", "--database", "rumorcases_bench_store_quick"]
STEPS = [
    Step("store", "store.py", [], QUICK_STORE),
    Step("intake", "intake.py", [], ["--batches", "6"], intake_rows),
    Step("matching", "matching_scale.py", [], [*QUICK_STORE, "--queries", "60", "--warmup", "10"], matching_rows),
    Step("staff_queue", "staff_queue.py", ["--database", "rumorcases_bench_store"],
         ["--database", "rumorcases_bench_store_quick", "--runs", "10", "--max-seconds", "10"], staff_queue_rows),
    Step("transitions", "transitions.py", ["--database", "rumorcases_bench_store"],
         ["--database", "rumorcases_bench_store_quick", "--sequential", "50", "--seconds", "3"], transitions_rows),
    Step("public", "public_pages.py", ["--postgres", "--rounds", "3"], ["--seconds", "3"], public_rows),
    Step("pdf", "pdf.py", [], ["--runs", "6", "--fonttools-runs", "0"], pdf_rows),
]
WRITTEN = re.compile(r"written to (bench/results/\S+\.json)")


def run_step(step: Step, quick: bool) -> tuple[dict | None, str, float]:
    """Run one benchmark, its output passed through: (its result, the result file or the failure, seconds)."""
    command = [sys.executable, str(BENCH / step.script), *(step.quick if quick else step.full)]
    print(f"\n=== {step.name}: {' '.join(Path(part).name if part.startswith('/') else part for part in command[1:])}",
          flush=True)
    began = time.monotonic()
    written = None
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,  # noqa: S603
                          text=True, bufsize=1) as child:
        for line in child.stdout:
            print(line, end="", flush=True)
            found = WRITTEN.search(line)
            if found:
                written = found.group(1)
    elapsed = time.monotonic() - began
    if child.returncode != 0:
        return None, f"exit status {child.returncode}", elapsed
    if step.rows is None:
        return {}, "", elapsed
    if written is None:
        return None, "wrote no result", elapsed
    return json.loads((ROOT / written).read_text()), written, elapsed


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if value < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _verdict(row: Row) -> str:
    return {True: "met", False: "NOT met", None: "FAILED"}[row.met]


def table(rows: list[Row]) -> list[list[str]]:
    header = ["figure", "value", "unit", "baseline (same run)", "baseline value", "ratio", "target", ""]
    return [header] + [[row.figure, _cell(row.value), row.unit, row.baseline, _cell(row.baseline_value),
                        _cell(row.ratio), row.target, _verdict(row)] for row in rows]


def as_text(rows: list[Row]) -> str:
    cells = table(rows)
    widths = [max(len(line[column]) for line in cells) for column in range(len(cells[0]))]
    numeric = {1, 4, 5}
    lines = []
    for number, line in enumerate(cells):
        lines.append("  ".join(cell.rjust(width) if column in numeric else cell.ljust(width)
                               for column, (cell, width) in enumerate(zip(line, widths, strict=True))).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def as_markdown(rows: list[Row], described: dict, when: str, quick: bool) -> str:
    cells = table(rows)
    out = [f"# Benchmarks, {when}{' (quick run: small store, short runs)' if quick else ''}", "",
           f"Machine: {described['cpus']} cores, {described['cpu']}, Python {described['python']}, "
           f"PostgreSQL {described['postgresql']}; load average before: "
           f"{', '.join(f'{load:.2f}' for load in described['load_before'])}.", ""]
    out.append("| " + " | ".join(cells[0]) + " |")
    out.append("|" + "|".join("---:" if column in (1, 4, 5) else "---" for column in range(len(cells[0]))) + "|")
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |" for line in cells[1:]]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help=f"comma-separated steps, of: {', '.join(step.name for step in STEPS)}")
    parser.add_argument("--quick", action="store_true", help="a 2 %% store and short runs (not the figures)")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else {step.name for step in STEPS}
    unknown = wanted - {step.name for step in STEPS}
    if unknown:
        parser.error(f"no such step: {', '.join(sorted(unknown))}")
    when = datetime.now(UTC)
    described = machine()
    rows: list[Row] = []
    steps = {}
    for step in STEPS:
        if step.name not in wanted:
            continue
        result, source, seconds = run_step(step, args.quick)
        steps[step.name] = {"result_file": source if result is not None else None, "seconds": round(seconds, 1),
                            "failure": None if result is not None else source}
        if result is None:
            rows.append(Row(f"{step.name}: {source}", None, "", "-", None, "-", None))
        elif step.rows is not None:
            rows += step.rows(result)
    text = as_text(rows)
    print(f"\n{text}\n")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"suite-{when:%Y%m%dT%H%M%SZ}"
    stem.with_suffix(".json").write_text(json.dumps(
        {"when": when.isoformat(timespec="seconds"), "quick": args.quick, "machine": described,
         "load_after": os.getloadavg(), "steps": steps, "rows": [asdict(row) for row in rows]},
        indent=2, ensure_ascii=False) + "\n")
    stem.with_suffix(".md").write_text(as_markdown(rows, described, f"{when:%Y-%m-%d %H:%M} UTC", args.quick))
    print(f"  written to {stem.relative_to(ROOT)}.json and .md")
    sys.exit(1 if any(step["failure"] for step in steps.values()) else 0)


if __name__ == "__main__":
    main()

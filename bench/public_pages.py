"""A published notice page under a rush of readers, beside a minimal Django view.

Starts gunicorn (DEBUG off, WhiteNoise, the product's middleware) on a throw-away database with
the demo loaded, and runs wrk against (a) a published notice page and (b) a constant page of the
same size answered by a minimal view in bench/public_urls.py, one after the other in the same
run. Prints requests/s of each, their ratio and the p99 latencies. Targets: ratio ≥ 80 %,
p99 ≤ 50 ms. See bench/README.md.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, admin_execute, database_url, drop_database, write_result  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
TARGET_RATIO, TARGET_P99_MS = 0.80, 50.0
PG_DATABASE = "rumorcases_bench_public"


def ensure_wrk() -> str:
    """wrk, installed by .ci/install-system-packages with WITH_BENCH=1 when missing."""
    if not shutil.which("wrk"):
        subprocess.run([str(ROOT / ".ci" / "install-system-packages")], env={**os.environ, "WITH_BENCH": "1"},  # noqa: S603 (fixed arguments)
                       check=False)
    wrk = shutil.which("wrk")
    if not wrk:
        sys.exit("wrk is missing and could not be installed: run `WITH_BENCH=1 .ci/install-system-packages` "
                 "(it needs root or sudo), then try again.")
    return wrk


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603 (fixed arguments)
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("gunicorn stopped before answering")
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 (our own server on 127.0.0.1)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer {url} within {seconds} s")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(wrk: str, url: str, *, threads: int, connections: int, seconds: int) -> dict:
    out = subprocess.run([wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],  # noqa: S603 (fixed arguments)
                         capture_output=True, text=True, check=True).stdout
    figures = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "75", "90", "99"):
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        figures[f"p{pct}_ms"] = round(float(value) * _UNITS[unit], 3)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    figures["non_2xx"] = int(errors.group(1)) if errors else 0
    socket_errors = re.search(r"Socket errors:(.*)", out)
    figures["socket_errors"] = socket_errors.group(1).strip() if socket_errors else ""
    figures["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run (10)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=5, help="gunicorn sync workers (5)")
    parser.add_argument("--rounds", type=int, default=1, help="notice then baseline, this many times (1)")
    parser.add_argument("--postgres", action="store_true",
                        help=f"the database {PG_DATABASE} on 127.0.0.1:5432 instead of a throw-away SQLite file")
    args = parser.parse_args()
    wrk = ensure_wrk()

    work = Path(tempfile.mkdtemp(prefix="bench-public-"))
    env = {**os.environ, "DEBUG": "False", "SECRET_KEY": "bench-only-" + os.urandom(8).hex(),
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "False", "RUMORCASES_VAR_DIR": str(work),
           "STATIC_ROOT": str(work / "static"), "MEDIA_ROOT": str(work / "media"), "LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "bench.public_settings", "PYTHONPATH": str(ROOT), "DB_CONN_MAX_AGE": "600"}
    env.pop("REDIS_URL", None)  # local-memory cache, one per worker: the default set-up
    if args.postgres:
        drop_database(PG_DATABASE)
        admin_execute(f'CREATE DATABASE "{PG_DATABASE}"')
        env["DATABASE_URL"] = database_url(PG_DATABASE)
    else:
        env["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"

    server = None
    try:
        print(f"preparing {'PostgreSQL' if args.postgres else 'SQLite'} database and static files in {work} …")
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "demo", "--force")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        notice_path = subprocess.run(  # noqa: S603 (fixed arguments)
            [str(PYTHON), "-c", "import django; django.setup();"
             "from rumorcases.notices.models import DebunkNotice;"
             "from rumorcases.notices.selectors import notice_public_path;"
             "n = DebunkNotice.objects.filter(status='published').exclude(corrections=None).first();"
             "print(notice_public_path(n))"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # The notice page's size first (from a one-worker server), for the baseline's constant page.
        size_probe = subprocess.Popen([str(GUNICORN), "rumorcases.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}"],  # noqa: S603 (fixed arguments)
                                      cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(base + notice_path, size_probe)
            notice_bytes = len(urllib.request.urlopen(base + notice_path).read())  # noqa: S310
        finally:
            size_probe.send_signal(signal.SIGTERM)
            size_probe.wait(10)
        env["BENCH_CONSTANT_BYTES"] = str(notice_bytes)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([str(GUNICORN), "rumorcases.wsgi", "-w", str(args.workers), "-b",  # noqa: S603 (fixed arguments)
                                   f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        wait_until_up(base + notice_path, server)
        constant_bytes = len(urllib.request.urlopen(base + "/bench/constant/").read())  # noqa: S310
        static = urllib.request.urlopen(base + notice_path).read().decode()  # noqa: S310
        hashed_css = re.search(r'href="(/static/public/public\.[0-9a-f]{12}\.css)"', static)
        print(f"notice page {notice_path}: {notice_bytes} bytes; constant page: {constant_bytes} bytes; "
              f"hashed static names: {'yes' if hashed_css else 'NO'}")

        for url in (notice_path, "/bench/constant/"):  # warm every worker's cache and connections
            run_wrk(wrk, base + url, threads=args.threads, connections=args.connections, seconds=2)

        rounds = []
        for n in range(args.rounds):
            notice = run_wrk(wrk, base + notice_path, threads=args.threads, connections=args.connections,
                             seconds=args.seconds)
            constant = run_wrk(wrk, base + "/bench/constant/", threads=args.threads,
                               connections=args.connections, seconds=args.seconds)
            ratio = notice["requests_per_s"] / constant["requests_per_s"]
            rounds.append({"notice": notice, "constant": constant, "ratio": round(ratio, 3)})
            print(f"round {n + 1}: notice page {notice['requests_per_s']:.0f} req/s (p50 {notice['p50_ms']} ms, "
                  f"p99 {notice['p99_ms']} ms); constant view {constant['requests_per_s']:.0f} req/s "
                  f"(p50 {constant['p50_ms']} ms, p99 {constant['p99_ms']} ms); ratio {ratio:.1%}")
            for name, figures in (("notice", notice), ("constant", constant)):
                if figures["non_2xx"] or figures["socket_errors"]:
                    print(f"  {name}: non-2xx {figures['non_2xx']}, socket errors {figures['socket_errors']}")

        ratio = sum(r["ratio"] for r in rounds) / len(rounds)
        p99 = max(r["notice"]["p99_ms"] for r in rounds)
        verdict_ratio = "met" if ratio >= TARGET_RATIO else "MISSED"
        verdict_p99 = "met" if p99 <= TARGET_P99_MS else "MISSED"
        print(f"\nratio notice/constant {ratio:.1%} (target ≥ {TARGET_RATIO:.0%}: {verdict_ratio}); "
              f"notice p99 {p99} ms (target ≤ {TARGET_P99_MS:.0f} ms: {verdict_p99}); "
              f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        write_result("public_pages", {
            "machine": {"cpus": os.cpu_count(), "load_after": os.getloadavg()},
            "database": "postgresql" if args.postgres else "sqlite",
            "gunicorn_workers": args.workers, "wrk": {"threads": args.threads, "connections": args.connections,
                                                      "seconds": args.seconds},
            "notice_bytes": notice_bytes, "constant_bytes": constant_bytes, "rounds": rounds,
            "ratio": round(ratio, 3), "notice_p99_ms": p99,
            "targets": {"ratio": TARGET_RATIO, "p99_ms": TARGET_P99_MS},
        })
        if hashed_css is None:
            print(json.dumps({"warning": "static files are not served under hashed names"}))
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(15)
        if args.postgres:
            drop_database(PG_DATABASE)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

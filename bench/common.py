"""What the benchmarks share: where things are, the local PostgreSQL, the real posts, the machine
and the result files."""

import contextlib
import json
import os
import platform as host
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "weibo-ced"
POSTS = DATA / "posts.jsonl"
RESULTS = ROOT / "bench" / "results"
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def database_url(name: str) -> str:
    return f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def admin_execute(*statements: str) -> None:
    """Run statements (CREATE/DROP DATABASE) on the maintenance database, outside a transaction."""
    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
    finally:
        admin.close()


def drop_database(name: str) -> None:
    admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load_posts() -> list[dict]:
    with POSTS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def machine() -> dict:
    """The machine a result was measured on, and how busy it was."""
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo") as info:
        cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    connection = psycopg2.connect(dbname="postgres", **PG)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0]
    finally:
        connection.close()
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": host.python_version(), "postgresql": server,
            "load_before": os.getloadavg()}


def write_result(name: str, result: dict) -> Path:
    """bench/results/<name>-<UTC time>.json, printed."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"  written to {out.relative_to(ROOT)}")
    return out


def tree() -> dict:
    """Which code was measured: the commit, and whether rumorcases/ differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,  # noqa: S603, S607
                              check=False).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "subject": git("log", "-1", "--format=%s"),
            "rumorcases_changed": bool(git("status", "--porcelain", "--", "rumorcases"))}


BENCH_SUPERVISOR = "bench_supervisor"


def bench_supervisor():
    """The supervisor the staff benches act as, created on first use (the role's group synced if missing).
    Needs Django set up."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from rumorcases.core import roles

    if not Group.objects.filter(name=roles.SUPERVISOR).exists():
        roles.sync_roles()
    user, _ = get_user_model().objects.get_or_create(
        username=BENCH_SUPERVISOR, defaults={"first_name": "Bench", "last_name": "Supervisor", "is_active": True})
    user.groups.add(Group.objects.get(name=roles.SUPERVISOR))
    return user


def setup_django(name: str, **env: str) -> None:
    """Django in this process against database `name`, as production reads its settings (DEBUG
    off: no query log growing while it is measured), with `env` on top. Refuses a second
    database once Django is set up."""
    os.environ.update({"DATABASE_URL": database_url(name), "DJANGO_SETTINGS_MODULE": "rumorcases.settings",
                       "DEBUG": "False", "SECRET_KEY": "bench-only-" + "x" * 40, "LOG_LEVEL": "WARNING", **env})
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    if settings.configured and "default" in getattr(settings, "DATABASES", {}):
        current = settings.DATABASES["default"].get("NAME")
        if current != name:
            raise RuntimeError(f"Django is already set up on the database {current!r}, not {name!r}")
    django.setup()

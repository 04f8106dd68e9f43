"""Health endpoints for load balancers, systemd and monitoring (docs/background.md).

- `/healthz`: the process is alive and answering. Touches nothing else, so a database outage
  does not get every web process restarted.
- `/readyz`: this process can do its work: the database answers, the cache stores and returns a
  value, the Celery broker accepts a connection, and every migration is applied. 200 when all are
  ok, 503 otherwise.

No login, never cached, and nothing in the answer but the names of the checks and "ok" or
"failing": no addresses, no versions, no error text (the error goes to the log).
"""

import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

OK, FAILING, EAGER = "ok", "failing", "eager"
DATABASE_TIMEOUT_MS = 2000
BROKER_TIMEOUT_SECONDS = 2


def check_database() -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A database that accepts connections but does not answer must not hold the probe.
            cursor.execute("SET LOCAL statement_timeout = %s", [DATABASE_TIMEOUT_MS])
        cursor.execute("SELECT 1")
        row = cursor.fetchone()
    return OK if row == (1,) else FAILING


def check_cache() -> str:
    key, value = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    found = cache.get(key)
    cache.delete(key)
    return OK if found == value else FAILING


def check_broker() -> str:
    """Eager tasks (no broker configured: they run in the web process) need no broker."""
    from rumorcases.celery import app

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return EAGER
    # The app's transport options and SSL settings apply; the address is the configured one.
    with app.connection_for_write(url=settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)
    return OK


def check_migrations() -> str:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return OK if not plan else FAILING


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "migrations": check_migrations,
}
PASSING = {OK, EAGER}


def _run(name, check) -> str:
    try:
        outcome = check()
    except Exception:
        logger.warning("readiness check %s failed", name, exc_info=True)
        return FAILING
    if outcome not in PASSING:
        logger.warning("readiness check %s failed", name)
    return outcome


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": OK})


@never_cache
@require_safe
def readyz(request):
    checks = {name: _run(name, check) for name, check in CHECKS.items()}
    ready = all(outcome in PASSING for outcome in checks.values())
    return JsonResponse({"status": OK if ready else FAILING, "checks": checks}, status=200 if ready else 503)

"""Dashboard reads on a PostgreSQL read replica, when `DATABASE_REPLICA_URL` names one.

The dashboard's figures scan weeks of cases, transitions and orders; on a busy day they can go to
a streaming replica and leave the primary to the writes. Everything else — every write, every
read of a service, sessions, sign-in, permissions — stays on "default": a replica lags a little,
and a decision must never be taken on stale rows.

Code opts in with `replica_reads()` (a context manager) or `@reads_from_replica` (a decorator);
the dashboard selectors (rumorcases/staff/dashboard.py) do. Inside a transaction on "default" the
reads stay there too, so a function that reads what it just wrote sees it. Without
`DATABASE_REPLICA_URL` there is no "replica" database and all of this changes nothing.

settings.DATABASE_ROUTERS lists `ReplicaRouter` only when the replica is configured.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_use_replica: ContextVar[bool] = ContextVar("rumorcases_use_replica", default=False)


@contextmanager
def replica_reads():
    """Reads inside this block go to the replica, if there is one."""
    token = _use_replica.set(True)
    try:
        yield
    finally:
        _use_replica.reset(token)


def reads_from_replica(function):
    @wraps(function)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return function(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if (_use_replica.get() and REPLICA in settings.DATABASES
                and not connections[DEFAULT_DB_ALIAS].in_atomic_block):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # the replica follows the primary's schema by replication

"""The read-replica router: only code that opts in reads from the replica, and never inside a
transaction, never for a write."""

from types import SimpleNamespace

import pytest
from django.db import connection

from rumorcases.cases.models import Case
from rumorcases.core import db_router
from rumorcases.core.db_router import ReplicaRouter, reads_from_replica, replica_reads

router = ReplicaRouter()


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(db_router, "settings", SimpleNamespace(DATABASES={"default": {}, "replica": {}}))


def test_it_reads_from_the_primary_by_default(with_replica):
    assert router.db_for_read(Case) == "default"


def test_it_reads_from_the_replica_inside_replica_reads(with_replica):
    assert not connection.in_atomic_block
    with replica_reads():
        assert router.db_for_read(Case) == "replica"
    assert router.db_for_read(Case) == "default"


def test_the_decorator_reads_from_the_replica(with_replica):
    @reads_from_replica
    def figures():
        return router.db_for_read(Case)

    assert figures() == "replica"
    assert router.db_for_read(Case) == "default"


def test_it_stays_on_the_primary_inside_a_transaction(with_replica, db):
    # pytest-django's `db` runs the test inside a transaction, as a service's write would be.
    assert connection.in_atomic_block
    with replica_reads():
        assert router.db_for_read(Case) == "default"


def test_it_stays_on_the_primary_without_a_replica(monkeypatch):
    monkeypatch.setattr(db_router, "settings", SimpleNamespace(DATABASES={"default": {}}))
    with replica_reads():
        assert router.db_for_read(Case) == "default"


def test_it_always_writes_and_migrates_on_the_primary(with_replica):
    with replica_reads():
        assert router.db_for_write(Case) == "default"
    assert router.allow_migrate("default", "cases") is True
    assert router.allow_migrate("replica", "cases") is False

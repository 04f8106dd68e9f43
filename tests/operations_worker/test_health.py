"""`/healthz` and `/readyz`: what a load balancer or monitoring sees, with each dependency up and down."""

import json
import time
from unittest import mock

import pytest
from django.db import OperationalError, connections
from django.db.migrations.executor import MigrationExecutor

from rumorcases.core import health

SECRET_LOOKING = "db-host-10.9.8.7 password=hunter2"


def body(response) -> dict:
    return json.loads(response.content)


def assert_not_cached(response):
    assert "no-store" in response["Cache-Control"]


@pytest.fixture
def database_down():
    """Every new cursor of the default connection fails as if the server were gone."""
    with mock.patch.object(connections["default"], "cursor",
                           side_effect=OperationalError(f"could not connect to server: {SECRET_LOOKING}")):
        yield


@pytest.fixture
def real_broker(settings):
    """Tasks go through a broker (not eagerly in-process), so /readyz must reach it."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    return settings


# --- /healthz ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_says_the_process_is_alive_without_a_login_or_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert body(response) == {"status": "ok"}
    assert response["Content-Type"] == "application/json"
    assert_not_cached(response)


@pytest.mark.django_db
def test_it_is_alive_while_the_database_is_down(client, database_down):
    response = client.get("/healthz")
    assert (response.status_code, body(response)) == (200, {"status": "ok"})


# --- /readyz -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_is_ready_when_everything_answers(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker: tasks run in the web process
    response = client.get("/readyz")
    assert response.status_code == 200
    assert body(response) == {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "eager",
                                                         "migrations": "ok"}}
    assert_not_cached(response)


@pytest.mark.django_db
def test_it_connects_to_a_configured_broker(client, real_broker):
    real_broker.CELERY_BROKER_URL = "memory://localhost/"
    response = client.get("/readyz")
    assert response.status_code == 200
    assert body(response)["checks"]["broker"] == "ok"


@pytest.mark.django_db
def test_it_is_not_ready_when_the_database_is_down(client, database_down, caplog):
    response = client.get("/readyz")
    assert response.status_code == 503
    answer = body(response)
    assert answer["status"] == "failing"
    assert answer["checks"]["database"] == "failing"
    assert answer["checks"]["migrations"] == "failing"  # cannot be read either
    assert answer["checks"]["cache"] == "ok"
    # The error is logged for the operator, never shown to whoever asks.
    assert "hunter2" not in response.content.decode()
    assert "OperationalError" not in response.content.decode()
    assert any(record.exc_info and "hunter2" in str(record.exc_info[1]) for record in caplog.records)
    assert_not_cached(response)


@pytest.mark.django_db
def test_it_is_not_ready_when_the_broker_is_down(client, real_broker):
    real_broker.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 10, "a broker that is down must not hold the probe"
    assert response.status_code == 503
    answer = body(response)
    assert answer == {"status": "failing", "checks": {"database": "ok", "cache": "ok", "broker": "failing",
                                                      "migrations": "ok"}}
    assert "127.0.0.1" not in response.content.decode()
    assert "redis" not in response.content.decode()


@pytest.mark.django_db
def test_it_is_not_ready_with_migrations_pending(client):
    pending = [(mock.Mock(name="core.9999_next"), False)]
    with mock.patch.object(MigrationExecutor, "migration_plan", return_value=pending):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert body(response)["checks"]["migrations"] == "failing"
    assert body(response)["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_it_is_not_ready_when_the_cache_loses_what_it_is_given(client):
    with mock.patch.object(health.cache, "get", return_value=None):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert body(response)["checks"]["cache"] == "failing"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_it_answers_reads_only(client, path):
    assert client.post(path).status_code == 405
    assert client.head(path).status_code in (200, 503)

"""Every response carries an X-Request-ID; log records written while answering it, and in the
tasks it queues, carry the same id."""

import logging
from types import SimpleNamespace

import pytest
from celery import shared_task
from django.http import HttpResponse
from django.urls import path

from rumorcases.core import request_id
from rumorcases.core.request_id import (
    TASK_HEADER,
    RequestIdFilter,
    get_request_id,
    task_postrun_clear_request_id,
    task_prerun_restore_request_id,
    task_publish_add_request_id,
)

logger = logging.getLogger("rumorcases.tests.request_id")


@shared_task
def log_from_task(word):
    logger.info("task says %s", word)


def queue_a_task(request):
    logger.info("view queues a task")
    log_from_task.delay("hello")
    return HttpResponse("queued")


urlpatterns = [path("queue/", queue_a_task)]


@pytest.fixture(autouse=True)
def _eager_tasks():
    # Celery reads its settings once, so a settings override would not reach it: set it on the app.
    from rumorcases.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def records(caplog):
    # The records as the configured console handler sees them: through the request id filter.
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO, logger="rumorcases.tests.request_id")
    return caplog


@pytest.mark.urls(__name__)
def test_it_echoes_the_request_id_and_carries_it_into_the_eager_task(client, records):
    response = client.get("/queue/", HTTP_X_REQUEST_ID="abc")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "abc"
    messages = {r.getMessage(): r.request_id for r in records.records if r.name == logger.name}
    assert messages == {"view queues a task": "abc", "task says hello": "abc"}
    assert get_request_id() == ""  # nothing leaks past the request


@pytest.mark.urls(__name__)
def test_it_makes_an_id_when_none_comes(client):
    first = client.get("/queue/")["X-Request-ID"]
    second = client.get("/queue/")["X-Request-ID"]
    assert len(first) == 32
    assert first != second


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("bad", ["a b", "x" * 129, "abc\r\nInjected: 1", "<script>", "名字"])
def test_it_replaces_a_malformed_id(client, bad):
    answered = client.get("/queue/", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
    assert answered != bad
    assert len(answered) == 32


def test_the_console_handler_adds_the_id_to_every_record():
    console = [h for h in logging.getLogger().handlers if any(isinstance(f, RequestIdFilter) for f in h.filters)]
    assert console, "settings.LOGGING's console handler has lost its request id filter"


def test_it_marks_records_outside_any_request():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    RequestIdFilter().filter(record)
    assert record.request_id == "-"


def test_it_puts_the_id_into_published_task_headers():
    headers = {}
    token = request_id._request_id.set("req-7")
    try:
        task_publish_add_request_id(sender="some.task", headers=headers)
    finally:
        request_id._request_id.reset(token)
    assert headers == {TASK_HEADER: "req-7"}


def test_it_publishes_no_header_outside_a_request():
    headers = {}
    task_publish_add_request_id(sender="some.task", headers=headers)
    assert headers == {}


def test_the_worker_restores_the_id_for_the_task_and_forgets_it_after():
    task = SimpleNamespace(request=SimpleNamespace(**{TASK_HEADER: "req-9"}))
    task_prerun_restore_request_id(task_id="t-1", task=task)
    assert get_request_id() == "req-9"
    task_postrun_clear_request_id(task_id="t-1", task=task)
    assert get_request_id() == ""


def test_the_worker_ignores_a_malformed_header():
    task = SimpleNamespace(request=SimpleNamespace(**{TASK_HEADER: "bad id\n"}))
    task_prerun_restore_request_id(task_id="t-2", task=task)
    assert get_request_id() == ""
    task_postrun_clear_request_id(task_id="t-2", task=task)


def test_a_message_published_during_a_request_carries_the_id():
    # Through Celery's real publishing path, to its in-memory broker, with the signal connected
    # by CoreConfig.ready().
    from rumorcases.celery import app

    captured = {}

    def capture(sender=None, headers=None, **kwargs):
        captured.update(headers)

    from celery.signals import before_task_publish

    app.conf.task_always_eager = False  # put back by _eager_tasks
    before_task_publish.connect(capture, weak=False)
    token = request_id._request_id.set("req-published")
    try:
        with app.connection_for_write("memory://") as connection:
            log_from_task.apply_async(("x",), connection=connection)
    finally:
        request_id._request_id.reset(token)
        before_task_publish.disconnect(capture)
    assert captured[TASK_HEADER] == "req-published"


def test_a_real_worker_logs_the_task_under_the_request_id_that_queued_it(tmp_path):
    """Publish through Redis to a worker process started here; its JSON log line carries the id."""
    import json
    import os
    import subprocess
    import sys
    import time
    import uuid
    from pathlib import Path

    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("needs a Redis broker (CELERY_BROKER_URL=redis://…)")
    from rumorcases.celery import app

    queue = f"request-id-check-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {**os.environ, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", "CELERY_TASK_ALWAYS_EAGER": "false"}
    with open(log, "w") as out:
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "rumorcases", "worker", "-Q", queue, "-c", "1", "-P", "solo",
             "-I", __name__, "--without-mingle", "--without-gossip", "-n", f"{queue}@%h"],
            cwd=Path(__file__).resolve().parent.parent.parent, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    app.conf.task_always_eager = False  # put back by _eager_tasks
    try:
        token = request_id._request_id.set("req-through-redis")
        try:
            log_from_task.apply_async(("from-redis",), queue=queue)
        finally:
            request_id._request_id.reset(token)
        log_from_task.apply_async(("after-the-request",), queue=queue)
        lines = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(lines) < 2:
            for line in log.read_text().splitlines():
                if line.startswith("{") and "task says" in line:
                    record = json.loads(line)
                    lines[record["message"]] = record["request_id"]
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert lines == {"task says from-redis": "req-through-redis", "task says after-the-request": "-"}, \
        log.read_text()[-3000:]

"""Background work on a real Celery worker process, through a real Redis broker, on PostgreSQL.

The test starts `celery -A rumorcases worker` as a subprocess, pointed at the test database and
at a Redis database of its own (5, emptied before and after), while the test's own process queues
tasks through that broker instead of running them eagerly. Committed data (`transaction=True`) is
what the worker sees. Every worker is killed at the end of its test, passed or failed.

Skipped, saying why, without PostgreSQL or a Redis broker (CI's second pass has both).
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from kombu import pools as kombu_pools

from rumorcases.celery import app
from rumorcases.documents.models import Document
from rumorcases.platforms import webhooks
from rumorcases.platforms.models import DeliveryStatus, WebhookDelivery
from rumorcases.platforms.tasks import requeue_due_webhooks
from tests.documents.conftest import publish_notice
from tests.platforms.conftest import WEBHOOK_SECRET, Receiver, issue, order_parts

BASE_DIR = Path(__file__).resolve().parents[2]
ALL_QUEUES = "default,documents,webhooks,sweeps"
BROKER_DB = 5  # a Redis database of these tests' own: emptied before and after each one
START_TIMEOUT = 60  # seconds for a worker to say it is ready
WORK_TIMEOUT = 90  # seconds for a worker to finish what it was given (a first PDF loads fonts)

BROKER_IS_REDIS = django_settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL: a worker process cannot see SQLite's test database"),
    pytest.mark.skipif(not BROKER_IS_REDIS,
                       reason="needs Redis as Celery broker (CELERY_BROKER_URL=redis://…): "
                              "a worker process cannot share the in-memory broker"),
]


def worker_broker_url() -> str:
    """The configured Redis server, database BROKER_DB."""
    return urlsplit(django_settings.CELERY_BROKER_URL)._replace(path=f"/{BROKER_DB}").geturl()


def worker_database_url() -> str:
    """The test database (pytest-django's `test_…`), as the worker's DATABASE_URL."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="") + (":" + quote(s["PASSWORD"], safe="") if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{quote(s['NAME'], safe='')}"


def _forget_broker_connections():
    """The app keeps a connection pool for the broker it first used: drop it when the broker changes."""
    kombu_pools.reset()  # closes the pooled connections and forgets them
    app._pool = None
    app.amqp._producer_pool = None


def _flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture
def broker(settings, monkeypatch):
    """This process queues tasks through Redis database BROKER_DB, as a web process does in production."""
    url = worker_broker_url()
    _flush(url)  # a Redis that is configured but down fails here, it is not skipped
    saved = {"broker_url": app.conf.get("broker_url"), "task_always_eager": app.conf.task_always_eager}
    settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER = url, False
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    _forget_broker_connections()
    app.conf.update(broker_url=url, task_always_eager=False)
    try:
        yield url
    finally:
        _forget_broker_connections()
        app.conf.update(saved)
        _flush(url)


class Workers:
    """Celery worker processes started by a test; all of them are killed when it ends."""

    def __init__(self, *, log_dir: Path, env: dict):
        self.log_dir, self.env = log_dir, env
        self.processes: list[subprocess.Popen] = []

    def start(self, queues: str = ALL_QUEUES) -> subprocess.Popen:
        number = len(self.processes) + 1
        log_path = self.log_dir / f"worker-{number}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                # solo: the task runs in the worker's only process, so killing that process kills the task.
                [sys.executable, "-m", "celery", "-A", "rumorcases", "worker", "--pool=solo", "-Q", queues,
                 "-n", f"test-{os.getpid()}-{number}@%h", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "--loglevel=INFO"],
                cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: killed whole, never left behind
            )
        process.log_path = log_path
        self.processes.append(process)
        wait_for(f"worker {number} to start", lambda: "ready." in self.log(process), workers=self,
                 timeout=START_TIMEOUT)
        return process

    def log(self, process) -> str:
        return process.log_path.read_text(errors="replace")

    def logs(self) -> str:
        return "\n".join(f"--- worker {n} (exit code {p.poll()}) ---\n{self.log(p)}"
                         for n, p in enumerate(self.processes, 1))

    def kill(self, process) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def kill_all(self) -> None:
        for process in self.processes:
            self.kill(process)

    def assert_running(self) -> None:
        for process in self.processes:
            if getattr(process, "expected_dead", False):
                continue
            if process.poll() is not None:
                pytest.fail(f"a worker stopped by itself\n{self.logs()}")


@pytest.fixture
def workers(broker, transactional_db, settings, tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "TEST_DATABASE_NAME"}
    env.update({
        "DJANGO_SETTINGS_MODULE": "rumorcases.settings",
        "DATABASE_URL": worker_database_url(),
        "DB_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONUNBUFFERED": "1",
        "LOG_FORMAT": "plain",
        "LOG_LEVEL": "INFO",
    })
    started = Workers(log_dir=tmp_path, env=env)
    try:
        yield started
    finally:
        # Before the test database is emptied: a worker must not hold a connection to it, nor outlive the test.
        started.kill_all()


def wait_for(what: str, probe, *, workers: Workers, timeout: float = WORK_TIMEOUT):
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        workers.assert_running()
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}\n{workers.logs()}")
        time.sleep(0.25)


# --- a notice's PDF ------------------------------------------------------------------------------


def test_the_worker_renders_a_published_notice(build, workers):
    worker = workers.start()

    notice = publish_notice(build)  # queues the rendering once publishing has committed

    document = wait_for("the notice's PDF", lambda: Document.objects.filter(notice=notice).first(),
                        workers=workers)
    assert document.notice_version_id == notice.current_version_id
    with default_storage.open(document.file.name, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    # Rendered by the worker, from the "documents" queue: this process queues, it does not run tasks.
    log = workers.log(worker)
    assert "rumorcases.documents.tasks.render_notice_pdf" in log
    assert "render_notice_pdf[" in log and "succeeded" in log
    assert Document.objects.filter(notice=notice).count() == 1


# --- a webhook delivery whose worker is killed mid-request ------------------------------------


class HangingReceiver(Receiver):
    """The platform's endpoint of tests/platforms/conftest.py; the first request it gets is held
    until `release` is set, long enough for the test to kill the worker that sent it."""

    def __init__(self, secret):
        super().__init__(secret)
        self.arrived, self.release = threading.Event(), threading.Event()
        self._first = threading.Lock()
        self.during_request = self._hold_the_first

    def _hold_the_first(self):
        if self._first.acquire(blocking=False):  # only ever succeeds once
            self.arrived.set()
            self.release.wait(timeout=60)


@pytest.fixture
def receiver():
    receiver = HangingReceiver(WEBHOOK_SECRET)
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/rumorcases"
    yield receiver
    receiver.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_a_delivery_whose_worker_is_killed_mid_request_completes_once(build, platform, receiver, workers):
    platform.webhook_url, platform.webhook_secret = receiver.url, WEBHOOK_SECRET
    platform.save(update_fields=["webhook_url", "webhook_secret"])
    parts = order_parts(build)
    # Only the webhook and sweep queues: the PDF and notification messages the case queued wait for
    # another worker, and the delivery is not held up behind them (nor is it here).
    first = workers.start(queues="webhooks,sweeps")

    order = issue(build, *parts)  # the "order.issued" delivery is queued once this commits
    delivery = WebhookDelivery.objects.get(order=order)

    assert receiver.arrived.wait(timeout=WORK_TIMEOUT), f"the delivery never arrived\n{workers.logs()}"
    first.expected_dead = True
    workers.kill(first)  # SIGKILL, in the middle of the request: no outcome is recorded
    assert first.returncode == -signal.SIGKILL
    # The platform's server got the whole request before the worker died: it processes it.
    receiver.release.set()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    [lost] = delivery.attempt_log.all()
    assert (lost.succeeded, lost.error) == (False, webhooks.NO_OUTCOME)

    workers.start(queues="webhooks,sweeps")
    # The killed attempt holds its lease (webhooks.ATTEMPT_LEASE, 5 minutes) so that no second worker
    # sends it while it may still be under way. Let that time pass, then let the beat's sweep run,
    # through the broker as beat would send it: it finds the delivery due and queues its next attempt.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    requeue_due_webhooks.delay()

    def delivered():
        delivery.refresh_from_db()
        return delivery.status == DeliveryStatus.DELIVERED

    wait_for("the delivery to complete on the new worker", delivered, workers=workers)

    # Sent twice (at least once: the first worker died before it could know), always under the same
    # delivery id, correctly signed; processed once, because the platform de-duplicates on that id.
    delivery_id = str(delivery.delivery_id)
    assert [r.delivery_id for r in receiver.received] == [delivery_id, delivery_id]
    assert all(r.signature_ok and r.body == delivery.body.encode() for r in receiver.received)
    assert receiver.times_processed() == Counter({delivery_id: 1})
    # Our side: one delivery, delivered once; the lost attempt and the successful one on record.
    assert WebhookDelivery.objects.filter(order=order).count() == 1
    assert delivery.attempts == 2
    outcomes = list(delivery.attempt_log.order_by("number").values_list("number", "succeeded", "status_code"))
    assert outcomes == [(1, False, None), (2, True, 200)]

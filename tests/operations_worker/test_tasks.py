"""The base of every task (rumorcases/core/tasks_base.py): options, retries, the failure staff can see,
and the queue each task goes to. Tasks run eagerly here; test_worker.py runs them on a real worker."""

import logging
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.db import DatabaseError, OperationalError

from rumorcases.celery import app
from rumorcases.core.models import TaskFailure
from rumorcases.core.tasks_base import ReliableTask

calls = {"flaky": 0}


@app.task(base=ReliableTask, name="tests.operations_worker.broken")
def broken(case_id: int, *, note: str = "") -> None:
    raise ValueError(f"a bug while handling case {case_id}")


@app.task(base=ReliableTask, name="tests.operations_worker.database_gone")
def database_gone(order_id: int) -> None:
    raise OperationalError("server closed the connection unexpectedly")


@app.task(base=ReliableTask, name="tests.operations_worker.flaky")
def flaky(notice_id: int) -> str:
    calls["flaky"] += 1
    if calls["flaky"] < 3:
        raise OperationalError("connection reset")
    return "done"


@pytest.mark.django_db
def test_a_bug_is_not_retried_and_is_recorded_for_staff(caplog):
    with caplog.at_level(logging.ERROR), pytest.raises(ValueError):
        broken.apply((42,), {"note": "x"}, task_id="task-bug-1")
    failure = TaskFailure.objects.get()
    assert (failure.task_name, failure.task_id, failure.args, failure.kwargs) == (
        "tests.operations_worker.broken", "task-bug-1", [42], {"note": "x"})
    assert (failure.exception_type, failure.message, failure.retries) == (
        "builtins.ValueError", "a bug while handling case 42", 0)
    assert "raise ValueError" in failure.traceback
    assert any("tests.operations_worker.broken[task-bug-1] failed for good" in r.getMessage() for r in caplog.records)


@pytest.fixture
def as_on_a_worker():
    """Eager tasks that do not raise into the caller: retries happen (at once), as on a worker."""
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


@pytest.mark.django_db
def test_passing_trouble_is_retried_then_recorded_once(as_on_a_worker):
    result = database_gone.apply((7,), task_id="task-db-1")
    assert result.failed()
    [failure] = TaskFailure.objects.all()
    assert (failure.task_id, failure.retries) == ("task-db-1", ReliableTask.max_retries)
    assert failure.exception_type == "django.db.utils.OperationalError"
    assert failure.args == [7]


@pytest.mark.django_db
def test_trouble_that_passes_leaves_no_failure(as_on_a_worker):
    calls["flaky"] = 0
    assert flaky.apply((3,)).get() == "done"
    assert calls["flaky"] == 3
    assert not TaskFailure.objects.exists()


@pytest.mark.django_db
def test_run_eagerly_a_retry_cannot_wait_and_is_recorded_as_the_failure():
    # Development without a broker: the caller sees the error at once, and so do staff.
    with pytest.raises(Retry):
        database_gone.apply((9,), task_id="task-db-3")
    [failure] = TaskFailure.objects.all()
    assert (failure.task_id, failure.retries, failure.exception_type) == (
        "task-db-3", 0, "django.db.utils.OperationalError")


@pytest.mark.django_db
def test_a_failure_that_cannot_be_recorded_is_still_logged(caplog):
    with mock.patch.object(TaskFailure.objects, "create", side_effect=DatabaseError("database is gone")), \
            caplog.at_level(logging.ERROR), pytest.raises(ValueError):
        broken.apply((1,), task_id="task-bug-2")
    messages = [r.getMessage() for r in caplog.records]
    assert any("failed for good" in m for m in messages)
    assert any("could not record the failure of task tests.operations_worker.broken[task-bug-2]" in m
               for m in messages)


QUEUES = {
    "rumorcases.documents.tasks.render_notice_pdf": "documents",
    "rumorcases.documents.tasks.render_bulletin_pdf": "documents",
    "rumorcases.platforms.tasks.deliver_webhook": "webhooks",
    "rumorcases.platforms.tasks.requeue_due_webhooks": "sweeps",
    "rumorcases.operations.tasks.sweep_deadlines": "sweeps",
    "rumorcases.cases.tasks.notify_case_transition": "default",
}
RELIABLE = [name for name in QUEUES if not name.startswith("rumorcases.operations.")]


@pytest.mark.parametrize(("name", "queue"), QUEUES.items())
def test_each_task_goes_to_its_queue(name, queue):
    route = app.amqp.router.route({}, name)
    assert route["queue"].name == queue
    # Each queue has its own routing key: a message routed to one queue reaches that queue alone.
    assert route["queue"].routing_key == queue


@pytest.mark.parametrize("name", RELIABLE)
def test_each_task_is_delivered_at_least_once_and_retried(name):
    app.loader.import_default_modules()
    task = app.tasks[name]
    assert isinstance(task, ReliableTask)
    assert task.acks_late and task.reject_on_worker_lost
    assert task.max_retries == 5 and task.autoretry_for and task.retry_backoff and task.retry_jitter


def test_a_plain_worker_consumes_every_queue():
    assert sorted(q.name for q in app.conf.task_queues) == ["default", "documents", "sweeps", "webhooks"]
    assert app.conf.task_default_queue == "default"


@pytest.mark.django_db
def test_staff_see_failures_in_the_admin_and_cannot_change_them(admin_client):
    with pytest.raises(ValueError):
        broken.apply((5,), task_id="task-bug-3")
    failure = TaskFailure.objects.get()
    listing = admin_client.get("/admin/core/taskfailure/")
    assert listing.status_code == 200
    assert "tests.operations_worker.broken" in listing.content.decode()
    page = admin_client.get(f"/admin/core/taskfailure/{failure.pk}/change/")
    assert page.status_code == 200
    assert "a bug while handling case 5" in page.content.decode()
    assert admin_client.get("/admin/core/taskfailure/add/").status_code == 403
    assert admin_client.post(f"/admin/core/taskfailure/{failure.pk}/delete/", {"post": "yes"}).status_code == 403
    assert TaskFailure.objects.filter(pk=failure.pk).exists()

"""The base class of every rumorcases Celery task: at-least-once delivery, retries, a visible final failure.

Every task takes ids, loads its objects and calls an idempotent service, so running it twice does no
harm. That is what makes the options below safe:

- `acks_late`: the message is acknowledged when the task has finished, not when it starts; a worker
  that dies mid-task leaves the message to be delivered again.
- `reject_on_worker_lost`: a task whose worker process was killed (out of memory, SIGKILL) goes back
  on its queue instead of being marked failed.
- `autoretry_for`: passing trouble (the database or the network went away) is retried with
  exponential back-off and jitter, at most `max_retries` times; a bug is not retried.
- `on_failure`: once no retry is left, a `core.TaskFailure` row records what failed, with which ids and
  why, for staff to see in the admin (and the error is logged).

Use it as `@shared_task(base=ReliableTask)`; a task overrides any option in its decorator.
"""

import logging
import traceback as tb

from celery import Task
from celery.exceptions import Ignore, Reject, Retry
from django.db import DatabaseError, InterfaceError, OperationalError

logger = logging.getLogger(__name__)

# Trouble that goes away by itself. OSError covers refused connections, timeouts and a full disk.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError)

MESSAGE_LIMIT = 2000
TRACEBACK_LIMIT = 20000


class ReliableTask(Task):
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 5  # seconds before the first retry, doubling each time …
    retry_backoff_max = 600  # … up to ten minutes
    retry_jitter = True
    max_retries = 5
    ignore_result = True

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except (Ignore, Reject):
            raise
        except Exception as exc:
            # Run eagerly with CELERY_TASK_EAGER_PROPAGATES (no broker: development, tests), the error
            # reaches the caller before Celery would call `on_failure`, and so does a retry, which
            # then never happens: record either here. A worker calls `on_failure` itself, also for
            # time limits and lost workers.
            if self.request.is_eager and self.app.conf.task_eager_propagates:
                cause = exc.exc if isinstance(exc, Retry) and exc.exc is not None else exc
                self.on_failure(cause, self.request.id, args, kwargs, None)
            raise

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Record the final failure where staff can see it. Never raises: if the database is what
        failed, the log line is all there is."""
        logger.error("task %s[%s] failed for good after %s retries: %s", self.name, task_id,
                     self.request.retries, type(exc).__name__, exc_info=exc)
        task_failure_record(task=self, task_id=task_id, args=args, kwargs=kwargs, exc=exc,
                            retries=self.request.retries or 0)


def _json_safe(value):
    """Task arguments are ids and plain values; anything else is recorded by its repr."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    return repr(value)


def task_failure_record(*, task, task_id, args, kwargs, exc: BaseException, retries: int = 0):
    """Write the `TaskFailure` row for a task that failed for good; None if even that failed.

    One row per task id: a message delivered again after its worker died, or a task run eagerly
    (where each retry runs inside the one before it and the failure surfaces through all of them),
    is recorded once.
    """
    from rumorcases.core.models import TaskFailure

    trace = "".join(tb.format_exception(type(exc), exc, exc.__traceback__))
    try:
        if task_id and (existing := TaskFailure.objects.filter(task_id=task_id).first()) is not None:
            return existing
        return TaskFailure.objects.create(
            task_name=task.name[:200], task_id=(task_id or "")[:64],
            args=_json_safe(list(args or ())), kwargs=_json_safe(dict(kwargs or {})),
            exception_type=f"{type(exc).__module__}.{type(exc).__qualname__}"[:200],
            message=str(exc)[:MESSAGE_LIMIT], traceback=trace[-TRACEBACK_LIMIT:], retries=retries,
        )
    except DatabaseError:
        logger.exception("could not record the failure of task %s[%s]", task.name, task_id)
        return None

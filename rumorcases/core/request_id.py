"""One id per web request, in its response, in every log line written while answering it, and
in the Celery tasks it queues, so that one search in the logs finds everything a click caused.

- `RequestIdMiddleware` takes the `X-Request-ID` nginx sets (docs/deploy/nginx.conf: its own
  `$request_id`), or makes one when the header is missing or malformed, and echoes it in the
  response.
- `RequestIdFilter` (settings.LOGGING) puts it on every log record as `request_id` ("-" outside a
  request or task).
- The Celery signal handlers carry it in a message header from the process that queues a task to
  the worker that runs it; a task queued by that task carries it on. `CoreConfig.ready` connects
  them, and keeps Celery from replacing settings.LOGGING in workers.

The id lives in a context variable, so threads and asyncio tasks never see each other's.
"""

import logging
import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
# The name of the Celery message header that carries the id.
TASK_HEADER = "rumorcases_request_id"
# A client controls the header when nginx passes it on: accept only what is safe in a log line.
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_request_id: ContextVar[str] = ContextVar("rumorcases_request_id", default="")
# Worker side: the context to restore after each task, by task id.
_task_tokens: dict[str, object] = {}


def get_request_id() -> str:
    """The current request's id, or "" outside a request or a task queued by one."""
    return _request_id.get()


def _clean(value) -> str:
    return value if isinstance(value, str) and _VALID.fullmatch(value) else ""


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = _clean(request.headers.get(HEADER)) or uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record that passes the handler it is attached to."""

    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get() or "-"
        return True


# --- Celery -------------------------------------------------------------------


def task_publish_add_request_id(sender=None, headers=None, **kwargs):
    """`before_task_publish`: the queuing process's id goes into the message's headers."""
    request_id = _request_id.get()
    if request_id and headers is not None and TASK_HEADER not in headers:
        headers[TASK_HEADER] = request_id


def task_prerun_restore_request_id(sender=None, task_id=None, task=None, **kwargs):
    """`task_prerun`: in the worker, the id from the message becomes the current one.

    An eager task (run in-process, tests and the embedded default) is never published: it has no
    header and keeps the id of the request it runs in.
    """
    request = getattr(task, "request", None)
    request_id = _clean(getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(
        TASK_HEADER))
    if request_id and task_id:
        _task_tokens[task_id] = _request_id.set(request_id)


def task_postrun_clear_request_id(sender=None, task_id=None, **kwargs):
    """`task_postrun`: the worker forgets the id, so the next task does not log under it."""
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            _request_id.reset(token)
        except ValueError:  # set in another context (a thread pool): clear it instead
            _request_id.set("")


def celery_keep_django_logging(**kwargs):
    """`setup_logging`: a receiver tells Celery to leave logging alone. Workers and beat then log
    through settings.LOGGING (LOG_FORMAT, LOG_LEVEL, the request id) as the web does; Django has
    already applied it when the Celery app loaded the settings."""


def connect_celery_signals():
    from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

    setup_logging.connect(celery_keep_django_logging, dispatch_uid="rumorcases.request_id.logging")
    before_task_publish.connect(task_publish_add_request_id, dispatch_uid="rumorcases.request_id.publish")
    task_prerun.connect(task_prerun_restore_request_id, dispatch_uid="rumorcases.request_id.prerun")
    task_postrun.connect(task_postrun_clear_request_id, dispatch_uid="rumorcases.request_id.postrun")

"""Background rendering of the official documents. Queued by `services.document_queue_for_*`.

Routed to the "documents" queue (settings, "Task queues and reliability"): a batch of PDFs cannot
hold up webhooks or deadline sweeps. Rendering is idempotent (one document per notice version or
bulletin content), so a message delivered twice renders at most once more and stores one row.
"""

from celery import shared_task
from django.db import DatabaseError

from rumorcases.bulletins.models import Bulletin
from rumorcases.core.tasks_base import ReliableTask
from rumorcases.documents import services
from rumorcases.notices.models import DebunkNotice

# A full disk or a database hiccup is worth retrying; a template or fetcher refusal is not.
# A rendering stuck for minutes is stopped (a soft limit raises inside the task, a hard one ends the
# worker process) and recorded as failed: the first reader renders the document on demand.
OPTIONS = {"base": ReliableTask, "autoretry_for": (OSError, DatabaseError), "soft_time_limit": 120,
           "time_limit": 180}


@shared_task(**OPTIONS)
def render_notice_pdf(notice_id: int) -> None:
    notice = DebunkNotice.objects.select_related("case", "current_version").filter(pk=notice_id).first()
    if notice is not None:
        services.document_render_notice(notice=notice)


@shared_task(**OPTIONS)
def render_bulletin_pdf(bulletin_id: int) -> None:
    bulletin = Bulletin.objects.filter(pk=bulletin_id).first()
    if bulletin is not None:
        services.document_render_bulletin(bulletin=bulletin)

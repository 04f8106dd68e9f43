"""Background rendering of the official documents. Queued by `services.document_queue_for_*`."""

from celery import shared_task
from django.db import DatabaseError

from rumorcases.bulletins.models import Bulletin
from rumorcases.documents import services
from rumorcases.notices.models import DebunkNotice

# A full disk or a database hiccup is worth retrying; a template or fetcher refusal is not.
RETRY = {"autoretry_for": (OSError, DatabaseError), "retry_backoff": 5, "max_retries": 5}


@shared_task(ignore_result=True, acks_late=True, **RETRY)
def render_notice_pdf(notice_id: int) -> None:
    notice = DebunkNotice.objects.select_related("case", "current_version").filter(pk=notice_id).first()
    if notice is not None:
        services.document_render_notice(notice=notice)


@shared_task(ignore_result=True, acks_late=True, **RETRY)
def render_bulletin_pdf(bulletin_id: int) -> None:
    bulletin = Bulletin.objects.filter(pk=bulletin_id).first()
    if bulletin is not None:
        services.document_render_bulletin(bulletin=bulletin)

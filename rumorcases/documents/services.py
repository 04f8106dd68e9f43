"""Rendering and storing the official documents (PDF).

`document_render_notice` and `document_render_bulletin` are idempotent: a document is stored once
per notice version and once per bulletin content (by its SHA-256), so running a task twice, or a
reader's request racing the task, renders at most one extra time and never stores a second row.
Publishing and correcting queue the rendering (`document_queue_for_*`) once the transaction has
committed.
"""

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.core.audit import audit_record
from rumorcases.documents import selectors
from rumorcases.documents.hashing import bulletin_content_sha256
from rumorcases.documents.models import Document, DocumentKind
from rumorcases.notices.choices import NoticeStatus
from rumorcases.notices.selectors import office_name

if TYPE_CHECKING:
    from rumorcases.documents.rendering import RenderedPdf

logger = logging.getLogger(__name__)

# How long a reader's on-demand rendering holds its lock; others are told to retry meanwhile.
RENDER_LOCK_SECONDS = 30


def _usable(document: Document | None) -> bool:
    return document is not None and bool(document.file.name) and default_storage.exists(document.file.name)


def _store(*, existing: Document | None, lookup: dict, fields: dict, result: "RenderedPdf",
           name: str, case_reference: str = "") -> Document:
    """Save the PDF file and its row (or point an existing row at the new file), with an audit event."""
    saved_name = default_storage.save(name, ContentFile(result.pdf))
    values = {"pdf_sha256": result.sha256, "size": len(result.pdf), "pages": result.pages,
              "render_seconds": round(result.seconds, 4), "rendered_at": timezone.now()}
    try:
        with transaction.atomic():
            if existing is not None:
                document = Document.objects.select_for_update().get(pk=existing.pk)
                old_name = document.file.name
                for key, value in values.items():
                    setattr(document, key, value)
                document.file.name = saved_name
                document.save(update_fields=[*values, "file"])
                if old_name and old_name != saved_name:
                    transaction.on_commit(lambda: default_storage.delete(old_name))
            else:
                document = Document(**lookup, **fields, **values)
                document.file.name = saved_name
                document.save()
            audit_record(actor=None, action="document.rendered", obj=document, case_reference=case_reference,
                         data={"kind": document.kind, "content_sha256": document.content_sha256,
                               "pdf_sha256": result.sha256, "pages": result.pages})
    except IntegrityError:
        # Another worker stored this very content first: keep theirs.
        default_storage.delete(saved_name)
        return Document.objects.get(**lookup)
    return document


def document_render_notice(*, notice, force: bool = False) -> Document | None:
    """The PDF of a published notice's current version, rendered and stored unless it already is.
    Returns None for a notice that is not published (drafts; withdrawn notices are not re-rendered).
    `force` renders again over the stored file (after a template change)."""
    notice.refresh_from_db(fields=["status", "current_version", "document_number", "published_at"])
    if notice.status != NoticeStatus.PUBLISHED or notice.current_version_id is None:
        return None
    version = notice.current_version
    existing = selectors.document_for_notice(notice)
    if _usable(existing) and not force:
        return existing
    from rumorcases.documents import rendering  # WeasyPrint loads only where documents are rendered

    html = rendering.notice_html(notice=notice, version=version, office_name=_office_name(),
                                 corrections=selectors.notice_corrections_up_to(notice, version))
    result = rendering.render_pdf(html)
    return _store(existing=existing, lookup={"notice_version": version},
                  fields={"kind": DocumentKind.NOTICE, "notice": notice, "content_sha256": version.content_sha256},
                  result=result, name=f"documents/notices/{notice.public_id}-v{version.number}.pdf",
                  case_reference=notice.case.reference)


def document_render_bulletin(*, bulletin, force: bool = False) -> Document | None:
    """The PDF of a published bulletin, rendered and stored unless it already is (None if unpublished)."""
    bulletin.refresh_from_db()
    if bulletin.status != BulletinStatus.PUBLISHED:
        return None
    entries = selectors.bulletin_entries(bulletin)
    content_sha256 = bulletin_content_sha256(bulletin, entries)
    existing = selectors.document_for_bulletin(bulletin, content_sha256=content_sha256)
    if _usable(existing) and not force:
        return existing
    from rumorcases.documents import rendering

    html = rendering.bulletin_html(bulletin=bulletin, entries=entries, office_name=_office_name(),
                                   content_sha256=content_sha256)
    result = rendering.render_pdf(html)
    return _store(existing=existing, lookup={"bulletin": bulletin, "content_sha256": content_sha256},
                  fields={"kind": DocumentKind.BULLETIN}, result=result,
                  name=f"documents/bulletins/{bulletin.year}-{bulletin.issue_number:03d}.pdf")


def _office_name() -> str:
    """The office's name as printed: in the office's language, whoever triggered the rendering."""
    with translation.override(settings.LANGUAGE_CODE):
        return office_name()


def _render_once(key: str, render) -> Document | None:
    """Render on a reader's request, one reader at a time: the others get None (answer 503)."""
    lock = f"documents:render:{key}"
    if not cache.add(lock, 1, timeout=RENDER_LOCK_SECONDS):
        return None
    try:
        return render()
    finally:
        cache.delete(lock)


def document_ensure_notice(*, notice) -> Document | None:
    """The stored PDF of a published notice, rendered now if the task has not done it yet.
    None while another request is rendering it."""
    document = selectors.document_for_notice(notice)
    if _usable(document):
        return document
    return _render_once(f"notice:{notice.current_version_id}", lambda: document_render_notice(notice=notice))


def document_ensure_bulletin(*, bulletin) -> Document | None:
    """The stored PDF of a published bulletin, rendered now if need be; None while another renders it."""
    content_sha256 = bulletin_content_sha256(bulletin, selectors.bulletin_entries(bulletin))
    document = selectors.document_for_bulletin(bulletin, content_sha256=content_sha256)
    if _usable(document):
        return document
    return _render_once(f"bulletin:{bulletin.pk}:{content_sha256}",
                        lambda: document_render_bulletin(bulletin=bulletin))


def _queue(task, object_id: int) -> None:
    def send():
        try:
            task.delay(object_id)
        except Exception:  # no broker, or the rendering failed eagerly: the first reader renders it
            logger.exception("could not render or queue %s(%s)", task.name, object_id)

    transaction.on_commit(send)


def document_queue_for_notice(notice) -> None:
    """Render the notice's PDF in the background once the current transaction commits
    (call after publishing and after each correction)."""
    from rumorcases.documents.tasks import render_notice_pdf

    _queue(render_notice_pdf, notice.pk)


def document_queue_for_bulletin(bulletin) -> None:
    """Render the bulletin's PDF in the background once the current transaction commits."""
    from rumorcases.documents.tasks import render_bulletin_pdf

    _queue(render_bulletin_pdf, bulletin.pk)

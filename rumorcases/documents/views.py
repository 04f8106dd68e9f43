"""The public's PDFs: only of published notices and bulletins, served from storage with a strong
ETag (the file's SHA-256). A PDF the background task has not rendered yet is rendered on the
first request; a request arriving while that rendering runs answers 503 with Retry-After."""

import re
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from rumorcases.documents import selectors, services
from rumorcases.notices import selectors as notice_selectors
from rumorcases.notices.choices import NoticeStatus

# Readers keep a copy a minute, then ask again with If-None-Match (a correction changes the PDF).
CACHE_CONTROL = "public, max-age=60"
RETRY_AFTER_SECONDS = 2
_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|]+')


def content_disposition(ascii_name: str, name: str) -> str:
    """inline, with an ASCII filename for old clients and the real one (RFC 5987/6266) for the rest."""
    name = _UNSAFE_IN_FILENAME.sub("_", name).strip() or ascii_name
    value = f'inline; filename="{ascii_name}"'
    if name != ascii_name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return value


def _pdf_response(request, document, *, ascii_name: str, name: str):
    etag = f'"{document.pdf_sha256}"'
    last_modified = int(document.rendered_at.timestamp())  # HTTP dates have whole seconds
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = FileResponse(document.file.open("rb"), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition(ascii_name, name)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _busy():
    response = HttpResponse(_("The document is being prepared. Please try again in a moment."),
                            status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def notice_pdf(request, public_id):
    notice = notice_selectors.notice_get_public(public_id=public_id)
    if notice.status == NoticeStatus.WITHDRAWN:
        return render(request, "public/notice_withdrawn.html",
                      {"notice": notice, "office_name": notice_selectors.office_name()}, status=410)
    document = services.document_ensure_notice(notice=notice)
    if document is None:
        return _busy()
    return _pdf_response(request, document, ascii_name=f"notice-{notice.public_id}.pdf",
                         name=f"{notice.document_number}.pdf")


@require_safe
def bulletin_pdf(request, year, issue):
    bulletin = selectors.bulletin_get_published(year=year, issue=issue)
    document = services.document_ensure_bulletin(bulletin=bulletin)
    if document is None:
        return _busy()
    return _pdf_response(request, document, ascii_name=f"bulletin-{year}-{issue:03d}.pdf",
                         name=f"{bulletin.title} {year}-{issue:03d}.pdf")

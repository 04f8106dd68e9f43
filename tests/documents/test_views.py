"""The PDF downloads: published material only, the right headers, strong ETag and 304, 410 for a
withdrawn notice, and a PDF rendered on the first request when the task has not run yet."""

import hashlib
import uuid
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.urls import reverse

from rumorcases.bulletins import services as bulletins
from rumorcases.documents import services
from rumorcases.documents.models import Document
from rumorcases.documents.views import content_disposition
from rumorcases.notices import services as notices
from tests.documents.conftest import pdf_text


def notice_url(notice):
    return reverse("documents:notice_pdf", kwargs={"public_id": notice.public_id})


def bulletin_url(bulletin):
    return reverse("documents:bulletin_pdf", kwargs={"year": bulletin.year, "issue": bulletin.issue_number})


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_urls():
    public_id = uuid.uuid4()
    assert reverse("documents:notice_pdf", kwargs={"public_id": public_id}) == f"/notices/{public_id}/pdf/"
    assert reverse("documents:bulletin_pdf", kwargs={"year": 2026, "issue": 3}) == "/bulletins/2026/3/pdf/"


def test_it_serves_a_published_notice_with_its_headers(client, notice):
    document = services.document_render_notice(notice=notice)
    response = client.get(notice_url(notice))
    assert response.status_code == 200
    pdf = body(response)
    assert response["Content-Type"] == "application/pdf"
    assert response["ETag"] == f'"{hashlib.sha256(pdf).hexdigest()}"' == f'"{document.pdf_sha256}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Last-Modified"]
    assert response["Content-Length"] == str(len(pdf))
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'inline; filename="notice-{notice.public_id}.pdf"; ')
    assert f"filename*=UTF-8''{quote(notice.document_number + '.pdf', safe='')}" in disposition
    assert notice.current_version.title in pdf_text(pdf)


def test_it_answers_304_to_a_reader_with_the_current_copy(client, notice):
    first = client.get(notice_url(notice))
    etag = first["ETag"]
    again = client.get(notice_url(notice), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    assert client.get(notice_url(notice), HTTP_IF_NONE_MATCH='"stale"').status_code == 200
    assert client.get(notice_url(notice), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


def test_head_answers_the_headers(client, notice):
    response = client.head(notice_url(notice))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert client.post(notice_url(notice)).status_code == 405


def test_it_renders_on_the_first_request_when_the_task_has_not(client, notice):
    assert Document.objects.count() == 0
    response = client.get(notice_url(notice))
    assert response.status_code == 200 and body(response).startswith(b"%PDF-")
    assert Document.objects.filter(notice_version=notice.current_version).count() == 1


def test_it_asks_to_retry_while_another_request_renders(client, notice):
    cache.add(f"documents:render:notice:{notice.current_version_id}", 1, timeout=30)
    try:
        response = client.get(notice_url(notice))
    finally:
        cache.delete(f"documents:render:notice:{notice.current_version_id}")
    assert response.status_code == 503 and response["Retry-After"] == "2"
    assert response["Cache-Control"] == "no-store"


def test_a_corrected_notice_serves_the_new_pdf(client, notice, cast):
    old = client.get(notice_url(notice))["ETag"]
    content = {name: getattr(notice.current_version, name) for name in notices.CONTENT_FIELDS}
    notices.notice_correct(notice=notice, by=cast.supervisor, note="更正：第3段有误。",
                           **{**content, "body": content["body"].replace("第3段", "第三段")})
    response = client.get(notice_url(notice), HTTP_IF_NONE_MATCH=old)
    assert response.status_code == 200 and response["ETag"] != old
    notice.refresh_from_db()
    text = pdf_text(body(response))
    assert "更正：第3段有误。" in text and notice.current_version.content_sha256 in "".join(text.split())


@pytest.mark.parametrize("state", ["draft", "in_review", "approved"])
def test_unpublished_notices_have_no_pdf(client, build, cast, state):
    notice = notices.notice_create(case=build.debunking(), by=cast.editor, title="草稿", claim="c", verdict="false",
                                   body="b")
    if state != "draft":
        notices.notice_submit(notice=notice, by=cast.editor)
    if state == "approved":
        notices.notice_review(notice=notice, by=cast.reviewer, decision="approve")
    assert client.get(notice_url(notice)).status_code == 404
    assert Document.objects.count() == 0


def test_an_unknown_notice_is_404(client, db):
    assert client.get(f"/notices/{uuid.uuid4()}/pdf/").status_code == 404


def test_a_withdrawn_notice_is_gone(client, notice, cast):
    services.document_render_notice(notice=notice)
    notices.notice_withdraw(notice=notice, by=cast.supervisor, statement="原通报有误，予以撤回。")
    response = client.get(notice_url(notice))
    assert response.status_code == 410
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "原通报有误，予以撤回。" in html and notice.current_version.body not in html


def test_it_serves_a_published_bulletin(client, bulletin):
    response = client.get(bulletin_url(bulletin))
    assert response.status_code == 200
    pdf = body(response)
    assert response["Content-Type"] == "application/pdf"
    assert response["ETag"] == f'"{hashlib.sha256(pdf).hexdigest()}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'inline; filename="bulletin-{bulletin.year}-{bulletin.issue_number:03d}.pdf"')
    assert "filename*=UTF-8''" in disposition
    assert bulletin.title in pdf_text(pdf)
    assert client.get(bulletin_url(bulletin), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert Document.objects.filter(bulletin=bulletin).count() == 1


def test_unpublished_or_unknown_bulletins_have_no_pdf(client, build, cast, bulletin):
    draft = bulletins.bulletin_create(by=cast.publisher, title="草稿", period_start=bulletin.period_start,
                                      period_end=bulletin.period_end)
    assert client.get(f"/bulletins/{bulletin.year}/{bulletin.issue_number + 1}/pdf/").status_code == 404
    assert client.get(f"/bulletins/{bulletin.year - 1}/{bulletin.issue_number}/pdf/").status_code == 404
    assert draft.issue_number is None and Document.objects.count() == 0


def test_the_filename_is_ascii_with_the_real_name_beside_it():
    assert content_disposition("a.pdf", "a.pdf") == 'inline; filename="a.pdf"'
    value = content_disposition("b.pdf", '曝光台 "第1期"/\r\n.pdf')
    assert value.startswith('inline; filename="b.pdf"; filename*=UTF-8\'\'')
    assert "\r" not in value and "\n" not in value and '"第' not in value and "/" not in value.split("''")[1]

"""Every published notice and bulletin of the demo data as PDF, through the public URLs."""

import pytest
from django.urls import reverse

from rumorcases.bulletins.models import Bulletin
from rumorcases.core import demo
from rumorcases.documents.models import Document
from rumorcases.notices.models import DebunkNotice
from tests.documents.conftest import pdf_text, squeeze


@pytest.fixture
def demo_data(db, settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True  # the demo refuses to run without it
    with django_capture_on_commit_callbacks(execute=True):
        demo.demo_load()


def test_every_public_document_of_the_demo(client, demo_data):
    notices = list(DebunkNotice.objects.filter(status__in=["published", "withdrawn"]).select_related("current_version"))
    assert any(n.status == "published" for n in notices)
    for notice in notices:
        response = client.get(reverse("documents:notice_pdf", kwargs={"public_id": notice.public_id}))
        if notice.status == "withdrawn":
            assert response.status_code == 410
            continue
        assert response.status_code == 200, notice
        text = pdf_text(b"".join(response.streaming_content))
        assert notice.current_version.title in text
        assert notice.current_version.content_sha256 in squeeze(text)
        for correction in notice.corrections.all():
            assert squeeze(correction.note) in squeeze(text)
    bulletins = list(Bulletin.objects.filter(status="published"))
    assert bulletins
    for bulletin in bulletins:
        response = client.get(reverse("documents:bulletin_pdf", kwargs={"year": bulletin.year,
                                                                         "issue": bulletin.issue_number}))
        assert response.status_code == 200
        assert bulletin.title in pdf_text(b"".join(response.streaming_content))
    assert Document.objects.filter(kind="bulletin").count() == len(bulletins)
    # Nobody's name leaks into a document's metadata or text: the staff who wrote and published.
    staff = {n.created_by.username for n in notices} | {n.published_by.username for n in notices if n.published_by}
    for document in Document.objects.all():
        pdf = document.file.read()
        for name in staff:
            assert name.encode() not in pdf and name not in pdf_text(pdf)

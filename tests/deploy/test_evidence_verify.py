"""`manage.py evidence_verify` re-hashes every stored evidence file."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from rumorcases.cases import services as case_services
from rumorcases.cases.management.commands import evidence_verify
from tests.conftest import PNG


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("evidence_verify", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return False, out.getvalue(), err.getvalue(), str(exc)
    return True, out.getvalue(), err.getvalue(), ""


@pytest.fixture
def items(build, cast):
    case = build.verifying()
    first = case_services.evidence_add(case=case, upload=SimpleUploadedFile("a.png", PNG), by=cast.verifier)
    second = case_services.evidence_add(case=case, upload=SimpleUploadedFile("b.txt", b"screenshot text " * 1000),
                                        by=cast.verifier)
    return first, second


def test_it_passes_when_every_file_is_intact(items):
    ok, out, err, _ = run()
    assert ok
    assert "2 evidence files checked: 2 intact, 0 changed, 0 missing or unreadable." in out
    assert err == ""


def test_it_passes_with_no_evidence_at_all(db):
    ok, out, _, _ = run()
    assert ok
    assert "0 evidence files checked" in out


def test_it_prints_nothing_when_quiet_and_intact(items):
    ok, out, err, _ = run("--quiet")
    assert ok
    assert out == err == ""


def test_it_lists_every_file_at_verbosity_2(items):
    ok, out, _, _ = run("-v", "2")
    assert ok
    for item in items:
        assert f"ok evidence #{item.pk} of {item.case.reference} ({item.file.name})" in out


def test_it_reports_a_changed_file(items, media_root):
    changed = items[1]
    (media_root / changed.file.name).write_bytes(b"tampered")
    ok, _, err, summary = run("--quiet")
    assert not ok
    assert f"MISMATCH evidence #{changed.pk} of {changed.case.reference}" in err
    assert f"recorded {changed.sha256}" in err
    assert err.count("MISMATCH") == 1
    assert f"#{items[0].pk} " not in err
    assert summary == "2 evidence files checked: 1 intact, 1 changed, 0 missing or unreadable."


def test_it_reports_a_missing_file(items, media_root):
    gone = items[0]
    (media_root / gone.file.name).unlink()
    ok, _, err, summary = run()
    assert not ok
    assert f"MISSING evidence #{gone.pk} of {gone.case.reference} ({gone.file.name})" in err
    assert summary == "2 evidence files checked: 1 intact, 0 changed, 1 missing or unreadable."


def test_it_reads_large_files_in_chunks(items, media_root, monkeypatch):
    # A file bigger than one chunk still hashes to the same value as hashing it whole.
    monkeypatch.setattr(evidence_verify, "CHUNK_BYTES", 1000)
    ok, out, _, _ = run()
    assert ok
    assert "2 intact" in out

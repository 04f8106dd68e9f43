"""The verification tab: evidence (upload, hash, download), findings and consultations."""

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from rumorcases.cases import services as case_services
from rumorcases.cases.models import Consultation, EvidenceItem, Finding
from rumorcases.core.models import AuditEvent
from tests.conftest import PNG


def page(case):
    return reverse("staff:case_verification", args=[case.reference])


def upload_url(case):
    return reverse("staff:evidence_add", args=[case.reference])


def png(name="shot.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


def in_english(client):
    """The default language is zh-hans; tests that assert English messages ask for English."""
    client.cookies["django_language"] = "en"


@pytest.fixture
def case(build):
    return build.verifying()


@pytest.fixture
def item(case, cast):
    return case_services.evidence_add(case=case, upload=png(), by=cast.verifier, source_url="https://weibo.example/x",
                                      description="截图 <script>alert(1)</script>")


# --- the page -------------------------------------------------------------------------


def test_it_shows_evidence_findings_and_consultations_to_every_role(client, cast, case, item):
    case_services.finding_record(case=case, verdict="false", reasoning="<b>官方</b>辟谣", by=cast.verifier,
                                 sources=[{"title": "卫健委通报", "url": "https://wsjkw.example/1"}], evidence=[item])
    case_services.consultation_ask(case=case, authority="health", authority_name="浦东新区卫健委",
                                   question="是否属实？", due_at=timezone.now() + timedelta(days=1), by=cast.verifier)
    for user in (cast.auditor, cast.intake, cast.verifier, cast.editor):
        client.force_login(user)
        response = client.get(page(case))
        assert response.status_code == 200
        html = response.content.decode()
        assert item.sha256 in html
        assert "shot.png" in html and "https://weibo.example/x" in html
        assert reverse("staff:evidence_download", args=[case.reference, item.pk]) in html
        assert "卫健委通报" in html and "https://wsjkw.example/1" in html
        assert "浦东新区卫健委" in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
        assert "&lt;b&gt;官方&lt;/b&gt;" in html


def test_it_shows_the_forms_only_to_roles_that_may_use_them(client, cast, case):
    client.force_login(cast.auditor)
    html = client.get(page(case)).content.decode()
    assert 'id="evidence-form"' not in html and 'id="finding-form"' not in html
    assert 'id="consultation-form"' not in html

    client.force_login(cast.verifier)
    html = client.get(page(case)).content.decode()
    assert 'id="evidence-form"' in html and 'id="finding-form"' in html and 'id="consultation-form"' in html
    assert 'class="dropzone" data-input="id_file"' in html and 'type="file"' in html
    assert 'enctype="multipart/form-data"' in html

    client.force_login(cast.intake)  # may add evidence, may not record findings
    html = client.get(page(case)).content.decode()
    assert 'id="evidence-form"' in html and 'id="finding-form"' not in html


def test_it_refuses_anonymous_and_roleless_visitors(client, cast, case):
    response = client.get(page(case))
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    client.force_login(cast.nobody)
    assert client.get(page(case)).status_code == 403


def test_it_answers_404_for_an_unknown_case(client, cast, db):
    client.force_login(cast.verifier)
    assert client.get("/staff/cases/RC-1999-000001/verification/").status_code == 404


def test_it_keeps_the_query_count_flat(client, cast, case, django_assert_max_num_queries):
    for n in range(6):
        item = case_services.evidence_add(case=case, upload=png(f"{n}.png"), by=cast.verifier)
        case_services.finding_record(case=case, verdict="false", reasoning="r", by=cast.verifier, evidence=[item])
        case_services.consultation_ask(case=case, authority="police", authority_name=f"派出所{n}", question="q",
                                       due_at=timezone.now() + timedelta(days=1), by=cast.verifier)
    client.force_login(cast.verifier)
    with django_assert_max_num_queries(14):
        assert client.get(page(case)).status_code == 200


# --- evidence upload ------------------------------------------------------------------------


def test_it_uploads_evidence_and_shows_its_sha256(client, cast, case):
    content = PNG + b"\x00extra"
    client.force_login(cast.verifier)
    response = client.post(upload_url(case), {"file": png("现场.png", content), "kind": "file",
                                              "description": "现场图"}, follow=True)
    assert response.redirect_chain[-1][0] == page(case)
    item = EvidenceItem.objects.get(case=case)
    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert item.uploaded_by == cast.verifier and item.description == "现场图" and item.size == len(content)
    messages = [str(m) for m in response.context["messages"]]
    assert any(hashlib.sha256(content).hexdigest() in m for m in messages)


def test_it_records_a_web_capture_with_its_source(client, cast, case):
    client.force_login(cast.intake)
    client.post(upload_url(case), {"file": SimpleUploadedFile("cap.html", b"<html><body>post</body></html>"),
                                   "kind": "web_capture", "source_url": "https://weibo.example/p/1"})
    item = EvidenceItem.objects.get(case=case)
    assert item.kind == "web_capture" and item.source_url == "https://weibo.example/p/1"


def test_it_asks_a_web_capture_for_its_address(client, cast, case):
    client.force_login(cast.verifier)
    response = client.post(upload_url(case), {"file": png(), "kind": "web_capture", "description": "kept"})
    assert response.status_code == 200
    assert "source_url" in response.context["evidence_form"].errors
    assert "kept" in response.content.decode()
    assert not EvidenceItem.objects.exists()


def test_it_refuses_a_file_over_the_cap_with_a_message(client, cast, case, settings):
    in_english(client)
    settings.EVIDENCE_MAX_BYTES = len(PNG) - 1
    client.force_login(cast.verifier)
    response = client.post(upload_url(case), {"file": png(), "kind": "file", "description": "too big"})
    assert response.status_code == 200
    assert response.context["evidence_form"].errors["file"]
    html = response.content.decode()
    assert "limit" in html and "too big" in html
    assert not EvidenceItem.objects.exists()


def test_it_refuses_a_forbidden_type_with_a_message(client, cast, case):
    in_english(client)
    client.force_login(cast.verifier)
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
    response = client.post(upload_url(case), {"file": SimpleUploadedFile("photo.png", elf), "kind": "file"})
    assert response.status_code == 200
    assert "not accepted" in response.content.decode()
    assert not EvidenceItem.objects.exists()


def test_it_refuses_a_missing_file_in_place(client, cast, case):
    client.force_login(cast.verifier)
    response = client.post(upload_url(case), {"kind": "file", "source_url": "https://a.example/"})
    assert response.status_code == 200
    assert response.context["evidence_form"].errors["file"]
    assert 'value="https://a.example/"' in response.content.decode()


def test_it_refuses_uploads_from_the_auditor_and_the_roleless(client, cast, case):
    audits = AuditEvent.objects.count()
    client.force_login(cast.auditor)
    assert client.post(upload_url(case), {"file": png(), "kind": "file"}).status_code == 403
    client.force_login(cast.nobody)
    assert client.post(upload_url(case), {"file": png(), "kind": "file"}).status_code == 403
    assert not EvidenceItem.objects.exists() and AuditEvent.objects.count() == audits


def test_it_refuses_uploads_to_a_closed_case_in_place(client, cast, build):
    in_english(client)
    case = build.discovered()
    from rumorcases.cases import workflow

    workflow.case_dismiss(case=case, by=cast.supervisor, reason="out of scope")
    client.force_login(cast.verifier)
    response = client.post(upload_url(case), {"file": png(), "kind": "file"})
    assert response.status_code == 200
    assert f"Case {case.reference} is closed." in response.content.decode()
    assert not EvidenceItem.objects.exists()


def test_it_takes_uploads_only_by_post(client, cast, case):
    client.force_login(cast.verifier)
    assert client.get(upload_url(case)).status_code == 405


# --- evidence download ------------------------------------------------------------------------


def test_it_serves_evidence_as_an_attachment_to_staff(client, cast, case, item):
    url = reverse("staff:evidence_download", args=[case.reference, item.pk])
    client.force_login(cast.auditor)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Disposition"].startswith("attachment")
    assert "shot.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_it_checks_access_to_evidence(client, cast, case, item, build):
    url = reverse("staff:evidence_download", args=[case.reference, item.pk])
    response = client.get(url)
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    client.force_login(cast.nobody)
    assert client.get(url).status_code == 403
    # An item is found only under its own case.
    other = build.verifying()
    client.force_login(cast.verifier)
    assert client.get(reverse("staff:evidence_download", args=[other.reference, item.pk])).status_code == 404


def test_it_never_serves_evidence_as_plain_media(client, cast, item):
    client.force_login(cast.verifier)
    assert client.get("/media/" + item.file.name).status_code == 404


# --- findings ------------------------------------------------------------------------------


def test_it_records_a_finding_with_sources_and_evidence(client, cast, case, item):
    client.force_login(cast.verifier)
    response = client.post(reverse("staff:finding_add", args=[case.reference]), {
        "verdict": "false", "reasoning": "经核实不实",
        "sources": "区卫健委通报 | https://wsjkw.example/2\n\n新闻发布会 | | 区政府",
        "evidence": [item.pk],
    })
    assert response.status_code == 302
    finding = Finding.objects.get(case=case)
    assert finding.verdict == "false" and finding.recorded_by == cast.verifier
    assert finding.sources == [{"title": "区卫健委通报", "url": "https://wsjkw.example/2", "publisher": ""},
                               {"title": "新闻发布会", "url": "", "publisher": "区政府"}]
    assert list(finding.evidence.all()) == [item]


def test_it_shows_bad_sources_in_place_and_keeps_the_text(client, cast, case):
    in_english(client)
    client.force_login(cast.verifier)
    response = client.post(reverse("staff:finding_add", args=[case.reference]), {
        "verdict": "false", "reasoning": "保留的理由", "sources": "标题 | javascript:alert(1)"})
    assert response.status_code == 200
    assert response.context["finding_form"].errors["sources"]
    html = response.content.decode()
    assert "保留的理由" in html and "Line 1" in html
    assert not Finding.objects.exists()


def test_it_refuses_findings_from_roles_without_the_right(client, cast, case):
    url = reverse("staff:finding_add", args=[case.reference])
    for user in (cast.auditor, cast.intake, cast.editor):
        client.force_login(user)
        assert client.post(url, {"verdict": "false", "reasoning": "r"}).status_code == 403
    assert not Finding.objects.exists()


def test_it_shows_the_service_refusal_for_a_finding_outside_verification(client, cast, build):
    in_english(client)
    case = build.debunking()
    before = Finding.objects.count()
    client.force_login(cast.verifier)
    response = client.post(reverse("staff:finding_add", args=[case.reference]),
                           {"verdict": "false", "reasoning": "again"})
    assert response.status_code == 200
    assert "while the case is being verified" in response.content.decode()
    assert Finding.objects.count() == before


def test_it_refuses_evidence_of_another_case_in_a_finding(client, cast, case, build):
    other = build.verifying()
    foreign = case_services.evidence_add(case=other, upload=png(), by=cast.verifier)
    client.force_login(cast.verifier)
    response = client.post(reverse("staff:finding_add", args=[case.reference]),
                           {"verdict": "false", "reasoning": "r", "evidence": [foreign.pk]})
    assert response.status_code == 200 and response.context["finding_form"].errors["evidence"]
    assert not Finding.objects.filter(case=case).exists()


# --- consultations -------------------------------------------------------------------------


def test_it_asks_an_authority_with_a_due_date_in_beijing_time(client, cast, case):
    client.force_login(cast.verifier)
    due = timezone.localtime() + timedelta(days=2)
    response = client.post(reverse("staff:consultation_ask", args=[case.reference]), {
        "authority": "police", "authority_name": "浦东公安分局", "question": "是否有警情？",
        "due_at": due.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    consultation = Consultation.objects.get(case=case)
    assert consultation.asked_by == cast.verifier
    assert timezone.localtime(consultation.due_at).strftime("%Y-%m-%d %H:%M") == due.strftime("%Y-%m-%d %H:%M")


def test_it_refuses_a_due_date_in_the_past_in_place(client, cast, case):
    client.force_login(cast.verifier)
    response = client.post(reverse("staff:consultation_ask", args=[case.reference]), {
        "authority": "police", "authority_name": "分局", "question": "保留的问题",
        "due_at": "2020-01-01T10:00"})
    assert response.status_code == 200
    assert response.context["consultation_form"].errors["due_at"]
    assert "保留的问题" in response.content.decode()
    assert not Consultation.objects.exists()


def test_it_marks_overdue_consultations(client, cast, case):
    consultation = case_services.consultation_ask(case=case, authority="health", authority_name="卫健委",
                                                  question="q", due_at=timezone.now() + timedelta(hours=1),
                                                  by=cast.verifier)
    Consultation.objects.filter(pk=consultation.pk).update(due_at=timezone.now() - timedelta(hours=1))
    client.force_login(cast.auditor)
    html = client.get(page(case)).content.decode()
    assert f'id="consultation-{consultation.pk}" class="overdue"' in html


def test_it_records_an_answer(client, cast, case):
    in_english(client)
    consultation = case_services.consultation_ask(case=case, authority="health", authority_name="卫健委",
                                                  question="q", due_at=timezone.now() + timedelta(hours=1),
                                                  by=cast.verifier)
    url = reverse("staff:consultation_answer", args=[case.reference, consultation.pk])
    client.force_login(cast.auditor)
    assert client.post(url, {f"answer-{consultation.pk}-answer": "x"}).status_code == 403
    client.force_login(cast.intake)
    response = client.post(url, {f"answer-{consultation.pk}-answer": ""})
    assert response.status_code == 200 and '<details class="action" open>' in response.content.decode()
    response = client.post(url, {f"answer-{consultation.pk}-answer": "不属实"})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.answer == "不属实" and consultation.answer_recorded_by == cast.intake
    # A second answer is refused with a message, not an error page.
    response = client.post(url, {f"answer-{consultation.pk}-answer": "again"}, follow=True)
    assert "already answered" in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.answer == "不属实"


def test_it_refuses_consultations_from_the_auditor(client, cast, case):
    client.force_login(cast.auditor)
    response = client.post(reverse("staff:consultation_ask", args=[case.reference]), {
        "authority": "police", "authority_name": "分局", "question": "q",
        "due_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 403
    assert not Consultation.objects.exists()

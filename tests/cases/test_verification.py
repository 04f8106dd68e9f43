"""Verification work: findings, consultations with authorities, comments, assignment, opening cases."""

from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from rumorcases.cases import services as case_services
from rumorcases.cases.choices import Authority, CaseStatus, Priority, Verdict
from rumorcases.cases.models import Case, CaseComment, Consultation, Finding
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent, Notification
from tests.conftest import PNG


@pytest.fixture
def case(build):
    return build.verifying()


def evidence(case, by):
    return case_services.evidence_add(case=case, upload=SimpleUploadedFile("shot.png", PNG), by=by)


def record(case, by, **kwargs):
    values = {"verdict": Verdict.FALSE, "reasoning": "气象局证实当日无雷电", **kwargs}
    return case_services.finding_record(case=case, by=by, **values)


# --- findings ---------------------------------------------------------------------


def test_it_records_a_finding_with_evidence_and_sources(case, cast):
    item = evidence(case, cast.verifier)
    finding = record(case, cast.verifier, evidence=[item], sources=[
        {"title": " 市气象局通报 ", "url": "https://weather.example/notice/1", "publisher": "上海市气象局"},
        {"title": "警情通报"},
    ])
    finding.refresh_from_db()
    assert finding.verdict == Verdict.FALSE
    assert finding.recorded_by == cast.verifier
    assert list(finding.evidence.all()) == [item]
    assert finding.sources == [
        {"title": "市气象局通报", "url": "https://weather.example/notice/1", "publisher": "上海市气象局"},
        {"title": "警情通报", "url": "", "publisher": ""},
    ]
    event = AuditEvent.objects.get(action="finding.recorded")
    assert event.data == {"verdict": "false", "evidence": [item.sha256]}


@pytest.mark.parametrize("state", ["discovered", "debunking"])
def test_it_records_findings_only_while_verifying(build, cast, state):
    case = build.discovered() if state == "discovered" else build.debunking()
    before = Finding.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as refused:
        record(case, cast.verifier)
    assert refused.value.status_code == 409
    assert (Finding.objects.count(), AuditEvent.objects.count()) == before


def test_it_refuses_evidence_of_another_case(case, cast, build):
    other = build.verifying()
    foreign = evidence(other, cast.verifier)
    before = Finding.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as refused:
        record(case, cast.verifier, evidence=[evidence(case, cast.verifier), foreign])
    assert list(refused.value.fields) == ["evidence"]
    assert Finding.objects.count() == before[0]
    # Only the evidence upload made inside the call above was recorded.
    assert AuditEvent.objects.count() == before[1] + 1


@pytest.mark.parametrize("sources", [
    "https://weather.example",
    [{"url": "https://weather.example"}],
    [{"title": "通报", "url": "javascript:alert(1)"}],
    ["市气象局"],
])
def test_it_validates_sources(case, cast, sources):
    before = Finding.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as refused:
        record(case, cast.verifier, sources=sources)
    assert list(refused.value.fields) == ["sources"]
    assert (Finding.objects.count(), AuditEvent.objects.count()) == before


def test_it_lists_finding_field_errors(case, cast):
    with pytest.raises(ApplicationError) as refused:
        record(case, cast.verifier, verdict="probably", reasoning=" ")
    assert set(refused.value.fields) == {"verdict", "reasoning"}
    assert not Finding.objects.exists()


@pytest.mark.parametrize("who", ["intake", "editor", "nobody", "auditor"])
def test_it_refuses_findings_from_other_roles(case, cast, who):
    with pytest.raises(ApplicationError) as refused:
        record(case, getattr(cast, who))
    assert refused.value.code == "not_your_role"
    assert not Finding.objects.exists()


# --- consultations ----------------------------------------------------------------


def ask(case, by, **kwargs):
    values = {"authority": Authority.WEATHER, "authority_name": "上海市气象局", "question": "当日是否有雷电？",
              "due_at": timezone.now() + timedelta(days=2), **kwargs}
    return case_services.consultation_ask(case=case, by=by, **values)


def test_it_asks_an_authority(case, cast):
    consultation = ask(case, cast.verifier)
    assert consultation.asked_by == cast.verifier
    assert not consultation.is_answered and not consultation.is_overdue
    assert AuditEvent.objects.filter(action="consultation.asked").count() == 1


@pytest.mark.parametrize("due_at", [
    None,
    timezone.now() - timedelta(minutes=1),
    datetime(2099, 1, 1, 9, 0),  # noqa: DTZ001 (naive on purpose)
])
def test_it_needs_a_future_aware_due_date(case, cast, due_at):
    with pytest.raises(ApplicationError) as refused:
        ask(case, cast.verifier, due_at=due_at)
    assert list(refused.value.fields) == ["due_at"]
    assert not Consultation.objects.exists()
    assert not AuditEvent.objects.filter(action="consultation.asked").exists()


def test_it_lists_consultation_field_errors(case, cast):
    with pytest.raises(ApplicationError) as refused:
        ask(case, cast.verifier, authority="oracle", authority_name="", question=" ")
    assert set(refused.value.fields) == {"authority", "authority_name", "question"}
    assert not Consultation.objects.exists()


def test_it_records_an_answer_once(case, cast):
    consultation = ask(case, cast.verifier)
    case_services.consultation_answer(consultation=consultation, answer=" 当日无雷电记录。 ", by=cast.intake)
    consultation.refresh_from_db()
    assert consultation.answer == "当日无雷电记录。"
    assert consultation.answer_recorded_by == cast.intake
    assert consultation.is_answered
    answered_at = consultation.answered_at
    events = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as refused:
        case_services.consultation_answer(consultation=consultation, answer="改口：有雷电", by=cast.verifier)
    assert refused.value.status_code == 409
    consultation.refresh_from_db()
    assert consultation.answer == "当日无雷电记录。"
    assert consultation.answered_at == answered_at
    assert consultation.answer_recorded_by == cast.intake
    assert AuditEvent.objects.count() == events


def test_it_refuses_an_empty_answer(case, cast):
    consultation = ask(case, cast.verifier)
    with pytest.raises(ApplicationError) as refused:
        case_services.consultation_answer(consultation=consultation, answer="  ", by=cast.verifier)
    assert list(refused.value.fields) == ["answer"]
    consultation.refresh_from_db()
    assert not consultation.is_answered


def test_it_refuses_consultations_from_people_without_a_role(case, cast):
    with pytest.raises(ApplicationError) as refused:
        ask(case, cast.nobody)
    assert refused.value.code == "not_your_role"
    consultation = ask(case, cast.verifier)
    with pytest.raises(ApplicationError):
        case_services.consultation_answer(consultation=consultation, answer="无", by=cast.auditor)
    consultation.refresh_from_db()
    assert not consultation.is_answered


# --- comments ----------------------------------------------------------------------


def test_it_adds_a_comment(case, cast):
    comment = case_services.case_comment_add(case=case, body="  已联系派出所 ", by=cast.verifier)
    assert comment.body == "已联系派出所"
    assert comment.author == cast.verifier
    assert AuditEvent.objects.filter(action="case.commented", object_id=str(comment.pk)).exists()


def test_it_refuses_empty_comments_and_people_without_a_role(case, cast):
    with pytest.raises(ApplicationError) as refused:
        case_services.case_comment_add(case=case, body=" ", by=cast.verifier)
    assert list(refused.value.fields) == ["body"]
    with pytest.raises(ApplicationError) as refused:
        case_services.case_comment_add(case=case, body="看看", by=cast.nobody)
    assert refused.value.code == "not_your_role"
    with pytest.raises(ApplicationError):
        case_services.case_comment_add(case=case, body="看看", by=cast.auditor)
    assert not CaseComment.objects.exists()


# --- assignment --------------------------------------------------------------------


def test_it_assigns_a_case_and_tells_the_assignee(case, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_assign(case=case, assignee=cast.verifier, by=cast.supervisor)
    case.refresh_from_db()
    assert case.assignee == cast.verifier
    assert AuditEvent.objects.get(action="case.assigned").data == {"assignee": "victor"}
    assert Notification.objects.filter(recipient=cast.verifier, kind="case_assigned",
                                       case_reference=case.reference).count() == 1


@pytest.mark.parametrize("who", ["intake", "verifier", "disposal", "nobody", "auditor"])
def test_it_lets_only_a_supervisor_assign(case, cast, who):
    with pytest.raises(ApplicationError) as refused:
        case_services.case_assign(case=case, assignee=cast.verifier, by=getattr(cast, who))
    assert refused.value.code == "not_your_role"
    case.refresh_from_db()
    assert case.assignee is None
    assert not AuditEvent.objects.filter(action="case.assigned").exists()


@pytest.mark.parametrize("who", ["nobody", "auditor"])
def test_it_refuses_to_assign_to_someone_without_a_working_role(case, cast, who):
    with pytest.raises(ApplicationError) as refused:
        case_services.case_assign(case=case, assignee=getattr(cast, who), by=cast.supervisor)
    assert list(refused.value.fields) == ["assignee"]
    case.refresh_from_db()
    assert case.assignee is None
    assert not AuditEvent.objects.filter(action="case.assigned").exists()
    assert not Notification.objects.exists()


def test_it_unassigns(case, cast):
    case_services.case_assign(case=case, assignee=cast.verifier, by=cast.supervisor)
    case_services.case_assign(case=case, assignee=None, by=cast.supervisor)
    case.refresh_from_db()
    assert case.assignee is None


# --- opening a case directly --------------------------------------------------------


def test_it_lets_a_supervisor_open_a_case(cast):
    case = case_services.case_open(by=cast.supervisor, title=" 网传停水 ", claim=" 网传明日全市停水 ",
                                   priority=Priority.P1)
    case.refresh_from_db()
    assert (case.title, case.claim, case.priority) == ("网传停水", "网传明日全市停水", Priority.P1)
    assert case.status == CaseStatus.DISCOVERED
    assert case.created_by == cast.supervisor
    assert not case.reports.exists()
    assert AuditEvent.objects.get(action="case.opened").actor == cast.supervisor


@pytest.mark.parametrize("who", ["intake", "verifier", "publisher", "nobody", "auditor"])
def test_it_lets_only_a_supervisor_open_a_case(cast, who):
    with pytest.raises(ApplicationError) as refused:
        case_services.case_open(by=getattr(cast, who), title="t", claim="c")
    assert refused.value.code == "not_your_role"
    assert not Case.objects.exists()


def test_it_lists_the_fields_a_new_case_lacks(cast):
    with pytest.raises(ApplicationError) as refused:
        case_services.case_open(by=cast.supervisor, title=" ", claim="", category="gossip", priority="P0")
    assert set(refused.value.fields) == {"title", "claim", "category", "priority"}
    assert not Case.objects.exists()
    assert not AuditEvent.objects.exists()

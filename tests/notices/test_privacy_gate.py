"""The privacy gate on debunk notices: at publication (no role skips it), on corrections and
withdrawal statements, and earlier at submission and approval; and in the staff pages."""

import pytest
from django.urls import reverse
from django.utils import translation

from rumorcases.cases import services as case_services
from rumorcases.cases import workflow
from rumorcases.cases.choices import CaseStatus, PartyRole
from rumorcases.cases.models import CaseTransition
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent, Counter
from rumorcases.core.privacy import PERSONAL_DATA
from rumorcases.notices import services as notices
from rumorcases.notices.choices import NoticeStatus
from rumorcases.notices.models import NoticeCorrection, NoticeVersion

VALID_ID = "11010519491231002X"
CONTENT = {"title": "关于“某公园雷击致多人死亡”的辟谣", "claim": "网传某公园发生雷击致多人死亡",
           "verdict": "false", "body": "经核实，当日该区域无雷电记录，无人员伤亡。"}
BODY_WITH_ID = f"经核实，发帖人（身份证号{VALID_ID}）所述不实。"


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are asserted in English; pages ask for English with a cookie."""
    with translation.override("en"):
        yield


@pytest.fixture
def case(build):
    return build.debunking()


def approved(case, cast, monkeypatch, **changes):
    """A notice approved as if before the gate existed: only publication checks it then."""
    with monkeypatch.context() as patched:
        patched.setattr(notices, "privacy_gate", lambda **kwargs: None)
        notice = notices.notice_create(case=case, by=cast.editor, **{**CONTENT, **changes})
        notices.notice_submit(notice=notice, by=cast.editor)
        notices.notice_review(notice=notice, by=cast.reviewer, decision="approve")
    return notice


def refused(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as error:
        call()
    assert error.value.code == PERSONAL_DATA
    return error.value


def add_party(case, cast, name, role=PartyRole.VICTIM):
    return case_services.case_party_add(case=case, role=role, name=name, by=cast.supervisor)


def audit_actions():
    return list(AuditEvent.objects.values_list("action", flat=True))


# --- publication ---------------------------------------------------------------------------------------


def test_publishing_a_notice_with_an_id_number_is_refused_and_changes_nothing(case, cast, monkeypatch):
    notice = approved(case, cast, monkeypatch, body=BODY_WITH_ID)
    events = AuditEvent.objects.count()

    error = refused(lambda: workflow.case_publish_debunk(case=case, by=cast.publisher))

    assert list(error.fields) == ["body"]
    [message] = error.fields["body"]
    assert "110105********002X" in message and f"character {BODY_WITH_ID.index(VALID_ID) + 1}" in message
    assert VALID_ID not in message + error.message
    notice.refresh_from_db()
    case.refresh_from_db()
    assert notice.status == NoticeStatus.APPROVED and notice.document_number == "" and notice.published_at is None
    assert case.status == CaseStatus.DEBUNKING
    assert AuditEvent.objects.count() == events
    assert "notice.published" not in audit_actions() and "case.publish_debunk" not in audit_actions()
    assert not CaseTransition.objects.filter(case=case, name="publish_debunk").exists()
    assert not Counter.objects.filter(name__startswith="notice-", value__gt=0).exists()


def test_no_role_skips_the_gate_not_even_the_supervisors(case, cast, monkeypatch):
    approved(case, cast, monkeypatch, body=BODY_WITH_ID)
    refused(lambda: workflow.case_publish_debunk(case=case, by=cast.supervisor))
    case.refresh_from_db()
    assert case.status == CaseStatus.DEBUNKING


def test_the_fixed_text_publishes(case, cast, monkeypatch):
    notice = approved(case, cast, monkeypatch, body=BODY_WITH_ID)
    refused(lambda: workflow.case_publish_debunk(case=case, by=cast.publisher))
    case.refresh_from_db()

    notices.notice_review(notice=notice, by=cast.reviewer, decision="return", comments="删去身份证号")
    notices.notice_edit(notice=notice, by=cast.editor, **{**CONTENT, "body": "经核实，发帖人所述不实。"})
    notices.notice_submit(notice=notice, by=cast.editor)
    notices.notice_review(notice=notice, by=cast.reviewer, decision="approve")
    workflow.case_publish_debunk(case=case, by=cast.publisher)

    notice.refresh_from_db()
    case.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED and notice.document_number
    assert case.status == CaseStatus.DISPOSING
    assert audit_actions().count("notice.published") == 1


def test_a_victims_name_listed_after_approval_stops_publication(case, cast):
    notice = notices.notice_create(case=case, by=cast.editor, **{**CONTENT, "title": "关于周八遭网暴的辟谣"})
    notices.notice_submit(notice=notice, by=cast.editor)
    notices.notice_review(notice=notice, by=cast.reviewer, decision="approve")
    add_party(case, cast, "周八")
    error = refused(lambda: workflow.case_publish_debunk(case=case, by=cast.publisher))
    assert list(error.fields) == ["title"]
    assert "“周*” at character 3" in error.fields["title"][0]
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.APPROVED


def test_anonymised_names_listed_in_the_case_file_are_refused_too(case, cast, monkeypatch):
    approved(case, cast, monkeypatch, body="女童林某某与家人走散，约30分钟后找到。")
    add_party(case, cast, "林某某")
    error = refused(lambda: workflow.case_publish_debunk(case=case, by=cast.publisher))
    assert "林**" in error.fields["body"][0]


def test_reporters_and_witnesses_count_and_other_cases_parties_do_not(case, cast, monkeypatch, build):
    approved(case, cast, monkeypatch, body="经向王五核实，李四所述不实。")
    other = build.verifying()
    add_party(other, cast, "王五")
    add_party(other, cast, "李四", role=PartyRole.REPORTER)
    add_party(case, cast, "李四", role=PartyRole.WITNESS)
    error = refused(lambda: workflow.case_publish_debunk(case=case, by=cast.publisher))
    [message] = error.fields["body"]
    assert "李*" in message and "王*" not in message


def test_the_parties_of_a_duplicate_merged_into_the_case_count(case, cast, monkeypatch, build):
    approved(case, cast, monkeypatch, body="经核实，赵六所述不实。")
    duplicate = build.discovered("另一条重复谣言")
    add_party(duplicate, cast, "赵六", role=PartyRole.REPORTER)
    workflow.case_merge_into(case=duplicate, target=case, by=cast.intake)
    case.refresh_from_db()
    error = refused(lambda: workflow.case_publish_debunk(case=case, by=cast.publisher))
    assert list(error.fields) == ["body"]


def test_it_checks_every_public_text_of_the_notice(case, cast, monkeypatch):
    approved(case, cast, monkeypatch, title_en="Call 13812345678", body_en="Write to li.si@example.com",
             sources=[{"title": "通报", "url": f"https://police.example/u/{VALID_ID}"},
                      {"title": "微博", "url": "https://weibo.com/1642634100/4951234567890120"}])
    error = refused(lambda: workflow.case_publish_debunk(case=case, by=cast.publisher))
    assert set(error.fields) == {"title_en", "body_en", "sources"}
    [source] = error.fields["sources"]
    assert "line 1" in source and "url" in source


# --- earlier checks: submission and approval ---------------------------------------------------------


def test_submitting_a_draft_with_a_phone_number_is_refused(case, cast):
    notice = notices.notice_create(case=case, by=cast.editor, **{**CONTENT, "claim": "网传拨打138-1234-5678可领补贴"})
    error = refused(lambda: notices.notice_submit(notice=notice, by=cast.editor))
    assert list(error.fields) == ["claim"] and "138****5678" in error.fields["claim"][0]
    assert "Edit the draft" in error.message
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT and notice.submitted_at is None
    assert "notice.submitted" not in audit_actions()


def test_role_and_state_are_checked_before_the_text(case, cast):
    notice = notices.notice_create(case=case, by=cast.editor, **{**CONTENT, "body": BODY_WITH_ID})
    with pytest.raises(ApplicationError) as error:
        notices.notice_submit(notice=notice, by=cast.publisher)
    assert error.value.code == "not_your_role"


def test_approving_is_refused_when_a_listed_name_appeared_meanwhile(case, cast):
    notice = notices.notice_create(case=case, by=cast.editor, **{**CONTENT, "body": "经核实，孙七所述不实。"})
    notices.notice_submit(notice=notice, by=cast.editor)
    add_party(case, cast, "孙七")
    error = refused(lambda: notices.notice_review(notice=notice, by=cast.reviewer, decision="approve"))
    assert "send the notice back" in error.message.lower()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.IN_REVIEW and notice.approved_by is None
    # Sending it back is never blocked: that is how the text gets fixed.
    notices.notice_review(notice=notice, by=cast.reviewer, decision="return", comments="删去姓名")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT


def test_drafts_may_hold_anything_until_submitted(case, cast):
    notice = notices.notice_create(case=case, by=cast.editor, **{**CONTENT, "body": BODY_WITH_ID})
    assert notice.current_version.body == BODY_WITH_ID


# --- correction and withdrawal -------------------------------------------------------------------------


@pytest.fixture
def published(case, cast, build):
    notice = build.approved_notice(case)
    workflow.case_publish_debunk(case=case, by=cast.publisher)
    notice.refresh_from_db()
    return notice


def test_a_correction_with_a_phone_number_in_its_note_is_refused(published, cast):
    version = published.current_version_id
    error = refused(lambda: notices.notice_correct(
        notice=published, by=cast.supervisor, note="更正：如有疑问请致电13812345678", **CONTENT))
    assert list(error.fields) == ["note"] and "138****5678" in error.fields["note"][0]
    published.refresh_from_db()
    assert published.current_version_id == version
    assert not NoticeCorrection.objects.exists() and published.versions.count() == 1
    assert "notice.corrected" not in audit_actions()


def test_a_correction_with_an_id_in_its_new_text_is_refused_and_a_clean_one_publishes(published, cast):
    refused(lambda: notices.notice_correct(notice=published, by=cast.supervisor, note="更正时间",
                                           **{**CONTENT, "body": BODY_WITH_ID}))
    correction = notices.notice_correct(notice=published, by=cast.supervisor, note="更正时间：约40分钟",
                                        **{**CONTENT, "body": "约40分钟后找到。"})
    assert correction.version.number == 2
    assert NoticeVersion.objects.filter(notice=published).count() == 2


def test_a_withdrawal_statement_is_public_text_too(published, cast):
    error = refused(lambda: notices.notice_withdraw(notice=published, by=cast.supervisor,
                                                    statement="详询 li.si@example.com"))
    assert list(error.fields) == ["statement"]
    published.refresh_from_db()
    assert published.status == NoticeStatus.PUBLISHED


# --- the staff pages ---------------------------------------------------------------------------------------


def in_english(client):
    client.cookies["django_language"] = "en"


def test_the_publish_button_shows_where_the_personal_data_is(client, case, cast, monkeypatch):
    notice = approved(case, cast, monkeypatch, body=BODY_WITH_ID)
    in_english(client)
    client.force_login(cast.publisher)
    response = client.post(reverse("staff:notice_publish", args=[case.reference, notice.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "The facts: a resident ID number “110105********002X” at character" in page
    assert "Personal data found in “The facts”" in page
    assert VALID_ID not in page.split('id="notice-preview"')[0]  # the message never repeats it
    notice.refresh_from_db()
    case.refresh_from_db()
    assert notice.status == NoticeStatus.APPROVED and case.status == CaseStatus.DEBUNKING


def test_the_correction_form_shows_the_finding_beside_the_note(client, published, cast):
    in_english(client)
    client.force_login(cast.supervisor)
    data = {**CONTENT, "sources": "", "title_en": "", "body_en": "", "note": "如有疑问请致电13812345678"}
    response = client.post(reverse("staff:notice_correct", args=[published.case.reference, published.pk]), data)
    assert response.status_code == 200
    form = response.context["correct_form"]
    assert form.errors["note"] == [
        "Correction note: a mobile phone number “138****5678” at character 8."]
    assert "Correction note: a mobile phone number" in response.content.decode()
    assert not NoticeCorrection.objects.exists()


def test_the_submit_button_shows_the_finding(client, case, cast):
    notice = notices.notice_create(case=case, by=cast.editor, **{**CONTENT, "body": "邮箱li.si@example.com"})
    in_english(client)
    client.force_login(cast.editor)
    response = client.post(reverse("staff:notice_submit", args=[case.reference, notice.pk]))
    assert response.status_code == 200
    assert "The facts: an e-mail address “l***@example.com” at character 3." in response.content.decode()

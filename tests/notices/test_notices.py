"""Debunk notices: versioned drafts, four-eyes review, numbered publication, withdrawal, correction."""

import re

import pytest
from django.utils import timezone

from rumorcases.cases import workflow
from rumorcases.cases.choices import CaseStatus
from rumorcases.core import roles
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent, Counter
from rumorcases.notices import services as notices
from rumorcases.notices.choices import NoticeStatus
from rumorcases.notices.models import DebunkNotice, NoticeCorrection, NoticeReview, NoticeVersion
from tests.conftest import make_user

CONTENT = {"title": "关于“某公园雷击致多人死亡”的辟谣", "claim": "网传某公园发生雷击致多人死亡",
           "verdict": "false", "body": "经核实，当日该区域无雷电记录，无人员伤亡。"}


@pytest.fixture
def case(build):
    return build.debunking()


@pytest.fixture
def eve(db):
    """Writes notices and also reviews them."""
    return make_user("eve", roles.NOTICE_EDITOR, roles.REVIEWER)


def draft(case, by, **changes):
    return notices.notice_create(case=case, by=by, **{**CONTENT, **changes})


def in_review(case, by, **changes):
    notice = draft(case, by, **changes)
    notices.notice_submit(notice=notice, by=by)
    return notice


def state(notice):
    notice.refresh_from_db()
    return (notice.status, notice.approved_by_id, notice.current_version_id, notice.reviews.count(),
            AuditEvent.objects.count())


# --- drafting ------------------------------------------------------------------------


def test_it_drafts_a_first_version(case, cast):
    notice = draft(case, cast.editor, sources=[{"title": "市气象局通报", "url": "https://weather.example/1"}])
    version = notice.current_version
    assert notice.status == NoticeStatus.DRAFT
    assert version.number == 1
    assert version.author == cast.editor
    assert version.content_sha256 == version.compute_sha256()
    assert len(version.content_sha256) == 64
    assert version.sources == [{"title": "市气象局通报", "url": "https://weather.example/1", "publisher": ""}]


def test_it_drafts_only_for_a_case_being_debunked(build, cast):
    case = build.verifying()
    with pytest.raises(ApplicationError) as refused:
        draft(case, cast.editor)
    assert refused.value.status_code == 409
    assert not DebunkNotice.objects.exists()


def test_it_refuses_drafts_from_other_roles(case, cast):
    for who in (cast.reviewer, cast.verifier, cast.nobody):
        with pytest.raises(ApplicationError) as refused:
            draft(case, who)
        assert refused.value.code == "not_your_role"
    assert not DebunkNotice.objects.exists()


@pytest.mark.parametrize("changes, fields", [
    ({"title": ""}, {"title"}),
    ({"verdict": "true"}, {"verdict"}),
    ({"body": " ", "claim": ""}, {"body", "claim"}),
    ({"title": "标" * 201}, {"title"}),
    ({"colour": "red"}, {"colour"}),
])
def test_it_validates_the_content(case, cast, changes, fields):
    with pytest.raises(ApplicationError) as refused:
        draft(case, cast.editor, **changes)
    assert set(refused.value.fields) == fields
    assert not DebunkNotice.objects.exists()
    assert not NoticeVersion.objects.exists()


def test_it_keeps_one_live_notice_per_case(case, cast):
    draft(case, cast.editor)
    with pytest.raises(ApplicationError) as refused:
        draft(case, cast.editor, title="第二份")
    assert refused.value.status_code == 409
    assert DebunkNotice.objects.count() == 1


def test_it_makes_a_new_version_for_each_edit(case, cast):
    notice = draft(case, cast.editor)
    first = notice.current_version
    first_hash = first.content_sha256
    second = notices.notice_edit(notice=notice, by=cast.editor, **{**CONTENT, "body": "经核实，该信息不实。"})
    notice.refresh_from_db()
    assert second.number == 2
    assert notice.current_version == second
    assert second.content_sha256 != first_hash
    first.refresh_from_db()
    assert first.body == CONTENT["body"]
    assert first.content_sha256 == first_hash == first.compute_sha256()
    assert list(notice.versions.values_list("number", flat=True)) == [1, 2]


def test_it_edits_only_drafts(case, cast):
    notice = in_review(case, cast.editor)
    before = state(notice)
    with pytest.raises(ApplicationError) as refused:
        notices.notice_edit(notice=notice, by=cast.editor, **{**CONTENT, "body": "改"})
    assert refused.value.status_code == 409
    assert state(notice) == before
    assert notice.versions.count() == 1


# --- review, four eyes ---------------------------------------------------------------


def test_it_lets_another_reviewer_approve(case, cast):
    notice = in_review(case, cast.editor)
    review = notices.notice_review(notice=notice, by=cast.reviewer, decision="approve")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.APPROVED
    assert notice.approved_by == cast.reviewer
    assert review.version == notice.current_version


def test_it_refuses_approval_by_the_author_even_with_the_reviewer_role(case, eve):
    notice = in_review(case, eve)
    before = state(notice)
    with pytest.raises(ApplicationError) as refused:
        notices.notice_review(notice=notice, by=eve, decision="approve")
    assert refused.value.code == "four_eyes"
    assert refused.value.status_code == 403
    assert state(notice) == before
    assert notice.status == NoticeStatus.IN_REVIEW


def test_it_refuses_approval_by_anyone_who_wrote_a_version(case, cast, eve):
    notice = draft(case, cast.editor)
    notices.notice_edit(notice=notice, by=eve, **{**CONTENT, "body": "eve 改写的事实"})
    notices.notice_submit(notice=notice, by=cast.editor)
    before = state(notice)
    with pytest.raises(ApplicationError) as refused:
        notices.notice_review(notice=notice, by=eve, decision="approve")
    assert refused.value.code == "four_eyes"
    assert state(notice) == before
    notices.notice_review(notice=notice, by=cast.reviewer, decision="approve")
    assert state(notice)[0] == NoticeStatus.APPROVED


def test_it_refuses_approval_by_someone_without_the_reviewer_role(case, cast):
    notice = in_review(case, cast.editor)
    before = state(notice)
    for who in (cast.publisher, cast.nobody):
        with pytest.raises(ApplicationError) as refused:
            notices.notice_review(notice=notice, by=who, decision="approve")
        assert refused.value.code == "not_your_role"
    assert state(notice) == before


def test_it_needs_comments_to_send_back(case, cast):
    notice = in_review(case, cast.editor)
    before = state(notice)
    with pytest.raises(ApplicationError) as refused:
        notices.notice_review(notice=notice, by=cast.reviewer, decision="return", comments="  ")
    assert refused.value.code == "reason_required"
    assert "comments" in refused.value.fields
    assert state(notice) == before
    review = notices.notice_review(notice=notice, by=cast.reviewer, decision="return", comments="补充气象局来源")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT
    assert review.comments == "补充气象局来源"
    assert review.decision == "return"


def test_it_clears_the_approval_when_sent_back_after_approval(case, cast):
    notice = in_review(case, cast.editor)
    notices.notice_review(notice=notice, by=cast.reviewer, decision="approve")
    notices.notice_review(notice=notice, by=cast.reviewer2, decision="return", comments="数据需更新")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DRAFT
    assert notice.approved_by is None and notice.approved_at is None
    with pytest.raises(ApplicationError) as refused:
        workflow.case_publish_debunk(case=case, by=cast.publisher)
    assert refused.value.code == "guard_failed"


def test_it_refuses_an_unknown_decision(case, cast):
    notice = in_review(case, cast.editor)
    with pytest.raises(ApplicationError) as refused:
        notices.notice_review(notice=notice, by=cast.reviewer, decision="maybe")
    assert "decision" in refused.value.fields
    assert not NoticeReview.objects.exists()


# --- publication -----------------------------------------------------------------------


def approved(case, cast):
    notice = in_review(case, cast.editor)
    notices.notice_review(notice=notice, by=cast.reviewer, decision="approve")
    return notice


def test_it_publishes_with_consecutive_document_numbers(build, cast):
    year = timezone.localdate().year
    numbers = []
    for _ in range(2):
        case = build.debunking()
        notice = approved(case, cast)
        workflow.case_publish_debunk(case=case, by=cast.publisher)
        notice.refresh_from_db()
        case.refresh_from_db()
        assert notice.status == NoticeStatus.PUBLISHED
        assert notice.published_by == cast.publisher
        assert case.status == CaseStatus.DISPOSING
        match = re.fullmatch(rf"沪网信辟〔{year}〕(\d+)号", notice.document_number)
        assert match, notice.document_number
        numbers.append(int(match.group(1)))
    assert numbers[1] == numbers[0] + 1
    assert Counter.objects.get(name=f"notice-{year}").value == numbers[1]


def test_it_publishes_only_an_approved_notice(case, cast):
    notice = in_review(case, cast.editor)
    with pytest.raises(ApplicationError) as refused:
        workflow.case_publish_debunk(case=case, by=cast.publisher)
    assert refused.value.code == "guard_failed"
    notice.refresh_from_db()
    case.refresh_from_db()
    assert notice.status == NoticeStatus.IN_REVIEW and notice.document_number == ""
    assert case.status == CaseStatus.DEBUNKING
    assert not Counter.objects.filter(name__startswith="notice-").exists()


def test_it_lets_only_a_publisher_publish(case, cast):
    notice = approved(case, cast)
    for who in (cast.reviewer, cast.editor):
        with pytest.raises(ApplicationError) as refused:
            workflow.case_publish_debunk(case=case, by=who)
        assert refused.value.code == "not_your_role"
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.APPROVED
    assert not Counter.objects.filter(name__startswith="notice-").exists()


# --- withdrawal and correction -----------------------------------------------------------


@pytest.fixture
def published(case, cast):
    notice = approved(case, cast)
    workflow.case_publish_debunk(case=case, by=cast.publisher)
    notice.refresh_from_db()
    return notice


def test_it_needs_a_statement_to_withdraw(published, cast):
    before = state(published)
    with pytest.raises(ApplicationError) as refused:
        notices.notice_withdraw(notice=published, by=cast.supervisor, statement=" ")
    assert refused.value.code == "reason_required"
    assert state(published) == before
    notices.notice_withdraw(notice=published, by=cast.supervisor, statement="因事实有误，本通报撤回。")
    published.refresh_from_db()
    assert published.status == NoticeStatus.WITHDRAWN
    assert published.withdrawal_statement == "因事实有误，本通报撤回。"
    assert published.withdrawn_at is not None


def test_it_lets_only_a_supervisor_withdraw(published, cast):
    with pytest.raises(ApplicationError) as refused:
        notices.notice_withdraw(notice=published, by=cast.publisher, statement="撤回")
    assert refused.value.code == "not_your_role"
    published.refresh_from_db()
    assert published.status == NoticeStatus.PUBLISHED


def test_it_corrects_with_a_new_version_and_a_public_note(published, cast):
    first = published.current_version
    correction = notices.notice_correct(notice=published, by=cast.supervisor, note="更正：事发地点为闵行区",
                                        **{**CONTENT, "body": "经核实，闵行区当日无雷电记录。"})
    published.refresh_from_db()
    assert published.status == NoticeStatus.PUBLISHED
    assert published.current_version == correction.version
    assert correction.version.number == first.number + 1
    assert correction.version.content_sha256 != first.content_sha256
    assert correction.note == "更正：事发地点为闵行区"
    first.refresh_from_db()
    assert first.body == CONTENT["body"]
    assert AuditEvent.objects.filter(action="notice.corrected").count() == 1


def test_it_needs_a_note_to_correct(published, cast):
    versions = NoticeVersion.objects.count()
    with pytest.raises(ApplicationError) as refused:
        notices.notice_correct(notice=published, by=cast.supervisor, note="", **CONTENT)
    assert refused.value.code == "reason_required"
    assert NoticeVersion.objects.count() == versions
    assert not NoticeCorrection.objects.exists()


@pytest.mark.parametrize("stage", ["draft", "in_review", "approved", "withdrawn"])
def test_it_corrects_only_published_notices(case, cast, stage):
    if stage == "draft":
        notice = draft(case, cast.editor)
    elif stage == "in_review":
        notice = in_review(case, cast.editor)
    else:
        notice = approved(case, cast)
        if stage == "withdrawn":
            workflow.case_publish_debunk(case=case, by=cast.publisher)
            notice.refresh_from_db()
            notices.notice_withdraw(notice=notice, by=cast.supervisor, statement="撤回")
    versions = NoticeVersion.objects.count()
    with pytest.raises(ApplicationError) as refused:
        notices.notice_correct(notice=notice, by=cast.supervisor, note="更正", **CONTENT)
    assert refused.value.status_code == 409
    assert NoticeVersion.objects.count() == versions
    assert not NoticeCorrection.objects.exists()


def test_it_lets_only_a_supervisor_correct(published, cast):
    with pytest.raises(ApplicationError) as refused:
        notices.notice_correct(notice=published, by=cast.editor, note="更正", **CONTENT)
    assert refused.value.code == "not_your_role"
    assert not NoticeCorrection.objects.exists()

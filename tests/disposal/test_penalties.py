"""Penalties: a warning stands at once, anything heavier needs a second person; repeat offences count
across the subject's accounts on every platform."""

import pytest

from rumorcases.cases import workflow
from rumorcases.cases.choices import CaseStatus
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import Measure, OffenderRole, PenaltyStatus
from rumorcases.disposal.models import Account, LegalProvision, Penalty, Subject
from rumorcases.platforms.models import Platform


@pytest.fixture
def case(build):
    return build.disposing()


@pytest.fixture
def account(case):
    return case.reports.get().author


@pytest.fixture
def douyin(db):
    return Platform.objects.create(slug="douyin", name="抖音", name_en="Douyin", is_key=True)


def propose(case, account, by, provision, measure=Measure.WARNING, **kwargs):
    values = {"role": OffenderRole.ORIGINATOR, "reasoning": "编造并首发谣言", **kwargs}
    return disposal.penalty_propose(case=case, account=account, measure=measure, legal_provision=provision, by=by,
                                    **values)


def snapshot(penalty=None):
    rows = (Penalty.objects.count(), AuditEvent.objects.count())
    if penalty is None:
        return rows
    penalty.refresh_from_db()
    return (*rows, penalty.status, penalty.approved_by_id, penalty.revoked_reason, penalty.status_before_appeal)


def test_it_approves_a_warning_at_once(case, account, cast, provision):
    penalty = propose(case, account, cast.disposal, provision)
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.APPROVED
    assert penalty.approved_by == cast.disposal
    assert penalty.approved_at is not None
    assert list(AuditEvent.objects.filter(object_id=str(penalty.pk), object_type="disposal.penalty")
                .values_list("action", flat=True)) == ["penalty.proposed", "penalty.approved"]


def test_it_waits_for_approval_of_a_heavier_measure(case, account, cast, provision):
    penalty = propose(case, account, cast.disposal, provision, measure=Measure.POSTING_BAN, duration_days=15)
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.PROPOSED
    assert penalty.approved_by is None
    assert penalty.duration_days == 15
    disposal.penalty_approve(penalty=penalty, by=cast.supervisor)
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.APPROVED
    assert penalty.approved_by == cast.supervisor


def test_it_refuses_approval_by_the_proposer_even_a_supervisor(case, account, cast, provision):
    penalty = propose(case, account, cast.supervisor, provision, measure=Measure.CLOSE_ACCOUNT)
    before = snapshot(penalty)
    with pytest.raises(ApplicationError) as refused:
        disposal.penalty_approve(penalty=penalty, by=cast.supervisor)
    assert refused.value.code == "four_eyes"
    assert refused.value.status_code == 403
    assert snapshot(penalty) == before
    assert penalty.status == PenaltyStatus.PROPOSED
    disposal.penalty_approve(penalty=penalty, by=cast.supervisor2)
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.APPROVED
    assert penalty.approved_by == cast.supervisor2


def test_it_refuses_approval_by_someone_without_the_permission(case, account, cast, provision):
    penalty = propose(case, account, cast.disposal, provision, measure=Measure.DELETE_CONTENT)
    before = snapshot(penalty)
    for who in (cast.disposal2, cast.publisher, cast.nobody):
        with pytest.raises(ApplicationError) as refused:
            disposal.penalty_approve(penalty=penalty, by=who)
        assert refused.value.code == "not_your_role"
    assert snapshot(penalty) == before


@pytest.mark.parametrize("measure", sorted(m.value for m in [
    Measure.RESTRICT_FEATURES, Measure.POSTING_BAN, Measure.SUSPEND_UPDATES, Measure.DEMONETISE,
    Measure.RESTRICT_TRAFFIC]))
@pytest.mark.parametrize("duration", [None, 0, -3, 3651])
def test_it_needs_a_sensible_duration_for_measures_that_run(case, account, cast, provision, measure, duration):
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        propose(case, account, cast.disposal, provision, measure=measure, duration_days=duration)
    assert list(refused.value.fields) == ["duration_days"]
    assert snapshot() == before


@pytest.mark.parametrize("duration", [7, 0])
@pytest.mark.parametrize("measure", [Measure.WARNING, Measure.CLOSE_ACCOUNT, Measure.REFER_POLICE])
def test_it_refuses_a_duration_for_measures_that_do_not_run(case, account, cast, provision, measure, duration):
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        propose(case, account, cast.disposal, provision, measure=measure, duration_days=duration)
    assert list(refused.value.fields) == ["duration_days"]
    assert snapshot() == before


def test_it_refuses_an_inactive_provision(case, account, cast):
    repealed = LegalProvision.objects.create(code="old-1", law="已废止的规定", article="第一条", active=False)
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        propose(case, account, cast.disposal, repealed)
    assert list(refused.value.fields) == ["legal_provision"]
    with pytest.raises(ApplicationError) as refused:
        propose(case, account, cast.disposal, None)
    assert list(refused.value.fields) == ["legal_provision"]
    assert snapshot() == before


def test_it_lists_every_bad_field(case, account, cast, provision):
    with pytest.raises(ApplicationError) as refused:
        disposal.penalty_propose(case=case, account=account, role="bystander", measure="public_shaming",
                                 legal_provision=provision, reasoning=" ", by=cast.disposal)
    assert set(refused.value.fields) == {"role", "measure", "reasoning"}
    assert not Penalty.objects.exists()


def test_it_lets_only_disposal_staff_propose(case, account, cast, provision):
    for who in (cast.verifier, cast.publisher, cast.nobody, cast.auditor):
        with pytest.raises(ApplicationError) as refused:
            propose(case, account, who, provision)
        assert refused.value.code == "not_your_role"
    assert not Penalty.objects.exists()


@pytest.mark.parametrize("stage", ["discovered", "verifying", "exposing"])
def test_it_decides_penalties_only_in_debunking_or_disposing(build, cast, provision, stage):
    case = getattr(build, stage)()
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        propose(case, case.reports.get().author, cast.disposal, provision)
    assert refused.value.status_code == 409
    assert snapshot() == before


def test_it_decides_penalties_while_debunking(build, cast, provision):
    case = build.debunking()
    assert case.status == CaseStatus.DEBUNKING
    penalty = propose(case, case.reports.get().author, cast.disposal, provision)
    assert penalty.status == PenaltyStatus.APPROVED


# --- repeat offences -----------------------------------------------------------------------


def test_it_counts_prior_offences_across_the_subjects_accounts(build, cast, provision, douyin):
    first_case = build.disposing()
    weibo_account = first_case.reports.get().author
    propose(first_case, weibo_account, cast.disposal, provision)
    second_case = build.disposing()
    douyin_account = Account.objects.create(platform=douyin, platform_account_id="dy-9", handle="same_person")
    stranger = Account.objects.create(platform=douyin, platform_account_id="dy-10", handle="someone_else")
    assert propose(second_case, douyin_account, cast.disposal, provision).prior_offences == 0

    person = Subject.objects.create(name="张某")
    disposal.subject_link_account(account=weibo_account, subject=person, by=cast.disposal)
    disposal.subject_link_account(account=douyin_account, subject=person, by=cast.disposal)
    repeat = propose(second_case, douyin_account, cast.disposal, provision, role=OffenderRole.REPEAT_OFFENDER)
    assert repeat.prior_offences == 1
    assert AuditEvent.objects.filter(action="penalty.proposed", object_id=str(repeat.pk)).get().data[
        "prior_offences"] == 1
    assert propose(second_case, stranger, cast.disposal, provision).prior_offences == 0


def test_it_does_not_count_revoked_or_merely_proposed_penalties(build, cast, provision):
    first_case = build.disposing()
    account = first_case.reports.get().author
    revoked = propose(first_case, account, cast.disposal, provision)
    disposal.penalty_revoke(penalty=revoked, by=cast.supervisor, reason="认定有误")
    propose(first_case, account, cast.disposal, provision, measure=Measure.CLOSE_ACCOUNT)  # still proposed
    second_case = build.disposing()
    assert propose(second_case, account, cast.disposal, provision).prior_offences == 0
    # nor earlier penalties in the same case
    assert propose(second_case, account, cast.disposal, provision).prior_offences == 0


# --- revocation and appeals ----------------------------------------------------------------


def test_it_needs_a_reason_to_revoke(case, account, cast, provision):
    penalty = propose(case, account, cast.disposal, provision, measure=Measure.DELETE_CONTENT)
    before = snapshot(penalty)
    with pytest.raises(ApplicationError) as refused:
        disposal.penalty_revoke(penalty=penalty, by=cast.supervisor, reason="  ")
    assert refused.value.code == "reason_required"
    assert snapshot(penalty) == before
    disposal.penalty_revoke(penalty=penalty, by=cast.supervisor, reason="账号系被盗用")
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.REVOKED
    assert penalty.revoked_reason == "账号系被盗用"


def test_it_lets_only_a_supervisor_revoke(case, account, cast, provision):
    penalty = propose(case, account, cast.disposal, provision)
    before = snapshot(penalty)
    with pytest.raises(ApplicationError) as refused:
        disposal.penalty_revoke(penalty=penalty, by=cast.disposal, reason="想撤")
    assert refused.value.code == "not_your_role"
    assert snapshot(penalty) == before


def test_it_returns_an_upheld_appeal_to_where_it_stood(case, account, cast, provision):
    penalty = propose(case, account, cast.disposal, provision)
    with pytest.raises(ApplicationError) as refused:
        disposal.penalty_appeal(penalty=penalty, by=cast.supervisor, note="")
    assert refused.value.code == "reason_required"
    disposal.penalty_appeal(penalty=penalty, by=cast.supervisor, note="当事人称系转发")
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.APPEALED
    assert penalty.appeal_note == "当事人称系转发"
    # An undecided appeal holds the case in disposal.
    with pytest.raises(ApplicationError) as refused:
        workflow.case_complete_disposal(case=case, by=cast.disposal)
    assert refused.value.code == "guard_failed"
    disposal.penalty_uphold(penalty=penalty, by=cast.supervisor)
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.APPROVED
    workflow.case_complete_disposal(case=case, by=cast.disposal)
    case.refresh_from_db()
    assert case.status == CaseStatus.EXPOSING


def test_it_returns_an_ordered_penalty_to_ordered(case, account, cast, provision):
    from datetime import timedelta

    from django.utils import timezone

    penalty = propose(case, account, cast.disposal, provision)
    disposal.order_issue(case=case, platform=account.platform, due_at=timezone.now() + timedelta(days=1),
                         by=cast.disposal, items=[{"kind": "act_on_account", "penalty": penalty}])
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.ORDERED
    disposal.penalty_appeal(penalty=penalty, by=cast.supervisor, note="申诉")
    disposal.penalty_uphold(penalty=penalty, by=cast.supervisor)
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.ORDERED


def test_it_can_revoke_after_an_appeal(case, account, cast, provision):
    penalty = propose(case, account, cast.disposal, provision)
    disposal.penalty_appeal(penalty=penalty, by=cast.supervisor, note="申诉")
    disposal.penalty_revoke(penalty=penalty, by=cast.supervisor, reason="申诉成立")
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.REVOKED


def test_it_refuses_to_appeal_a_proposal_or_uphold_without_an_appeal(case, account, cast, provision):
    penalty = propose(case, account, cast.disposal, provision, measure=Measure.CLOSE_ACCOUNT)
    before = snapshot(penalty)
    with pytest.raises(ApplicationError) as refused:
        disposal.penalty_appeal(penalty=penalty, by=cast.supervisor, note="申诉")
    assert refused.value.code == "transition_not_allowed"
    with pytest.raises(ApplicationError) as refused:
        disposal.penalty_uphold(penalty=penalty, by=cast.supervisor)
    assert refused.value.code == "transition_not_allowed"
    assert snapshot(penalty) == before

"""The whole transition table of PRODUCT.md: every transition from every state, for every role,
with each guard, the reason rule, the record, the audit event, the deadline clock and the
notification of whoever acts next.

The expectations are written out here from the specification, never read from the code
(`ROLE_PERMISSIONS`, the model's transitions), so that a change to the code shows up as a
failing test rather than as a new expectation.
"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.utils import timezone

from rumorcases.bulletins import services as bulletins
from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin
from rumorcases.cases import guards, workflow
from rumorcases.cases import services as case_services
from rumorcases.cases.choices import CaseStatus, Priority, Resolution, Verdict
from rumorcases.cases.deadlines import DEFAULT_HOURS
from rumorcases.cases.models import Case, CaseTransition, Report, StageDeadline
from rumorcases.cases.tasks import notify_case_transition
from rumorcases.core import roles
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.fsm import available_transitions, transition_label
from rumorcases.core.models import AuditEvent, Notification
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import Measure, OffenderRole, OrderStatus, PenaltyStatus
from rumorcases.disposal.models import DisposalOrder
from rumorcases.notices import services as notices
from rumorcases.notices.choices import NoticeStatus
from rumorcases.notices.models import DebunkNotice
from tests.conftest import PNG, make_user, report_input

DISCOVERED, VERIFYING, DEBUNKING = CaseStatus.DISCOVERED, CaseStatus.VERIFYING, CaseStatus.DEBUNKING
DISPOSING, EXPOSING, CLOSED = CaseStatus.DISPOSING, CaseStatus.EXPOSING, CaseStatus.CLOSED
STATES = [DISCOVERED, VERIFYING, DEBUNKING, DISPOSING, EXPOSING, CLOSED]

# PRODUCT.md's workflow table: transition -> (the states it leaves from, the state it leads to).
TABLE = {
    "start_verification": ((DISCOVERED,), VERIFYING),
    "dismiss": ((DISCOVERED,), CLOSED),
    "merge_into": ((DISCOVERED, VERIFYING), CLOSED),
    "confirm_rumour": ((VERIFYING,), DEBUNKING),
    "clear": ((VERIFYING,), CLOSED),
    "close_unverifiable": ((VERIFYING,), CLOSED),
    "publish_debunk": ((DEBUNKING,), DISPOSING),
    "return_to_verification": ((DEBUNKING,), VERIFYING),
    "complete_disposal": ((DISPOSING,), EXPOSING),
    "mark_exposed": ((EXPOSING,), CLOSED),
    "close_without_exposure": ((EXPOSING,), CLOSED),
    "reopen": ((CLOSED,), VERIFYING),
}
TRANSITIONS = list(TABLE)
PAIRS = [(name, source) for name, (sources, _target) in TABLE.items() for source in sources]
NOT_IN_TABLE = [(name, state) for name in TABLE for state in STATES if state not in TABLE[name][0]]

# The resolution each closing transition gives the case.
RESOLUTION = {
    "dismiss": Resolution.OUT_OF_SCOPE,
    "merge_into": Resolution.DUPLICATE,
    "clear": Resolution.NOT_A_RUMOUR,
    "close_unverifiable": Resolution.UNVERIFIABLE,
    "mark_exposed": Resolution.EXPOSED,
    "close_without_exposure": Resolution.DISPOSED_NOT_EXPOSED,
}
REASON_REQUIRED = ["dismiss", "clear", "close_unverifiable", "return_to_verification", "close_without_exposure",
                   "reopen"]
REASON_OPTIONAL = [name for name in TRANSITIONS if name not in REASON_REQUIRED]

# Who may fire what. The supervisor may do everything, and alone may dismiss, close and
# reopen; the auditor and a user without a role may do nothing.
INTAKE, VERIFIER, EDITOR, REVIEWER = "intake_officer", "verifier", "notice_editor", "reviewer"
DISPOSAL, PUBLISHER, SUPERVISOR, AUDITOR, NO_ROLE = "disposal_officer", "publisher", "supervisor", "auditor", "no_role"
ROLES = [INTAKE, VERIFIER, EDITOR, REVIEWER, DISPOSAL, PUBLISHER, SUPERVISOR, AUDITOR, NO_ROLE]
ALLOWED = {
    "start_verification": {INTAKE, VERIFIER, SUPERVISOR},
    "dismiss": {SUPERVISOR},
    "merge_into": {INTAKE, VERIFIER, SUPERVISOR},
    "confirm_rumour": {VERIFIER, SUPERVISOR},
    "clear": {VERIFIER, SUPERVISOR},
    "close_unverifiable": {SUPERVISOR},
    "publish_debunk": {PUBLISHER, SUPERVISOR},
    "return_to_verification": {VERIFIER, REVIEWER, SUPERVISOR},
    "complete_disposal": {DISPOSAL, SUPERVISOR},
    "mark_exposed": {PUBLISHER, SUPERVISOR},
    "close_without_exposure": {SUPERVISOR},
    "reopen": {SUPERVISOR},
}
# The member of the cast (tests/conftest.py) who holds each role.
CAST = {INTAKE: "intake", VERIFIER: "verifier", EDITOR: "editor", REVIEWER: "reviewer", DISPOSAL: "disposal",
        PUBLISHER: "publisher", SUPERVISOR: "supervisor", AUDITOR: "auditor", NO_ROLE: "nobody"}
# Who ordinarily presses each button.
USUAL_ACTOR = {
    "start_verification": INTAKE, "dismiss": SUPERVISOR, "merge_into": VERIFIER, "confirm_rumour": VERIFIER,
    "clear": VERIFIER, "close_unverifiable": SUPERVISOR, "publish_debunk": PUBLISHER,
    "return_to_verification": REVIEWER, "complete_disposal": DISPOSAL, "mark_exposed": PUBLISHER,
    "close_without_exposure": SUPERVISOR, "reopen": SUPERVISOR,
}
REASON = "经核查后决定"


@pytest.fixture(autouse=True)
def _evidence_files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


# --- bringing a case where a test needs it ------------------------------------------------


def case_in(build, state):
    """A fresh case in `state`, moved there by the real services (closed means dismissed)."""
    if state == CLOSED:
        case = build.discovered()
        workflow.case_dismiss(case=case, by=build.c.supervisor, reason="不属于本办管辖")
        return case
    return getattr(build, state)()


def other_case(build):
    """An open case about a different rumour, to merge into."""
    return build.discovered(content=f"另一条传言第{build._n + 1}号：某水库即将决堤")


def record_finding(build, case, verdict, *, with_evidence=True):
    evidence = []
    if with_evidence:
        evidence = [case_services.evidence_add(case=case, upload=SimpleUploadedFile("shot.png", PNG),
                                               by=build.c.verifier)]
    return case_services.finding_record(case=case, verdict=verdict, reasoning="核查结论", by=build.c.verifier,
                                        evidence=evidence)


def draft_bulletin_with(build, case):
    today = timezone.localdate()
    bulletin = bulletins.bulletin_create(by=build.c.publisher, title="网络谣言曝光台", period_start=today,
                                         period_end=today)
    bulletins.bulletin_add_entry(bulletin=bulletin, case=case, by=build.c.publisher, headline="h",
                                 rumour_summary="r", finding_summary="f")
    return bulletin


def put_in_published_bulletin(build, case):
    # Publishing a bulletin through its service closes every case in it at once; to keep a
    # case waiting in `exposing` with the guard met, the bulletin is marked published directly.
    bulletin = draft_bulletin_with(build, case)
    Bulletin.objects.filter(pk=bulletin.pk).update(status=BulletinStatus.PUBLISHED, published_at=timezone.now())
    return bulletin


def ready(build, name, source=None):
    """A case in `source` (the transition's first source by default) with the guard of `name` met."""
    case = case_in(build, source or TABLE[name][0][0])
    if name == "confirm_rumour":
        build.add_rumour_finding(case)
    elif name == "clear":
        record_finding(build, case, Verdict.TRUE)
    elif name == "publish_debunk":
        build.approved_notice(case)
    elif name == "mark_exposed":
        put_in_published_bulletin(build, case)
    return case


def extra_arguments(build, name):
    return {"target": other_case(build)} if name == "merge_into" else {}


def run(name, case, by, reason=REASON, **extra):
    return workflow.TRANSITION_SERVICES[name](case=case, by=by, reason=reason, **extra)


def user_for(build, role):
    return getattr(build.c, CAST[role])


def refused(code, service, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        service(**kwargs)
    assert info.value.code == code, f"{info.value.code}: {info.value.message}"
    return info.value


def written_state(case):
    """What a refused transition must leave alone: the case row, every transition record,
    the audit trail, and where the reports are."""
    return {
        "case": Case.objects.values("status", "resolution", "closed_at", "merged_into", "stage_started_at",
                                    "stage_deadline", "priority", "updated_at").get(pk=case.pk),
        "transitions": CaseTransition.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "reports": sorted(Report.objects.values_list("pk", "case_id")),
    }


def last_audit_seq():
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


# --- the table itself ------------------------------------------------------------------


def test_the_case_model_declares_exactly_the_table():
    declared = {}
    for transition in Case._meta.get_field("status").get_all_transitions(Case):
        sources, target = declared.setdefault(transition.name, (set(), transition.target))
        assert target == transition.target
        sources.add(transition.source)
    assert declared == {name: (set(sources), target) for name, (sources, target) in TABLE.items()}
    assert set(workflow.TRANSITION_SERVICES) == set(TABLE)


# --- 1. every transition from every state where the table does not have it ------------------


@pytest.mark.parametrize(("name", "state"), NOT_IN_TABLE, ids=[f"{n}-from-{s}" for n, s in NOT_IN_TABLE])
def test_a_transition_not_in_the_table_for_the_state_is_refused_and_writes_nothing(build, name, state):
    case = case_in(build, state)
    extra = extra_arguments(build, name)
    before = written_state(case)

    error = refused("transition_not_allowed", workflow.TRANSITION_SERVICES[name], case=case, by=build.c.supervisor,
                    reason=REASON, **extra)

    assert error.status_code == 409
    # Staff read the transition's and the state's labels, never the internal names.
    assert transition_label(Case, name) in error.message
    assert str(CaseStatus(state).label) in error.message
    assert name not in error.message
    assert written_state(case) == before
    assert case.status == state


# --- 2. every transition for every role -------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", TRANSITIONS)
def test_only_the_roles_named_for_a_transition_may_fire_it(build, name, role):
    case = ready(build, name)
    user = user_for(build, role)
    extra = extra_arguments(build, name)
    allowed = role in ALLOWED[name]
    # The buttons the UI offers come from the same rules.
    assert (name in available_transitions(case, user)) is allowed

    if allowed:
        record = run(name, case, user, **extra)
        case.refresh_from_db()
        assert case.status == TABLE[name][1]
        assert record.actor == user
    else:
        before = written_state(case)
        error = refused("not_your_role", workflow.TRANSITION_SERVICES[name], case=case, by=user, reason=REASON,
                        **extra)
        assert error.status_code == 403
        assert written_state(case) == before


def test_an_inactive_user_or_no_user_may_fire_nothing(build):
    case = ready(build, "start_verification")
    former = make_user("former-verifier", roles.VERIFIER)
    former.is_active = False
    former.save(update_fields=["is_active"])
    before = written_state(case)
    refused("not_your_role", workflow.case_start_verification, case=case, by=former)
    refused("not_your_role", workflow.case_start_verification, case=case, by=None)
    assert written_state(case) == before


# --- 3. guards ----------------------------------------------------------------------------


def assert_guard_refuses(case, name, by, guard, **extra):
    before = written_state(case)
    error = refused("guard_failed", workflow.TRANSITION_SERVICES[name], case=case, by=by, reason=REASON, **extra)
    assert error.message == str(guard.message)
    assert written_state(case) == before
    assert name not in available_transitions(case, by)


def _nothing(build, case):
    pass


def _true_finding(build, case):
    record_finding(build, case, Verdict.TRUE)


def _unverifiable_finding(build, case):
    record_finding(build, case, Verdict.UNVERIFIABLE)


def _false_finding_without_evidence(build, case):
    record_finding(build, case, Verdict.FALSE, with_evidence=False)


def _evidence_and_false_finding_apart(build, case):
    # Evidence exists, and a false finding exists, but the finding does not cite it.
    record_finding(build, case, Verdict.TRUE)
    record_finding(build, case, Verdict.FALSE, with_evidence=False)


@pytest.mark.parametrize("arrange", [_nothing, _true_finding, _unverifiable_finding,
                                     _false_finding_without_evidence, _evidence_and_false_finding_apart])
def test_confirm_rumour_needs_a_false_or_misleading_finding_backed_by_evidence(build, arrange):
    case = build.verifying()
    arrange(build, case)
    assert_guard_refuses(case, "confirm_rumour", build.c.verifier, guards.has_rumour_finding_with_evidence)


@pytest.mark.parametrize("verdict", [Verdict.FALSE, Verdict.MISLEADING])
def test_confirm_rumour_succeeds_with_a_rumour_finding_backed_by_evidence(build, verdict):
    case = build.verifying()
    record_finding(build, case, verdict)
    workflow.case_confirm_rumour(case=case, by=build.c.verifier)
    case.refresh_from_db()
    assert case.status == DEBUNKING


@pytest.mark.parametrize("arrange", [_nothing, _unverifiable_finding, _false_finding_without_evidence])
def test_clear_needs_a_true_finding(build, arrange):
    case = build.verifying()
    arrange(build, case)
    build.add_rumour_finding(case)
    assert_guard_refuses(case, "clear", build.c.verifier, guards.has_true_finding)


def _notice_in_draft(build, case):
    notices.notice_create(case=case, by=build.c.editor, title="辟谣", claim=case.claim, verdict="false",
                          body="经核实，该信息不实。")


def _notice_in_review(build, case):
    _notice_in_draft(build, case)
    notices.notice_submit(notice=case.notices.get(), by=build.c.editor)


def _notice_sent_back(build, case):
    _notice_in_review(build, case)
    notices.notice_review(notice=case.notices.get(), by=build.c.reviewer, decision="return", comments="请补充来源")


def _notice_approved_by_its_author(build, case):
    # The services never let this happen (four-eyes at review); the guard must hold on its own.
    notice = build.approved_notice(case)
    DebunkNotice.objects.filter(pk=notice.pk).update(approved_by=notice.created_by)


@pytest.mark.parametrize("arrange", [_nothing, _notice_in_draft, _notice_in_review, _notice_sent_back,
                                     _notice_approved_by_its_author],
                         ids=["no-notice", "draft", "in-review", "sent-back", "approved-by-author"])
def test_publish_debunk_needs_a_notice_approved_by_someone_other_than_its_author(build, arrange):
    case = build.debunking()
    arrange(build, case)
    assert_guard_refuses(case, "publish_debunk", build.c.publisher, guards.has_notice_approved_by_another)
    assert not case.notices.filter(status=NoticeStatus.PUBLISHED).exists()


def test_publish_debunk_publishes_the_approved_notice_with_the_case(build):
    case = build.debunking()
    notice = build.approved_notice(case)
    record = workflow.case_publish_debunk(case=case, by=build.c.publisher)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    assert notice.published_by == build.c.publisher
    assert CaseTransition.objects.get(pk=record.pk).data == {"notice": str(notice.public_id)}


def penalty(build, case, measure=Measure.WARNING, duration_days=None, by=None):
    return disposal.penalty_propose(case=case, account=case.reports.get().author, role=OffenderRole.ORIGINATOR,
                                    measure=measure, legal_provision=build.provision, reasoning="编造并传播虚假信息",
                                    by=by or build.c.disposal, duration_days=duration_days)


def order(build, case, items=None):
    items = items or [{"kind": "remove_content", "report": case.reports.get()}]
    return disposal.order_issue(case=case, platform=build.platform, due_at=timezone.now() + timedelta(days=1),
                                by=build.c.disposal, items=items)


def _proposed_heavier_penalty(build, case):
    proposed = penalty(build, case, Measure.POSTING_BAN, duration_days=7)
    assert proposed.status == PenaltyStatus.PROPOSED


def _appealed_penalty(build, case):
    disposal.penalty_appeal(penalty=penalty(build, case), by=build.c.supervisor, note="当事人提出申诉")


def _issued_order(build, case):
    order(build, case)


def _acknowledged_order(build, case):
    disposal.order_acknowledge(order=order(build, case), platform=build.platform)


def _overdue_order(build, case):
    issued = order(build, case)
    DisposalOrder.objects.filter(pk=issued.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    issued.refresh_from_db()
    disposal.order_mark_overdue(order=issued)


def _rejected_order(build, case):
    disposal.order_reject(order=order(build, case), reason="账号已注销，无法执行", platform=build.platform)


@pytest.mark.parametrize(("arrange", "guard", "status"), [
    (_proposed_heavier_penalty, guards.all_penalties_decided, PenaltyStatus.PROPOSED),
    (_appealed_penalty, guards.all_penalties_decided, PenaltyStatus.APPEALED),
    (_issued_order, guards.all_orders_closed, OrderStatus.ISSUED),
    (_acknowledged_order, guards.all_orders_closed, OrderStatus.ACKNOWLEDGED),
    (_overdue_order, guards.all_orders_closed, OrderStatus.OVERDUE),
    (_rejected_order, guards.all_orders_closed, OrderStatus.REJECTED),
], ids=["proposed-penalty", "appealed-penalty", "issued-order", "acknowledged-order", "overdue-order",
        "rejected-order"])
def test_complete_disposal_needs_every_penalty_decided_and_every_order_closed(build, arrange, guard, status):
    case = build.disposing()
    arrange(build, case)
    assert status in {*case.penalties.values_list("status", flat=True), *case.orders.values_list("status", flat=True)}
    assert_guard_refuses(case, "complete_disposal", build.c.disposal, guard)


def _executed_order_of_an_approved_ban(build, case):
    ban = penalty(build, case, Measure.POSTING_BAN, duration_days=7)
    disposal.penalty_approve(penalty=ban, by=build.c.supervisor)
    issued = order(build, case, items=[{"kind": "remove_content", "report": case.reports.get()},
                                       {"kind": "act_on_account", "penalty": ban}])
    results = [{"item": item.pk, "executed": True} for item in issued.items.all()]
    disposal.order_complete(order=issued, results=results, platform=build.platform)


def _waived_order(build, case):
    rejected = order(build, case)
    disposal.order_reject(order=rejected, reason="帖子已被作者删除", platform=build.platform)
    disposal.order_waive(order=rejected, by=build.c.supervisor, reason="内容已不存在")


def _revoked_penalty_and_a_warning(build, case):
    disposal.penalty_revoke(penalty=penalty(build, case, Measure.POSTING_BAN, duration_days=3),
                            by=build.c.supervisor, reason="情节轻微")
    penalty(build, case)


@pytest.mark.parametrize("arrange", [_nothing, _executed_order_of_an_approved_ban, _waived_order,
                                     _revoked_penalty_and_a_warning],
                         ids=["nothing-to-do", "order-completed", "order-waived", "penalties-decided"])
def test_complete_disposal_succeeds_once_everything_is_decided_and_closed(build, arrange):
    case = build.disposing()
    arrange(build, case)
    workflow.case_complete_disposal(case=case, by=build.c.disposal)
    case.refresh_from_db()
    assert case.status == EXPOSING


@pytest.mark.parametrize("bulletin_status", [None, BulletinStatus.DRAFT, BulletinStatus.IN_REVIEW])
def test_mark_exposed_needs_a_published_bulletin_containing_the_case(build, bulletin_status):
    case = build.exposing()
    if bulletin_status is not None:
        bulletin = draft_bulletin_with(build, case)
        if bulletin_status == BulletinStatus.IN_REVIEW:
            bulletins.bulletin_submit(bulletin=bulletin, by=build.c.publisher)
    # Another case's published bulletin does not count for this one.
    put_in_published_bulletin(build, build.exposing())
    assert_guard_refuses(case, "mark_exposed", build.c.publisher, guards.in_published_bulletin)


def test_publishing_a_bulletin_closes_its_cases_as_exposed(build):
    case = build.closed_exposed()
    assert case.status == CLOSED
    assert case.resolution == Resolution.EXPOSED
    bulletin = Bulletin.objects.get(entries__case=case)
    record = case.transitions.get(name="mark_exposed")
    assert record.source == EXPOSING
    assert str(bulletin.year) in record.reason  # the reason names the bulletin
    assert str(bulletin.issue_number) in record.reason.replace(str(bulletin.year), "")


def test_a_duplicate_cannot_be_reopened(build):
    case = build.discovered()
    workflow.case_merge_into(case=case, target=other_case(build), by=build.c.verifier)
    case.refresh_from_db()
    assert_guard_refuses(case, "reopen", build.c.supervisor, guards.not_a_duplicate)
    case.refresh_from_db()
    assert (case.status, case.resolution) == (CLOSED, Resolution.DUPLICATE)


# --- 4. reasons -------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "  \n\t　"], ids=["blank", "whitespace"])
@pytest.mark.parametrize("name", REASON_REQUIRED)
def test_a_transition_that_must_say_why_refuses_a_blank_reason(build, name, reason):
    case = ready(build, name)
    by = user_for(build, USUAL_ACTOR[name])
    before = written_state(case)
    error = refused("reason_required", workflow.TRANSITION_SERVICES[name], case=case, by=by, reason=reason)
    assert "reason" in error.fields
    assert written_state(case) == before


@pytest.mark.parametrize("name", REASON_OPTIONAL)
def test_a_transition_that_need_not_say_why_goes_through_without_a_reason(build, name):
    case = ready(build, name)
    record = workflow.TRANSITION_SERVICES[name](case=case, by=user_for(build, USUAL_ACTOR[name]),
                                                **extra_arguments(build, name))
    assert record.reason == ""
    case.refresh_from_db()
    assert case.status == TABLE[name][1]


def test_the_reason_is_recorded_trimmed(build):
    case = ready(build, "dismiss")
    record = workflow.case_dismiss(case=case, by=build.c.supervisor, reason="  与本市无关  \n")
    assert CaseTransition.objects.get(pk=record.pk).reason == "与本市无关"


# --- 5. what every successful transition writes ----------------------------------------------


def set_priority(case, priority):
    # Straight to the row: the service refuses closed cases, and the priority is all that matters here.
    Case.objects.filter(pk=case.pk).update(priority=priority)
    case.refresh_from_db()


@pytest.mark.parametrize(("name", "source"), PAIRS, ids=[f"{n}-from-{s}" for n, s in PAIRS])
def test_a_transition_records_audits_and_restarts_the_clock(build, name, source):
    case = ready(build, name, source)
    set_priority(case, Priority.P2)
    by = user_for(build, USUAL_ACTOR[name])
    extra = extra_arguments(build, name)
    target = TABLE[name][1]
    transitions_before = case.transitions.count()
    seq_before = last_audit_seq()
    started_before = case.stage_started_at
    stage_deadline_before = case.stage_deadline

    record = run(name, case, by, reason="领导批示：" + name, **extra)

    case.refresh_from_db()
    assert case.status == target
    assert case.transitions.count() == transitions_before + 1
    stored = CaseTransition.objects.get(pk=record.pk)
    assert (stored.case, stored.name, stored.actor, stored.source, stored.target, stored.reason) == (
        case, name, by, source, target, "领导批示：" + name)

    events = list(AuditEvent.objects.filter(seq__gt=seq_before, action=f"case.{name}"))
    assert len(events) == 1
    event = events[0]
    assert (event.case_reference, event.object_type, event.object_id, event.actor) == (
        case.reference, "cases.case", str(case.pk), by)
    assert event.data["from"] == source
    assert event.data["to"] == target
    assert event.data["reason"] == "领导批示：" + name
    assert event.data["transition_id"] == record.pk

    assert case.stage_started_at == stored.created_at
    assert case.stage_started_at > started_before
    if target == CLOSED:
        assert case.stage_deadline is None
        assert case.closed_at >= case.stage_started_at
        assert case.resolution == RESOLUTION[name]
    else:
        assert case.stage_deadline == case.stage_started_at + timedelta(hours=DEFAULT_HOURS[target][Priority.P2])
        assert case.stage_deadline != stage_deadline_before
        assert case.resolution == ""
        assert case.closed_at is None


@pytest.mark.parametrize("priority", [Priority.P1, Priority.P2, Priority.P3])
def test_the_stage_deadline_follows_the_case_priority(build, priority):
    case = build.discovered()
    set_priority(case, priority)
    workflow.case_start_verification(case=case, by=build.c.intake)
    case.refresh_from_db()
    assert case.stage_deadline - case.stage_started_at == timedelta(hours=DEFAULT_HOURS[VERIFYING][priority])


def test_the_deadline_follows_a_priority_raised_after_the_case_was_loaded(build, platform):
    case = build.verifying()
    build.add_rumour_finding(case)
    loaded_earlier = Case.objects.get(pk=case.pk)
    # Meanwhile a platform reports the rumour past the legal threshold: the case becomes P1.
    case_services.report_ingest(platform=platform, data=report_input(
        external_id="viral", url="https://weibo.example/viral", content=case.reports.get().content, views=50_000))

    workflow.case_confirm_rumour(case=loaded_earlier, by=build.c.verifier)

    case.refresh_from_db()
    assert case.priority == Priority.P1
    assert case.stage_deadline == case.stage_started_at + timedelta(hours=DEFAULT_HOURS[DEBUNKING][Priority.P1])


OPEN_TARGET_PAIRS = [(name, source) for name, source in PAIRS if TABLE[name][1] != CLOSED]


@pytest.mark.parametrize(("name", "source"), OPEN_TARGET_PAIRS, ids=[n for n, _s in OPEN_TARGET_PAIRS])
def test_the_offices_stage_deadline_wins_over_the_default(build, name, source):
    case = ready(build, name, source)
    set_priority(case, Priority.P2)
    target = TABLE[name][1]
    StageDeadline.objects.create(stage=target, priority=Priority.P2, hours=5)
    StageDeadline.objects.create(stage=target, priority=Priority.P1, hours=1)  # another priority's: ignored
    run(name, case, user_for(build, USUAL_ACTOR[name]), **extra_arguments(build, name))
    case.refresh_from_db()
    assert case.stage_deadline == case.stage_started_at + timedelta(hours=5)


def _closed_by(name):
    def close(build):
        case = ready(build, name)
        run(name, case, user_for(build, USUAL_ACTOR[name]))
        case.refresh_from_db()
        return case

    return close


@pytest.mark.parametrize("close", [_closed_by(n) for n in RESOLUTION if n != "merge_into"],
                         ids=[n for n in RESOLUTION if n != "merge_into"])
def test_reopening_clears_the_resolution_and_starts_verification_again(build, close):
    case = close(build)
    assert case.resolution and case.closed_at
    workflow.case_reopen(case=case, by=build.c.supervisor, reason="出现新证据")
    case.refresh_from_db()
    assert (case.status, case.resolution, case.closed_at) == (VERIFYING, "", None)
    assert case.stage_deadline == case.stage_started_at + timedelta(hours=DEFAULT_HOURS[VERIFYING][case.priority])


# --- 6. merging -------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [DISCOVERED, VERIFYING])
def test_merging_moves_every_report_to_the_surviving_case(build, platform, source):
    case = case_in(build, source)
    second = case_services.report_ingest(platform=platform, data=report_input(
        external_id="again-1", url="https://weibo.example/again-1", content=case.reports.get().content))
    assert second.case == case
    target = other_case(build)
    own = list(target.reports.values_list("pk", flat=True))
    moved = sorted(case.reports.values_list("pk", flat=True))
    assert len(moved) == 2

    record = workflow.case_merge_into(case=case, target=target, by=build.c.verifier, reason="同一谣言")

    case.refresh_from_db()
    assert (case.status, case.resolution, case.merged_into) == (CLOSED, Resolution.DUPLICATE, target)
    assert not case.reports.exists()
    assert sorted(target.reports.values_list("pk", flat=True)) == sorted(own + moved)
    assert set(Report.objects.filter(pk__in=moved).values_list("match_reason", flat=True)) == {"merged"}
    assert record.data == {"target": target.reference, "reports_moved": 2}
    received = AuditEvent.objects.get(action="case.merged_reports_received", case_reference=target.reference)
    assert received.data["from_case"] == case.reference
    assert sorted(received.data["report_ids"]) == moved
    target.refresh_from_db()
    assert target.status == DISCOVERED


def test_a_case_cannot_be_merged_into_itself(build):
    case = build.discovered()
    before = written_state(case)
    error = refused("invalid", workflow.case_merge_into, case=case, target=Case.objects.get(pk=case.pk),
                    by=build.c.verifier)
    assert "target" in error.fields
    assert written_state(case) == before


def test_a_case_cannot_be_merged_into_a_closed_case(build):
    case = build.discovered()
    target = case_in(build, CLOSED)
    before = written_state(case)
    error = refused("invalid", workflow.case_merge_into, case=case, target=target, by=build.c.verifier)
    assert "target" in error.fields
    assert written_state(case) == before


def test_a_case_cannot_be_merged_into_nothing(build):
    case = build.discovered()
    before = written_state(case)
    refused("invalid", workflow.case_merge_into, case=case, target=None, by=build.c.verifier)
    assert written_state(case) == before


# --- 7. a stale copy ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "source"), PAIRS, ids=[f"{n}-from-{s}" for n, s in PAIRS])
def test_a_stale_copy_gets_changed_meanwhile_and_nothing_is_done_twice(build, name, source):
    case = ready(build, name, source)
    by = user_for(build, USUAL_ACTOR[name])
    extra = extra_arguments(build, name)
    first, stale = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    run(name, first, by, **extra)
    before = written_state(case)

    error = refused("changed_meanwhile", workflow.TRANSITION_SERVICES[name], case=stale, by=by, reason=REASON,
                    **extra)

    assert error.status_code == 409
    assert written_state(case) == before
    assert CaseTransition.objects.filter(case=case, name=name).count() == 1
    assert AuditEvent.objects.filter(case_reference=case.reference, action=f"case.{name}").count() == 1
    # Reloaded, the copy gets the plain answer: the case has moved on.
    stale.refresh_from_db()
    refused("transition_not_allowed", workflow.TRANSITION_SERVICES[name], case=stale, by=by, reason=REASON, **extra)


def _another_publisher_wins(build, case):
    workflow.case_publish_debunk(case=Case.objects.get(pk=case.pk), by=build.c.publisher2)


def _a_reviewer_sends_the_notice_back(build, case):
    notices.notice_review(notice=case.notices.get(), by=build.c.reviewer2, decision="return", comments="数据有误")


@pytest.mark.parametrize(("meanwhile", "code"), [(_another_publisher_wins, "changed_meanwhile"),
                                                 (_a_reviewer_sends_the_notice_back, "guard_failed")],
                         ids=["case-moved", "guard-broken"])
def test_what_changes_between_the_check_and_the_move_is_answered_plainly(build, monkeypatch, meanwhile, code):
    # django-fsm checks the guard again as the transition runs; something committed between
    # the two checks must give an answer, never a TransitionNotAllowed escaping as a server error.
    case = build.debunking()
    build.approved_notice(case)
    checked = workflow.refusal

    def check_then_let_the_other_commit(*args, **kwargs):
        problem = checked(*args, **kwargs)
        monkeypatch.setattr(workflow, "refusal", checked)
        meanwhile(build, case)
        return problem

    monkeypatch.setattr(workflow, "refusal", check_then_let_the_other_commit)
    error = refused(code, workflow.case_publish_debunk, case=case, by=build.c.publisher)
    if code == "guard_failed":
        assert error.message == str(guards.has_notice_approved_by_another.message)


def test_a_stale_copy_cannot_take_another_way_out_of_the_same_state(build):
    case = build.discovered()
    first, stale = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    workflow.case_start_verification(case=first, by=build.c.intake)
    refused("changed_meanwhile", workflow.case_dismiss, case=stale, by=build.c.supervisor, reason="不属于本办管辖")
    case.refresh_from_db()
    assert (case.status, case.resolution) == (VERIFYING, "")
    assert list(case.transitions.values_list("name", flat=True)) == ["start_verification"]


# --- 8. notifying whoever acts next ------------------------------------------------------------


def notified(case):
    rows = Notification.objects.filter(case_reference=case.reference).values("recipient__username")
    return {row["recipient__username"]: row["n"] for row in rows.annotate(n=Count("id"))}


def test_starting_verification_notifies_every_active_verifier_once(build, django_capture_on_commit_callbacks):
    make_user("vera", roles.VERIFIER)
    retired = make_user("retired-verifier", roles.VERIFIER)
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    case = build.discovered()

    with django_capture_on_commit_callbacks(execute=True):
        record = workflow.case_start_verification(case=case, by=build.c.intake)

    assert notified(case) == {"victor": 1, "vera": 1}
    message = Notification.objects.filter(case_reference=case.reference).first()
    assert message.kind == "case_transition"
    assert case.reference in message.title
    # The task may run again (a retry, a redelivery): nobody is told twice.
    notify_case_transition(record.pk)
    notify_case_transition(record.pk)
    assert notified(case) == {"victor": 1, "vera": 1}


def test_the_actor_is_not_notified_of_their_own_transition(build, django_capture_on_commit_callbacks):
    make_user("vera", roles.VERIFIER)
    case = build.discovered()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.case_start_verification(case=case, by=build.c.verifier)
    assert notified(case) == {"vera": 1}


def test_a_refused_transition_notifies_nobody(build, django_capture_on_commit_callbacks):
    case = build.verifying()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refused("guard_failed", workflow.case_confirm_rumour, case=case, by=build.c.verifier)
    assert callbacks == []
    assert notified(case) == {}


def test_a_bulletin_from_before_a_reopen_does_not_expose_the_case_again(build, cast):
    case = build.closed_exposed()
    workflow.case_reopen(case=case, by=cast.supervisor, reason="新的传播链条出现")
    build.add_rumour_finding(case)
    workflow.case_confirm_rumour(case=case, by=cast.verifier)
    from rumorcases.notices import services as notices

    notices.notice_withdraw(notice=case.notices.get(), by=cast.supervisor, statement="案件重新核查，原公告撤回。")
    build.approved_notice(case)
    workflow.case_publish_debunk(case=case, by=cast.publisher)
    workflow.case_complete_disposal(case=case, by=cast.disposal)
    with pytest.raises(ApplicationError) as refused:
        workflow.case_mark_exposed(case=case, by=cast.publisher)
    assert refused.value.code == "guard_failed"
    assert refused.value.message == str(guards.in_published_bulletin.message)

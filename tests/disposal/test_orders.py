"""Orders to platforms: issued from approved penalties and the case's reports, answered item by item."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rumorcases.cases import workflow
from rumorcases.cases.choices import CaseStatus
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent, Counter
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import Measure, OffenderRole, OrderItemOutcome, OrderStatus, PenaltyStatus
from rumorcases.disposal.models import Account, DisposalOrder, OrderItem, Penalty
from rumorcases.platforms.models import Platform


@pytest.fixture
def case(build):
    return build.disposing()


@pytest.fixture
def report(case):
    return case.reports.get()


@pytest.fixture
def douyin(db):
    return Platform.objects.create(slug="douyin", name="抖音", name_en="Douyin", is_key=True)


def propose(case, account, cast, provision, measure=Measure.WARNING, approve=True, **kwargs):
    penalty = disposal.penalty_propose(case=case, account=account, role=OffenderRole.ORIGINATOR, measure=measure,
                                       legal_provision=provision, reasoning="编造谣言", by=cast.disposal, **kwargs)
    if approve and penalty.status == PenaltyStatus.PROPOSED:
        disposal.penalty_approve(penalty=penalty, by=cast.supervisor)
    penalty.refresh_from_db()
    return penalty


def soon(hours=24):
    return timezone.now() + timedelta(hours=hours)


def issue(case, platform, cast, items, due_at=None, **kwargs):
    return disposal.order_issue(case=case, platform=platform, due_at=due_at or soon(), by=cast.disposal,
                                items=items, **kwargs)


@pytest.fixture
def penalty(case, report, cast, provision):
    return propose(case, report.author, cast, provision, measure=Measure.POSTING_BAN, duration_days=30)


@pytest.fixture
def order(case, report, penalty, platform, cast):
    return issue(case, platform, cast, [{"kind": "remove_content", "report": report},
                                        {"kind": "act_on_account", "penalty": penalty}],
                 instructions="删除原帖并禁言30天")


def snapshot(*objects):
    rows = [DisposalOrder.objects.count(), OrderItem.objects.count(), AuditEvent.objects.count(),
            list(Counter.objects.order_by("name").values_list("name", "value")),
            list(Penalty.objects.order_by("pk").values_list("pk", "status", "executed_at"))]
    for obj in objects:
        obj.refresh_from_db()
        rows.append(obj.status)
    rows.append(list(OrderItem.objects.order_by("pk").values_list("outcome", "done_at", "note")))
    return rows


# --- issuing ---------------------------------------------------------------------------


def test_it_issues_an_order_and_marks_its_penalties_ordered(order, report, penalty, platform, cast):
    order.refresh_from_db()
    assert order.status == OrderStatus.ISSUED
    assert order.platform == platform
    assert order.reference.startswith(f"DO-{timezone.localdate().year}-")
    items = list(order.items.order_by("id"))
    assert [(i.kind, i.report, i.penalty, i.account) for i in items] == [
        ("remove_content", report, None, report.author),
        ("act_on_account", None, penalty, penalty.account),
    ]
    assert items[0].url == report.url
    assert all(i.outcome == OrderItemOutcome.PENDING for i in items)
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.ORDERED
    assert AuditEvent.objects.get(action="order.issued").data["items"] == 2


def test_it_issues_an_order_to_remove_a_url(case, platform, cast):
    order = issue(case, platform, cast, [{"kind": "remove_content", "url": "https://weibo.example/repost/7"}])
    assert order.items.get().url == "https://weibo.example/repost/7"


def test_it_orders_only_approved_penalties(case, report, cast, provision, platform):
    proposed = propose(case, report.author, cast, provision, measure=Measure.CLOSE_ACCOUNT, approve=False)
    assert proposed.status == PenaltyStatus.PROPOSED
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        issue(case, platform, cast, [{"kind": "act_on_account", "penalty": proposed}])
    assert list(refused.value.fields) == ["items.0"]
    assert snapshot() == before


def test_it_orders_penalties_only_on_that_platforms_accounts(case, cast, provision, platform, douyin):
    elsewhere = Account.objects.create(platform=douyin, platform_account_id="dy-1", handle="dy")
    penalty = propose(case, elsewhere, cast, provision)
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        issue(case, platform, cast, [{"kind": "act_on_account", "penalty": penalty}])
    assert list(refused.value.fields) == ["items.0"]
    assert snapshot() == before
    issue(case, douyin, cast, [{"kind": "act_on_account", "penalty": penalty}])
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.ORDERED


def test_it_orders_only_this_cases_penalties_and_reports(case, build, cast, provision, platform, report):
    other = build.disposing()
    other_report = other.reports.get()
    other_penalty = propose(other, other_report.author, cast, provision)
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        issue(case, platform, cast, [{"kind": "remove_content", "report": report},
                                     {"kind": "remove_content", "report": other_report},
                                     {"kind": "act_on_account", "penalty": other_penalty}])
    assert set(refused.value.fields) == {"items.1", "items.2"}
    assert snapshot() == before


def test_it_orders_only_reports_made_on_that_platform(case, report, cast, douyin):
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        issue(case, douyin, cast, [{"kind": "remove_content", "report": report}])
    assert list(refused.value.fields) == ["items.0"]
    assert snapshot() == before


@pytest.mark.parametrize("due_at", [
    timezone.now() - timedelta(minutes=5),
    timezone.now().replace(tzinfo=None) + timedelta(days=3),
])
def test_it_needs_a_future_aware_due_time(case, report, cast, platform, due_at):
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        disposal.order_issue(case=case, platform=platform, due_at=due_at, by=cast.disposal,
                             items=[{"kind": "remove_content", "report": report}])
    assert list(refused.value.fields) == ["due_at"]
    assert snapshot() == before


def test_it_needs_items_of_a_known_kind(case, cast, platform):
    with pytest.raises(ApplicationError) as refused:
        issue(case, platform, cast, [])
    assert list(refused.value.fields) == ["items"]
    with pytest.raises(ApplicationError) as refused:
        issue(case, platform, cast, [{"kind": "shame_publicly"}, {"kind": "remove_content"}])
    assert set(refused.value.fields) == {"items.0", "items.1"}
    assert not DisposalOrder.objects.exists()


def test_it_lets_only_disposal_staff_issue(case, report, cast, platform):
    for who in (cast.verifier, cast.publisher, cast.nobody):
        with pytest.raises(ApplicationError) as refused:
            disposal.order_issue(case=case, platform=platform, due_at=soon(), by=who,
                                 items=[{"kind": "remove_content", "report": report}])
        assert refused.value.code == "not_your_role"
    assert not DisposalOrder.objects.exists()


def test_it_issues_orders_only_while_debunking_or_disposing(build, cast, platform):
    case = build.verifying()
    with pytest.raises(ApplicationError) as refused:
        issue(case, platform, cast, [{"kind": "remove_content", "report": case.reports.get()}])
    assert refused.value.status_code == 409
    assert not DisposalOrder.objects.exists()


# --- the platform answers --------------------------------------------------------------


def answers(order, executed=True, **extra):
    return [{"item": item.pk, "executed": executed, "note": "已处理", **extra} for item in order.items.all()]


def test_it_records_the_acknowledgement(order, platform):
    disposal.order_acknowledge(order=order, platform=platform)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACKNOWLEDGED
    assert order.acknowledged_at is not None
    assert AuditEvent.objects.filter(action="order.acknowledged").count() == 1


def test_it_completes_when_every_item_was_executed(order, penalty, platform):
    done_at = timezone.now() - timedelta(hours=2)
    disposal.order_acknowledge(order=order, platform=platform)
    disposal.order_complete(order=order, platform=platform, results=answers(order, at=done_at))
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.completed_at is not None
    assert set(order.items.values_list("outcome", flat=True)) == {OrderItemOutcome.EXECUTED}
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.EXECUTED
    assert penalty.executed_at == done_at
    assert AuditEvent.objects.get(action="order.completed").data == {"executed": 2, "not_executed": 0}


def test_it_rejects_when_an_item_was_not_executed(order, penalty, platform, cast):
    results = answers(order)
    results[1].update(executed=False, note="账号已注销，无法禁言")
    disposal.order_complete(order=order, platform=platform, results=results)
    order.refresh_from_db()
    assert order.status == OrderStatus.REJECTED
    assert "账号已注销，无法禁言" in order.rejected_reason
    assert list(order.items.order_by("id").values_list("outcome", flat=True)) == [
        OrderItemOutcome.EXECUTED, OrderItemOutcome.NOT_EXECUTED]
    # The penalty the platform did not carry out may be ordered again.
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.APPROVED
    assert penalty.executed_at is None
    again = issue(order.case, platform, cast, [{"kind": "act_on_account", "penalty": penalty}])
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.ORDERED
    assert again.items.get().penalty == penalty


@pytest.mark.parametrize("problem", ["missing", "duplicate", "foreign", "not_boolean", "empty"])
def test_it_refuses_incomplete_or_wrong_answers(order, platform, build, cast, problem):
    results = answers(order)
    if problem == "missing":
        results = results[:1]
    elif problem == "duplicate":
        results.append(dict(results[0]))
    elif problem == "foreign":
        other = build.disposing()
        stranger = issue(other, platform, cast, [{"kind": "remove_content", "report": other.reports.get()}])
        results.append({"item": stranger.items.get().pk, "executed": True})
    elif problem == "not_boolean":
        results[0]["executed"] = "yes"
    else:
        results = []
    before = snapshot(order)
    with pytest.raises(ApplicationError) as refused:
        disposal.order_complete(order=order, platform=platform, results=results)
    assert refused.value.code == "invalid"
    assert refused.value.fields
    assert snapshot(order) == before
    assert order.status == OrderStatus.ISSUED


def test_it_hides_another_platforms_order(order, douyin):
    before = snapshot(order)
    for call in (
        lambda: disposal.order_acknowledge(order=order, platform=douyin),
        lambda: disposal.order_complete(order=order, platform=douyin, results=answers(order)),
        lambda: disposal.order_reject(order=order, platform=douyin, reason="不执行"),
    ):
        with pytest.raises(ApplicationError) as refused:
            call()
        assert refused.value.code == "not_found"
        assert refused.value.status_code == 404
    assert snapshot(order) == before


def test_it_refuses_the_same_penalty_twice_in_one_order(case, penalty, platform, cast):
    with pytest.raises(ApplicationError) as refused:
        issue(case, platform, cast, [{"kind": "act_on_account", "penalty": penalty},
                                     {"kind": "act_on_account", "penalty": penalty}])
    assert refused.value.code == "invalid"
    assert list(refused.value.fields) == ["items.1"]
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.APPROVED
    assert not case.orders.exists()


def test_it_refuses_to_complete_an_order_twice(order, platform):
    disposal.order_complete(order=order, platform=platform, results=answers(order))
    before = snapshot(order)
    with pytest.raises(ApplicationError):
        disposal.order_complete(order=order, platform=platform, results=answers(order, executed=False))
    assert snapshot(order) == before
    assert order.status == OrderStatus.COMPLETED


def test_it_needs_a_reason_when_the_platform_rejects(order, platform):
    before = snapshot(order)
    with pytest.raises(ApplicationError) as refused:
        disposal.order_reject(order=order, platform=platform, reason="")
    assert refused.value.code == "reason_required"
    assert snapshot(order) == before
    disposal.order_reject(order=order, platform=platform, reason="帖子已被作者删除")
    order.refresh_from_db()
    assert order.status == OrderStatus.REJECTED
    assert order.rejected_reason == "帖子已被作者删除"


# --- the office closes the order -----------------------------------------------------------


def test_it_needs_a_reason_to_waive_and_then_lets_disposal_complete(order, case, cast):
    with pytest.raises(ApplicationError) as refused:
        workflow.case_complete_disposal(case=case, by=cast.disposal)
    assert refused.value.code == "guard_failed"
    before = snapshot(order)
    with pytest.raises(ApplicationError) as refused:
        disposal.order_waive(order=order, by=cast.supervisor, reason=" ")
    assert refused.value.code == "reason_required"
    assert snapshot(order) == before
    disposal.order_waive(order=order, by=cast.supervisor, reason="平台已主动处置")
    order.refresh_from_db()
    assert order.status == OrderStatus.WAIVED
    assert order.waived_by == cast.supervisor
    assert order.waived_reason == "平台已主动处置"
    workflow.case_complete_disposal(case=case, by=cast.disposal)
    case.refresh_from_db()
    assert case.status == CaseStatus.EXPOSING


def test_it_lets_only_a_supervisor_waive(order, cast):
    before = snapshot(order)
    with pytest.raises(ApplicationError) as refused:
        disposal.order_waive(order=order, by=cast.disposal, reason="不需要了")
    assert refused.value.code == "not_your_role"
    assert snapshot(order) == before


def test_it_waives_a_rejected_order(order, platform, cast, case):
    disposal.order_reject(order=order, platform=platform, reason="无法执行")
    order.refresh_from_db()
    disposal.order_waive(order=order, by=cast.supervisor, reason="改由属地网信办处理")
    order.refresh_from_db()
    assert order.status == OrderStatus.WAIVED
    workflow.case_complete_disposal(case=case, by=cast.disposal)


def test_it_lets_disposal_complete_after_the_order_is_completed(order, platform, case, cast):
    disposal.order_complete(order=order, platform=platform, results=answers(order))
    workflow.case_complete_disposal(case=case, by=cast.disposal)
    case.refresh_from_db()
    assert case.status == CaseStatus.EXPOSING


def test_it_marks_an_order_overdue_only_past_its_due_time(order):
    before = snapshot(order)
    with pytest.raises(ApplicationError) as refused:
        disposal.order_mark_overdue(order=order)
    assert refused.value.status_code == 409
    assert snapshot(order) == before
    DisposalOrder.objects.filter(pk=order.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    order.refresh_from_db()
    disposal.order_mark_overdue(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.OVERDUE
    assert AuditEvent.objects.get(action="order.overdue").actor is None


def test_it_does_not_mark_a_completed_order_overdue(order, platform):
    disposal.order_complete(order=order, platform=platform, results=answers(order))
    DisposalOrder.objects.filter(pk=order.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    order.refresh_from_db()
    with pytest.raises(ApplicationError):
        disposal.order_mark_overdue(order=order)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_it_still_accepts_the_answer_to_an_overdue_order(order, platform, penalty):
    DisposalOrder.objects.filter(pk=order.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    order.refresh_from_db()
    disposal.order_mark_overdue(order=order)
    disposal.order_complete(order=order, platform=platform, results=answers(order))
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.EXECUTED

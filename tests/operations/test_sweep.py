"""The deadline sweep: overdue cases, orders and consultations, escalated one step at a time, once."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils import timezone

from rumorcases.cases import services as case_services
from rumorcases.cases import workflow
from rumorcases.cases.choices import CaseStatus, Priority
from rumorcases.cases.deadlines import DEFAULT_HOURS, stage_deadline
from rumorcases.cases.models import Case, Consultation
from rumorcases.core.audit import audit_chain_problems
from rumorcases.core.models import AuditEvent, Notification
from rumorcases.disposal.choices import OrderStatus
from rumorcases.operations import tasks
from rumorcases.operations.models import Escalation
from rumorcases.operations.roles import OFFICE_HEAD
from rumorcases.operations.services import escalation_due_at, sweep_deadlines
from rumorcases.platforms.models import WebhookDelivery
from tests.conftest import make_user
from tests.operations.conftest import at, order_for

MINUTE = timedelta(minutes=1)


def notified(**filters):
    rows = Notification.objects.filter(**filters).values("recipient__username").annotate(n=Count("id"))
    return {row["recipient__username"]: row["n"] for row in rows}


def levels(obj):
    return sorted(obj.escalations.values_list("level", flat=True))


# --- overdue detection ------------------------------------------------------------------------


def test_it_finds_cases_past_their_stage_deadline_at_each_stage_and_priority(build):
    cases = {
        CaseStatus.DISCOVERED: build.discovered(),
        CaseStatus.VERIFYING: build.verifying(),
        CaseStatus.DEBUNKING: build.debunking(),
        CaseStatus.DISPOSING: build.disposing(),
        CaseStatus.EXPOSING: build.exposing(),
    }
    closed = build.closed_exposed()
    start = timezone.now()
    for priority in Priority:
        for stage, case in cases.items():
            Case.objects.filter(pk=case.pk).update(priority=priority, stage_started_at=start,
                                                   stage_deadline=stage_deadline(stage, priority, start))
        # Each stage's deadline at this priority, just before and just after it, earliest first.
        for stage in sorted(cases, key=lambda s: DEFAULT_HOURS[s][priority]):
            deadline = start + timedelta(hours=DEFAULT_HOURS[stage][priority])
            for now in (deadline - MINUTE, deadline + MINUTE):
                sweep_deadlines(now=now)
                overdue = {s for s in cases if start + timedelta(hours=DEFAULT_HOURS[s][priority]) < now}
                escalated = {s for s, c in cases.items()
                             if c.escalations.filter(level=1, deadline=stage_deadline(s, priority, start)).exists()}
                assert escalated == overdue, (priority, stage, now - start)
    assert not closed.escalations.exists()


def test_it_uses_the_deadline_the_office_set_for_the_stage(build, time_machine):
    from rumorcases.cases.models import StageDeadline

    StageDeadline.objects.create(stage=CaseStatus.VERIFYING, priority=Priority.P3, hours=1)
    case = build.verifying()
    at(time_machine, case.stage_started_at + timedelta(minutes=59))
    assert sweep_deadlines().cases == 0
    at(time_machine, case.stage_started_at + timedelta(minutes=61))
    assert sweep_deadlines().cases == 1


# --- the escalation ladder --------------------------------------------------------------------


def test_a_case_is_escalated_to_the_stages_role_then_supervisors_then_the_office_head(build, cast, head,
                                                                                     time_machine):
    make_user("vera", "verifier")
    case = build.verifying()
    deadline = case.stage_deadline
    reference = case.reference

    at(time_machine, deadline - MINUTE)
    assert sweep_deadlines().cases == 0

    at(time_machine, deadline + MINUTE)
    assert sweep_deadlines().cases == 1
    # Nobody is assigned: the stage's role (verifiers) hears of it.
    assert notified(kind="case_overdue") == {"victor": 1, "vera": 1}
    assert levels(case) == [1]

    at(time_machine, deadline + timedelta(hours=4) - MINUTE)
    assert sweep_deadlines().cases == 0
    at(time_machine, deadline + timedelta(hours=4) + MINUTE)
    assert sweep_deadlines().cases == 1
    assert notified(kind="case_overdue") == {"victor": 1, "vera": 1, "sam": 1, "sue": 1}

    at(time_machine, deadline + timedelta(hours=28) - MINUTE)
    assert sweep_deadlines().cases == 0
    at(time_machine, deadline + timedelta(hours=28) + MINUTE)
    assert sweep_deadlines().cases == 1
    assert notified(kind="case_overdue") == {"victor": 1, "vera": 1, "sam": 1, "sue": 1, "hannah": 1}
    assert levels(case) == [1, 2, 3]

    # Nothing more, however often the sweep runs.
    at(time_machine, deadline + timedelta(days=30))
    assert sweep_deadlines().cases == 0
    assert Notification.objects.filter(kind="case_overdue").count() == 5

    events = AuditEvent.objects.filter(action="case.escalated").order_by("seq")
    assert [(e.data["level"], e.actor_id, e.actor_label, e.case_reference) for e in events] == [
        (1, None, "system", reference), (2, None, "system", reference), (3, None, "system", reference)]
    assert events[1].data["recipients"] == ["sam", "sue"]
    assert list(audit_chain_problems()) == []


def test_an_assigned_case_is_escalated_to_its_assignee_first(build, cast, time_machine):
    case = build.verifying()
    case_services.case_assign(case=case, assignee=cast.verifier, by=cast.supervisor)
    at(time_machine, case.stage_deadline + MINUTE)
    sweep_deadlines()
    assert notified(kind="case_overdue") == {"victor": 1}
    message = Notification.objects.get(kind="case_overdue")
    assert case.reference in message.title
    assert message.case_reference == case.reference
    assert message.url == case.get_absolute_url()


def test_a_long_missed_deadline_climbs_every_due_step_in_one_sweep(build, head, time_machine):
    case = build.discovered()
    at(time_machine, case.stage_deadline + timedelta(days=3))
    assert sweep_deadlines().cases == 3
    assert levels(case) == [1, 2, 3]
    # Discovered and unassigned: the intake officers first.
    assert notified(kind="case_overdue", title__contains=case.reference) == {
        "alice": 1, "sam": 1, "sue": 1, "hannah": 1}


def test_the_ladder_follows_the_configured_delays(build, settings, time_machine):
    settings.ESCALATE_SUPERVISOR_AFTER_HOURS = 1
    settings.ESCALATE_HEAD_AFTER_HOURS = 2
    case = build.verifying()
    assert escalation_due_at(case.stage_deadline, 3) == case.stage_deadline + timedelta(hours=3)
    at(time_machine, case.stage_deadline + timedelta(hours=1) + MINUTE)
    sweep_deadlines()
    assert levels(case) == [1, 2]
    at(time_machine, case.stage_deadline + timedelta(hours=3) + MINUTE)
    sweep_deadlines()
    assert levels(case) == [1, 2, 3]


def test_a_case_that_moves_on_starts_a_new_ladder_and_a_closed_case_none(build, cast, time_machine):
    case = build.verifying()
    at(time_machine, case.stage_deadline + MINUTE)
    sweep_deadlines()
    assert levels(case) == [1]
    build.add_rumour_finding(case)
    workflow.case_confirm_rumour(case=case, by=cast.verifier)
    case.refresh_from_db()
    # A new stage, a new deadline: nothing until it passes too.
    assert sweep_deadlines().cases == 0
    at(time_machine, case.stage_deadline + MINUTE)
    assert sweep_deadlines().cases == 1
    assert list(case.escalations.order_by("created_at").values_list("stage", "level")) == [
        (CaseStatus.VERIFYING, 1), (CaseStatus.DEBUNKING, 1)]
    # The notice editors act on a debunking case.
    assert "nora" in notified(kind="case_overdue")

    other = build.discovered()
    workflow.case_dismiss(case=other, by=cast.supervisor, reason="不属于本办管辖")
    at(time_machine, timezone.now() + timedelta(days=60))
    sweep_deadlines()
    assert not other.escalations.exists()


def test_an_office_without_a_head_still_records_the_last_step(build, time_machine):
    assert Group.objects.filter(name=OFFICE_HEAD).exists()  # created by the migration
    case = build.verifying()
    at(time_machine, case.stage_deadline + timedelta(days=2))
    sweep_deadlines()
    assert case.escalations.get(level=3).recipients == 0


# --- orders -----------------------------------------------------------------------------------


@pytest.fixture
def hooked(platform):
    platform.webhook_url = "https://hooks.weibo.example/rumorcases"
    platform.webhook_secret = "s" * 32
    platform.save(update_fields=["webhook_url", "webhook_secret"])
    return platform


def test_an_overdue_order_is_marked_pushed_and_escalated_once(build, cast, hooked, head, time_machine):
    case = build.disposing()
    order = order_for(case, hooked, cast, hours=6)
    at(time_machine, order.due_at - MINUTE)
    assert sweep_deadlines().orders == 0

    at(time_machine, order.due_at + MINUTE)
    result = sweep_deadlines()
    assert (result.orders, result.orders_marked_overdue) == (1, 1)
    order.refresh_from_db()
    assert order.status == OrderStatus.OVERDUE
    assert WebhookDelivery.objects.filter(order=order, event="order.overdue").count() == 1
    # Disposal officers (dora issued it) hear of it.
    assert notified(kind="order_overdue") == {"dora": 1, "dan": 1}
    assert AuditEvent.objects.filter(action="order.overdue").count() == 1

    # A second sweep marks, pushes and tells nothing more.
    assert sweep_deadlines().orders == 0
    assert WebhookDelivery.objects.filter(order=order, event="order.overdue").count() == 1

    at(time_machine, order.due_at + timedelta(hours=4) + MINUTE)
    assert sweep_deadlines().orders == 1
    at(time_machine, order.due_at + timedelta(hours=28) + MINUTE)
    assert sweep_deadlines().orders == 1
    assert notified(kind="order_overdue") == {"dora": 1, "dan": 1, "sam": 1, "sue": 1, "hannah": 1}
    assert levels(order) == [1, 2, 3]
    assert [e.data["level"] for e in AuditEvent.objects.filter(action="order.escalated")] == [1, 2, 3]
    assert list(audit_chain_problems()) == []


def test_an_order_acknowledged_late_is_not_marked_overdue_again(build, cast, platform, time_machine):
    from rumorcases.disposal import services as disposal

    case = build.disposing()
    order = order_for(case, platform, cast, hours=2)
    at(time_machine, order.due_at + MINUTE)
    sweep_deadlines()
    order.refresh_from_db()
    disposal.order_acknowledge(order=order, platform=platform)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACKNOWLEDGED
    assert sweep_deadlines().orders_marked_overdue == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.ACKNOWLEDGED
    # Still open past its due time: the ladder goes on.
    at(time_machine, order.due_at + timedelta(hours=5))
    assert sweep_deadlines().orders == 1


def test_a_completed_or_waived_order_is_not_escalated(build, cast, platform, time_machine):
    from rumorcases.disposal import services as disposal

    case = build.disposing()
    order = order_for(case, platform, cast, hours=2)
    disposal.order_waive(order=order, by=cast.supervisor, reason="平台已自行处置")
    at(time_machine, order.due_at + timedelta(days=3))
    assert sweep_deadlines().orders == 0
    assert not order.escalations.exists()


# --- consultations ----------------------------------------------------------------------------


def test_a_consultation_past_its_due_date_is_followed_up_once(build, cast, time_machine):
    case = build.verifying()
    case_services.case_assign(case=case, assignee=cast.verifier, by=cast.supervisor)
    consultation = Consultation.objects.create(case=case, authority="police", authority_name="浦东公安分局",
                                               question="是否有警情？", due_at=timezone.now() + timedelta(hours=2),
                                               asked_by=cast.supervisor)
    at(time_machine, consultation.due_at + MINUTE)
    assert sweep_deadlines().consultations == 1
    assert sweep_deadlines().consultations == 0
    assert notified(kind="consultation_due") == {"victor": 1, "sam": 1}
    assert AuditEvent.objects.filter(action="consultation.overdue").count() == 1


def test_an_answered_consultation_is_not_followed_up(build, cast, time_machine):
    case = build.verifying()
    Consultation.objects.create(case=case, authority="police", authority_name="浦东公安分局", question="？",
                                due_at=timezone.now() + timedelta(hours=2), asked_by=cast.verifier,
                                answer="无警情", answered_at=timezone.now())
    at(time_machine, timezone.now() + timedelta(hours=3))
    assert sweep_deadlines().consultations == 0


# --- the task and the schedule ----------------------------------------------------------------


def test_the_task_runs_the_sweep(build, time_machine):
    case = build.verifying()
    at(time_machine, case.stage_deadline + MINUTE)
    assert tasks.sweep_deadlines.delay().get()["cases"] == 1
    assert tasks.sweep_deadlines() == {"cases": 0, "orders": 0, "orders_marked_overdue": 0, "consultations": 0}


def test_beat_runs_the_sweep_every_few_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["deadline-sweep"]
    assert entry["task"] == "rumorcases.operations.tasks.sweep_deadlines"
    assert 0 < entry["schedule"] <= 15 * 60
    assert "webhook-retry-due" in settings.CELERY_BEAT_SCHEDULE
    assert Escalation._meta.app_label == "operations"

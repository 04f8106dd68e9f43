"""Two beat hosts by mistake, or a sweep still running when the next starts: on PostgreSQL,
several sweeps at the same moment, each in its own thread and connection, escalate each missed
deadline once per level, notify each person once, mark and push an overdue order once, and
write one audit event per escalation. SQLite serialises writers, so this means something only
on PostgreSQL."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from rumorcases.cases.models import Consultation
from rumorcases.core.audit import audit_chain_problems
from rumorcases.core.models import AuditEvent, Notification
from rumorcases.disposal.choices import OrderStatus
from rumorcases.operations import services
from rumorcases.operations.models import Escalation
from rumorcases.operations.services import notification_preference_set, sweep_deadlines
from rumorcases.platforms.models import WebhookDelivery
from tests.operations.conftest import order_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises all writers"),
]

SWEEPS = 4


def sweep_together(count):
    """`count` sweeps released at once by a barrier; each answer is the result or the error."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = sweep_deadlines()
        except Exception as error:
            outcomes[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a sweep never finished"
    return outcomes


@pytest.fixture(autouse=True)
def _evidence_files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_concurrent_sweeps_escalate_notify_and_push_once(build, cast, head, platform, time_machine, monkeypatch):
    # Refused at once: the eager delivery attempts after each commit fail fast and are retried later.
    platform.webhook_url = "https://127.0.0.1:9/rumorcases"
    platform.webhook_secret = "s" * 32
    platform.save(update_fields=["webhook_url", "webhook_secret"])
    cases = [build.verifying() for _ in range(3)] + [build.discovered()]
    disposing = build.disposing()
    orders = [order_for(disposing, platform, cast, hours=1) for _ in range(2)]
    Consultation.objects.create(case=cases[0], authority="police", authority_name="浦东公安分局", question="？",
                                due_at=timezone.now() + timedelta(hours=1), asked_by=cast.verifier)
    cast.supervisor.email = "sam@office.example"
    cast.supervisor.save(update_fields=["email"])
    notification_preference_set(user=cast.supervisor, language="en", email_kinds=["case_overdue", "order_overdue"])
    # Long enough for every step of every ladder.
    time_machine.move_to(timezone.now() + timedelta(days=30), tick=False)

    lost = []  # escalations a sweep found already written by another: the race really happened

    def insert(**key):
        row = original_insert(**key)
        lost.extend([key] if row is None else [])
        return row

    original_insert = services._insert
    monkeypatch.setattr(services, "_insert", insert)

    outcomes = sweep_together(SWEEPS)

    assert all(not isinstance(o, str) for o in outcomes), outcomes
    assert lost, "the sweeps did not overlap"
    objects = len(cases) + 1  # + the disposing case itself
    assert sum(o.cases for o in outcomes) == objects * 3
    assert sum(o.orders for o in outcomes) == len(orders) * 3
    assert sum(o.orders_marked_overdue for o in outcomes) == len(orders)
    assert sum(o.consultations for o in outcomes) == 1

    keys = Counter(Escalation.objects.values_list("case_id", "order_id", "consultation_id", "level"))
    assert len(keys) == objects * 3 + len(orders) * 3 + 1
    assert set(keys.values()) == {1}
    # One notification per person per escalation, and as many as the escalations counted.
    per_person = Counter(Notification.objects.filter(source_key__startswith="escalation:")
                         .values_list("recipient_id", "source_key"))
    assert set(per_person.values()) == {1}
    assert len(per_person) == sum(Escalation.objects.values_list("recipients", flat=True))
    assert Notification.objects.filter(kind="case_overdue", recipient=head).count() == objects

    # E-mail follows the notifications: sam, a supervisor, once per level-2 escalation.
    assert sorted(m.subject for m in mail.outbox) == sorted(
        [f"Escalation (level 2): {c.reference} is overdue" for c in [*cases, disposing]]
        + [f"Escalation (level 2): platform order {o.reference} is overdue" for o in orders])

    for order in orders:
        order.refresh_from_db()
        assert order.status == OrderStatus.OVERDUE
        assert WebhookDelivery.objects.filter(order=order, event="order.overdue").count() == 1
    assert AuditEvent.objects.filter(action="order.overdue").count() == len(orders)
    assert AuditEvent.objects.filter(action__in=["case.escalated", "order.escalated", "consultation.overdue"]
                                     ).count() == len(keys)
    assert list(audit_chain_problems()) == []

    # And a later sweep has nothing left to do.
    again = sweep_deadlines()
    assert (again.cases, again.orders, again.consultations) == (0, 0, 0)

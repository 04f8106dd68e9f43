"""Orders pushed to a platform's webhook: recorded with the change, signed, retried, given up on.

Every test sends real HTTP requests to a receiver running in a thread (see conftest), which
checks the signature the way docs/webhooks.md tells platforms to.
"""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from rumorcases.cases import services as case_services
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent
from rumorcases.disposal import services as disposal
from rumorcases.disposal.models import DisposalOrder
from rumorcases.platforms import webhooks
from rumorcases.platforms.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from rumorcases.platforms.tasks import deliver_webhook, requeue_due_webhooks
from tests.platforms.conftest import WEBHOOK_SECRET, issue, order_parts


@pytest.fixture
def parts(build, hooked):
    return order_parts(build)


@pytest.fixture
def order(build, parts, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = issue(build, *parts)
    return order


def answers(order, executed=True):
    return [{"item": item.pk, "executed": executed, "note": "已处理"} for item in order.items.all()]


def next_attempt(delivery, time_machine):
    """Move the clock to the delivery's next attempt and let the beat's sweep run."""
    delivery.refresh_from_db()
    time_machine.move_to(delivery.next_attempt_at, tick=False)
    return requeue_due_webhooks()


# --- what is sent, and when ----------------------------------------------------------------------


def test_it_pushes_a_signed_order_issued_to_the_platform(order, receiver, parts):
    case, report, penalty = parts
    [received] = receiver.received
    delivery = WebhookDelivery.objects.get()
    assert received.signature_ok
    assert (received.event, received.delivery_id) == ("order.issued", str(delivery.delivery_id))
    assert received.body == delivery.body.encode()  # the stored bytes, exactly
    assert received.headers["Content-Type"] == "application/json"
    assert abs(int(received.headers["X-Rumorcases-Timestamp"]) - time.time()) < 60
    body = received.payload
    assert (body["delivery_id"], body["event"]) == (str(delivery.delivery_id), "order.issued")
    assert body["order"]["id"] == order.pk
    assert body["order"]["reference"] == order.reference
    assert body["order"]["status"] == "issued"
    assert body["order"]["case"] == {"reference": case.reference}
    assert body["order"]["due_at"] == timezone.localtime(order.due_at).isoformat()
    removal, ban = body["order"]["items"]
    assert (removal["kind"], removal["url"], removal["report"]["external_id"]) == (
        "remove_content", report.url, report.external_id)
    assert removal["account"]["account_id"] == report.author.platform_account_id
    assert (ban["kind"], ban["penalty"]["measure"], ban["penalty"]["duration_days"]) == (
        "act_on_account", "posting_ban", 30)
    assert ban["penalty"]["legal_basis"]["code"] == "csl-12"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.order, delivery.url) == (
        DeliveryStatus.DELIVERED, 1, order, receiver.url)
    attempt = delivery.attempt_log.get()
    assert (attempt.number, attempt.status_code, attempt.succeeded, attempt.error) == (1, 200, True, "")


def test_it_never_puts_the_claim_victims_or_reporters_in_the_body(build, hooked, receiver,
                                                                  django_capture_on_commit_callbacks):
    case, report, penalty = order_parts(build)
    case_services.case_party_add(case=case, role="victim", name="受害人王某某", contact="13800000000",
                                 by=build.c.supervisor)
    case_services.case_party_add(case=case, role="reporter", name="举报人李某", by=build.c.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        issue(build, case, report, penalty)
    body = receiver.received[0].body.decode()
    for private in ("受害人王某某", "13800000000", "举报人李某", case.claim, case.title):
        assert private not in body


def test_every_change_of_the_order_is_pushed(order, build, parts, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        disposal.order_acknowledge(order=order, platform=build.platform)
    with django_capture_on_commit_callbacks(execute=True):
        disposal.order_complete(order=order, platform=build.platform, results=answers(order))
    events = [(item.event, item.payload["order"]["status"]) for item in receiver.received]
    assert events == [("order.issued", "issued"), ("order.updated", "acknowledged"),
                      ("order.updated", "completed")]
    assert all(item.signature_ok for item in receiver.received)
    assert len(receiver.times_processed()) == 3  # three events, three delivery ids
    completed = receiver.received[-1].payload["order"]
    assert [item["outcome"] for item in completed["items"]] == ["executed", "executed"]
    assert completed["completed_at"] is not None
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_overdue_rejected_and_waived_orders_are_pushed(build, hooked, receiver, django_capture_on_commit_callbacks):
    overdue = issue(build, *order_parts(build))
    DisposalOrder.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    overdue.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        disposal.order_mark_overdue(order=overdue)
    with django_capture_on_commit_callbacks(execute=True):
        disposal.order_reject(order=overdue, platform=build.platform, reason="帖子已被作者删除")
    with django_capture_on_commit_callbacks(execute=True):
        disposal.order_waive(order=overdue, by=build.c.supervisor, reason="平台已主动处置")
    events = [(item.event, item.payload["order"]["status"]) for item in receiver.received]
    assert events == [("order.overdue", "overdue"), ("order.updated", "rejected"), ("order.updated", "waived")]
    assert receiver.received[-1].payload["order"]["waived_reason"] == "平台已主动处置"
    assert all(item.signature_ok for item in receiver.received)


def test_nothing_is_recorded_for_a_platform_without_a_webhook(build, receiver, django_capture_on_commit_callbacks):
    parts = order_parts(build)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        issue(build, *parts)
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []
    assert callbacks == []


def test_a_refused_order_records_and_sends_nothing(build, parts, receiver, django_capture_on_commit_callbacks):
    case, report, penalty = parts
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError):
        disposal.order_issue(case=case, platform=build.platform, due_at=timezone.now() - timedelta(hours=1),
                             by=build.c.disposal, items=[{"kind": "remove_content", "report": report}])
    assert not WebhookDelivery.objects.exists()
    assert receiver.received == []


def test_an_order_rolled_back_after_it_was_recorded_sends_nothing(build, parts, receiver,
                                                                  django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError),
          transaction.atomic()):
        issue(build, *parts)
        assert WebhookDelivery.objects.count() == 1
        raise RuntimeError("something later in the same transaction failed")
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()
    assert not DisposalOrder.objects.exists()
    assert receiver.received == []


# --- retries ---------------------------------------------------------------------------------------


def test_it_retries_until_the_platform_answers_and_it_is_processed_once(build, parts, receiver, time_machine,
                                                                       django_capture_on_commit_callbacks):
    receiver.failures = [500, 503]
    with django_capture_on_commit_callbacks(execute=True):
        issue(build, *parts)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.last_error.startswith("HTTP 500")
    wait = delivery.next_attempt_at - delivery.attempt_log.get().started_at
    assert timedelta(seconds=24) <= wait <= timedelta(seconds=36)  # 30 s, jittered

    assert requeue_due_webhooks() == 0  # not due yet: the sweep leaves it alone
    assert len(receiver.received) == 1

    assert next_attempt(delivery, time_machine) == 1
    assert next_attempt(delivery, time_machine) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.DELIVERED, 3, "")
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    attempts = list(delivery.attempt_log.values_list("number", "status_code", "succeeded"))
    assert attempts == [(1, 500, False), (2, 503, False), (3, 200, True)]

    # A late copy of the message, and the sweep, find nothing more to do.
    deliver_webhook.delay(delivery.pk)
    assert requeue_due_webhooks() == 0
    assert receiver.times_received() == {str(delivery.delivery_id): 3}
    assert receiver.times_processed() == {str(delivery.delivery_id): 1}
    assert len({item.body for item in receiver.received}) == 1  # the same bytes every time
    assert all(item.signature_ok for item in receiver.received)


def test_a_platform_whose_answer_was_lost_deduplicates_the_retry(build, parts, receiver, time_machine,
                                                                 django_capture_on_commit_callbacks):
    receiver.lose_answers = 1  # processed, but rumorcases saw a 500
    with django_capture_on_commit_callbacks(execute=True):
        issue(build, *parts)
    delivery = WebhookDelivery.objects.get()
    next_attempt(delivery, time_machine)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert receiver.times_received() == {str(delivery.delivery_id): 2}
    assert receiver.times_processed() == {str(delivery.delivery_id): 1}


def test_it_gives_up_24_hours_after_the_event(build, parts, receiver, time_machine,
                                              django_capture_on_commit_callbacks):
    receiver.always = 502
    with django_capture_on_commit_callbacks(execute=True):
        issue(build, *parts)
    delivery = WebhookDelivery.objects.get()
    waits = []
    while delivery.status == DeliveryStatus.PENDING:
        before = delivery.next_attempt_at
        next_attempt(delivery, time_machine)
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - before)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("HTTP 502")
    assert delivery.next_attempt_at is None and delivery.delivered_at is None
    attempts = list(delivery.attempt_log.all())
    assert [a.number for a in attempts] == list(range(1, delivery.attempts + 1))
    assert len(attempts) == len(receiver.received)
    assert 25 <= len(attempts) <= 40
    assert all(a.started_at <= delivery.created_at + timedelta(hours=24) for a in attempts)
    assert attempts[-1].started_at > delivery.created_at + timedelta(hours=22)
    assert max(waits) <= timedelta(hours=1, minutes=12)  # an hour at most, plus the jitter
    assert all(a.status_code == 502 and not a.succeeded for a in attempts)

    time_machine.move_to(timezone.now() + timedelta(days=2), tick=False)
    assert requeue_due_webhooks() == 0
    deliver_webhook.delay(delivery.pk)
    assert len(receiver.received) == len(attempts)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_a_delivery_no_worker_got_to_within_24_hours_fails_unsent(build, parts, receiver, time_machine,
                                                                  django_capture_on_commit_callbacks):
    receiver.failures = [500]
    with django_capture_on_commit_callbacks(execute=True):
        issue(build, *parts)
    delivery = WebhookDelivery.objects.get()
    time_machine.move_to(delivery.created_at + timedelta(hours=25), tick=False)  # the workers were down
    assert requeue_due_webhooks() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.last_error.startswith("HTTP 500")
    assert len(receiver.received) == 1


def test_a_failing_attempt_in_eager_mode_neither_raises_nor_waits(build, parts, closed_port_url,
                                                                  django_capture_on_commit_callbacks):
    build.platform.webhook_url = closed_port_url
    build.platform.save(update_fields=["webhook_url"])
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        order = issue(build, *parts)
    assert time.monotonic() - started < 5
    order.refresh_from_db()
    assert order.status == "issued"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.next_attempt_at > timezone.now()
    attempt = delivery.attempt_log.get()
    assert attempt.status_code is None and attempt.error.startswith("ConnectionError")
    assert delivery.last_error == attempt.error


def test_a_redirect_is_not_followed(build, parts, receiver, django_capture_on_commit_callbacks):
    receiver.failures = [302]
    with django_capture_on_commit_callbacks(execute=True):
        issue(build, *parts)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempt_log.get().status_code) == (DeliveryStatus.PENDING, 302)


@pytest.mark.parametrize("url", ["ftp://files.example.org/hooks", "file:///etc/passwd"])
def test_it_sends_to_http_addresses_only(build, parts, receiver, url, django_capture_on_commit_callbacks):
    build.platform.webhook_url = url
    build.platform.save(update_fields=["webhook_url"])
    with django_capture_on_commit_callbacks(execute=True):
        issue(build, *parts)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "http(s) addresses only" in delivery.last_error
    assert delivery.attempt_log.get().status_code is None
    assert receiver.received == []


def test_it_does_not_send_unsigned(build, parts, receiver, django_capture_on_commit_callbacks):
    build.platform.webhook_secret = ""
    build.platform.save(update_fields=["webhook_secret"])
    with django_capture_on_commit_callbacks(execute=True):
        issue(build, *parts)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, receiver.received) == (DeliveryStatus.FAILED, [])
    assert "no webhook secret" in delivery.last_error


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_arriving_mid_attempt_sends_nothing(build, parts, receiver):
    """While an attempt waits for the platform's answer, a copy of the message and the sweep find nothing due."""
    seen = []

    def another_worker():  # in the receiver's thread, with its own database connection
        try:
            delivery = WebhookDelivery.objects.get()
            seen.append((webhooks.webhook_deliver(delivery_pk=delivery.pk), requeue_due_webhooks()))
        finally:
            connection.close()

    receiver.during_request = another_worker
    issue(build, *parts)  # committed for real: the first attempt runs right after
    assert seen == [(None, 0)]
    assert len(receiver.received) == 1
    assert WebhookAttempt.objects.get().succeeded


def test_the_signature_is_hmac_sha256_of_the_raw_body():
    body = json.dumps({"event": "order.issued"}, separators=(",", ":")).encode()
    expected = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert webhooks.webhook_signature(secret=WEBHOOK_SECRET, body=body) == f"sha256={expected}"


def test_retry_waits_double_up_to_an_hour():
    for attempts, scheduled in [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (30, 3600), (400, 3600)]:
        wait = webhooks.retry_delay(attempts).total_seconds()
        assert scheduled * 0.8 <= wait <= scheduled * 1.2


def test_nothing_is_audited_for_deliveries_but_the_order_event_is(order):
    assert AuditEvent.objects.filter(action="order.issued").count() == 1
    assert not AuditEvent.objects.filter(action__startswith="webhook.").exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite serialises all writers")
def test_workers_racing_for_the_same_attempt_send_it_once(build, parts, receiver):
    receiver.failures = [500]
    issue(build, *parts)  # committed: the first attempt fails right after
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    workers = 6
    barrier = threading.Barrier(workers)
    errors = []

    def worker():
        try:
            barrier.wait(timeout=30)
            webhooks.webhook_deliver(delivery_pk=delivery.pk)
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert list(delivery.attempt_log.values_list("number", "status_code")) == [(1, 500), (2, 200)]
    assert receiver.times_received() == {str(delivery.delivery_id): 2}
    assert receiver.times_processed() == {str(delivery.delivery_id): 1}

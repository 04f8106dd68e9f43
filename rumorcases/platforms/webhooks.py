"""Order events pushed to platforms' webhooks.

A delivery is recorded inside the transaction of the change it reports, with its body fixed
there and then: every attempt sends the same bytes, under the same delivery id, so the
platform can tell a retry from a new event. Attempts run in Celery after the commit
(`platforms.tasks.deliver_webhook`); a periodic sweep re-queues what a dead worker left behind.

The life of a delivery, all in `WebhookDelivery.status`, `attempts` and `next_attempt_at`:

- `pending` and due (`next_attempt_at` passed): the next attempt may start. Starting one is a
  conditional update on `attempts`, so two workers holding the same message never both send.
- While an attempt runs, `next_attempt_at` is pushed `ATTEMPT_LEASE` ahead: the sweep leaves it
  alone, and if the worker dies mid-attempt the delivery becomes due again once the lease ends.
- A 2xx answer: `delivered`, never sent again. Anything else: the next attempt is due after a
  back-off (30 s, doubling, at most an hour, jittered) — unless it would start more than
  `RETRY_WINDOW` after the event, in which case the delivery is `failed` with the last error.
"""

import hashlib
import hmac
import json
import logging
import random
import time
import uuid
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

import requests
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rumorcases.core.audit import audit_record
from rumorcases.core.exceptions import INVALID, NOT_YOUR_ROLE, ApplicationError
from rumorcases.platforms.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent

logger = logging.getLogger(__name__)

EVENT_HEADER = "X-Rumorcases-Event"
DELIVERY_HEADER = "X-Rumorcases-Delivery"
SIGNATURE_HEADER = "X-Rumorcases-Signature"
TIMESTAMP_HEADER = "X-Rumorcases-Timestamp"
USER_AGENT = "rumorcases-webhooks/1"

ALLOWED_SCHEMES = ("http", "https")
TIMEOUT = (5, 10)  # seconds to connect, seconds to wait for each read of the answer
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
JITTER = 0.2  # each wait is 80–120 % of the schedule's, so retries after an outage spread out
RETRY_WINDOW = timedelta(hours=24)
# Longer than the longest an attempt can take (connect + read timeouts, with room to spare).
ATTEMPT_LEASE = timedelta(minutes=5)
SWEEP_BATCH = 500
ERROR_EXCERPT = 300  # characters of a refusing server's answer kept in the attempt's error
# Written when an attempt starts and replaced by its outcome: still there means the worker stopped.
NO_OUTCOME = "no outcome recorded: the worker stopped during the attempt"


# --- the event and its body ------------------------------------------------------------------


def _timestamp(value: datetime | None) -> str | None:
    # The API's rendering (DRF's): ISO 8601 in the office's time zone, with its offset.
    return timezone.localtime(value).isoformat() if value is not None else None


def _order_item(item) -> dict:
    account, report, penalty = item.account, item.report, item.penalty
    return {
        "id": item.pk,
        "kind": item.kind,
        "url": item.url,
        "report": {"id": report.pk, "external_id": report.external_id} if report is not None else None,
        "account": {"account_id": account.platform_account_id, "handle": account.handle}
        if account is not None else None,
        "penalty": {
            "measure": penalty.measure,
            "duration_days": penalty.duration_days,
            "legal_basis": {"code": penalty.legal_provision.code, "law": penalty.legal_provision.law,
                            "article": penalty.legal_provision.article},
        } if penalty is not None else None,
        "outcome": item.outcome,
        "done_at": _timestamp(item.done_at),
        "note": item.note,
    }


def order_payload(order) -> dict:
    """The order as its platform sees it: what to do, by when, and where it stands.

    Only what the platform already knows or must act on: the case by its reference alone,
    accounts by the platform's own ids, never a victim, a reporter or the case's claim.
    One query (the items with their reports, accounts, penalties and provisions), plus one
    for the case if `order.case` is not loaded yet.
    """
    items = order.items.select_related("report", "account", "penalty__legal_provision").order_by("id")
    return {
        "id": order.pk,
        "reference": order.reference,
        "status": order.status,
        "case": {"reference": order.case.reference},
        "instructions": order.instructions,
        "issued_at": _timestamp(order.issued_at),
        "due_at": _timestamp(order.due_at),
        "acknowledged_at": _timestamp(order.acknowledged_at),
        "completed_at": _timestamp(order.completed_at),
        "rejected_reason": order.rejected_reason,
        "waived_reason": order.waived_reason,
        "items": [_order_item(item) for item in items],
    }


def webhook_order_event(*, order, event: str) -> WebhookDelivery | None:
    """Record `event` about `order` for its platform and queue the delivery for after the commit.

    Must run inside the transaction of the change it reports: if that rolls back, nothing is
    recorded and nothing is sent. Nothing at all for a platform without a webhook address.
    Two queries (the order's items, the insert).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("webhook_order_event must run inside the transaction of the change it reports")
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    platform = order.platform
    if not platform.webhook_url:
        return None
    now = timezone.now()
    delivery_id = uuid.uuid4()
    body = json.dumps(
        {"delivery_id": str(delivery_id), "event": event, "occurred_at": _timestamp(now),
         "order": order_payload(order)},
        ensure_ascii=False, separators=(",", ":"),
    )
    delivery = WebhookDelivery.objects.create(
        delivery_id=delivery_id, platform=platform, event=event, order=order, url=platform.webhook_url, body=body,
        # Due at once: if queuing after the commit fails (broker down), the sweep still finds it.
        next_attempt_at=now,
    )
    # robust: a broker that cannot be reached, or an eager attempt that goes wrong, is logged;
    # it never reaches the service whose transaction has already committed.
    transaction.on_commit(partial(_queue, delivery.pk), robust=True)
    return delivery


def _queue(delivery_pk: int) -> None:
    from rumorcases.platforms.tasks import deliver_webhook

    deliver_webhook.delay(delivery_pk)


# --- signing -------------------------------------------------------------------------------


def webhook_signature(*, secret: str, body: bytes) -> str:
    """The `X-Rumorcases-Signature` value: HMAC-SHA256 of the raw body with the platform's secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def webhook_headers(*, delivery: WebhookDelivery, secret: str, body: bytes, now: datetime) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.delivery_id),
        SIGNATURE_HEADER: webhook_signature(secret=secret, body=body),
        TIMESTAMP_HEADER: str(int(now.timestamp())),
    }


# --- attempts --------------------------------------------------------------------------------


def retry_delay(attempts_made: int) -> timedelta:
    """How long to wait after the `attempts_made`-th failed attempt: 30 s, 1 min, 2 min … 1 h, ±20 %."""
    scheduled = min(FIRST_RETRY * 2 ** min(attempts_made - 1, 16), LONGEST_RETRY)
    return scheduled * random.uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - spreading retries, not a secret


def _claim(delivery_pk: int) -> tuple[WebhookDelivery, WebhookAttempt] | None:
    """Start the delivery's next attempt if it is due and nobody else has started it.

    The attempt is claimed by a conditional update on `attempts`: of two workers holding the
    same message, or a message and the sweep's copy, exactly one gets it; the other finds
    nothing to do. No lock is held while the platform's server answers.
    """
    now = timezone.now()
    delivery = WebhookDelivery.objects.select_related("platform").filter(
        pk=delivery_pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now).first()
    if delivery is None:
        return None
    unchanged = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING,
                                               attempts=delivery.attempts, next_attempt_at=delivery.next_attempt_at)
    deadline = delivery.created_at + RETRY_WINDOW
    if now > deadline and delivery.next_attempt_at <= deadline:
        # Due within the window, but no worker got to it before the window closed (an outage).
        # A retry staff asked for after the window is due later than the deadline and still goes.
        unchanged.update(status=DeliveryStatus.FAILED, next_attempt_at=None,
                         last_error=delivery.last_error or "not attempted within the 24 hours")
        return None
    number = delivery.attempts + 1
    with transaction.atomic():
        if not unchanged.update(attempts=number, next_attempt_at=now + ATTEMPT_LEASE):
            return None
        attempt = WebhookAttempt.objects.create(delivery=delivery, number=number, started_at=now, error=NO_OUTCOME)
    delivery.attempts = number
    return delivery, attempt


def _refusal(delivery: WebhookDelivery) -> str:
    """Why this delivery cannot be attempted at all, as configured; empty if it can."""
    if urlsplit(delivery.url).scheme.lower() not in ALLOWED_SCHEMES:
        return "refused: webhooks are sent to http(s) addresses only"
    if not delivery.platform.webhook_secret:
        return "refused: the platform has no webhook secret to sign with"
    return ""


def _post(delivery: WebhookDelivery, now: datetime) -> tuple[int | None, str]:
    """Send the stored body. Returns the answer's status code (None if there was none) and the error."""
    body = delivery.body.encode("utf-8")
    headers = webhook_headers(delivery=delivery, secret=delivery.platform.webhook_secret, body=body, now=now)
    try:
        # Redirects are not followed: the staff-configured address is the only one we send to.
        with requests.post(delivery.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False,
                           stream=True) as response:
            if 200 <= response.status_code < 300:
                return response.status_code, ""
            excerpt = next(response.iter_content(ERROR_EXCERPT), b"").decode("utf-8", "replace")
            return response.status_code, f"HTTP {response.status_code} {response.reason or ''} {excerpt}".strip()
    except requests.RequestException as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]


def webhook_deliver(*, delivery_pk: int) -> datetime | None:
    """Make the delivery's next attempt if it is due, and record its outcome.

    Returns when the attempt after it is due, or None when there is nothing more to do
    (delivered, failed for good, or not due / taken by another worker). Never raises for
    what the platform's server does: every outcome is an attempt row.
    """
    claimed = _claim(delivery_pk)
    if claimed is None:
        return None
    delivery, attempt = claimed
    refusal = _refusal(delivery)
    started = time.perf_counter()
    if refusal:
        status_code, error = None, refusal
    else:
        status_code, error = _post(delivery, attempt.started_at)
    duration_ms = int((time.perf_counter() - started) * 1000)
    succeeded = status_code is not None and 200 <= status_code < 300
    now = timezone.now()
    retry_at = None if succeeded or refusal else now + retry_delay(attempt.number)
    with transaction.atomic():
        WebhookAttempt.objects.filter(pk=attempt.pk).update(duration_ms=duration_ms, status_code=status_code,
                                                            error=error, succeeded=succeeded)
        ours = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=attempt.number)
        if succeeded:
            # Delivered is delivered, even if a lease ran out and another attempt started meanwhile.
            WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None, last_error="")
            return None
        if retry_at is None or retry_at > delivery.created_at + RETRY_WINDOW:
            ours.update(status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=error)
            return None
        ours.update(next_attempt_at=retry_at, last_error=error)
    logger.info("webhook %s to %s: attempt %s failed (%s); next at %s", delivery.delivery_id,
                delivery.platform.slug, attempt.number, error, retry_at.isoformat())
    return retry_at


def webhook_retry_due(*, limit: int = SWEEP_BATCH) -> int:
    """Queue every pending delivery whose next attempt is due; returns how many were queued.

    Run every minute by Celery beat. It finds what a dead worker, a lost message or a broker
    outage left behind; a delivery queued twice is attempted once (see `_claim`). One query.
    """
    due = list(WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
               .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    for delivery_pk in due:
        _queue(delivery_pk)
    return len(due)


def _attempt_under_way(delivery: WebhookDelivery, now: datetime) -> bool:
    return delivery.attempt_log.filter(number=delivery.attempts, error=NO_OUTCOME,
                                       started_at__gt=now - ATTEMPT_LEASE).exists()


@transaction.atomic
def webhook_retry_now(*, delivery: WebhookDelivery, by) -> WebhookDelivery:
    """Staff ask for a pending or failed delivery to be attempted now, to the platform's current address.

    The body and delivery id stay the same, so a platform that did receive it can tell.
    After the 24 hours this is one more attempt; a failure then fails the delivery again.
    """
    if by is None or not by.is_authenticated or not by.has_perm("platforms.change_webhookdelivery"):
        raise ApplicationError(NOT_YOUR_ROLE, _("Your role may not retry webhook deliveries."), status_code=403)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    now = timezone.now()
    if delivery.status == DeliveryStatus.DELIVERED:
        raise ApplicationError(INVALID, _("This delivery has been delivered."), status_code=409)
    if _attempt_under_way(delivery, now):
        raise ApplicationError(INVALID, _("An attempt is under way; wait for its outcome."), status_code=409)
    url = delivery.platform.webhook_url
    if not url:
        raise ApplicationError(INVALID, _("The platform has no webhook address any more."), status_code=409)
    before = {"status": delivery.status, "url": delivery.url}
    delivery.status, delivery.next_attempt_at, delivery.url = DeliveryStatus.PENDING, now, url
    delivery.save(update_fields=["status", "next_attempt_at", "url"])
    audit_record(actor=by, action="webhook.retry_requested", obj=delivery,
                 case_reference=delivery.order.case.reference if delivery.order_id else "",
                 data={"delivery_id": str(delivery.delivery_id), "event": delivery.event,
                       "platform": delivery.platform.slug, "before": before, "url": url})
    transaction.on_commit(partial(_queue, delivery.pk), robust=True)
    return delivery

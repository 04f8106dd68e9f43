import logging

from celery import shared_task

from rumorcases.platforms import webhooks

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def deliver_webhook(self, delivery_pk: int) -> None:
    """Make a webhook delivery's next attempt, and queue the one after it if it failed.

    Safe to run twice, or late: an attempt is claimed once (see `webhooks._claim`), a delivered
    or failed delivery is never sent again.
    """
    retry_at = webhooks.webhook_deliver(delivery_pk=delivery_pk)
    if retry_at is None or self.app.conf.task_always_eager:
        # Eager (no broker): nothing can hold a message until its time, and running it now would
        # only find it not due. The delivery waits, due at `next_attempt_at`, for the sweep.
        return
    try:
        deliver_webhook.apply_async((delivery_pk,), eta=retry_at)
    except Exception:  # the broker is unreachable: the attempt is recorded, the sweep re-queues it
        logger.warning("could not queue the next attempt of webhook delivery %s", delivery_pk, exc_info=True)


@shared_task(ignore_result=True)
def requeue_due_webhooks() -> int:
    """The beat's sweep: queue deliveries whose next attempt is due but that no message carries."""
    return webhooks.webhook_retry_due()

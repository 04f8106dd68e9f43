import logging

from celery import shared_task

from rumorcases.core.tasks_base import ReliableTask
from rumorcases.platforms import webhooks

logger = logging.getLogger(__name__)


# Routed to the "webhooks" queue. The delivery's own schedule (`webhooks.retry_delay`, over 24 hours)
# handles a platform's server that refuses or times out; the task's retries only cover the database
# going away under it. Re-running is safe: an attempt is claimed once.
@shared_task(bind=True, base=ReliableTask)
def deliver_webhook(self, delivery_pk: int) -> None:
    """Make a webhook delivery's next attempt, and queue the one after it if it failed.

    Safe to run twice, or late: an attempt is claimed once (see `webhooks._claim`), a delivered
    or failed delivery is never sent again. A worker killed mid-attempt leaves the attempt
    "no outcome recorded"; when its lease runs out the beat's sweep queues the next attempt,
    with the same delivery id, so the platform can tell it has seen it.
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


# Routed to the "sweeps" queue: a flood of deliveries must not delay the sweep that finds lost ones.
@shared_task(base=ReliableTask)
def requeue_due_webhooks() -> int:
    """The beat's sweep: queue deliveries whose next attempt is due but that no message carries."""
    return webhooks.webhook_retry_due()

from celery import shared_task

from rumorcases.core.tasks_base import ReliableTask
from rumorcases.operations import services


@shared_task(base=ReliableTask, ignore_result=True)
def sweep_deadlines() -> dict:
    """Run by beat every few minutes (CELERY_BEAT_SCHEDULE["deadline-sweep"]). Safe to run twice,
    or on two hosts at once: each escalation is written, and notified, once."""
    return services.sweep_deadlines().as_dict()

from celery import shared_task

from rumorcases.cases.models import CaseTransition
from rumorcases.cases.services import notification_for_transition
from rumorcases.core.tasks_base import ReliableTask


@shared_task(base=ReliableTask)
def notify_case_transition(transition_id: int) -> int:
    """Tell whoever must act next. Safe to run twice: notifications are keyed by the transition."""
    transition = CaseTransition.objects.select_related("case", "case__assignee").filter(pk=transition_id).first()
    if transition is None:
        return 0
    return len(notification_for_transition(transition=transition))

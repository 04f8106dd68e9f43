"""The deadline sweep: missed deadlines are escalated, once each, step by step.

Cases have no "overdue" state: a case is overdue while its `stage_deadline` is past. The
sweep records each step of the ladder as an `Escalation` row, notifies, and audits it, in one
transaction per step. The row's unique key (object, deadline, level) makes a sweep that runs
twice, or on two beat hosts at once, escalate once: the second insert fails, and only the
transaction whose row went in notifies.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.models import Case, Consultation
from rumorcases.core import notifications, roles
from rumorcases.core.audit import audit_record
from rumorcases.core.exceptions import INVALID, ApplicationError
from rumorcases.disposal.choices import OrderStatus
from rumorcases.disposal.models import DisposalOrder
from rumorcases.disposal.services import order_mark_overdue
from rumorcases.operations.models import Escalation, EscalationLevel, NotificationPreference
from rumorcases.operations.roles import OFFICE_HEAD

logger = logging.getLogger(__name__)

# Who acts on a case in each stage: told at level 1 when the case has no assignee.
STAGE_ROLE = {
    CaseStatus.DISCOVERED: roles.INTAKE_OFFICER,
    CaseStatus.VERIFYING: roles.VERIFIER,
    CaseStatus.DEBUNKING: roles.NOTICE_EDITOR,
    CaseStatus.DISPOSING: roles.DISPOSAL_OFFICER,
    CaseStatus.EXPOSING: roles.PUBLISHER,
}
OPEN_ORDER_STATES = [OrderStatus.ISSUED, OrderStatus.ACKNOWLEDGED, OrderStatus.OVERDUE]
LEVEL_GROUP = {EscalationLevel.SUPERVISOR: roles.SUPERVISOR, EscalationLevel.OFFICE_HEAD: OFFICE_HEAD}


@dataclass
class SweepResult:
    """What one sweep did: escalations written, by kind, and orders marked overdue."""

    cases: int = 0
    orders: int = 0
    orders_marked_overdue: int = 0
    consultations: int = 0

    def as_dict(self) -> dict:
        return {"cases": self.cases, "orders": self.orders, "orders_marked_overdue": self.orders_marked_overdue,
                "consultations": self.consultations}


def escalation_due_at(deadline, level: int):
    """When step `level` of the ladder is due for a deadline missed at `deadline`."""
    supervisor = timedelta(hours=settings.ESCALATE_SUPERVISOR_AFTER_HOURS)
    if level == EscalationLevel.ASSIGNEE:
        return deadline
    if level == EscalationLevel.SUPERVISOR:
        return deadline + supervisor
    return deadline + supervisor + timedelta(hours=settings.ESCALATE_HEAD_AFTER_HOURS)


def _levels_due(deadline, now) -> list[int]:
    return [level for level in EscalationLevel.values if escalation_due_at(deadline, level) < now]


def _group_members(name: str) -> list:
    return list(get_user_model().objects.filter(groups__name=name, is_active=True).order_by("pk"))


def _case_recipients(case: Case, level: int) -> list:
    if level == EscalationLevel.ASSIGNEE:
        if case.assignee_id and case.assignee.is_active:
            return [case.assignee]
        role = STAGE_ROLE.get(case.status)
        return _group_members(role) if role else []
    return _group_members(LEVEL_GROUP[level])


def _order_recipients(order: DisposalOrder, level: int) -> list:
    if level == EscalationLevel.ASSIGNEE:
        people = {u.pk: u for u in _group_members(roles.DISPOSAL_OFFICER)}
        if order.issued_by.is_active:
            people.setdefault(order.issued_by_id, order.issued_by)
        return list(people.values())
    return _group_members(LEVEL_GROUP[level])


def _audit_data(escalation: Escalation, recipients) -> dict:
    return {"level": escalation.level, "stage": escalation.stage, "deadline": escalation.deadline.isoformat(),
            "recipients": sorted(u.get_username() for u in recipients)}


def _insert(**key) -> Escalation | None:
    """The escalation row, or None when another sweep wrote it first. Must run in a transaction
    that is rolled back on None: on PostgreSQL the insert waits for a concurrent sweep's
    transaction holding the same key, then fails."""
    try:
        with transaction.atomic():
            return Escalation.objects.create(**key)
    except IntegrityError:
        return None


def case_escalate(*, case: Case, level: int) -> Escalation | None:
    """Escalate `case`'s missed stage deadline to `level`: record, notify, audit, in one
    transaction. None when it was already escalated to that level, or moved on meanwhile."""
    deadline = case.stage_deadline
    with transaction.atomic():
        # The case may have moved on (a new deadline) or closed since the sweep read it.
        if not Case.objects.filter(pk=case.pk, status=case.status, stage_deadline=deadline).exists():
            return None
        escalation = _insert(case=case, level=level, stage=case.status, deadline=deadline)
        if escalation is None:
            return None
        recipients = _case_recipients(case, level)
        notifications.case_overdue(escalation=escalation, recipients=recipients)
        escalation.recipients = len(recipients)
        escalation.save(update_fields=["recipients"])
        audit_record(actor=None, action="case.escalated", obj=case, case_reference=case.reference,
                     data=_audit_data(escalation, recipients))
    return escalation


def order_escalate(*, order: DisposalOrder, level: int) -> Escalation | None:
    """Escalate `order`'s missed due time to `level`. Level 1 also marks the order overdue
    (`order_mark_overdue`, which pushes the platform's webhook). None when already done, or when
    the order changed meanwhile (completed, acknowledged, waived...)."""
    try:
        with transaction.atomic():
            escalation = _insert(order=order, level=level, stage=order.status, deadline=order.due_at)
            if escalation is None:
                return None
            if level == EscalationLevel.ASSIGNEE:
                order_mark_overdue(order=order)
            recipients = _order_recipients(order, level)
            notifications.order_overdue(escalation=escalation, recipients=recipients)
            escalation.recipients = len(recipients)
            escalation.save(update_fields=["recipients"])
            audit_record(actor=None, action="order.escalated", obj=order, case_reference=order.case.reference,
                         data=_audit_data(escalation, recipients))
    except ApplicationError as error:
        # Not overdue any more, or another process moved it first: the next sweep looks again.
        logger.info("order %s not escalated: %s", order.reference, error.code)
        return None
    return escalation


def consultation_escalate(*, consultation: Consultation) -> Escalation | None:
    """Tell the asker and the case's assignee that an authority's answer is late (one step)."""
    with transaction.atomic():
        if not Consultation.objects.filter(pk=consultation.pk, answered_at=None,
                                           due_at=consultation.due_at).exists():
            return None
        escalation = _insert(consultation=consultation, level=EscalationLevel.ASSIGNEE,
                             stage=consultation.case.status, deadline=consultation.due_at)
        if escalation is None:
            return None
        case = consultation.case
        recipients = {u.pk: u for u in (consultation.asked_by, case.assignee) if u is not None and u.is_active}
        recipients = list(recipients.values())
        notifications.consultation_due(escalation=escalation, recipients=recipients)
        escalation.recipients = len(recipients)
        escalation.save(update_fields=["recipients"])
        audit_record(actor=None, action="consultation.overdue", obj=consultation, case_reference=case.reference,
                     data=_audit_data(escalation, recipients))
    return escalation


def _done(field_name: str, ids) -> set:
    return set(Escalation.objects.filter(**{f"{field_name}__in": ids})
               .values_list(f"{field_name}_id", "deadline", "level"))


def sweep_deadlines(*, now=None) -> SweepResult:
    """Escalate every missed deadline one more step where its time has come. Safe to run at any
    moment, as often as wanted, on several hosts at once. A query per kind of object to find the
    overdue ones and one for their escalations so far; one transaction per new escalation."""
    now = now or timezone.now()
    result = SweepResult()

    cases = list(Case.objects.exclude(status=CaseStatus.CLOSED).filter(stage_deadline__lt=now)
                 .select_related("assignee").order_by("pk"))
    done = _done("case", [c.pk for c in cases])
    for case in cases:
        for level in _levels_due(case.stage_deadline, now):
            if (case.pk, case.stage_deadline, level) not in done and case_escalate(case=case, level=level):
                result.cases += 1

    orders = list(DisposalOrder.objects.filter(status__in=OPEN_ORDER_STATES, due_at__lt=now)
                  .select_related("case", "platform", "issued_by").order_by("pk"))
    done = _done("order", [o.pk for o in orders])
    for order in orders:
        for level in _levels_due(order.due_at, now):
            if (order.pk, order.due_at, level) in done:
                continue
            if level == EscalationLevel.ASSIGNEE and order.status == OrderStatus.OVERDUE:
                continue  # marked overdue by hand or before the sweep existed: start at level 2
            if order_escalate(order=order, level=level):
                result.orders += 1
                result.orders_marked_overdue += level == EscalationLevel.ASSIGNEE

    consultations = list(Consultation.objects.filter(answered_at=None, due_at__lt=now)
                         .exclude(case__status=CaseStatus.CLOSED)
                         .select_related("case__assignee", "asked_by").order_by("pk"))
    done = _done("consultation", [c.pk for c in consultations])
    for consultation in consultations:
        if (consultation.pk, consultation.due_at, EscalationLevel.ASSIGNEE) not in done and \
                consultation_escalate(consultation=consultation):
            result.consultations += 1
    return result


@transaction.atomic
def notification_preference_set(*, user, language: str, email_kinds: list[str]) -> NotificationPreference:
    """Store `user`'s language for notifications and the kinds they also want by e-mail.
    Unknown languages or kinds are refused (`invalid`, with field errors). Not audited: it is the
    user's own bookkeeping, like marking notifications read."""
    errors = {}
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose one of the offered languages.")]
    unknown = sorted(set(email_kinds) - set(notifications.EMAIL_KINDS))
    if unknown:
        errors["email_kinds"] = [_("Unknown kinds of notification: %(kinds)s.") % {"kinds": ", ".join(unknown)}]
    if errors:
        raise ApplicationError(INVALID, _("Your choices could not be saved."), fields=errors)
    kinds = [kind for kind in notifications.EMAIL_KINDS if kind in set(email_kinds)]
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"language": language, "email_kinds": kinds})
    return preference

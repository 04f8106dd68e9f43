"""One service per case transition (PRODUCT.md's workflow table).

Every transition, in one transaction: checks state, role and guard; moves the case;
records who, when, from, to and why; writes the audit event; restarts the stage's
deadline clock from the case priority; and, once committed, notifies whoever must
act next. A lost race raises `ApplicationError("changed_meanwhile")`.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rumorcases.cases import deadlines
from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.models import Case, CaseTransition, Report
from rumorcases.core.audit import audit_record
from rumorcases.core.exceptions import INVALID, REASON_REQUIRED, ApplicationError
from rumorcases.core.fsm import fire, refusal, reload_from_db

# The transitions that must say why.
REASON_REQUIRED_FOR = {
    "dismiss", "clear", "close_unverifiable", "return_to_verification", "close_without_exposure", "reopen",
}
CASE_FIELDS_SET_BY_TRANSITIONS = ["resolution", "closed_at", "merged_into", "stage_started_at", "stage_deadline",
                                  "updated_at"]


def _transition(*, case: Case, name: str, by, reason: str = "", system: bool = False,
                data: dict | None = None, **kwargs) -> CaseTransition:
    reason = (reason or "").strip()
    if name in REASON_REQUIRED_FOR and not reason:
        raise ApplicationError(REASON_REQUIRED, _("A reason is required for “%(name)s”.") % {"name": name},
                               fields={"reason": [_("This field is required.")]})
    problem = refusal(case, name, by, system=system)
    if problem is not None:
        raise problem
    with transaction.atomic():
        now = timezone.now()
        # The priority as it is now (the row locked, as the update below would): a report past
        # the legal threshold may have raised it since `case` was loaded.
        case.priority = Case.objects.select_for_update(no_key=True).values_list("priority", flat=True).get(pk=case.pk)

        def restart_clock(moved: Case) -> None:
            moved.stage_started_at = now
            moved.stage_deadline = deadlines.stage_deadline(moved.status, moved.priority, now)

        source = fire(case, name, by=by, system=system, checked=True, on_moved=restart_clock,
                      update_fields=CASE_FIELDS_SET_BY_TRANSITIONS, **kwargs)
        record = CaseTransition.objects.create(
            case=case, name=name, source=source, target=case.status, actor=by,
            reason=reason, data=data or {}, created_at=now,
        )
        audit_record(
            actor=by, action=f"case.{name}", obj=case, case_reference=case.reference,
            data={"from": source, "to": case.status, "reason": reason, "transition_id": record.pk, **(data or {})},
        )
        transaction.on_commit(lambda: _queue_notification(record.pk))
    return record


def _queue_notification(transition_id: int) -> None:
    from rumorcases.cases.tasks import notify_case_transition

    notify_case_transition.delay(transition_id)


def case_start_verification(*, case: Case, by, reason: str = "") -> CaseTransition:
    return _transition(case=case, name="start_verification", by=by, reason=reason)


def case_dismiss(*, case: Case, by, reason: str) -> CaseTransition:
    """Out of scope: closes the case."""
    return _transition(case=case, name="dismiss", by=by, reason=reason)


def case_merge_into(*, case: Case, target: Case, by, reason: str = "") -> CaseTransition:
    """Close `case` as a duplicate of `target` and move its reports there."""
    if target is None or target.pk == case.pk:
        raise ApplicationError(INVALID, _("Choose another case to merge into."),
                               fields={"target": [_("A case cannot be merged into itself.")]})
    with transaction.atomic():
        # Both rows locked, in id order (two opposite merges must not deadlock): the target
        # cannot close while it receives the reports.
        locked = {c.pk: c for c in Case.objects.select_for_update(no_key=True)
                  .filter(pk__in=[case.pk, target.pk]).order_by("pk")}
        target = locked.get(target.pk)
        if target is None or target.status == CaseStatus.CLOSED:
            reference = target.reference if target else "?"
            raise ApplicationError(INVALID,
                                   _("Case %(ref)s is closed; merge into an open case.") % {"ref": reference},
                                   fields={"target": [_("The target case is closed.")]})
        moved = list(Report.objects.filter(case=case).values_list("pk", flat=True))
        record = _transition(case=case, name="merge_into", by=by, reason=reason,
                             data={"target": target.reference, "reports_moved": len(moved)}, target=target)
        Report.objects.filter(pk__in=moved).update(case=target, match_reason="merged", updated_at=timezone.now())
        audit_record(actor=by, action="case.merged_reports_received", obj=target, case_reference=target.reference,
                     data={"from_case": case.reference, "report_ids": moved})
    return record


def case_confirm_rumour(*, case: Case, by, reason: str = "") -> CaseTransition:
    return _transition(case=case, name="confirm_rumour", by=by, reason=reason)


def case_clear(*, case: Case, by, reason: str) -> CaseTransition:
    """True, not a rumour: closes the case."""
    return _transition(case=case, name="clear", by=by, reason=reason)


def case_close_unverifiable(*, case: Case, by, reason: str) -> CaseTransition:
    return _transition(case=case, name="close_unverifiable", by=by, reason=reason)


def case_publish_debunk(*, case: Case, by, reason: str = "") -> CaseTransition:
    """Publish the case's approved debunk notice and move the case on to disposal."""
    from rumorcases.notices.services import notice_publish

    try:
        with transaction.atomic():
            record = _transition(case=case, name="publish_debunk", by=by, reason=reason)
            notice = case.notices.filter(status="approved").exclude(approved_by=None).order_by("-approved_at").first()
            notice_publish(notice=notice, by=by)
            CaseTransition.objects.filter(pk=record.pk).update(data={"notice": str(notice.public_id)})
    except Exception:
        # The case had moved in memory before the notice was refused (four eyes, personal data);
        # the database rolled back, and so must the caller's copy.
        reload_from_db(case)
        raise
    return record


def case_return_to_verification(*, case: Case, by, reason: str) -> CaseTransition:
    return _transition(case=case, name="return_to_verification", by=by, reason=reason)


def case_complete_disposal(*, case: Case, by, reason: str = "") -> CaseTransition:
    return _transition(case=case, name="complete_disposal", by=by, reason=reason)


def case_mark_exposed(*, case: Case, by, reason: str = "", system: bool = False) -> CaseTransition:
    """Closes the case as exposed; publishing a bulletin calls this for each of its cases."""
    return _transition(case=case, name="mark_exposed", by=by, reason=reason, system=system)


def case_close_without_exposure(*, case: Case, by, reason: str) -> CaseTransition:
    return _transition(case=case, name="close_without_exposure", by=by, reason=reason)


def case_reopen(*, case: Case, by, reason: str) -> CaseTransition:
    return _transition(case=case, name="reopen", by=by, reason=reason)


TRANSITION_SERVICES = {
    "start_verification": case_start_verification,
    "dismiss": case_dismiss,
    "merge_into": case_merge_into,
    "confirm_rumour": case_confirm_rumour,
    "clear": case_clear,
    "close_unverifiable": case_close_unverifiable,
    "publish_debunk": case_publish_debunk,
    "return_to_verification": case_return_to_verification,
    "complete_disposal": case_complete_disposal,
    "mark_exposed": case_mark_exposed,
    "close_without_exposure": case_close_without_exposure,
    "reopen": case_reopen,
}

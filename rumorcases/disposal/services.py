"""Accounts, subjects, penalties and orders to platforms."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.services import _invalid, require_perm
from rumorcases.core.audit import audit_record
from rumorcases.core.exceptions import FOUR_EYES, INVALID, REASON_REQUIRED, ApplicationError
from rumorcases.core.fsm import fire
from rumorcases.core.services import counter_next
from rumorcases.disposal.choices import (
    MEASURES_WITH_DURATION,
    AccountType,
    Measure,
    OffenderRole,
    OrderItemKind,
    OrderItemOutcome,
    PenaltyStatus,
    SubjectKind,
)
from rumorcases.disposal.models import Account, DisposalOrder, LegalProvision, OrderItem, Penalty, Subject
from rumorcases.platforms.models import WebhookEvent
from rumorcases.platforms.webhooks import webhook_order_event
from rumorcases.public.cache import public_pages_changed

# Stages in which penalties may be proposed and orders issued.
DISPOSAL_STAGES = [CaseStatus.DEBUNKING, CaseStatus.DISPOSING]


# --- accounts and subjects -------------------------------------------------------


def account_upsert(*, platform, account_id: str, handle: str = "", display_name: str = "",
                   account_type: str = AccountType.INDIVIDUAL, followers: int = 0, verified: bool = False) -> Account:
    """The account as the platform last described it (created on first sight)."""
    account, created = Account.objects.get_or_create(
        platform=platform, platform_account_id=account_id,
        defaults={"handle": handle, "display_name": display_name, "account_type": account_type,
                  "followers": followers, "verified": verified},
    )
    if not created:
        new = {"handle": handle or account.handle, "display_name": display_name or account.display_name,
               "account_type": account_type, "followers": followers, "verified": verified}
        changed = [name for name, value in new.items() if getattr(account, name) != value]
        if changed:
            for name in changed:
                setattr(account, name, new[name])
            account.save(update_fields=[*changed, "updated_at"])
    return account


@transaction.atomic
def subject_link_account(*, account: Account, subject: Subject | None, by) -> Account:
    """Say who is behind an account, so its offences count with the subject's other accounts."""
    require_perm(by, "disposal.change_account")
    account.subject = subject
    account.save(update_fields=["subject", "updated_at"])
    audit_record(actor=by, action="account.subject_linked", obj=account,
                 data={"subject": subject.pk if subject else None})
    return account


@transaction.atomic
def subject_create(*, name: str, by, kind: str = SubjectKind.PERSON, notes: str = "") -> Subject:
    """Record a person or organisation behind accounts (internal only, never published)."""
    require_perm(by, "disposal.add_subject")
    errors = {}
    if not (name or "").strip():
        errors["name"] = [_("This field is required.")]
    elif len(name.strip()) > Subject._meta.get_field("name").max_length:
        errors["name"] = [_("At most 200 characters.")]
    if kind not in SubjectKind.values:
        errors["kind"] = [_("Unknown kind.")]
    if errors:
        raise _invalid(errors)
    subject = Subject.objects.create(name=name.strip(), kind=kind, notes=(notes or "").strip())
    audit_record(actor=by, action="subject.created", obj=subject)
    return subject


@transaction.atomic
def account_link_new_subject(*, account: Account, name: str, by, kind: str = SubjectKind.PERSON) -> Account:
    """Create the subject behind an account and link the account to it, both or neither."""
    require_perm(by, "disposal.change_account")
    subject = subject_create(name=name, kind=kind, by=by)
    return subject_link_account(account=account, subject=subject, by=by)


def prior_penalties(account: Account, *, exclude_case=None):
    """Earlier standing penalties of this account, or of any account of the same subject."""
    accounts = Q(account=account)
    if account.subject_id:
        accounts |= Q(account__subject_id=account.subject_id)
    qs = Penalty.objects.filter(accounts).exclude(status__in=[PenaltyStatus.REVOKED, PenaltyStatus.PROPOSED])
    if exclude_case is not None:
        qs = qs.exclude(case=exclude_case)
    return qs


# --- penalties -------------------------------------------------------------------


@transaction.atomic
def penalty_propose(*, case, account: Account, role: str, measure: str, legal_provision: LegalProvision,
                    reasoning: str, by, duration_days: int | None = None) -> Penalty:
    """Propose a penalty. A warning needs no second person and is approved at once;
    anything heavier waits for approval by someone else."""
    require_perm(by, "disposal.propose_penalty")
    if case.status not in DISPOSAL_STAGES:
        raise ApplicationError(INVALID, _("Penalties are decided while the case is being debunked or disposed of."),
                               status_code=409)
    errors = {}
    if role not in OffenderRole.values:
        errors["role"] = [_("Unknown role.")]
    if measure not in Measure.values:
        errors["measure"] = [_("Unknown measure.")]
    elif measure in MEASURES_WITH_DURATION and not duration_days:
        errors["duration_days"] = [_("This measure needs a duration in days.")]
    elif measure not in MEASURES_WITH_DURATION and duration_days is not None:
        errors["duration_days"] = [_("This measure has no duration.")]
    elif duration_days is not None and not 1 <= duration_days <= 3650:
        errors["duration_days"] = [_("Between 1 and 3,650 days.")]
    if legal_provision is None or not legal_provision.active:
        errors["legal_provision"] = [_("Cite an active provision from the catalogue.")]
    if not (reasoning or "").strip():
        errors["reasoning"] = [_("This field is required.")]
    if errors:
        raise _invalid(errors)
    prior = prior_penalties(account, exclude_case=case).count()
    penalty = Penalty.objects.create(
        case=case, account=account, role=role, measure=measure, duration_days=duration_days,
        legal_provision=legal_provision, reasoning=reasoning.strip(), prior_offences=prior, proposed_by=by,
    )
    audit_record(actor=by, action="penalty.proposed", obj=penalty, case_reference=case.reference,
                 data={"account": account.pk, "measure": measure, "role": role, "prior_offences": prior,
                       "provision": legal_provision.code})
    if measure == Measure.WARNING:
        penalty.approve(approver=by)
        penalty.save(update_fields=["status", "approved_by", "approved_at"])
        audit_record(actor=by, action="penalty.approved", obj=penalty, case_reference=case.reference,
                     data={"automatic": _("a warning needs no second approval")})
    return penalty


@transaction.atomic
def penalty_approve(*, penalty: Penalty, by) -> Penalty:
    if penalty.needs_another_approver(by):
        raise ApplicationError(FOUR_EYES, _("You proposed this penalty; someone else must approve it."),
                               status_code=403)
    fire(penalty, "approve", by=by, update_fields=["approved_by", "approved_at"], approver=by)
    audit_record(actor=by, action="penalty.approved", obj=penalty, case_reference=penalty.case.reference)
    return penalty


@transaction.atomic
def penalty_revoke(*, penalty: Penalty, by, reason: str) -> Penalty:
    if not (reason or "").strip():
        raise ApplicationError(REASON_REQUIRED, _("A reason is required to revoke a penalty."),
                               fields={"reason": [_("This field is required.")]})
    fire(penalty, "revoke", by=by, update_fields=["revoked_reason"], reason=reason.strip())
    audit_record(actor=by, action="penalty.revoked", obj=penalty, case_reference=penalty.case.reference,
                 data={"reason": reason.strip()})
    transaction.on_commit(public_pages_changed)  # a bulletin's list of accounts acted on may change
    return penalty


@transaction.atomic
def penalty_appeal(*, penalty: Penalty, by, note: str) -> Penalty:
    """Record that the account holder appealed; the case cannot complete disposal until it is decided."""
    if not (note or "").strip():
        raise ApplicationError(REASON_REQUIRED, _("Describe the appeal."), fields={"note": [_("Required.")]})
    fire(penalty, "appeal", by=by, update_fields=["status_before_appeal", "appeal_note"], note=note.strip())
    audit_record(actor=by, action="penalty.appealed", obj=penalty, case_reference=penalty.case.reference,
                 data={"note": note.strip()})
    return penalty


@transaction.atomic
def penalty_uphold(*, penalty: Penalty, by) -> Penalty:
    """The appeal failed: the penalty returns to where it stood."""
    fire(penalty, "uphold", by=by, update_fields=[])
    audit_record(actor=by, action="penalty.upheld", obj=penalty, case_reference=penalty.case.reference)
    transaction.on_commit(public_pages_changed)
    return penalty


# --- orders to platforms -----------------------------------------------------------


@transaction.atomic
def order_issue(*, case, platform, due_at, by, items: list[dict], instructions: str = "") -> DisposalOrder:
    """Order a platform to remove posts and carry out approved penalties by `due_at`.

    `items`: dicts with `kind` and either `report` / `url` (remove_content) or `penalty`
    (act_on_account). Penalties move to `ordered`.
    """
    require_perm(by, "disposal.issue_order")
    if case.status not in DISPOSAL_STAGES:
        raise ApplicationError(INVALID, _("Orders are issued while the case is being debunked or disposed of."),
                               status_code=409)
    errors = {}
    if due_at is None or timezone.is_naive(due_at) or due_at <= timezone.now():
        errors["due_at"] = [_("A due time in the future is required.")]
    if not items:
        errors["items"] = [_("An order needs at least one item.")]
    rows = []
    for index, item in enumerate(items):
        kind = item.get("kind")
        report, penalty = item.get("report"), item.get("penalty")
        if kind == OrderItemKind.REMOVE_CONTENT:
            if report is None and not item.get("url"):
                errors[f"items.{index}"] = [_("Name the report or URL to remove.")]
            elif report is not None and (report.case_id != case.pk or report.platform_id != platform.pk):
                errors[f"items.{index}"] = [_("The report must belong to this case and this platform.")]
            else:
                rows.append(OrderItem(kind=kind, report=report, url=item.get("url") or (report.url if report else ""),
                                      account=report.author if report else None))
        elif kind == OrderItemKind.ACT_ON_ACCOUNT:
            if penalty is not None and any(row.penalty_id == penalty.pk for row in rows):
                errors[f"items.{index}"] = [_("This penalty is already an item of the order.")]
            elif penalty is None or penalty.case_id != case.pk or penalty.account.platform_id != platform.pk:
                errors[f"items.{index}"] = [_("Name an approved penalty of this case on this platform.")]
            elif penalty.status != PenaltyStatus.APPROVED:
                errors[f"items.{index}"] = [_("Only an approved penalty can be ordered.")]
            else:
                rows.append(OrderItem(kind=kind, penalty=penalty, account=penalty.account))
        else:
            errors[f"items.{index}"] = [_("Unknown item kind.")]
    if errors:
        raise _invalid(errors)
    year = timezone.localdate().year
    order = DisposalOrder.objects.create(
        reference=f"DO-{year}-{counter_next(name=f'order-{year}'):06d}", case=case, platform=platform,
        due_at=due_at, issued_by=by, instructions=instructions,
    )
    for row in rows:
        row.order = order
        if row.penalty is not None:
            fire(row.penalty, "order", by=by, update_fields=[])
    OrderItem.objects.bulk_create(rows)
    audit_record(actor=by, action="order.issued", obj=order, case_reference=case.reference,
                 data={"platform": platform.slug, "items": len(rows), "due_at": due_at.isoformat()})
    webhook_order_event(order=order, event=WebhookEvent.ORDER_ISSUED)
    return order


def _release_unexecuted_penalties(order: DisposalOrder, by) -> None:
    """Penalties the platform did not carry out go back to approved, to be ordered again."""
    for item in order.items.select_related("penalty").exclude(outcome=OrderItemOutcome.EXECUTED):
        if item.penalty is not None and item.penalty.status == PenaltyStatus.ORDERED:
            fire(item.penalty, "release", by=by, system=True, update_fields=[])


def _check_platform(order: DisposalOrder, platform) -> None:
    if platform is not None and order.platform_id != platform.pk:
        # Another platform's order does not exist as far as this platform can tell.
        raise ApplicationError("not_found", _("Not found."), status_code=404)


@transaction.atomic
def order_acknowledge(*, order: DisposalOrder, platform=None, by=None) -> DisposalOrder:
    """The platform says it has received the order."""
    _check_platform(order, platform)
    fire(order, "acknowledge", by=by, system=True, update_fields=["acknowledged_at"])
    audit_record(actor=by, action="order.acknowledged", obj=order, case_reference=order.case.reference,
                 data={"platform": order.platform.slug})
    webhook_order_event(order=order, event=WebhookEvent.ORDER_UPDATED)
    return order


@transaction.atomic
def order_complete(*, order: DisposalOrder, results: list[dict], platform=None, by=None) -> DisposalOrder:
    """The platform reports what it did for each item: `{"item": id, "executed": bool, "at": dt, "note": str}`.

    All executed: the order is completed and its penalties executed. Any item not
    executed: the order is rejected, and the office waives it or issues a new one.
    """
    _check_platform(order, platform)
    items = {item.pk: item for item in order.items.select_related("penalty")}
    errors = {}
    answered = {}
    for index, result in enumerate(results or []):
        item = items.get(result.get("item"))
        if item is None:
            errors[f"results.{index}.item"] = [_("Not an item of this order.")]
        elif item.pk in answered:
            errors[f"results.{index}.item"] = [_("Answered twice.")]
        elif not isinstance(result.get("executed"), bool):
            errors[f"results.{index}.executed"] = [_("true or false.")]
        else:
            answered[item.pk] = result
    missing = set(items) - set(answered)
    if missing and not errors:
        errors["results"] = [_("Every item needs an answer; missing: %(ids)s") % {"ids": sorted(missing)}]
    if errors:
        raise _invalid(errors)
    now = timezone.now()
    not_done = []
    for item_id, result in answered.items():
        item = items[item_id]
        item.outcome = OrderItemOutcome.EXECUTED if result["executed"] else OrderItemOutcome.NOT_EXECUTED
        item.done_at = result.get("at") or now
        item.note = str(result.get("note", ""))[:2000]
        item.save(update_fields=["outcome", "done_at", "note"])
        if item.penalty is not None and result["executed"]:
            fire(item.penalty, "execute", by=by, system=True, update_fields=["executed_at"], at=item.done_at)
        if not result["executed"]:
            not_done.append(item)
    if not_done:
        reason = "; ".join(f"#{item.pk}: {item.note or _('not executed')}" for item in not_done)
        fire(order, "reject", by=by, system=True, update_fields=["rejected_reason"], reason=reason)
        _release_unexecuted_penalties(order, by)
    else:
        fire(order, "complete", by=by, system=True, update_fields=["completed_at"])
    audit_record(actor=by, action=f"order.{order.status}", obj=order, case_reference=order.case.reference,
                 data={"executed": len(answered) - len(not_done), "not_executed": len(not_done)})
    webhook_order_event(order=order, event=WebhookEvent.ORDER_UPDATED)
    return order


@transaction.atomic
def order_reject(*, order: DisposalOrder, reason: str, platform=None, by=None) -> DisposalOrder:
    _check_platform(order, platform)
    if not (reason or "").strip():
        raise ApplicationError(REASON_REQUIRED, _("Say why the order is rejected."),
                               fields={"reason": [_("This field is required.")]})
    fire(order, "reject", by=by, system=True, update_fields=["rejected_reason"], reason=reason.strip())
    _release_unexecuted_penalties(order, by)
    audit_record(actor=by, action="order.rejected", obj=order, case_reference=order.case.reference,
                 data={"reason": reason.strip()})
    webhook_order_event(order=order, event=WebhookEvent.ORDER_UPDATED)
    return order


@transaction.atomic
def order_waive(*, order: DisposalOrder, by, reason: str) -> DisposalOrder:
    """The office no longer requires the order; the reason is kept."""
    if not (reason or "").strip():
        raise ApplicationError(REASON_REQUIRED, _("A reason is required to waive an order."),
                               fields={"reason": [_("This field is required.")]})
    fire(order, "waive", by=by, update_fields=["waived_by", "waived_reason"], waiver=by, reason=reason.strip())
    _release_unexecuted_penalties(order, by)
    audit_record(actor=by, action="order.waived", obj=order, case_reference=order.case.reference,
                 data={"reason": reason.strip()})
    webhook_order_event(order=order, event=WebhookEvent.ORDER_UPDATED)
    return order


@transaction.atomic
def order_mark_overdue(*, order: DisposalOrder) -> DisposalOrder:
    if not order.is_overdue:
        raise ApplicationError(INVALID, _("The order is not past its due time."), status_code=409)
    fire(order, "mark_overdue", by=None, system=True, update_fields=[])
    audit_record(actor=None, action="order.overdue", obj=order, case_reference=order.case.reference)
    webhook_order_event(order=order, event=WebhookEvent.ORDER_OVERDUE)
    return order


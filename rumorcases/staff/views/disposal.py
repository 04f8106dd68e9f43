"""Staff pages: the disposal tab of a case — penalties per account, orders to platforms."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.selectors import case_get_for_user
from rumorcases.core.fsm import available_transitions
from rumorcases.disposal import selectors
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import ORDER_CLOSED_STATES
from rumorcases.staff.access import require_perm, staff_view
from rumorcases.staff.forms.base import run_service
from rumorcases.staff.forms.disposal import OrderIssueForm, PenaltyProposeForm, ReasonForm, provision_choices


def _disposal_url(case, anchor: str = "") -> str:
    return reverse("staff:case_disposal", args=[case.reference]) + (f"#{anchor}" if anchor else "")


def _default_due() -> str:
    return timezone.localtime(timezone.now() + timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M")


def _page(request, case, *, propose=None, penalty_forms=None, order_forms=None, status=200):
    """The disposal tab; the `*_forms` given (bound, with errors) replace the blank ones."""
    user = request.user
    in_stage = case.status in disposal.DISPOSAL_STAGES
    rows = selectors.case_disposal_accounts(case)
    can_propose = in_stage and user.has_perm("disposal.propose_penalty")
    provisions = provision_choices() if can_propose else []
    penalty_forms = penalty_forms or {}
    for row in rows:
        if can_propose:
            if propose is not None and propose[0] == row.account.pk:
                row.form = propose[1]
            else:
                suggestion = row.suggestion
                row.form = PenaltyProposeForm(prefix=f"a{row.account.pk}", provisions=provisions, initial={
                    "measure": suggestion.measure, "role": suggestion.role,
                    "duration_days": suggestion.duration_days})
        for penalty in row.penalties:
            names = available_transitions(penalty, user)
            four_eyes = penalty.needs_another_approver(user)
            penalty.can_approve = "approve" in names and not four_eyes
            penalty.waits_for_another = "approve" in names and four_eyes
            penalty.can_revoke = "revoke" in names
            bound = penalty_forms.get(penalty.pk)
            penalty.action_form = bound if bound is not None and not isinstance(bound, ReasonForm) else None
            penalty.revoke_form = bound if isinstance(bound, ReasonForm) else ReasonForm(prefix=f"r{penalty.pk}")
    drafts = []
    if in_stage and user.has_perm("disposal.issue_order"):
        order_forms = order_forms or {}
        for draft in selectors.case_order_drafts(case):
            draft.form = order_forms.get(draft.platform.pk) or OrderIssueForm(
                prefix=f"o{draft.platform.pk}", draft=draft, initial={"due_at": _default_due()})
            drafts.append(draft)
    context = {
        "case": case, "tab": "disposal", "title": _("Disposal"), "rows": rows, "can_propose": can_propose,
        "drafts": drafts, "orders": selectors.case_orders(case),
        "guards": selectors.disposal_guards(case) if case.status == CaseStatus.DISPOSING else [],
        "in_stage": in_stage,
    }
    return render(request, "staff/disposal/case_disposal.html", context, status=status)


@staff_view
def case_disposal(request, reference):
    case = case_get_for_user(request.user, reference=reference)
    return _page(request, case)


@staff_view(methods=("POST",))
def penalty_propose(request, reference, account_id):
    case = case_get_for_user(request.user, reference=reference)
    require_perm(request.user, "disposal.propose_penalty")
    row = next((r for r in selectors.case_disposal_accounts(case) if r.account.pk == account_id), None)
    if row is None:
        raise Http404
    form = PenaltyProposeForm(request.POST, prefix=f"a{account_id}", provisions=provision_choices())
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        penalty, status = run_service(form, lambda: disposal.penalty_propose(
            case=case, account=row.account, role=data["role"], measure=data["measure"],
            legal_provision=data["legal_provision"], reasoning=data["reasoning"], by=request.user,
            duration_days=data["duration_days"]))
        if penalty is not None:
            messages.success(request, _("Penalty proposed: %(penalty)s.") % {"penalty": penalty})
            return redirect(_disposal_url(case, f"account-{account_id}"))
    return _page(request, case, propose=(account_id, form), status=status)


@staff_view(methods=("POST",))
def penalty_approve(request, reference, pk):
    case = case_get_for_user(request.user, reference=reference)
    require_perm(request.user, "disposal.approve_penalty")
    penalty = selectors.penalty_get_for_case(request.user, case, pk=pk)
    form = forms.Form(request.POST)
    result, status = run_service(form, lambda: disposal.penalty_approve(penalty=penalty, by=request.user))
    if result is not None:
        messages.success(request, _("Penalty approved: %(penalty)s.") % {"penalty": penalty})
        return redirect(_disposal_url(case, f"penalty-{pk}"))
    form.is_valid()  # so the template can list its errors
    return _page(request, case, penalty_forms={pk: form}, status=status)


@staff_view(methods=("POST",))
def penalty_revoke(request, reference, pk):
    case = case_get_for_user(request.user, reference=reference)
    require_perm(request.user, "disposal.revoke_penalty")
    penalty = selectors.penalty_get_for_case(request.user, case, pk=pk)
    form = ReasonForm(request.POST, prefix=f"r{pk}")
    status = 200
    if form.is_valid():
        result, status = run_service(form, lambda: disposal.penalty_revoke(
            penalty=penalty, by=request.user, reason=form.cleaned_data["reason"]))
        if result is not None:
            messages.success(request, _("Penalty revoked: %(penalty)s.") % {"penalty": penalty})
            return redirect(_disposal_url(case, f"penalty-{pk}"))
    return _page(request, case, penalty_forms={pk: form}, status=status)


@staff_view(methods=("POST",))
def order_issue(request, reference, platform):
    case = case_get_for_user(request.user, reference=reference)
    require_perm(request.user, "disposal.issue_order")
    draft = next((d for d in selectors.case_order_drafts(case) if d.platform.slug == platform), None)
    if draft is None:
        raise Http404
    form = OrderIssueForm(request.POST, prefix=f"o{draft.platform.pk}", draft=draft)
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        order, status = run_service(form, lambda: disposal.order_issue(
            case=case, platform=draft.platform, due_at=data["due_at"], by=request.user, items=form.items(),
            instructions=data["instructions"]))
        if order is not None:
            messages.success(request, _("Order %(ref)s issued to %(platform)s.")
                             % {"ref": order.reference, "platform": draft.platform.name})
            return redirect("staff:order_detail", case.reference, order.reference)
    return _page(request, case, order_forms={draft.platform.pk: form}, status=status)


def _order_page(request, case, order, *, waive_form=None, status=200):
    user = request.user
    can_waive = "waive" in available_transitions(order, user)
    context = {
        "case": case, "tab": "disposal", "order": order, "title": order.reference,
        "items": list(order.items.all()), "deliveries": selectors.order_webhook_deliveries(user, order),
        "can_waive": can_waive, "waive_form": waive_form or ReasonForm(prefix="waive"),
        "closed": order.status in ORDER_CLOSED_STATES,
    }
    return render(request, "staff/disposal/order_detail.html", context, status=status)


@staff_view
def order_detail(request, reference, order_reference):
    case = case_get_for_user(request.user, reference=reference)
    order = selectors.order_get_for_case(request.user, case, reference=order_reference)
    return _order_page(request, case, order)


@staff_view(methods=("POST",))
def order_waive(request, reference, order_reference):
    case = case_get_for_user(request.user, reference=reference)
    require_perm(request.user, "disposal.waive_order")
    order = selectors.order_get_for_case(request.user, case, reference=order_reference)
    form = ReasonForm(request.POST, prefix="waive")
    status = 200
    if form.is_valid():
        result, status = run_service(form, lambda: disposal.order_waive(
            order=order, by=request.user, reason=form.cleaned_data["reason"]))
        if result is not None:
            messages.success(request, _("Order %(ref)s waived.") % {"ref": order.reference})
            return redirect("staff:order_detail", case.reference, order.reference)
    return _order_page(request, case, order, waive_form=form, status=status)


urlpatterns = [
    path("cases/<str:reference>/disposal/", case_disposal, name="case_disposal"),
    path("cases/<str:reference>/disposal/accounts/<int:account_id>/propose/", penalty_propose,
         name="penalty_propose"),
    path("cases/<str:reference>/disposal/penalties/<int:pk>/approve/", penalty_approve, name="penalty_approve"),
    path("cases/<str:reference>/disposal/penalties/<int:pk>/revoke/", penalty_revoke, name="penalty_revoke"),
    path("cases/<str:reference>/disposal/orders/new/<slug:platform>/", order_issue, name="order_issue"),
    path("cases/<str:reference>/disposal/orders/<str:order_reference>/", order_detail, name="order_detail"),
    path("cases/<str:reference>/disposal/orders/<str:order_reference>/waive/", order_waive, name="order_waive"),
]

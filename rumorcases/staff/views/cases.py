"""Staff pages: my work (the queue), discovery by staff, opening a case, the case workbench
and its actions, and the user's notifications.

Views parse, call one selector or service, and render; refusals come back from the services
as `ApplicationError` and are shown in place (403 for a role refusal, 409 for "changed meanwhile").
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from rumorcases.cases import selectors
from rumorcases.cases import services as case_services
from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.models import Case
from rumorcases.cases.workflow import REASON_REQUIRED_FOR, TRANSITION_SERVICES
from rumorcases.core.exceptions import CHANGED_MEANWHILE, GUARD_FAILED
from rumorcases.core.fsm import available_transitions, refusal, role_may_fire, transition_label
from rumorcases.core.selectors import notification_list_for_user
from rumorcases.core.services import notification_mark_read
from rumorcases.staff.access import require_perm, staff_view
from rumorcases.staff.forms.base import attempt, refusal_status
from rumorcases.staff.forms.cases import (
    AssignForm,
    CampaignsForm,
    CaseDetailsForm,
    CaseOpenForm,
    CommentForm,
    DiscoveryForm,
    PriorityForm,
    QueueFilterForm,
    ReportMoveForm,
    TransitionForm,
)

# Why each report joined its case, for people (Report.match_reason).
MATCH_REASONS = {
    "exact_url": gettext_lazy("same post URL"),
    "exact_text": gettext_lazy("same text"),
    "near_duplicate": gettext_lazy("near-duplicate text"),
    "new_case": gettext_lazy("opened this case"),
    "merged": gettext_lazy("carried over by a merge"),
    "moved_by_staff": gettext_lazy("placed here by staff"),
}


def match_reason_label(reason: str) -> str:
    return str(MATCH_REASONS.get(reason, reason.replace("_", " ") if reason else "—"))


# --- my work ---------------------------------------------------------------------------


class QueuePaginator(Paginator):
    """The queue's paginator, built for 300,000 cases: told how many cases match (the state
    counts already say) instead of counting again, and reading a page as a deferred join — the
    page's ids first, from the ordering index alone, then those rows — so that a deep page
    does not fetch every row it skips."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        # The rows by id alone: the filters were applied once, by the ids' query.
        rows = self.object_list.model._default_manager.filter(pk__in=ids)
        rows.query.select_related = self.object_list.query.select_related
        rows = {row.pk: row for row in rows}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


@staff_view
def my_work(request):
    """The queue: my cases and my roles' states (or all cases), soonest deadline first."""
    form = QueueFilterForm(request.GET, user=request.user)
    filters = form.selector_filters()
    cases = selectors.case_list_for_user(request.user, **filters)
    counts = selectors.case_counts_by_state(request.user, **filters)
    # The state counts already say how many cases match: no second COUNT over the same filters.
    matching = counts[filters["status"]] if filters.get("status") else sum(counts.values())
    page_obj = QueuePaginator(cases, form.page_size(), count=matching).get_page(request.GET.get("page"))
    page_obj.object_list = selectors.case_report_counts_attach(page_obj.object_list)
    state_links = []
    for state, label in CaseStatus.choices:
        query = request.GET.copy()
        query.pop("page", None)
        query["status"] = state
        state_links.append({"state": state, "label": label, "count": counts[state], "url": "?" + query.urlencode(),
                            "current": filters.get("status") == state})
    all_states = request.GET.copy()
    all_states.pop("page", None)
    all_states.pop("status", None)
    context = {
        "title": _("My work"), "form": form, "page_obj": page_obj, "state_links": state_links,
        "all_states_url": "?" + all_states.urlencode(), "total": sum(counts.values()),
        "scope_all": filters.get("work_of") is None,
    }
    if request.htmx and request.htmx.target == "queue":
        return render(request, "staff/cases/_queue.html", context)
    return render(request, "staff/cases/my_work.html", context)


# --- discovery by staff and opening a case -------------------------------------------


@staff_view(methods=("GET", "POST"))
def report_new(request):
    """Record a post found by the office's monitoring; it lands in a case through matching."""
    require_perm(request.user, "cases.submit_report")
    form = DiscoveryForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result, error = attempt(form, lambda: case_services.report_record_by_staff(
            by=request.user, platform=form.cleaned_data["platform"], data=form.report_input(),
            screenshots=form.cleaned_data["screenshots"]))
        if result is not None:
            messages.success(request, _discovery_message(result))
            return redirect("staff:case_detail", reference=result.case.reference)
        status = refusal_status(error)
    return render(request, "staff/cases/report_new.html", {"title": _("Record a post"), "form": form},
                  status=status)


def _discovery_message(result) -> str:
    reference = result.case.reference
    if result.report.match_reason == "new_case":
        return _("The post was recorded and opened a new case, %(ref)s.") % {"ref": reference}
    if result.outcome != "created":
        return _("This post was recorded before, in case %(ref)s.") % {"ref": reference}
    return _("The post was recorded and joined the existing case %(ref)s (%(why)s).") % {
        "ref": reference, "why": match_reason_label(result.report.match_reason)}


@staff_view(methods=("GET", "POST"))
def case_new(request):
    """A supervisor opens a case directly, without a report."""
    require_perm(request.user, "cases.open_case")
    form = CaseOpenForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case, error = attempt(form, lambda: case_services.case_open(
            by=request.user, title=data["title"], claim=data["claim"], category=data["category"],
            priority=data["priority"], campaigns=list(data["campaigns"])))
        if case is not None:
            messages.success(request, _("Case %(ref)s was opened.") % {"ref": case.reference})
            return redirect("staff:case_detail", reference=case.reference)
        status = refusal_status(error)
    return render(request, "staff/cases/case_new.html", {"title": _("Open a case"), "form": form}, status=status)


# --- the workbench ---------------------------------------------------------------------


def _transition_buttons(case, user, *, bound: TransitionForm | None = None) -> list[dict]:
    """The transitions leaving the case's state that this user's role allows: those possible now
    (exactly `available_transitions`) with their form, the others disabled with the guard's message."""
    possible = set(available_transitions(case, user))
    names = []
    for transition in Case._meta.get_field("status").get_all_transitions(Case):
        if transition.source == case.status and transition.name not in names:
            names.append(transition.name)
    buttons = []
    for name in names:
        if name in possible:
            form = bound if bound is not None and bound.name == name else TransitionForm(
                name=name, initial={"expected_status": case.status})
            buttons.append({"name": name, "label": transition_label(Case, name), "form": form,
                            "reason_required": name in REASON_REQUIRED_FOR, "open": form is bound})
            continue
        problem = refusal(case, name, user)
        if problem is not None and problem.code == GUARD_FAILED:
            buttons.append({"name": name, "label": transition_label(Case, name), "disabled": True,
                            "message": problem.message})
    return buttons


def _workbench(request, case, *, status=200, changed_meanwhile=False, **forms):
    """Render the workbench; `forms` replaces the blank action forms with bound ones (errors in place)."""
    user = request.user
    reports = list(selectors.case_reports(case))
    may_move = case.status != CaseStatus.CLOSED and user.has_perm("cases.merge_case")
    bound_move = forms.get("move")
    for report in reports:
        report.match_label = match_reason_label(report.match_reason)
        if may_move:
            report.move_form = bound_move if bound_move is not None and bound_move.report_id == report.pk \
                else ReportMoveForm(report_id=report.pk)
    timeline = selectors.case_timeline(case, decisions=True)
    for entry in timeline:
        if entry.kind == "transition":
            entry.obj.label = transition_label(Case, entry.obj.name)
    is_open = case.status != CaseStatus.CLOSED
    may_assign = is_open and user.has_perm("cases.assign_case")
    may_work = user.has_perm("cases.work_case")
    context = {
        "title": f"{case.reference} {case.title}", "case": case, "tab": "overview", "reports": reports,
        "campaigns": list(case.campaigns.all()), "merged_cases": list(case.merged_cases.only("reference", "title")),
        "timeline": timeline, "is_open": is_open,
        "transitions": [] if changed_meanwhile else _transition_buttons(case, user, bound=forms.get("transition")),
        "changed_meanwhile": changed_meanwhile,
        "assign_form": forms.get("assign") or (AssignForm(initial={"assignee": case.assignee_id})
                                               if may_assign else None),
        "priority_form": forms.get("priority") or (PriorityForm(initial={"priority": case.priority})
                                                   if may_assign else None),
        "campaigns_form": forms.get("campaigns") or (CampaignsForm(initial={"campaigns": [c.pk for c in
                                                                                          case.campaigns.all()]})
                                                     if may_work and is_open else None),
        "comment_form": forms.get("comment") or (CommentForm() if may_work else None),
        "may_edit": is_open and user.has_perm("cases.change_case"),
        "may_move": may_move,
    }
    return render(request, "staff/cases/detail.html", context, status=status)


def _case(request, reference):
    return selectors.case_get_for_user(request.user, reference=reference)


def _other_case(request, reference):
    """The case a merge or a move names, or None when no case has that reference."""
    if not reference:
        return None
    try:
        return selectors.case_get_for_user(request.user, reference=reference)
    except Http404:
        return None


@staff_view
def case_detail(request, reference):
    return _workbench(request, _case(request, reference))


@staff_view(methods=("POST",))
def case_transition(request, reference, name):
    """Fire transition `name` through its service; the form carries the state the user saw."""
    service = TRANSITION_SERVICES.get(name)
    if service is None:
        raise Http404
    case = _case(request, reference)
    if not role_may_fire(case, name, request.user):
        raise PermissionDenied
    form = TransitionForm(request.POST, name=name)
    if not form.is_valid():
        return _workbench(request, case, transition=form)
    if form.cleaned_data["expected_status"] != case.status:
        # A second press after someone else (or the first press) moved the case: never fire again.
        return _workbench(request, case, status=409, changed_meanwhile=True)
    kwargs = {"case": case, "by": request.user, "reason": form.cleaned_data["reason"]}
    if name == "merge_into":
        target = _other_case(request, form.cleaned_data["target"])
        if target is None:
            form.add_error("target", _("No case has this reference."))
            return _workbench(request, case, transition=form)
        kwargs["target"] = target
    record, error = attempt(form, lambda: service(**kwargs))
    if record is not None:
        messages.success(request, _("%(ref)s: “%(name)s” done; the case is now %(state)s.") % {
            "ref": case.reference, "name": transition_label(Case, name), "state": case.get_status_display()})
        return redirect("staff:case_detail", reference=case.reference)
    if error.code == CHANGED_MEANWHILE:
        return _workbench(request, _case(request, reference), status=409, changed_meanwhile=True)
    messages.error(request, error.message)
    return _workbench(request, case, status=refusal_status(error), transition=form)


def _case_action(request, reference, *, perm, form_class, key, call, done):
    """The shape of every small workbench action: check the role, parse, call, redirect or re-render."""
    case = _case(request, reference)
    require_perm(request.user, perm)
    form = form_class(request.POST)
    if form.is_valid():
        result, error = attempt(form, lambda: call(case, form.cleaned_data))
        if error is None:
            messages.success(request, done(case))
            return redirect("staff:case_detail", reference=case.reference)
        case = _case(request, reference)
        return _workbench(request, case, status=refusal_status(error), **{key: form})
    return _workbench(request, case, **{key: form})


@staff_view(methods=("POST",))
def case_assign(request, reference):
    return _case_action(
        request, reference, perm="cases.assign_case", form_class=AssignForm, key="assign",
        call=lambda case, data: case_services.case_assign(case=case, assignee=data["assignee"], by=request.user),
        done=lambda case: _("%(ref)s is now assigned to %(who)s.") % {
            "ref": case.reference, "who": case.assignee or _("nobody")})


@staff_view(methods=("POST",))
def case_priority(request, reference):
    return _case_action(
        request, reference, perm="cases.assign_case", form_class=PriorityForm, key="priority",
        call=lambda case, data: case_services.case_set_priority(case=case, priority=data["priority"],
                                                                reason=data["reason"], by=request.user),
        done=lambda case: _("%(ref)s now has priority %(priority)s.") % {
            "ref": case.reference, "priority": case.get_priority_display()})


@staff_view(methods=("POST",))
def case_campaigns(request, reference):
    return _case_action(
        request, reference, perm="cases.work_case", form_class=CampaignsForm, key="campaigns",
        call=lambda case, data: case_services.case_tag_campaigns(case=case, campaigns=list(data["campaigns"]),
                                                                 by=request.user),
        done=lambda case: _("The campaigns of %(ref)s were saved.") % {"ref": case.reference})


@staff_view(methods=("POST",))
def case_comment(request, reference):
    return _case_action(
        request, reference, perm="cases.work_case", form_class=CommentForm, key="comment",
        call=lambda case, data: case_services.case_comment_add(case=case, body=data["body"], by=request.user),
        done=lambda case: _("Your comment was added."))


@staff_view(methods=("GET", "POST"))
def case_edit(request, reference):
    """Correct the title, claim or category."""
    case = _case(request, reference)
    require_perm(request.user, "cases.change_case")
    form = CaseDetailsForm(request.POST or None,
                           initial={"title": case.title, "claim": case.claim, "category": case.category})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result, error = attempt(form, lambda: case_services.case_update_details(
            case=case, by=request.user, title=data["title"], claim=data["claim"], category=data["category"]))
        if result is not None:
            messages.success(request, _("The details of %(ref)s were saved.") % {"ref": case.reference})
            return redirect("staff:case_detail", reference=case.reference)
        status = refusal_status(error)
    return render(request, "staff/cases/edit.html",
                  {"title": _("Edit %(ref)s") % {"ref": case.reference}, "case": case, "tab": "overview",
                   "form": form}, status=status)


@staff_view(methods=("POST",))
def report_relocate(request, report_id):
    """Move a report to another open case, or (button "split") into a new case of its own."""
    report = selectors.report_get_for_user(request.user, report_id=report_id)
    require_perm(request.user, "cases.merge_case")
    case = report.case
    form = ReportMoveForm(request.POST, report_id=report.pk)
    split = "split" in request.POST
    if form.is_valid():
        data = form.cleaned_data
        if split:
            call = lambda: case_services.report_split(report=report, by=request.user,  # noqa: E731
                                                      reason=data["reason"], title=data["title"])
        else:
            target = _other_case(request, data["target"])
            if target is None:
                form.add_error("target", _("Give the reference of an existing case."))
                return _workbench(request, case, move=form)
            call = lambda: case_services.report_move(report=report, target_case=target,  # noqa: E731
                                                     by=request.user, reason=data["reason"])
        result, error = attempt(form, call)
        if error is None:
            destination = result if split else result.case
            messages.success(request, _("Report %(id)s is now in case %(ref)s.") % {
                "id": report.external_id, "ref": destination.reference})
            return redirect("staff:case_detail", reference=case.reference)
        return _workbench(request, _case(request, case.reference), status=refusal_status(error), move=form)
    return _workbench(request, case, move=form)


# --- notifications ---------------------------------------------------------------------


@staff_view
def notifications(request):
    """The user's notifications, newest first; unread ones marked."""
    page_obj = Paginator(notification_list_for_user(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "staff/cases/notifications.html", {"title": _("Notifications"), "page_obj": page_obj})


@staff_view(methods=("POST",))
def notifications_read(request):
    """Mark one notification (`id`) or all of them read; only the user's own. Open to every role,
    the auditor included: it is the reader's own bookkeeping, not a change to any case."""
    ids = [value for value in request.POST.getlist("id") if value.isdigit()] if request.POST.get("id") else None
    marked = notification_mark_read(user=request.user, ids=ids)
    messages.success(request, ngettext("%(count)s notification marked read.", "%(count)s notifications marked read.",
                                       marked) % {"count": marked})
    nxt = request.POST.get("next", "")
    if not (nxt.startswith("/staff/") and url_has_allowed_host_and_scheme(nxt, allowed_hosts=None)):
        nxt = reverse("staff:notifications")
    return redirect(nxt)


urlpatterns = [
    path("", my_work, name="my_work"),
    path("reports/new/", report_new, name="report_new"),
    path("reports/<int:report_id>/relocate/", report_relocate, name="report_relocate"),
    path("cases/new/", case_new, name="case_new"),
    path("cases/<str:reference>/", case_detail, name="case_detail"),
    path("cases/<str:reference>/edit/", case_edit, name="case_edit"),
    path("cases/<str:reference>/transition/<str:name>/", case_transition, name="case_transition"),
    path("cases/<str:reference>/assign/", case_assign, name="case_assign"),
    path("cases/<str:reference>/priority/", case_priority, name="case_priority"),
    path("cases/<str:reference>/campaigns/", case_campaigns, name="case_campaigns"),
    path("cases/<str:reference>/comment/", case_comment, name="case_comment"),
    path("notifications/", notifications, name="notifications"),
    path("notifications/read/", notifications_read, name="notifications_read"),
]

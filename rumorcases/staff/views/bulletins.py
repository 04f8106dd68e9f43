"""Staff pages: exposure bulletins — assembling entries from cases waiting for exposure, review, publication."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rumorcases.bulletins import selectors
from rumorcases.bulletins import services as bulletins
from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.core.fsm import available_transitions
from rumorcases.staff.access import require_perm, staff_view
from rumorcases.staff.forms.base import run_service
from rumorcases.staff.forms.bulletins import BulletinCreateForm, CommentsForm, EntryAddForm, EntryForm

PAGE_SIZE = 25


@staff_view
def bulletin_list(request):
    page = Paginator(selectors.bulletin_list_for_user(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "staff/bulletins/list.html", {"page_obj": page, "title": _("Exposure bulletins")})


@staff_view(methods=("GET", "HEAD", "POST"))
def bulletin_create(request):
    require_perm(request.user, "bulletins.draft_bulletin")
    form = BulletinCreateForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        bulletin, status = run_service(form, lambda: bulletins.bulletin_create(
            by=request.user, title=data["title"], title_en=data["title_en"], period_start=data["period_start"],
            period_end=data["period_end"], introduction=data["introduction"]))
        if bulletin is not None:
            messages.success(request, _("Bulletin “%(title)s” drafted.") % {"title": bulletin.title})
            return redirect("staff:bulletin_detail", bulletin.pk)
    return render(request, "staff/bulletins/create.html", {"form": form, "title": _("New bulletin")},
                  status=status)


def _detail(request, bulletin, *, action=None, send_back_form=None, status=200):
    """The assembly page; `action` = (name, form) of a refused action, shown where it was asked."""
    user = request.user
    names = available_transitions(bulletin, user)
    is_draft = bulletin.status == BulletinStatus.DRAFT
    can_edit = is_draft and user.has_perm("bulletins.draft_bulletin")
    context = {
        "bulletin": bulletin, "title": str(bulletin), "entries": list(bulletin.entries.all()),
        "can_edit": can_edit, "candidates": list(selectors.bulletin_candidate_cases()) if can_edit else [],
        "can_submit": "submit" in names, "can_send_back": "send_back" in names,
        "can_publish": "publish" in names and not bulletin.needs_another_publisher(user),
        "drafter_waits": "publish" in names and bulletin.needs_another_publisher(user),
        "send_back_form": send_back_form or CommentsForm(),
        "action": action[0] if action else "", "action_form": action[1] if action else None,
    }
    return render(request, "staff/bulletins/detail.html", context, status=status)


@staff_view
def bulletin_detail(request, pk):
    return _detail(request, selectors.bulletin_get_for_user(request.user, pk=pk))


def _entry_page(request, bulletin, form, *, entry=None, status=200):
    return render(request, "staff/bulletins/entry_form.html",
                  {"bulletin": bulletin, "form": form, "entry": entry,
                   "title": _("Edit entry") if entry else _("Add an entry")}, status=status)


def _only_drafts_change(request, bulletin):
    """A form page for a bulletin past drafting would only be refused: back to its (read-only) page."""
    if bulletin.status != BulletinStatus.DRAFT and request.method != "POST":
        messages.warning(request, _("Only a draft bulletin can be changed."))
        return redirect("staff:bulletin_detail", bulletin.pk)
    return None


@staff_view(methods=("GET", "HEAD", "POST"))
def bulletin_entry_add(request, pk):
    bulletin = selectors.bulletin_get_for_user(request.user, pk=pk)
    require_perm(request.user, "bulletins.draft_bulletin")
    if (back := _only_drafts_change(request, bulletin)) is not None:
        return back
    candidates = list(selectors.bulletin_candidate_cases())
    status = 200
    if request.method == "POST":
        form = EntryAddForm(request.POST, candidates=candidates)
        if form.is_valid():
            data = form.cleaned_data
            entry, status = run_service(form, lambda: bulletins.bulletin_add_entry(
                bulletin=bulletin, case=data["case"], by=request.user, headline=data["headline"],
                rumour_summary=data["rumour_summary"], finding_summary=data["finding_summary"],
                measures=data["measures_summary"]))
            if entry is not None:
                messages.success(request, _("%(ref)s added to the bulletin.") % {"ref": data["case"].reference})
                return redirect("staff:bulletin_detail", bulletin.pk)
    else:
        case = next((c for c in candidates if c.reference == request.GET.get("case")), None)
        form = EntryAddForm(initial=selectors.bulletin_entry_prefill(case) if case else None, candidates=candidates)
    return _entry_page(request, bulletin, form, status=status)


@staff_view(methods=("GET", "HEAD", "POST"))
def bulletin_entry_edit(request, pk, entry_pk):
    bulletin = selectors.bulletin_get_for_user(request.user, pk=pk)
    entry = selectors.bulletin_entry_get(bulletin, pk=entry_pk)
    require_perm(request.user, "bulletins.draft_bulletin")
    if (back := _only_drafts_change(request, bulletin)) is not None:
        return back
    status = 200
    if request.method == "POST":
        form = EntryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            result, status = run_service(form, lambda: bulletins.bulletin_update_entry(
                entry=entry, by=request.user, headline=data["headline"], rumour_summary=data["rumour_summary"],
                finding_summary=data["finding_summary"], measures=data["measures_summary"]))
            if result is not None:
                messages.success(request, _("Entry saved."))
                return redirect("staff:bulletin_detail", bulletin.pk)
    else:
        form = EntryForm(initial={"headline": entry.headline, "rumour_summary": entry.rumour_summary,
                                  "finding_summary": entry.finding_summary,
                                  "measures_summary": entry.measures_summary})
    return _entry_page(request, bulletin, form, entry=entry, status=status)


def _entry_action(request, pk, entry_pk, call, done: str):
    """Move or remove: redirect back on success, or show the refusal on the assembly page."""
    bulletin = selectors.bulletin_get_for_user(request.user, pk=pk)
    entry = selectors.bulletin_entry_get(bulletin, pk=entry_pk)
    require_perm(request.user, "bulletins.draft_bulletin")
    form = forms.Form(request.POST)
    result, status = run_service(form, lambda: call(entry) or True)
    if result is not None:
        messages.success(request, done)
        return redirect("staff:bulletin_detail", bulletin.pk)
    return _detail(request, selectors.bulletin_get_for_user(request.user, pk=pk), action=("entry", form),
                   status=status)


@staff_view(methods=("POST",))
def bulletin_entry_move(request, pk, entry_pk):
    direction = request.POST.get("direction", "")
    return _entry_action(request, pk, entry_pk, lambda entry: bulletins.bulletin_move_entry(
        entry=entry, by=request.user, direction=direction), _("Entry moved."))


@staff_view(methods=("POST",))
def bulletin_entry_remove(request, pk, entry_pk):
    return _entry_action(request, pk, entry_pk, lambda entry: bulletins.bulletin_remove_entry(
        entry=entry, by=request.user), _("Entry removed."))


@staff_view(methods=("POST",))
def bulletin_submit(request, pk):
    bulletin = selectors.bulletin_get_for_user(request.user, pk=pk)
    require_perm(request.user, "bulletins.draft_bulletin")
    form = forms.Form(request.POST)
    result, status = run_service(form, lambda: bulletins.bulletin_submit(bulletin=bulletin, by=request.user))
    if result is not None:
        messages.success(request, _("Bulletin submitted for review."))
        return redirect("staff:bulletin_detail", bulletin.pk)
    return _detail(request, bulletin, action=("submit", form), status=status)


@staff_view(methods=("POST",))
def bulletin_send_back(request, pk):
    bulletin = selectors.bulletin_get_for_user(request.user, pk=pk)
    require_perm(request.user, "bulletins.publish_bulletin")
    form = CommentsForm(request.POST)
    status = 200
    if form.is_valid():
        result, status = run_service(form, lambda: bulletins.bulletin_send_back(
            bulletin=bulletin, by=request.user, comments=form.cleaned_data["comments"]))
        if result is not None:
            messages.success(request, _("Bulletin sent back to its drafter."))
            return redirect("staff:bulletin_detail", bulletin.pk)
    return _detail(request, bulletin, send_back_form=form, action=("send_back", form), status=status)


@staff_view(methods=("POST",))
def bulletin_publish(request, pk):
    bulletin = selectors.bulletin_get_for_user(request.user, pk=pk)
    require_perm(request.user, "bulletins.publish_bulletin")
    form = forms.Form(request.POST)
    result, status = run_service(form, lambda: bulletins.bulletin_publish(bulletin=bulletin, by=request.user))
    if result is not None:
        count = len(bulletin.entries.all())
        messages.success(request, ngettext(
            "Published as issue %(year)s-%(n)03d; %(count)s case closed as exposed.",
            "Published as issue %(year)s-%(n)03d; %(count)s cases closed as exposed.", count,
        ) % {"year": result.year, "n": result.issue_number, "count": count})
        return redirect("staff:bulletin_detail", bulletin.pk)
    return _detail(request, selectors.bulletin_get_for_user(request.user, pk=pk), action=("publish", form),
                   status=status)


urlpatterns = [
    path("bulletins/", bulletin_list, name="bulletin_list"),
    path("bulletins/new/", bulletin_create, name="bulletin_create"),
    path("bulletins/<int:pk>/", bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/entries/add/", bulletin_entry_add, name="bulletin_entry_add"),
    path("bulletins/<int:pk>/entries/<int:entry_pk>/edit/", bulletin_entry_edit, name="bulletin_entry_edit"),
    path("bulletins/<int:pk>/entries/<int:entry_pk>/move/", bulletin_entry_move, name="bulletin_entry_move"),
    path("bulletins/<int:pk>/entries/<int:entry_pk>/remove/", bulletin_entry_remove, name="bulletin_entry_remove"),
    path("bulletins/<int:pk>/submit/", bulletin_submit, name="bulletin_submit"),
    path("bulletins/<int:pk>/send-back/", bulletin_send_back, name="bulletin_send_back"),
    path("bulletins/<int:pk>/publish/", bulletin_publish, name="bulletin_publish"),
]

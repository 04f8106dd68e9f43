"""Staff pages: the debunk-notice tab of a case (draft, live preview, review, versions, publish,
withdraw, correct)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from rumorcases.cases import workflow
from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.selectors import case_get_for_user
from rumorcases.core.fsm import available_transitions
from rumorcases.notices import selectors
from rumorcases.notices import services as notice_services
from rumorcases.notices.choices import NoticeStatus, ReviewDecision
from rumorcases.notices.models import NoticeVersion
from rumorcases.staff.access import require_perm, staff_view
from rumorcases.staff.forms.base import attempt, refusal_status
from rumorcases.staff.forms.notices import (
    NoticeContentForm,
    NoticeCorrectionForm,
    NoticeReviewForm,
    NoticeWithdrawForm,
    VersionDiffForm,
)

CONTENT_FIELDS = notice_services.CONTENT_FIELDS


def _version_content(version: NoticeVersion | None) -> dict:
    return {name: getattr(version, name) for name in CONTENT_FIELDS} if version is not None else {}


def _notice_page(request, case, notice=None, *, status=200, **forms_given):
    user = request.user
    notices = list(selectors.notice_list_for_case(case))
    if notice is None and notices:
        notice = notices[0]
    may_draft = user.has_perm("notices.draft_notice")
    context = {
        "case": case,
        "tab": "notice",
        "notices": notices,
        "notice": notice,
        "changed_meanwhile": status == 409,
    }
    # A form sent back with a refusal is shown whatever the state, so its errors are seen.
    context.update(forms_given)
    has_active = any(n.status in notice_services.ACTIVE_STATES for n in notices)
    if may_draft and case.status == CaseStatus.DEBUNKING and not has_active and "create_form" not in context:
        context["create_form"] = NoticeContentForm(initial=selectors.notice_draft_start(case))
    if notice is not None:
        versions = selectors.notice_versions(notice)
        context.update(
            version=notice.current_version,
            versions=versions,
            reviews=selectors.notice_reviews(notice),
            corrections=selectors.notice_public_corrections(notice),
            office_name=selectors.office_name(),
            public_path=(selectors.notice_public_path(notice)
                         if notice.status in selectors.PUBLIC_STATES else None),
        )
        current = _version_content(notice.current_version)
        # The buttons come from the notice's and the case's state machines, as the services' rules do.
        moves = set(available_transitions(notice, user))
        if notice.status == NoticeStatus.DRAFT and may_draft:
            context.setdefault("edit_form", NoticeContentForm(initial=current))
        if "submit" in moves:
            context.setdefault("submit_form", forms.Form())
        if moves & {"approve", "send_back"}:
            context.setdefault("review_form", NoticeReviewForm())
            context["is_author"] = user.pk in notice_services.notice_authors(notice)
            context["review_form"].fields["decision"].choices = [
                (decision.value, decision.label) for decision, move in
                ((ReviewDecision.APPROVE, "approve"), (ReviewDecision.RETURN, "send_back")) if move in moves]
        if "publish" in moves and "publish_debunk" in available_transitions(case, user):
            context.setdefault("publish_form", forms.Form())
        if "withdraw" in moves:
            context.setdefault("withdraw_form", NoticeWithdrawForm())
            context.setdefault("correct_form", NoticeCorrectionForm(initial=current))
        if len(versions) > 1:
            numbers = [v.number for v in versions]
            context["diff_form"] = VersionDiffForm(numbers=numbers, initial={"a": numbers[1], "b": numbers[0]})
    return render(request, "staff/notices/page.html", context, status=status)


def _to_notice(notice):
    return redirect(reverse("staff:notice_detail", args=[notice.case.reference, notice.pk]))


def _case_and_notice(request, reference, pk):
    case = case_get_for_user(request.user, reference=reference)
    return case, selectors.notice_get_for_case(case, pk=pk)


@staff_view
def case_notice(request, reference):
    case = case_get_for_user(request.user, reference=reference)
    return _notice_page(request, case)


@staff_view
def notice_detail(request, reference, pk):
    case, notice = _case_and_notice(request, reference, pk)
    return _notice_page(request, case, notice)


@staff_view(methods=("POST",))
def notice_create(request, reference):
    case = case_get_for_user(request.user, reference=reference)
    require_perm(request.user, "notices.draft_notice")
    form = NoticeContentForm(request.POST)
    status = 200
    if form.is_valid():
        notice, refused = attempt(form, lambda: notice_services.notice_create(
            case=case, by=request.user, **form.content()))
        if notice is not None:
            messages.success(request, _("Draft notice saved as version 1."))
            return _to_notice(notice)
        status = refusal_status(refused)
    return _notice_page(request, case, None, status=status, create_form=form)


@staff_view(methods=("POST",))
def notice_preview(request, reference, pk=None):
    """The public page's text as typed so far, for htmx to show beside the form. Writes nothing."""
    case = case_get_for_user(request.user, reference=reference)
    if not (request.user.has_perm("notices.draft_notice") or request.user.has_perm("notices.withdraw_notice")):
        raise PermissionDenied
    notice = selectors.notice_get_for_case(case, pk=pk) if pk is not None else None
    form = NoticeContentForm(request.POST)
    form.is_valid()
    typed = {name: form.cleaned_data.get(name, request.POST.get(name, "")) for name in CONTENT_FIELDS}
    if "sources" not in form.cleaned_data:
        typed["sources"] = []  # not shown until every line is valid: no unchecked URL in a link
    if typed["verdict"] not in dict(form.fields["verdict"].choices):
        typed["verdict"] = ""
    version = NoticeVersion(**typed)  # never saved
    context = {
        "notice": notice,
        "version": version,
        "corrections": selectors.notice_public_corrections(notice) if notice is not None else [],
        "office_name": selectors.office_name(),
        "form": form,
        "id_prefix": "notice" if notice is not None else "new",
    }
    return render(request, "staff/notices/_preview.html", context)


@staff_view(methods=("POST",))
def notice_edit(request, reference, pk):
    case, notice = _case_and_notice(request, reference, pk)
    require_perm(request.user, "notices.draft_notice")
    form = NoticeContentForm(request.POST)
    status = 200
    if form.is_valid():
        version, refused = attempt(form, lambda: notice_services.notice_edit(
            notice=notice, by=request.user, **form.content()))
        if version is not None:
            messages.success(request, _("Saved as version %(n)s.") % {"n": version.number})
            return _to_notice(notice)
        status = refusal_status(refused)
    return _notice_page(request, case, notice, status=status, edit_form=form)


@staff_view(methods=("POST",))
def notice_submit(request, reference, pk):
    case, notice = _case_and_notice(request, reference, pk)
    require_perm(request.user, "notices.draft_notice")
    form = forms.Form(request.POST)
    done, refused = attempt(form, lambda: notice_services.notice_submit(notice=notice, by=request.user))
    if done is not None:
        messages.success(request, _("Notice submitted for review."))
        return _to_notice(notice)
    return _notice_page(request, case, notice, status=refusal_status(refused), submit_form=form)


@staff_view(methods=("POST",))
def notice_review(request, reference, pk):
    case, notice = _case_and_notice(request, reference, pk)
    require_perm(request.user, "notices.review_notice")
    form = NoticeReviewForm(request.POST)
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        review, refused = attempt(form, lambda: notice_services.notice_review(
            notice=notice, by=request.user, decision=data["decision"], comments=data["comments"]))
        if review is not None:
            if review.decision == ReviewDecision.APPROVE:
                messages.success(request, _("Notice approved."))
            else:
                messages.success(request, _("Notice sent back to its editor."))
            return _to_notice(notice)
        status = refusal_status(refused)
    return _notice_page(request, case, notice, status=status, review_form=form)


@staff_view(methods=("POST",))
def notice_publish(request, reference, pk):
    """Publishing is the case's `publish_debunk` transition: the notice and the case move together."""
    case, notice = _case_and_notice(request, reference, pk)
    require_perm(request.user, "cases.publish_debunk")
    form = forms.Form(request.POST)
    record, refused = attempt(form, lambda: workflow.case_publish_debunk(case=case, by=request.user))
    if record is not None:
        notice.refresh_from_db()
        messages.success(request, _("Notice %(number)s published; the case moved on to disposal.") % {
            "number": notice.document_number})
        return _to_notice(notice)
    case.refresh_from_db()
    return _notice_page(request, case, notice, status=refusal_status(refused), publish_form=form)


@staff_view(methods=("POST",))
def notice_withdraw(request, reference, pk):
    case, notice = _case_and_notice(request, reference, pk)
    require_perm(request.user, "notices.withdraw_notice")
    form = NoticeWithdrawForm(request.POST)
    status = 200
    if form.is_valid():
        done, refused = attempt(form, lambda: notice_services.notice_withdraw(
            notice=notice, by=request.user, statement=form.cleaned_data["statement"]))
        if done is not None:
            messages.success(request, _("Notice withdrawn; the public now reads the statement."))
            return _to_notice(notice)
        status = refusal_status(refused)
    return _notice_page(request, case, notice, status=status, withdraw_form=form)


@staff_view(methods=("POST",))
def notice_correct(request, reference, pk):
    case, notice = _case_and_notice(request, reference, pk)
    require_perm(request.user, "notices.withdraw_notice")
    form = NoticeCorrectionForm(request.POST)
    status = 200
    if form.is_valid():
        correction, refused = attempt(form, lambda: notice_services.notice_correct(
            notice=notice, by=request.user, note=form.cleaned_data["note"], **form.content()))
        if correction is not None:
            messages.success(request, _("Correction published as version %(n)s.") % {
                "n": correction.version.number})
            return _to_notice(notice)
        status = refusal_status(refused)
    return _notice_page(request, case, notice, status=status, correct_form=form)


@staff_view
def notice_diff(request, reference, pk):
    case, notice = _case_and_notice(request, reference, pk)
    numbers = list(notice.versions.order_by("-number").values_list("number", flat=True))
    form = VersionDiffForm(request.GET or None, numbers=numbers,
                           initial={"a": numbers[1] if len(numbers) > 1 else numbers[0], "b": numbers[0]})
    context = {"case": case, "tab": "notice", "notice": notice, "form": form}
    if form.is_valid():
        old, new = selectors.notice_version_pair(notice, a=form.cleaned_data["a"], b=form.cleaned_data["b"])
        context.update(old=old, new=new, fields=selectors.notice_version_diff(old, new))
    return render(request, "staff/notices/diff.html", context)


urlpatterns = [
    path("cases/<str:reference>/notice/", case_notice, name="case_notice"),
    path("cases/<str:reference>/notice/new/", notice_create, name="notice_create"),
    path("cases/<str:reference>/notice/preview/", notice_preview, name="notice_preview"),
    path("cases/<str:reference>/notice/<int:pk>/", notice_detail, name="notice_detail"),
    path("cases/<str:reference>/notice/<int:pk>/preview/", notice_preview, name="notice_preview_existing"),
    path("cases/<str:reference>/notice/<int:pk>/edit/", notice_edit, name="notice_edit"),
    path("cases/<str:reference>/notice/<int:pk>/submit/", notice_submit, name="notice_submit"),
    path("cases/<str:reference>/notice/<int:pk>/review/", notice_review, name="notice_review"),
    path("cases/<str:reference>/notice/<int:pk>/publish/", notice_publish, name="notice_publish"),
    path("cases/<str:reference>/notice/<int:pk>/withdraw/", notice_withdraw, name="notice_withdraw"),
    path("cases/<str:reference>/notice/<int:pk>/correct/", notice_correct, name="notice_correct"),
    path("cases/<str:reference>/notice/<int:pk>/diff/", notice_diff, name="notice_diff"),
]

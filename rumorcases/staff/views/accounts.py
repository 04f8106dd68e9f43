"""Staff pages: accounts on platforms and the subjects behind them."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from rumorcases.disposal import selectors
from rumorcases.disposal import services as disposal
from rumorcases.platforms.models import Platform
from rumorcases.staff.access import require_perm, staff_view
from rumorcases.staff.forms.accounts import AccountSearchForm, SubjectLinkForm
from rumorcases.staff.forms.base import run_service

PAGE_SIZE = 50


@staff_view
def account_list(request):
    platforms = list(Platform.objects.order_by("-is_key", "name"))
    form = AccountSearchForm(request.GET or None, platforms=platforms)
    search = platform = ""
    if form.is_bound and form.is_valid():
        search, platform = form.cleaned_data["q"], form.cleaned_data["platform"]
    accounts = selectors.account_list_for_user(request.user, search=search, platform=platform)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "staff/accounts/list.html",
                  {"form": form, "page_obj": page, "title": _("Accounts"), "search": search})


def _account_page(request, account, *, link_form=None, unlink_form=None, status=200):
    user = request.user
    can_link = user.has_perm("disposal.change_account")
    penalties = list(selectors.account_penalties(account))
    context = {
        "account": account, "title": str(account), "cases": list(selectors.account_cases(account)),
        "penalties": penalties, "standing_count": len(selectors.standing(penalties)),
        "subject_standing_count": (len(selectors.standing(selectors.subject_penalties(account.subject)))
                                   if account.subject_id else None),
        "can_link": can_link, "can_create_subject": user.has_perm("disposal.add_subject"),
        "unlink_form": unlink_form,
        "link_form": link_form or (SubjectLinkForm(subjects=list(selectors.subject_choices()),
                                                        may_create=user.has_perm("disposal.add_subject"))
                                        if can_link else None),
    }
    return render(request, "staff/accounts/detail.html", context, status=status)


@staff_view
def account_detail(request, pk):
    return _account_page(request, selectors.account_get_for_user(request.user, pk=pk))


@staff_view(methods=("POST",))
def subject_link(request, pk):
    account = selectors.account_get_for_user(request.user, pk=pk)
    require_perm(request.user, "disposal.change_account")
    form = SubjectLinkForm(request.POST, subjects=list(selectors.subject_choices()),
                           may_create=request.user.has_perm("disposal.add_subject"))
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        if data["subject"] is not None:
            result, status = run_service(form, lambda: disposal.subject_link_account(
                account=account, subject=data["subject"], by=request.user))
        else:
            result, status = run_service(form, lambda: disposal.account_link_new_subject(
                account=account, name=data["new_name"], kind=data["new_kind"], by=request.user))
        if result is not None:
            messages.success(request, _("%(account)s is now linked to %(subject)s.")
                             % {"account": account, "subject": result.subject.name})
            return redirect("staff:account_detail", account.pk)
    return _account_page(request, account, link_form=form, status=status)


@staff_view(methods=("POST",))
def subject_unlink(request, pk):
    account = selectors.account_get_for_user(request.user, pk=pk)
    require_perm(request.user, "disposal.change_account")
    form = forms.Form(request.POST)
    result, status = run_service(form, lambda: disposal.subject_link_account(account=account, subject=None,
                                                                             by=request.user))
    if result is not None:
        messages.success(request, _("%(account)s is no longer linked to a subject.") % {"account": account})
        return redirect("staff:account_detail", account.pk)
    return _account_page(request, account, unlink_form=form, status=status)


@staff_view
def subject_detail(request, pk):
    subject = selectors.subject_get_for_user(request.user, pk=pk)
    penalties = list(selectors.subject_penalties(subject))
    context = {
        "subject": subject, "title": subject.name, "accounts": list(selectors.subject_accounts(subject)),
        "penalties": penalties, "standing_count": len(selectors.standing(penalties)),
    }
    return render(request, "staff/accounts/subject.html", context)


urlpatterns = [
    path("accounts/", account_list, name="account_list"),
    path("accounts/<int:pk>/", account_detail, name="account_detail"),
    path("accounts/<int:pk>/subject/", subject_link, name="subject_link"),
    path("accounts/<int:pk>/subject/unlink/", subject_unlink, name="subject_unlink"),
    path("subjects/<int:pk>/", subject_detail, name="subject_detail"),
]

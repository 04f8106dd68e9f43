"""Forms of the case pages: the queue's filters, discovery by staff, the workbench's actions.

They parse and check what people typed; every rule about cases stays in the services.
"""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rumorcases.cases import services as case_services
from rumorcases.cases.choices import CaseStatus, Category, ContentType, Priority
from rumorcases.cases.models import Campaign
from rumorcases.cases.selectors import case_assignable_users, case_work_states
from rumorcases.cases.workflow import REASON_REQUIRED_FOR
from rumorcases.platforms.models import Platform

PER_PAGE = 25
MAX_PER_PAGE = 100


def _blank(label):
    return [("", label)]


class QueueFilterForm(forms.Form):
    """The filters of "My work" (a GET form: every field optional, bad values ignored)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        widget=forms.SearchInput(attrs={"placeholder": _("Reference, title, claim or post URL")}))
    in_reports = forms.BooleanField(label=_("Also search report texts (slower)"), required=False)
    scope = forms.ChoiceField(label=_("Show"), required=False,
                              choices=[("mine", _("My work")), ("all", _("All cases"))])
    status = forms.ChoiceField(label=_("State"), required=False, choices=_blank(_("Any")) + CaseStatus.choices)
    priority = forms.ChoiceField(label=_("Priority"), required=False, choices=_blank(_("Any")) + Priority.choices)
    platform = forms.ModelChoiceField(label=_("Platform"), required=False, queryset=Platform.objects.none(),
                                      to_field_name="slug", empty_label=_("Any"))
    category = forms.ChoiceField(label=_("Category"), required=False, choices=_blank(_("Any")) + Category.choices)
    campaign = forms.ModelChoiceField(label=_("Campaign"), required=False, queryset=Campaign.objects.none(),
                                      to_field_name="slug", empty_label=_("Any"))
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    overdue = forms.ChoiceField(label=_("Deadline"), required=False,
                                choices=[("", _("Any")), ("yes", _("Overdue")), ("no", _("Not overdue"))])
    per_page = forms.IntegerField(label=_("Per page"), required=False, min_value=1)

    def __init__(self, data, *, user, **kwargs):
        if not data.get("scope"):
            # My work by default; everything for the auditor, whose roles act on no stage.
            data = data.copy()
            data["scope"] = "mine" if case_work_states(user) else "all"
        super().__init__(data, **kwargs)
        self.user = user
        self.fields["platform"].queryset = Platform.objects.order_by("name")
        self.fields["campaign"].queryset = Campaign.objects.all()
        self._assignable = {str(u.pk): u for u in case_assignable_users()}
        self.fields["assignee"].choices = [
            ("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody")),
            *[(pk, u.get_full_name() or u.get_username()) for pk, u in self._assignable.items()],
        ]

    def selector_filters(self) -> dict:
        """The keyword arguments of `case_list_for_user` for what was asked. A field with a bad
        value is left out; the others still filter (a bad `per_page` must not drop the search)."""
        self.is_valid()
        data = self.cleaned_data
        filters = {
            "search": data.get("q") or "",
            "search_reports": bool(data.get("in_reports")),
            "status": data.get("status") or None,
            "priority": data.get("priority") or None,
            "category": data.get("category") or None,
            "platform": data["platform"].slug if data.get("platform") else None,
            "campaign": data["campaign"].slug if data.get("campaign") else None,
        }
        assignee = data.get("assignee") or ""
        if assignee == "me":
            filters["assignee"] = self.user
        elif assignee == "none":
            filters["unassigned"] = True
        elif assignee:
            filters["assignee"] = self._assignable[assignee]
        if data.get("overdue") in ("yes", "no"):
            filters["overdue"] = data["overdue"] == "yes"
        if data.get("scope") != "all":
            filters["work_of"] = self.user
        return filters

    def page_size(self) -> int:
        """`per_page` as asked, at most MAX_PER_PAGE."""
        self.is_valid()
        return min(self.cleaned_data.get("per_page") or PER_PAGE, MAX_PER_PAGE)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked like an evidence upload."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf,video/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def check_upload(upload) -> None:
    """The evidence rules (size cap, type read from the bytes) before anything is written,
    so a bad file refuses the whole form and nothing is half-stored."""
    cap = settings.EVIDENCE_MAX_BYTES
    if upload.size > cap:
        raise forms.ValidationError(_("%(name)s is larger than the %(cap)s-byte limit."),
                                    params={"name": upload.name, "cap": cap}, code="too_large")
    head = upload.read(65536)
    upload.seek(0)
    if not head:
        raise forms.ValidationError(_("%(name)s is empty."), params={"name": upload.name}, code="empty")
    detected = case_services.evidence_detect_type(head)
    if detected not in settings.EVIDENCE_ALLOWED_TYPES:
        raise forms.ValidationError(_("%(name)s is of type %(type)s, which is not accepted as evidence."),
                                    params={"name": upload.name, "type": detected}, code="type_forbidden")


class DiscoveryForm(forms.Form):
    """A post found by the office's own monitoring."""

    platform = forms.ModelChoiceField(label=_("Platform"), queryset=Platform.objects.none())
    url = forms.URLField(label=_("Post URL"), required=False, max_length=1000, assume_scheme="https")
    title = forms.CharField(label=_("Post title"), required=False, max_length=300)
    content = forms.CharField(label=_("Post text"), widget=forms.Textarea(attrs={"rows": 6}))
    content_type = forms.ChoiceField(label=_("Content type"), choices=ContentType.choices, initial=ContentType.TEXT)
    posted_at = forms.DateTimeField(
        label=_("Posted at"), initial=timezone.now,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    author_account_id = forms.CharField(label=_("Author account id"), required=False, max_length=128,
                                        help_text=_("The platform's own id of the account."))
    author_handle = forms.CharField(label=_("Author handle"), required=False, max_length=150)
    author_display_name = forms.CharField(label=_("Author display name"), required=False, max_length=150)
    author_followers = forms.IntegerField(label=_("Author followers"), required=False, min_value=0)
    views = forms.IntegerField(label=_("Views"), min_value=0, initial=0)
    reposts = forms.IntegerField(label=_("Reposts"), min_value=0, initial=0)
    comments = forms.IntegerField(label=_("Comments"), min_value=0, initial=0)
    likes = forms.IntegerField(label=_("Likes"), min_value=0, initial=0)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial=Category.RUMOUR)
    reason = forms.CharField(label=_("Why it was recorded"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    screenshots = MultipleFileField(label=_("Screenshots"), required=False,
                                    help_text=_("Images, PDF or video; each is stored as evidence on the case."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["platform"].queryset = Platform.objects.filter(active=True).order_by("name")

    def clean_screenshots(self):
        files = self.cleaned_data.get("screenshots") or []
        errors = []
        for upload in files:
            try:
                check_upload(upload)
            except forms.ValidationError as exc:
                errors.append(exc)
        if errors:
            raise forms.ValidationError(errors)
        return files

    def clean(self):
        data = super().clean()
        author_given = any(data.get(name) for name in ("author_handle", "author_display_name", "author_followers"))
        if author_given and not data.get("author_account_id"):
            self.add_error("author_account_id", _("Give the account id when you describe the author."))
        return data

    def report_input(self) -> case_services.ReportInput:
        data = self.cleaned_data
        author = None
        if data.get("author_account_id"):
            author = case_services.AuthorInput(
                account_id=data["author_account_id"].strip(), handle=data.get("author_handle") or "",
                display_name=data.get("author_display_name") or "", followers=data.get("author_followers") or 0,
            )
        return case_services.ReportInput(
            external_id="", content=data["content"], posted_at=data["posted_at"], url=data.get("url") or "",
            title=data.get("title") or "", content_type=data["content_type"], author=author,
            views=data["views"], reposts=data["reposts"], comments=data["comments"], likes=data["likes"],
            category=data["category"], reason=data.get("reason") or "",
        )


class CaseOpenForm(forms.Form):
    """A supervisor opens a case directly, without a report."""

    title = forms.CharField(label=_("Title"), max_length=200)
    claim = forms.CharField(label=_("Claim"), widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("The rumour as one statement."))
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial=Category.RUMOUR)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.P3)
    campaigns = forms.ModelMultipleChoiceField(label=_("Campaigns"), required=False,
                                               queryset=Campaign.objects.none(),
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaigns"].queryset = Campaign.objects.all()


class CaseDetailsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    claim = forms.CharField(label=_("Claim"), widget=forms.Textarea(attrs={"rows": 4}))
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)


class TransitionForm(forms.Form):
    """What a transition asks for: a reason (required for some), a target case for a merge, and
    the state the user saw, so a second submit after the case moved is answered "changed meanwhile"."""

    expected_status = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    target = forms.CharField(label=_("Merge into case (reference)"), required=False, max_length=32,
                             widget=forms.TextInput(attrs={"placeholder": "RC-2026-000123"}))

    def __init__(self, *args, name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.name = name
        self.auto_id = f"id_{name}_%s"
        if name in REASON_REQUIRED_FOR:
            self.fields["reason"].required = True
        if name == "merge_into":
            self.fields["target"].required = True
        else:
            del self.fields["target"]

    def clean_target(self):
        return (self.cleaned_data.get("target") or "").strip().upper()


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), required=False, queryset=None,
                                      empty_label=_("Nobody"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = case_assignable_users()
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        self.auto_id = "id_assign_%s"


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    reason = forms.CharField(label=_("Why"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_priority_%s"


class CampaignsForm(forms.Form):
    campaigns = forms.ModelMultipleChoiceField(label=_("Campaigns"), required=False, queryset=None,
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaigns"].queryset = Campaign.objects.all()
        self.auto_id = "id_campaigns_%s"


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "id_comment_%s"


class ReportMoveForm(forms.Form):
    """Move a report to another case, or split it into a new one (the button says which)."""

    target = forms.CharField(label=_("Move to case (reference)"), required=False, max_length=32)
    title = forms.CharField(label=_("Title of the new case"), required=False, max_length=200)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, report_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.report_id = report_id
        self.auto_id = f"id_report{report_id}_%s"

    def clean_target(self):
        return (self.cleaned_data.get("target") or "").strip().upper()

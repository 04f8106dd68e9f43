"""Forms of the debunk-notice tab: content (draft, edit, correct), review, withdrawal, diff."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rumorcases.cases.choices import RUMOUR_VERDICTS
from rumorcases.notices.choices import ReviewDecision
from rumorcases.staff.forms.verification import SourcesField


class NoticeContentForm(forms.Form):
    """What the public will read. Field names are the service's content fields."""

    title = forms.CharField(label=_("Title"), max_length=200)
    claim = forms.CharField(label=_("The claim"), help_text=_("The rumour as it circulated."),
                            widget=forms.Textarea(attrs={"rows": 3}))
    verdict = forms.ChoiceField(label=_("Verdict"), choices=[(v.value, v.label) for v in RUMOUR_VERDICTS])
    body = forms.CharField(label=_("The facts"), widget=forms.Textarea(attrs={"rows": 8}))
    sources = SourcesField(label=_("Sources"))
    title_en = forms.CharField(label=_("English title"), max_length=200, required=False)
    body_en = forms.CharField(label=_("The facts in English"), required=False,
                              widget=forms.Textarea(attrs={"rows": 5}))

    def content(self) -> dict:
        """The cleaned content, as the services take it."""
        return {name: self.cleaned_data[name] for name in self.fields if name != "note"}


class NoticeCorrectionForm(NoticeContentForm):
    note = forms.CharField(label=_("Public correction note"), help_text=_("Public: what was corrected and why."),
                           widget=forms.Textarea(attrs={"rows": 3}))

    field_order = ["note"]


class NoticeReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=ReviewDecision.choices, widget=forms.RadioSelect)
    comments = forms.CharField(label=_("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("Required when sending the notice back."))


class NoticeWithdrawForm(forms.Form):
    statement = forms.CharField(label=_("Public statement"), widget=forms.Textarea(attrs={"rows": 3}),
                                help_text=_("Shown to the public in place of the notice."))


class VersionDiffForm(forms.Form):
    a = forms.TypedChoiceField(label=_("From version"), coerce=int)
    b = forms.TypedChoiceField(label=_("To version"), coerce=int)

    def __init__(self, *args, numbers, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(n, f"v{n}") for n in numbers]
        self.fields["a"].choices = choices
        self.fields["b"].choices = choices

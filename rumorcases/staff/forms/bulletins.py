"""Forms of the bulletin pages: a new bulletin, an entry's public texts, review comments."""

from django import forms
from django.utils.translation import gettext_lazy as _


class BulletinCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    title_en = forms.CharField(label=_("English title"), max_length=200, required=False)
    period_start = forms.DateField(label=_("Period start"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Period end"), widget=forms.DateInput(attrs={"type": "date"}))
    introduction = forms.CharField(label=_("Introduction"), required=False, max_length=5000,
                                   widget=forms.Textarea(attrs={"rows": 3}))


class EntryForm(forms.Form):
    """An entry's texts, as the public will read them."""

    headline = forms.CharField(label=_("Headline"), max_length=200)
    rumour_summary = forms.CharField(label=_("Rumour summary"), widget=forms.Textarea(attrs={"rows": 3}),
                                     max_length=5000)
    finding_summary = forms.CharField(label=_("Finding summary"), widget=forms.Textarea(attrs={"rows": 4}),
                                      max_length=10000)
    measures_summary = forms.CharField(label=_("Measures summary"), widget=forms.Textarea(attrs={"rows": 3}),
                                       required=False, max_length=5000,
                                       help_text=_("Accounts acted on, by platform and measure. No personal data "
                                                   "of victims or reporters."))


class EntryAddForm(EntryForm):
    case = forms.ChoiceField(label=_("Case"))

    field_order = ["case", "headline", "rumour_summary", "finding_summary", "measures_summary"]

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {case.reference: case for case in candidates}
        self.fields["case"].choices = [(c.reference, f"{c.reference} {c.title}") for c in candidates]

    def clean_case(self):
        return self.candidates[self.cleaned_data["case"]]


class CommentsForm(forms.Form):
    comments = forms.CharField(label=_("What must change"), widget=forms.Textarea(attrs={"rows": 3}),
                               max_length=5000)

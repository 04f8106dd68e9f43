"""Forms of the disposal tab: penalty proposals, revocations, orders to platforms and waivers."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rumorcases.disposal.choices import Measure, OffenderRole
from rumorcases.disposal.models import LegalProvision


def provision_choices() -> list[tuple[str, str]]:
    """The active catalogue, loaded once per page and shared by every proposal form on it."""
    return [("", "---------")] + [(str(p.pk), f"{p.law} {p.article}" + (f" ({p.law_en})" if p.law_en else ""))
                                  for p in LegalProvision.objects.filter(active=True).order_by("law", "code")]


class PenaltyProposeForm(forms.Form):
    measure = forms.ChoiceField(label=_("Measure"), choices=Measure.choices)
    duration_days = forms.IntegerField(label=_("Duration (days)"), required=False, min_value=1, max_value=3650,
                                       help_text=_("Only for measures that run for a number of days."))
    legal_provision = forms.ChoiceField(label=_("Legal provision"))
    role = forms.ChoiceField(label=_("Role in the case"), choices=OffenderRole.choices)
    reasoning = forms.CharField(label=_("Reasoning"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args, provisions: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["legal_provision"].choices = provisions

    def clean_legal_provision(self):
        value = self.cleaned_data["legal_provision"]
        provision = LegalProvision.objects.filter(pk=value, active=True).first()
        if provision is None:
            raise forms.ValidationError(_("Cite an active provision from the catalogue."))
        return provision


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class OrderIssueForm(forms.Form):
    """Which of the case's posts on the platform to remove and which approved penalties to carry out."""

    reports = forms.TypedMultipleChoiceField(label=_("Posts to remove"), coerce=int, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    penalties = forms.TypedMultipleChoiceField(label=_("Penalties to carry out"), coerce=int, required=False,
                                               widget=forms.CheckboxSelectMultiple)
    due_at = forms.DateTimeField(label=_("Due time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                 help_text=_("Beijing time."))
    instructions = forms.CharField(label=_("Instructions to the platform"), required=False, max_length=5000,
                                   widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, draft, **kwargs):
        super().__init__(*args, **kwargs)
        self.draft = draft
        self.fields["reports"].choices = [
            (r.pk, f"{r.url or r.external_id} — @{r.author.handle if r.author else '?'}") for r in draft.reports
        ]
        self.fields["penalties"].choices = [
            (p.pk, f"@{p.account.handle or p.account.platform_account_id}: {p.measure_with_duration()}")
            for p in draft.penalties
        ]
        if not self.is_bound:
            self.initial.setdefault("reports", [r.pk for r in draft.reports])
            self.initial.setdefault("penalties", [p.pk for p in draft.penalties])

    def items(self) -> list[dict]:
        """The chosen items in the shape `order_issue` takes."""
        reports = {r.pk: r for r in self.draft.reports}
        penalties = {p.pk: p for p in self.draft.penalties}
        return ([{"kind": "remove_content", "report": reports[pk]} for pk in self.cleaned_data["reports"]]
                + [{"kind": "act_on_account", "penalty": penalties[pk]} for pk in self.cleaned_data["penalties"]])

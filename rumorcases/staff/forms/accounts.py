"""Forms of the account pages: searching accounts, linking an account to the subject behind it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rumorcases.disposal.choices import SubjectKind


class AccountSearchForm(forms.Form):
    q = forms.CharField(label=_("Handle, name or account id"), required=False, max_length=150)
    platform = forms.ChoiceField(label=_("Platform"), required=False)

    def __init__(self, *args, platforms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["platform"].choices = [("", _("All platforms"))] + [(p.slug, p.name) for p in platforms]


class SubjectLinkForm(forms.Form):
    """Either an existing subject, or the name of a new one."""

    subject = forms.TypedChoiceField(label=_("Existing subject"), required=False, coerce=int, empty_value=None)
    new_name = forms.CharField(label=_("Or a new subject: full name"), required=False, max_length=200)
    new_kind = forms.ChoiceField(label=_("Kind of the new subject"), choices=SubjectKind.choices,
                                 initial=SubjectKind.PERSON)

    def __init__(self, *args, subjects, may_create: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_create:  # the page hides the new-subject fields from those who may not create one
            del self.fields["new_name"], self.fields["new_kind"]
        self.subjects = {s.pk: s for s in subjects}
        self.fields["subject"].choices = [("", "---------")] + [(s.pk, s.name) for s in subjects]

    def clean(self):
        data = super().clean()
        subject_id, name = data.get("subject"), (data.get("new_name") or "").strip()
        if subject_id and name:
            raise forms.ValidationError(_("Choose an existing subject or name a new one, not both."))
        if not subject_id and not name and not self.errors:
            raise forms.ValidationError(_("Choose an existing subject or name a new one."))
        data["subject"] = self.subjects.get(subject_id) if subject_id else None
        return data

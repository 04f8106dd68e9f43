"""Forms of the verification tab: evidence, findings, consultations."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from rumorcases.cases.choices import Authority, EvidenceKind, Verdict

_http_url = URLValidator(schemes=["http", "https"])


def sources_as_text(sources) -> str:
    """The stored list of sources as the textarea shows it: one "title | url | publisher" a line."""
    lines = []
    for source in sources or []:
        parts = [source.get("title", ""), source.get("url", "")]
        if source.get("publisher"):
            parts.append(source["publisher"])
        lines.append(" | ".join(parts).rstrip(" |"))
    return "\n".join(lines)


class SourcesField(forms.CharField):
    """Authoritative sources typed one a line, "title | url" (and optionally "| publisher")."""

    widget = forms.Textarea(attrs={"rows": 4})
    default_help_text = _("One source a line: title | URL (| publisher). The URL may be left out.")

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", self.default_help_text)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return sources_as_text(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value)
        sources, errors = [], []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            title, url, publisher = (parts + ["", ""])[:3]
            if not title:
                errors.append(ValidationError(_("Line %(n)s: a source needs a title."), params={"n": number}))
                continue
            if url:
                try:
                    _http_url(url)
                except ValidationError:
                    errors.append(ValidationError(_("Line %(n)s: enter a valid http(s) URL."), params={"n": number}))
                    continue
            sources.append({"title": title, "url": url, "publisher": publisher})
        if errors:
            raise ValidationError(errors)
        return sources


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("Drop a file here or choose one. Its SHA-256 is "
                                                         "computed from the bytes and shown once stored."))
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices, initial=EvidenceKind.FILE)
    source_url = forms.URLField(label=_("Source URL"), required=False, max_length=1000, assume_scheme="https",
                                help_text=_("Where the file or web capture was taken from."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == EvidenceKind.WEB_CAPTURE and not cleaned.get("source_url"):
            self.add_error("source_url", _("A web capture needs the address it was captured from."))
        return cleaned


class FindingForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Verdict"), choices=Verdict.choices)
    reasoning = forms.CharField(label=_("Reasoning"), widget=forms.Textarea(attrs={"rows": 4}))
    sources = SourcesField(label=_("Authoritative sources"))
    evidence = forms.ModelMultipleChoiceField(label=_("Evidence supporting it"), queryset=None, required=False,
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = case.evidence.all()


class ConsultationForm(forms.Form):
    authority = forms.ChoiceField(label=_("Authority"), choices=Authority.choices)
    authority_name = forms.CharField(label=_("Authority name"), max_length=200,
                                     help_text=_("e.g. 浦东新区卫生健康委员会"))
    question = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}))
    due_at = forms.DateTimeField(label=_("Answer due"), help_text=_("Beijing time."),
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                            format="%Y-%m-%dT%H:%M"))


class ConsultationAnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))

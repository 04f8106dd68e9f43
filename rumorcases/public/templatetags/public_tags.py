"""Filters for the public pages."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# As Django's json_script: inside <script>, "<", ">" and "&" must never appear raw, or a
# "</script>" in a notice's text would end the element.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026",
                   0x2028: "\\u2028", 0x2029: "\\u2029"}


@register.filter
def ld_json(value) -> str:
    """A JSON-LD <script> element holding `value`, escaped so no text can leave it."""
    text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308 (escaped above)


@register.filter
def localized(obj, field: str) -> str:
    """`obj.<field>_en` on an English page when the office wrote one, else `obj.<field>`."""
    if (get_language() or "").startswith("en"):
        english = getattr(obj, f"{field}_en", "")
        if english:
            return english
    return getattr(obj, field, "")


@register.filter
def other_language(obj, field: str) -> str:
    """The version `localized` did not choose, when both exist (shown beside it)."""
    english = getattr(obj, f"{field}_en", "")
    if not english:
        return ""
    if (get_language() or "").startswith("en"):
        return getattr(obj, field, "")
    return english

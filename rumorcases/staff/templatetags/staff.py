"""Small pieces every staff page uses: state badges, deadline marks, page links."""

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def state_badge(obj, field: str = "status"):
    """The object's workflow state as a coloured badge (colour from the state's name)."""
    value = getattr(obj, field)
    return format_html('<span class="badge state-{}">{}</span>', value, getattr(obj, f"get_{field}_display")())


@register.filter
def is_overdue(deadline) -> bool:
    return deadline is not None and deadline < timezone.now()


@register.simple_tag(takes_context=True)
def page_url(context, number: int) -> str:
    """The current URL with `page` set to `number`, every filter kept."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()

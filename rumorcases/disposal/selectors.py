from django.db.models import Prefetch, QuerySet
from django.http import Http404

from rumorcases.disposal.models import DisposalOrder, OrderItem


def orders_for_platform(platform, *, status: str | None = None) -> QuerySet:
    """A platform's own orders only, with their items (and each item's account, penalty and
    its legal provision, and report) prefetched. Two queries."""
    items = OrderItem.objects.select_related("account", "penalty__legal_provision", "report")
    qs = DisposalOrder.objects.filter(platform=platform).select_related("case").prefetch_related(
        Prefetch("items", queryset=items)
    )
    if status == "open":
        qs = qs.filter(status__in=["issued", "acknowledged", "overdue"])
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("due_at", "id")


def order_get_for_platform(platform, *, order_id: int) -> DisposalOrder:
    """One of the platform's own orders, prefetched as in `orders_for_platform`; 404 for any
    other, whether or not it exists. Two queries."""
    order = orders_for_platform(platform).filter(pk=order_id).first()
    if order is None:
        raise Http404
    return order

from django.db.models import QuerySet

from rumorcases.disposal.models import Account, DisposalOrder, Penalty
from rumorcases.disposal.services import prior_penalties


def account_penalty_history(account: Account) -> QuerySet:
    """Every standing penalty of the account or of its subject's other accounts, newest first. One query."""
    return prior_penalties(account).select_related("case", "account__platform", "legal_provision").order_by(
        "-proposed_at"
    )


def case_penalties(case) -> QuerySet:
    return Penalty.objects.filter(case=case).select_related(
        "account__platform", "legal_provision", "proposed_by", "approved_by"
    )


def orders_for_platform(platform, *, status: str | None = None) -> QuerySet:
    """A platform's own orders only, with their items prefetched. Two queries."""
    qs = DisposalOrder.objects.filter(platform=platform).select_related("case").prefetch_related("items")
    if status == "open":
        qs = qs.filter(status__in=["issued", "acknowledged", "overdue"])
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("due_at", "id")

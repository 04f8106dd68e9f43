from django.db import transaction
from django.utils import timezone

from rumorcases.core.models import Counter, Notification


@transaction.atomic
def counter_next(*, name: str) -> int:
    """The next number of a gap-free series; the row lock makes concurrent callers queue."""
    counter, _ = Counter.objects.select_for_update().get_or_create(name=name)
    counter.value += 1
    counter.save(update_fields=["value"])
    return counter.value


@transaction.atomic
def counter_reserve(*, name: str, count: int) -> range:
    """The next `count` numbers of the series at once, as `count` calls to `counter_next` would
    give them (same row lock, one update)."""
    counter, _ = Counter.objects.select_for_update().get_or_create(name=name)
    first = counter.value + 1
    if count > 0:
        counter.value += count
        counter.save(update_fields=["value"])
    return range(first, counter.value + 1)


def notification_send(*, recipients, kind: str, title: str, body: str = "", url: str = "",
                      case_reference: str = "", source_key: str = "") -> list[Notification]:
    """Create one in-app notification per recipient (deduplicated by `source_key` when given).

    One query to find who already has it, one bulk insert.
    """
    users = {user.pk: user for user in recipients if user is not None and user.is_active}
    if source_key:
        already = set(
            Notification.objects.filter(recipient_id__in=users, source_key=source_key).values_list(
                "recipient_id", flat=True
            )
        )
        users = {pk: user for pk, user in users.items() if pk not in already}
    rows = [
        Notification(recipient=user, kind=kind, title=title[:200], body=body, url=url,
                     case_reference=case_reference, source_key=source_key)
        for user in users.values()
    ]
    return Notification.objects.bulk_create(rows, ignore_conflicts=bool(source_key))


def notification_mark_read(*, user, ids=None) -> int:
    """Mark the user's unread notifications read, those with `ids` only when given; another
    user's are never touched. Not audited: it is the reader's own bookkeeping, not a decision."""
    unread = Notification.objects.filter(recipient=user, read_at=None)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())

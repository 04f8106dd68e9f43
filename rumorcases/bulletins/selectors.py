from django.db.models import Prefetch, QuerySet
from django.http import Http404

from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin, BulletinEntry


def bulletin_list_published() -> QuerySet:
    return Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).order_by("-published_at", "-id")


def bulletin_get_public(*, public_id) -> Bulletin:
    """A published bulletin with its entries in order. Two queries; 404 if not published."""
    entries = Prefetch("entries", queryset=BulletinEntry.objects.order_by("position", "id"))
    bulletin = bulletin_list_published().filter(public_id=public_id).prefetch_related(entries).first()
    if bulletin is None:
        raise Http404
    return bulletin

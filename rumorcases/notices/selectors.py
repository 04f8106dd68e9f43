from django.db.models import QuerySet
from django.http import Http404

from rumorcases.notices.choices import NoticeStatus
from rumorcases.notices.models import DebunkNotice


def notice_list_published() -> QuerySet:
    """Published notices, newest first, with their current text. One query."""
    return (DebunkNotice.objects.filter(status=NoticeStatus.PUBLISHED)
            .select_related("current_version").order_by("-published_at", "-id"))


def notice_get_public(*, public_id) -> DebunkNotice:
    """A notice the public may see: published or withdrawn (the latter shows its statement). 404 otherwise."""
    notice = (DebunkNotice.objects.filter(public_id=public_id,
                                          status__in=[NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN])
              .select_related("current_version").first())
    if notice is None:
        raise Http404
    return notice


def notice_public_path(notice: DebunkNotice) -> str:
    """Where the public reads the notice. The public site is not built yet; when it is, this
    becomes a `reverse()` of its notice page."""
    return f"/notices/{notice.public_id}/"


def notice_published_for_case(case) -> DebunkNotice | None:
    """The case's published debunk notice (the latest, should there be several), or None. One query."""
    return (DebunkNotice.objects.filter(case=case, status=NoticeStatus.PUBLISHED)
            .order_by("-published_at", "-id").first())

from rumorcases.notices.choices import NoticeStatus
from rumorcases.notices.models import DebunkNotice


def notice_public_path(notice: DebunkNotice) -> str:
    """Where the public reads the notice. The public site is not built yet; when it is, this
    becomes a `reverse()` of its notice page."""
    return f"/notices/{notice.public_id}/"


def notice_published_for_case(case) -> DebunkNotice | None:
    """The case's published debunk notice (the latest, should there be several), or None. One query."""
    return (DebunkNotice.objects.filter(case=case, status=NoticeStatus.PUBLISHED)
            .order_by("-published_at", "-id").first())

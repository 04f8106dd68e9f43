"""Reads for the official documents: which PDF stands for a notice or a bulletin, and the
published objects the public may ask a PDF of."""

from django.http import Http404

from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin
from rumorcases.documents.models import Document


def document_for_notice(notice) -> Document | None:
    """The PDF of the notice's current version, if rendered. One query."""
    if notice.current_version_id is None:
        return None
    return Document.objects.filter(notice_version_id=notice.current_version_id).first()


def document_for_bulletin(bulletin, *, content_sha256: str) -> Document | None:
    """The PDF of the bulletin's content with this hash, if rendered. One query."""
    return Document.objects.filter(bulletin=bulletin, content_sha256=content_sha256).first()


def notice_corrections_up_to(notice, version) -> list:
    """The public corrections made up to `version` (included), newest first. One query."""
    return list(notice.corrections.filter(version__number__lte=version.number).order_by("-created_at", "-id"))


def bulletin_get_published(*, year: int, issue: int) -> Bulletin:
    """A published bulletin by year and issue number; 404 for anything else (drafts, reviews). One query."""
    bulletin = Bulletin.objects.filter(year=year, issue_number=issue, status=BulletinStatus.PUBLISHED).first()
    if bulletin is None:
        raise Http404
    return bulletin


def bulletin_entries(bulletin) -> list:
    """The entries in published order. One query."""
    return list(bulletin.entries.order_by("position", "id"))

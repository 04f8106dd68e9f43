from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    NOTICE = "notice", _("debunk notice")
    BULLETIN = "bulletin", _("exposure bulletin")


def document_upload_to(document: "Document", filename: str) -> str:
    return f"documents/{document.kind}s/{filename}"


class Document(models.Model):
    """One rendered PDF: of one notice version, or of one published bulletin's content.

    A correction adds a version, so a new row; the earlier rows and files stay as the record
    of what was issued on paper. `content_sha256` is the hash printed in the footer (of the
    text, not of the PDF file); `pdf_sha256` is the file's own hash, served as its ETag.
    """

    kind = models.CharField(verbose_name=_("kind"), max_length=16, choices=DocumentKind.choices)
    notice = models.ForeignKey("notices.DebunkNotice", verbose_name=_("notice"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="documents")
    notice_version = models.ForeignKey("notices.NoticeVersion", verbose_name=_("notice version"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="documents")
    bulletin = models.ForeignKey("bulletins.Bulletin", verbose_name=_("bulletin"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="documents")
    content_sha256 = models.CharField(verbose_name=_("SHA-256 of the published content"), max_length=64,
                                      db_index=True)
    file = models.FileField(verbose_name=_("PDF file"), upload_to=document_upload_to, max_length=255)
    pdf_sha256 = models.CharField(verbose_name=_("SHA-256 of the PDF file"), max_length=64)
    size = models.PositiveIntegerField(verbose_name=_("size in bytes"))
    pages = models.PositiveSmallIntegerField(verbose_name=_("pages"))
    render_seconds = models.FloatField(verbose_name=_("rendering time (s)"))
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    rendered_at = models.DateTimeField(verbose_name=_("rendered at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("official document")
        verbose_name_plural = _("official documents")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=DocumentKind.NOTICE, notice__isnull=False, notice_version__isnull=False,
                             bulletin__isnull=True)
                           | Q(kind=DocumentKind.BULLETIN, bulletin__isnull=False, notice__isnull=True,
                               notice_version__isnull=True)),
                name="document_kind_matches_its_object"),
            # Idempotence: one PDF per notice version, one per bulletin content.
            models.UniqueConstraint(fields=["notice_version"], condition=Q(notice_version__isnull=False),
                                    name="document_once_per_notice_version"),
            models.UniqueConstraint(fields=["bulletin", "content_sha256"], condition=Q(bulletin__isnull=False),
                                    name="document_once_per_bulletin_content"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.content_sha256[:12]}"

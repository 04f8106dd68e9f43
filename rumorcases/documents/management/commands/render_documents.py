"""Render the PDFs of published notices and bulletins (after a restore, or a template change)."""

from django.core.management.base import BaseCommand

from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin
from rumorcases.documents import services
from rumorcases.notices.choices import NoticeStatus
from rumorcases.notices.models import DebunkNotice


class Command(BaseCommand):
    help = "Render missing PDFs of published notices and bulletins (--all renders every one again)."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--missing", action="store_true", help="Only those not rendered yet (the default).")
        which.add_argument("--all", action="store_true", help="Every one again, over the stored files.")

    def handle(self, *args, **options):
        force = options["all"]
        rendered = 0
        notices = DebunkNotice.objects.filter(status=NoticeStatus.PUBLISHED).select_related("case").order_by("pk")
        for notice in notices.iterator():
            before = services.selectors.document_for_notice(notice)
            document = services.document_render_notice(notice=notice, force=force)
            if document is not None and (force or before is None or before.pdf_sha256 != document.pdf_sha256):
                rendered += 1
                self.stdout.write(f"notice {notice.document_number}: {document.pages} pages, "
                                  f"{document.render_seconds:.2f} s")
        for bulletin in Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).order_by("pk").iterator():
            existing = set(bulletin.documents.values_list("pk", "pdf_sha256"))
            document = services.document_render_bulletin(bulletin=bulletin, force=force)
            if document is not None and (force or (document.pk, document.pdf_sha256) not in existing):
                rendered += 1
                self.stdout.write(f"bulletin {bulletin.year}-{bulletin.issue_number}: {document.pages} pages, "
                                  f"{document.render_seconds:.2f} s")
        self.stdout.write(self.style.SUCCESS(f"{rendered} document(s) rendered."))

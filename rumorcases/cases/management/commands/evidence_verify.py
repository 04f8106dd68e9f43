"""Re-hash every stored evidence file and compare it with the SHA-256 recorded at upload.

    ./manage.py evidence_verify [--quiet] [-v 2]

Run after a restore (docs/backup.md), after moving media to other storage, or on a schedule.
Reads each file in 1 MiB chunks from the configured storage (local disk or S3), so memory stays
flat whatever the file sizes. Lists every mismatched or missing file (`-v 2`: every file), then the
counts (`--quiet`: only when something is wrong); exits with status 1 when any file is wrong.
Changes nothing.
"""

import hashlib

from django.core.management.base import BaseCommand, CommandError

from rumorcases.cases.models import EvidenceItem

CHUNK_BYTES = 1024 * 1024


def _sha256(item: EvidenceItem) -> str | None:
    """The file's SHA-256, or None when the storage has no such file."""
    storage = item.file.storage
    if not item.file.name or not storage.exists(item.file.name):
        return None
    digest = hashlib.sha256()
    with storage.open(item.file.name, "rb") as stored:
        while chunk := stored.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Re-hash every stored evidence file; report any that differs from its recorded SHA-256 or is missing."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true",
                            help="Print nothing when every file is intact (for cron); problems are always printed.")

    def handle(self, *args, quiet=False, **options):
        checked = mismatched = missing = 0
        items = (EvidenceItem.objects.select_related("case").only("id", "file", "sha256", "case__reference")
                 .order_by("id"))
        for item in items.iterator(chunk_size=500):
            checked += 1
            where = f"evidence #{item.pk} of {item.case.reference} ({item.file.name})"
            try:
                actual = _sha256(item)
            except OSError as exc:  # unreadable: permissions, an I/O error, a storage outage
                missing += 1
                self.stderr.write(f"UNREADABLE {where}: {exc}")
                continue
            if actual is None:
                missing += 1
                self.stderr.write(f"MISSING {where}")
            elif actual != item.sha256:
                mismatched += 1
                self.stderr.write(f"MISMATCH {where}: recorded {item.sha256}, file now {actual}")
            elif options["verbosity"] >= 2:
                self.stdout.write(f"ok {where}")
        summary = f"{checked} evidence files checked: {checked - mismatched - missing} intact, " \
                  f"{mismatched} changed, {missing} missing or unreadable."
        if mismatched or missing:
            raise CommandError(summary)
        if not quiet:
            self.stdout.write(self.style.SUCCESS(summary))

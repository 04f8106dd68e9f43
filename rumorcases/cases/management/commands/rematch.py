"""Run matching again over the stored reports of open cases, e.g. after a threshold change.

    ./manage.py rematch [--dry-run] [--since 2026-03-01] [--case RC-2026-000123] [--fingerprints]

A report moves when matching now puts it in another open case. Reports staff moved, split
off or merged stay where staff put them. Each move is its own transaction, audited as
`report.rematched` by the system; a second run moves nothing.

`--fingerprints` first writes the near-duplicate fingerprints of the first report of each text
in each case that has none (reports stored while `MATCH_NEAR_DUPLICATES` was off), so that they
can be found.
"""

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from rumorcases.cases import fingerprints, services
from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.models import Report

CHUNK = 500


class Command(BaseCommand):
    help = "Match the reports of open cases again and move those that now belong to another open case."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only print what would move.")
        parser.add_argument("--since", help="Only reports received on or after this date (YYYY-MM-DD).")
        parser.add_argument("--case", dest="case_reference", help="Only the reports of this case (reference).")
        parser.add_argument("--fingerprints", dest="backfill", action="store_true",
                            help="First fingerprint the reports that have none (one per text and case).")

    def handle(self, *args, dry_run=False, since=None, case_reference=None, backfill=False, **options):
        if backfill:
            self._backfill(dry_run)
        reports = Report.objects.exclude(case__status=CaseStatus.CLOSED)
        if since:
            day = parse_date(since)
            if day is None:
                raise CommandError(f"--since: not a date: {since!r}")
            reports = reports.filter(received_at__gte=timezone.make_aware(datetime.combine(day, time.min)))
        if case_reference:
            reports = reports.filter(case__reference=case_reference)
        examined = moved = 0
        last_pk = 0
        while True:
            # In id order, a chunk at a time; `report_rematch_move` checks each move again under its locks.
            chunk = list(reports.filter(pk__gt=last_pk).select_related("case").order_by("pk")[:CHUNK])
            if not chunk:
                break
            last_pk = chunk[-1].pk
            for report in chunk:
                examined += 1
                match = services.report_rematch_target(report=report)
                if match is None:
                    continue
                line = f"report {report.pk} ({report.external_id}): {report.case.reference} → " \
                       f"{match.case.reference} ({match.reason})"
                if dry_run:
                    self.stdout.write(f"would move {line}")
                    moved += 1
                elif services.report_rematch_move(report=report, match=match) is not None:
                    self.stdout.write(f"moved {line}")
                    moved += 1
        verb = "would move" if dry_run else "moved"
        self.stdout.write(f"examined {examined}, {verb} {moved}, unchanged {examined - moved}")

    def _backfill(self, dry_run: bool) -> None:
        if not fingerprints.enabled():
            raise CommandError("--fingerprints: near-duplicate matching is off (MATCH_NEAR_DUPLICATES)")
        count = fingerprints.fingerprint_backfill(dry_run=dry_run)
        self.stdout.write(f"{'would fingerprint' if dry_run else 'fingerprinted'} {count} reports")

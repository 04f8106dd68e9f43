from django.core.management.base import BaseCommand, CommandError

from rumorcases.core.audit import audit_chain_problems
from rumorcases.core.models import AuditEvent


class Command(BaseCommand):
    help = "Check the hash chain of the audit trail and report the first broken or missing link."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="List every problem, not only the first.")

    def handle(self, *args, **options):
        problems = audit_chain_problems()
        found = []
        for problem in problems:
            found.append(problem)
            self.stderr.write(f"BROKEN at #{problem.seq}: {problem.message}")
            if not options["all"]:
                break
        if found:
            raise CommandError("The audit trail is not intact.")
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"The audit trail is intact: {count} events, every link verified."))

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rumorcases.core.demo import ADMIN_URL, DEFAULT_PASSWORD, STAFF_URL, demo_load
from rumorcases.core.env import envstr


class Command(BaseCommand):
    help = ("Load the demo data (users for every role, platforms, legal provisions, campaigns and cases at "
            "every state) and print the demo logins. Idempotent: a second run changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="Run even with DEBUG off. The demo logins share one published password.")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("The demo creates staff logins with a published password; it runs only with "
                               "DEBUG on (or with --force).")
        password = envstr("DEMO_PASSWORD") or DEFAULT_PASSWORD
        # Eager Celery logs a line per notification task; the logins are what a newcomer needs to see.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        result = demo_load(password=password)
        if result.loaded:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data was already there; demo users and passwords checked.")
        self.stdout.write("Cases: " + ", ".join(f"{state} {count}" for state, count in result.states.items()))
        self.stdout.write(f"\nStaff sign in at {STAFF_URL} (configuration: {ADMIN_URL})\n")
        self.stdout.write(f"  {'username':<12} {'password':<18} role")
        for username, role, login_password in result.logins:
            self.stdout.write(f"  {username:<12} {login_password:<18} {role}")

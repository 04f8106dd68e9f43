"""Platforms' API tokens from the command line, for the office's operators.

    manage.py platform_token create --platform weibo --name "moderation, production" \\
        --scopes reports:write,reports:read,orders:read,orders:write [--expires-days 365]
    manage.py platform_token list [--platform weibo]
    manage.py platform_token revoke <key_id>

`create` writes the token alone on standard output (so a script can capture it) and says what
it is on standard error. It is shown this once. The command acts as the system, not as a user;
the audit trail records it as such.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from rumorcases.core.exceptions import ApplicationError
from rumorcases.platforms import services
from rumorcases.platforms.models import ApiScope, ApiToken, Platform


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


def _refused(exc: ApplicationError) -> CommandError:
    details = "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in exc.fields.items())
    return CommandError(f"{exc.message} {details}".strip())


class Command(BaseCommand):
    help = "Create, list and revoke platforms' API tokens."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser("create", help="Create a token and print it, once.")
        create.add_argument("--platform", required=True, help="The platform's slug, e.g. weibo.")
        create.add_argument("--name", required=True, help="What the token is for, e.g. 'moderation, production'.")
        create.add_argument("--scopes", required=True,
                            help=f"Comma-separated, any of: {', '.join(ApiScope.values)}.")
        create.add_argument("--expires-days", type=int, default=services.DEFAULT_LIFETIME.days,
                            help="Days until the token expires (default %(default)s).")
        listing = actions.add_parser("list", help="List tokens (never the tokens themselves).")
        listing.add_argument("--platform", help="Only this platform's tokens.")
        revoke = actions.add_parser("revoke", help="Revoke a token for good.")
        revoke.add_argument("key_id", help="The token's key id, as `list` shows it.")

    def handle(self, *args, **options):
        return getattr(self, f"_{options['action']}")(options)

    def _platform(self, slug: str) -> Platform:
        platform = Platform.objects.filter(slug=slug).first()
        if platform is None:
            known = ", ".join(Platform.objects.order_by("slug").values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No platform with the slug {slug!r}. Known platforms: {known}.")
        return platform

    def _create(self, options) -> None:
        platform = self._platform(options["platform"])
        if options["expires_days"] < 1:
            raise CommandError("--expires-days must be 1 or more.")
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        try:
            token, plaintext = services.api_token_create(
                platform=platform, name=options["name"], scopes=scopes, by=None, system=True,
                expires_at=timezone.now() + timedelta(days=options["expires_days"]),
            )
        except ApplicationError as exc:
            raise _refused(exc) from None
        self.stderr.write(
            f"Token {token.key_id} for {platform.slug} ({token.name}), scopes {', '.join(token.scopes)}, "
            f"expires {_when(token.expires_at)}. It is shown this once; only its SHA-256 is kept."
        )
        self.stdout.write(plaintext)

    def _list(self, options) -> None:
        tokens = ApiToken.objects.select_related("platform").order_by("platform__slug", "-created_at")
        if options["platform"]:
            tokens = tokens.filter(platform=self._platform(options["platform"]))
        now = timezone.now()
        rows = [("KEY ID", "PLATFORM", "NAME", "SCOPES", "EXPIRES", "STATE", "LAST USED")]
        for token in tokens:
            if token.revoked_at is not None:
                state = f"revoked {_when(token.revoked_at)}"
            elif token.expires_at <= now:
                state = "expired"
            else:
                state = "active"
            rows.append((token.key_id, token.platform.slug, token.name, ",".join(token.scopes),
                         _when(token.expires_at), state, _when(token.last_used_at)))
        if len(rows) == 1:
            self.stdout.write("No tokens.")
            return
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())

    def _revoke(self, options) -> None:
        token = ApiToken.objects.select_related("platform").filter(key_id=options["key_id"]).first()
        if token is None:
            raise CommandError(f"No token with the key id {options['key_id']!r}.")
        if token.revoked_at is not None:
            self.stdout.write(f"Token {token.key_id} ({token.platform.slug}) was already revoked "
                              f"on {_when(token.revoked_at)}.")
            return
        services.api_token_revoke(token=token, by=None, system=True)
        self.stdout.write(f"Revoked token {token.key_id} ({token.platform.slug}: {token.name}).")

"""Who is calling: a platform, identified by the bearer token it presents."""

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

REALM = "rumorcases"


class PlatformClient:
    """`request.user` for a platform's call. Not a staff user: it holds no permission, so
    handing it to a staff service by mistake is refused, never obeyed."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, platform):
        self.platform = platform

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def get_username(self) -> str:
        return f"platform:{self.platform.slug}"

    def __str__(self) -> str:
        return self.get_username()


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` (RFC 6750). `request.auth` is the `ApiToken`.

    No header, or another scheme: not authenticated (401). A bearer token that is unknown,
    expired, revoked or belongs to a deactivated platform: 401 as well, with one message for
    all, so the answer tells nothing about tokens the caller does not hold.
    """

    keyword = b"bearer"

    def authenticate(self, request):
        # Imported here: DRF loads this class while `core.exceptions` is still being imported.
        from rumorcases.platforms.services import api_token_authenticate

        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as `Authorization: Bearer <token>`."))
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is unknown, expired or revoked.")) from None
        token = api_token_authenticate(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is unknown, expired or revoked."))
        return PlatformClient(token.platform), token

    def authenticate_header(self, request):
        presented = authentication.get_authorization_header(request).split()
        if presented and presented[0].lower() == self.keyword:
            return f'Bearer realm="{REALM}", error="invalid_token"'
        return f'Bearer realm="{REALM}"'

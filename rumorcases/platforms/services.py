"""Platforms' API credentials."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rumorcases.core.audit import audit_record
from rumorcases.core.exceptions import INVALID, NOT_YOUR_ROLE, ApplicationError
from rumorcases.platforms.models import ApiScope, ApiToken, Platform

TOKEN_PREFIX = "rcp"  # noqa: S105 - the public prefix of every token, not a secret
DEFAULT_LIFETIME = timedelta(days=365)
# last_used_at is written at most this often, so a busy token does not turn every request into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _require_manager(by) -> None:
    if by is None or not by.is_authenticated or not by.has_perm("platforms.add_apitoken"):
        raise ApplicationError(NOT_YOUR_ROLE, _("Your role may not manage API tokens."), status_code=403)


@transaction.atomic
def api_token_create(*, platform: Platform, name: str, scopes: list[str], by, expires_at=None,
                     system: bool = False) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the token text, which is never retrievable again."""
    if not system:
        _require_manager(by)
    errors = {}
    if not (name or "").strip():
        errors["name"] = [_("This field is required.")]
    unknown = sorted(set(scopes or []) - set(ApiScope.values))
    if not scopes or unknown:
        errors["scopes"] = [_("Choose one or more of: %(scopes)s") % {"scopes": ", ".join(ApiScope.values)}]
    expires_at = expires_at or timezone.now() + DEFAULT_LIFETIME
    if timezone.is_naive(expires_at) or expires_at <= timezone.now():
        errors["expires_at"] = [_("An expiry in the future is required.")]
    if errors:
        raise ApplicationError(INVALID, _("Some fields are not valid."), fields=errors)
    key_id = secrets.token_hex(6)
    plaintext = f"{TOKEN_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(platform=platform, name=name.strip(), key_id=key_id,
                                    token_sha256=_digest(plaintext), scopes=sorted(set(scopes)),
                                    created_by=by if by is not None and by.is_authenticated else None,
                                    expires_at=expires_at)
    audit_record(actor=by, action="api_token.created", obj=token,
                 data={"platform": platform.slug, "key_id": key_id, "scopes": token.scopes,
                       "expires_at": expires_at.isoformat()})
    return token, plaintext


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by, system: bool = False) -> ApiToken:
    """Revoke a token for good. `system`: the office's own tooling (the management command), no user."""
    if not system:
        _require_manager(by)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=by, action="api_token.revoked", obj=token, data={"key_id": token.key_id})
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The usable token matching `raw`, or None. One indexed read; a write at most once a minute."""
    parts = (raw or "").split("_", 2)  # the secret part may itself contain "_"
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or len(parts[1]) > 16:
        return None
    token = ApiToken.objects.select_related("platform").filter(key_id=parts[1]).first()
    if token is None or not hmac.compare_digest(token.token_sha256, _digest(raw)):
        return None
    now = timezone.now()
    if not token.is_usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token

"""What a platform's token may do: each endpoint names the scope each method needs."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions

from rumorcases.api.authentication import REALM


class InsufficientScope(exceptions.PermissionDenied):
    default_code = "insufficient_scope"

    def __init__(self, scope: str):
        super().__init__(_("This token lacks the scope %(scope)s.") % {"scope": scope}, code="insufficient_scope")
        # RFC 6750: the 403 names the scope that would have been enough.
        self.auth_header = f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'


class TokenHasScope(permissions.BasePermission):
    """A platform token holding the scope `view.required_scopes[method]` (HEAD as GET).

    A method the view does not list needs no scope: the view answers 405 for it.
    """

    def has_permission(self, request, view) -> bool:
        token = request.auth  # the ApiToken, or None
        if token is None:
            return False  # DRF answers 401: no credentials were accepted
        required = getattr(view, "required_scopes", {})
        scope = required.get("GET" if request.method == "HEAD" else request.method)
        if scope is not None and scope not in token.scopes:
            raise InsufficientScope(scope)
        return True

"""The project's one exception type and the API's error shape.

Services raise `ApplicationError` for every broken rule; interfaces (API views,
staff views, admin actions) turn it into an answer. The JSON shape is
`{"code": ..., "message": ..., "fields": {...}}` everywhere.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """A business rule said no. `code` is stable for clients; `message` is for people."""

    status_code = 422

    def __init__(self, code: str, message: str, *, fields: dict | None = None, status_code: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}


# Codes used across the services; keep them stable, clients branch on them.
TRANSITION_NOT_ALLOWED = "transition_not_allowed"
GUARD_FAILED = "guard_failed"
NOT_YOUR_ROLE = "not_your_role"
FOUR_EYES = "four_eyes"
CHANGED_MEANWHILE = "changed_meanwhile"
REASON_REQUIRED = "reason_required"
INVALID = "invalid"
EVIDENCE_TOO_LARGE = "evidence_too_large"
EVIDENCE_TYPE_FORBIDDEN = "evidence_type_forbidden"


def flatten_field_errors(detail) -> dict[str, list[str]]:
    """Nested field errors (DRF's shape) as one level of dotted names, the shape the services
    use: `{"author": {"account_id": [...]}, "evidence_urls": {3: [...]}}` becomes
    `{"author.account_id": [...], "evidence_urls.3": [...]}`."""
    flat: dict[str, list[str]] = {}

    def walk(value, name: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if not name:
                    walk(inner, str(key))
                elif key == "non_field_errors":  # a nested object's own error belongs to the object
                    walk(inner, name)
                else:
                    walk(inner, f"{name}.{key}")
        elif isinstance(value, list) and any(isinstance(inner, dict | list) for inner in value):
            for index, inner in enumerate(value):
                if inner:  # a list serializer answers {} for its valid entries
                    walk(inner, f"{name}.{index}" if name else str(index))
        else:
            messages = value if isinstance(value, list) else [value]
            flat.setdefault(name or "non_field_errors", []).extend(str(message) for message in messages)

    walk(detail, "")
    return flat


def _error(code: str, message: str, http_status: int, fields: dict | None = None) -> Response:
    return Response({"code": code, "message": str(message), "fields": fields or {}}, status=http_status)


def api_exception_handler(exc, context):
    """DRF exception handler: every error the API returns has the same JSON shape."""
    if isinstance(exc, ApplicationError):
        http_status = status.HTTP_409_CONFLICT if exc.code == CHANGED_MEANWHILE else exc.status_code
        return _error(exc.code, exc.message, http_status, exc.fields)
    if isinstance(exc, ConcurrentTransition):
        return _error(CHANGED_MEANWHILE, _("The case changed meanwhile; reload and try again."), 409)
    if isinstance(exc, TransitionNotAllowed):
        return _error(TRANSITION_NOT_ALLOWED, str(exc), 409)
    if isinstance(exc, Http404):
        return _error("not_found", _("Not found."), 404)
    if isinstance(exc, PermissionDenied):
        return _error("permission_denied", _("You may not do this."), 403)
    if isinstance(exc, drf_exceptions.ValidationError):
        return _error(INVALID, _("The request is not valid."), 422, flatten_field_errors(exc.detail))
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, drf_exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        response.data = {"code": code, "message": str(exc.detail), "fields": {}}
    return response

"""JSON in, JSON out, and nothing bigger than the endpoint's cap.

Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` guards `request.body`, which DRF's JSON parsing never
reads, so the cap is enforced here: by `Content-Length` before reading, and again while reading.
"""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework import exceptions, renderers
from rest_framework.parsers import BaseParser


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"
    default_detail = _lazy("The request body is too large.")


def body_cap(view) -> int:
    """The largest body `view` accepts, in bytes: its `max_body_setting`, or API_MAX_BODY_BYTES."""
    return getattr(settings, getattr(view, "max_body_setting", "API_MAX_BODY_BYTES"))


def _too_large(cap: int) -> str:
    return _("The request body is larger than this endpoint's limit of %(cap)s bytes.") % {"cap": cap}


def _no_constants(name):
    raise ValueError(f"{name} is not valid JSON")


class CappedJSONParser(BaseParser):
    """Parses a UTF-8 JSON body of at most `body_cap(view)` bytes.

    Over the cap: 413 `too_large`. Not JSON, not UTF-8, `NaN`/`Infinity`, absurd nesting or
    numbers: 400 `parse_error`.
    """

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        context = parser_context or {}
        cap = body_cap(context.get("view"))
        request = context.get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > cap:
            raise PayloadTooLarge(_too_large(cap))
        raw = stream.read(cap + 1)
        if len(raw) > cap:
            raise PayloadTooLarge(_too_large(cap))
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
        except UnicodeDecodeError:
            raise exceptions.ParseError(_("The request body is not UTF-8.")) from None
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(_("The request body is not valid JSON: %(error)s") % {"error": exc}) from None


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer (UTF-8, readable Chinese), that never fails on text it echoes back:
    a lone surrogate from the request is written as a `\\ud800` escape instead."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True
            return super().render(data, accepted_media_type, renderer_context)

"""Cursor pagination: stable under inserts, one query per page, tamper-proof cursors."""

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    cursor_query_description = "The `next` or `previous` link of the page before, as given; never built by hand."
    page_size_query_description = "Items per page, 1 to 500 (default 100)."

    def get_page_size(self, request) -> int:
        """`page_size` as sent, from 1 to `max_page_size`. Anything else is refused (422) rather
        than silently read as the default or the maximum, so that a client's bug shows at once."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # The length is checked first: int() of a very long string of digits is slow, then refused.
        if not (len(raw) <= 4 and raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise exceptions.ValidationError(
                {"page_size": [_("A whole number from 1 to %(max)s.") % {"max": self.max_page_size}]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        invalid = exceptions.ValidationError({"cursor": ["Invalid cursor; use the next or previous link as given."]})
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise invalid from None
        if cursor is not None and cursor.position is not None and not self._is_valid_position(cursor.position):
            raise invalid
        return cursor

    def _is_valid_position(self, position: str) -> bool:
        """The position goes into a query: it must be a value of the ordering's first field."""
        field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
        if isinstance(field, models.DateTimeField):
            try:
                value = parse_datetime(position)
            except ValueError:
                return False
            return value is not None and not timezone.is_naive(value)
        return position.isascii() and position.isdigit() and int(position) < 2**63


class ReportPagination(ApiCursorPagination):
    ordering = "-id"  # newest first; ids never change, so pages never skip or repeat


class OrderPagination(ApiCursorPagination):
    ordering = ("due_at", "id")  # the most urgent first

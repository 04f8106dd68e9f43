"""Serializer fields that take JSON as it is: a string must be a string, a number a number.

DRF's own fields coerce (`"12"` → 12, `1` → "1", `"yes"` → True); the platform API answers
a wrong type with 422 instead, so a client's bug shows at once.
"""

from datetime import UTC, datetime, timedelta

from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

BIGINT_MAX = 2**63 - 1  # the columns' range (PostgreSQL bigint)
# Platforms' clocks run a little ahead of ours now and then; a posted_at this far in the future passes.
CLOCK_SKEW = timedelta(minutes=5)
# Nothing the office handles was posted before this; earlier dates are typing errors.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


class StrictCharField(serializers.CharField):
    """A JSON string only. Whitespace is kept as sent (it is part of what was posted)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if not self.allow_blank and not data.strip():
            self.fail("blank")
        return super().to_internal_value(data)


class StrictRegexField(serializers.RegexField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=str(data)[:100])
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer (not `true`, not `1.0`, not `"1"`), within the database's range."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """`true` or `false`, nothing else."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=str(data)[:100])
        return data


class StrictURLField(StrictCharField):
    """An http(s) URL of at most `max_length` characters."""

    default_error_messages = {"invalid": _("Enter a valid http(s) URL.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 1000)
        super().__init__(**kwargs)
        self.validators.append(URLValidator(schemes=["http", "https"], message=self.error_messages["invalid"]))


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """An ISO 8601 date and time with a UTC offset (`2026-05-01T08:30:00+08:00`, or `Z`).

    Without an offset the moment is ambiguous, so it is refused rather than guessed.
    `past_only`: not later than now plus `CLOCK_SKEW`. Always from 1990 on.
    """

    default_error_messages = {
        "invalid": _("Enter an ISO 8601 date and time, e.g. 2026-05-01T08:30:00+08:00."),
        "naive": _("Include a UTC offset, e.g. 2026-05-01T08:30:00+08:00 or 2026-05-01T00:30:00Z."),
        "future": _("This lies in the future."),
        "too_early": _("This lies before 1990."),
    }

    def __init__(self, *, past_only: bool = True, **kwargs):
        self.past_only = past_only
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 64:
            self.fail("invalid")
        try:
            value = parse_datetime(data.strip().upper())
        except (ValueError, OverflowError):
            value = None
        if value is None:
            self.fail("invalid")
        if timezone.is_naive(value):
            self.fail("naive")
        try:
            if value < EARLIEST:
                self.fail("too_early")
            if self.past_only and value > timezone.now() + CLOCK_SKEW:
                self.fail("future")
            return value.astimezone(UTC)
        except OverflowError:
            self.fail("invalid")

    def to_representation(self, value):
        return value.isoformat() if value is not None else None

"""Requests per platform token, counted in the default cache.

With `REDIS_URL` set the cache is Redis, shared by every gunicorn worker and host, so the
limit holds for the whole deployment; the counter is one atomic increment per request.
"""

import math
import re
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
            "d": 86400, "day": 86400}
RATE_FORMAT = re.compile(rf"^(\d+)/({'|'.join(_PERIODS)})$")


def parse_rate(rate: str) -> tuple[int, int]:
    """`"600/min"` → (600, 60): requests allowed, window in seconds."""
    match = RATE_FORMAT.match(rate)
    if match is None:
        raise ValueError(f"Not a rate: {rate!r} (expected e.g. 600/min)")
    return int(match.group(1)), _PERIODS[match.group(2)]


class PlatformTokenThrottle(BaseThrottle):
    """At most `settings.API_RATE` requests per token per window (fixed windows).

    Keyed by the token's `key_id`; requests without a token are not counted here (they
    are refused before throttling, or are the public schema and docs).
    """

    def allow_request(self, request, view) -> bool:
        token = request.auth  # the ApiToken, or None
        if token is None:
            return True
        allowed, window = parse_rate(settings.API_RATE)
        now = time.time()
        start = now // window * window
        key = f"api-rate:{token.key_id}:{window}:{int(start)}"
        cache.add(key, 0, timeout=window + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 5)
            count = 1
        self._wait = start + window - now
        return count <= allowed

    def wait(self) -> int:
        return max(1, math.ceil(self._wait))

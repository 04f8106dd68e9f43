"""Rendered public pages, kept in the default cache (Redis with REDIS_URL, else local memory).

A page's key holds a version token, the language, the host, the path and the query parameters
the view reads. Beside the page the entry keeps its *stamp*: a few columns read with one cheap
query (the notice's status and current version, the newest publication date of a list...).

- `public_pages_changed()` replaces the version token: every cached page is forgotten at once.
  Services call it on commit after publishing, correcting or withdrawing. With Redis that
  reaches every worker on every host immediately.
- A local-memory cache is one per process, so a call in one gunicorn worker does not reach the
  others; there the stamp does. A page younger than PUBLIC_PAGE_RECHECK_SECONDS is served
  straight from the cache (no query at all: what keeps a rush of readers cheap); an older one
  is served once its stamp, read again, is unchanged, and rendered afresh otherwise. The stamp
  also catches changes made where nobody called `public_pages_changed()` (the admin, a shell).

The ETag is the SHA-256 of the body, so it is strong; Last-Modified comes from the stamp's
dates. A conditional request is answered 304 from the cache without rendering anything.
"""

import hashlib
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

VERSION_KEY = "public:pages:version"
# Only these answers are kept: a page, or a withdrawn notice's statement.
CACHED_STATUSES = (200, 410)
# Headers a cached answer carries back (the middleware adds the rest on every answer).
_SKIP_HEADERS = {"content-type", "content-length", "etag", "last-modified", "cache-control", "vary", "expires"}


def public_pages_changed() -> None:
    """Forget every cached public page. Call it (on commit) after publishing, correcting or
    withdrawing a notice, publishing a bulletin, or any change the public pages show."""
    cache.set(VERSION_KEY, uuid.uuid4().hex[:16], None)


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        # Random, not 1: another process (or an earlier test) may hold pages under an old token.
        cache.add(VERSION_KEY, uuid.uuid4().hex[:16], None)
        version = cache.get(VERSION_KEY) or ""
    return version


def _key(request: HttpRequest, name: str, params: tuple[str, ...]) -> str:
    query = [(p, request.GET.get(p, "")) for p in params]
    # The Host header as sent: CommonMiddleware has already checked it against ALLOWED_HOSTS.
    raw = repr((request.scheme, request.META.get("HTTP_HOST", ""), request.path, query))
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]
    return f"public:page:{_version()}:{translation.get_language()}:{name}:{digest}"


def _latest(dates) -> datetime | None:
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def cached_public_page(stamp: Callable, *, name: str, params: tuple[str, ...] = ()):
    """Serve the view from the cache with ETag, Last-Modified and public caching headers.

    `stamp(request, **kwargs)` returns `(stamp, dates)`: anything whose change must change the
    page, and the dates the page was last changed among (None allowed); it raises Http404 for
    what the public may not see. A cached page younger than PUBLIC_PAGE_RECHECK_SECONDS is
    served without asking (no query at all); an older one is served after its stamp is read
    again and found unchanged. `params` are the query parameters the view reads."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            key = _key(request, name, params)
            entry = cache.get(key)
            now = time.time()
            if entry is not None and now - entry["checked"] < settings.PUBLIC_PAGE_RECHECK_SECONDS:
                return _answer(request, entry)
            value, dates = stamp(request, **kwargs)
            if entry is not None and entry["stamp"] == value:
                entry["checked"] = now
                cache.set(key, entry, settings.PUBLIC_PAGE_CACHE_SECONDS)
                return _answer(request, entry)
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            if response.status_code not in CACHED_STATUSES or response.streaming or response.cookies:
                return response
            last_modified = _latest(dates)
            body = response.content
            entry = {
                "stamp": value,
                "checked": now,
                "body": body,
                "status": response.status_code,
                "content_type": response["Content-Type"],
                "headers": [(k, v) for k, v in response.items() if k.lower() not in _SKIP_HEADERS],
                "etag": f'"{hashlib.sha256(body).hexdigest()}"',
                "last_modified": int(last_modified.timestamp()) if last_modified else None,
            }
            entry["last_modified_http"] = http_date(entry["last_modified"]) if last_modified else None
            cache.set(key, entry, settings.PUBLIC_PAGE_CACHE_SECONDS)
            return _answer(request, entry)

        return wrapper

    return decorator


def _answer(request: HttpRequest, entry: dict) -> HttpResponse:
    """The cached page as a response. The hot path of a rush of readers: headers are set as
    plain strings, and the conditional-request machinery runs only for conditional requests."""
    response = HttpResponse(entry["body"], status=entry["status"], content_type=entry["content_type"])
    headers = response.headers
    for header, value in entry["headers"]:
        headers[header] = value
    headers["ETag"] = entry["etag"]
    if entry["last_modified_http"] is not None:
        headers["Last-Modified"] = entry["last_modified_http"]
    headers["Cache-Control"] = f"public, max-age={settings.PUBLIC_PAGE_MAX_AGE}"
    # The language comes from the Accept-Language header or the language cookie.
    headers["Vary"] = "Accept-Language, Cookie"
    if "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META:
        return get_conditional_response(request, etag=entry["etag"], last_modified=entry["last_modified"],
                                        response=response)
    return response

"""The only way WeasyPrint reaches anything while rendering an official document.

The office network is closed and a document must not depend on, or reveal itself to, any
server: every network URL is refused before any connection is attempted (so no redirect can
ever be followed), and a file is read only when its real path, symlinks resolved, lies inside
the project's own static folder (`BASE_DIR/static`). `data:` URLs are refused too: the
templates do not need them. Fonts do not pass through here: WeasyPrint finds Noto Sans CJK
through fontconfig.
"""

import mimetypes
import os
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.conf import settings
from weasyprint.urls import URLFetcher, URLFetcherResponse


class ResourceRefused(ValueError):  # noqa: N818 (a refusal, not a bug)
    """A document asked for something outside the project's static files."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"refused to fetch {url[:200]!r}: {reason}")
        self.url = url
        self.reason = reason


def static_root() -> Path:
    """The one folder documents may read from, symlinks resolved."""
    return Path(os.path.realpath(Path(settings.BASE_DIR) / "static"))


def static_url_prefix() -> str:
    """STATIC_URL as an absolute path: "/static/"."""
    return "/" + settings.STATIC_URL.strip("/") + "/"


def resolve_static(path: str, url: str) -> Path:
    """The real file behind `path` (a file-system path), if it lies inside the static folder."""
    root = static_root()
    # normpath first so "a/../../x" cannot climb out before the check; realpath then follows
    # symlinks, so a link inside static/ pointing elsewhere is judged by where it points.
    candidate = Path(os.path.realpath(posixpath.normpath(path)))
    if candidate != root and root not in candidate.parents:
        raise ResourceRefused(url, "outside the project's static files")
    if not candidate.is_file():
        raise ResourceRefused(url, "no such static file")
    return candidate


def resolve(url: str) -> Path:
    """Where `url` may be read from, or `ResourceRefused`. Accepts `file:` URLs and paths under
    STATIC_URL ("/static/documents/print.css"); nothing else."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ResourceRefused(url, "file URLs on another host are refused")
        return resolve_static(url2pathname(unquote(parts.path)), url)
    if scheme:
        raise ResourceRefused(url, f"the {scheme}: scheme is refused (no network, no data: URLs)")
    if parts.netloc:  # "//host/path"
        raise ResourceRefused(url, "network URLs are refused")
    path = posixpath.normpath(unquote(parts.path))
    prefix = static_url_prefix()
    if not path.startswith(prefix):
        raise ResourceRefused(url, "only the project's static files may be used")
    return resolve_static(str(static_root() / path[len(prefix):]), url)


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves the project's static files and refuses the rest.

    Built with `fail_on_errors=True`: a refusal stops the rendering (WeasyPrint raises
    `FatalURLFetchingError` from the `ResourceRefused`), so a document is never issued with a
    piece silently missing.
    """

    def __init__(self):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
        self.fetched: list[str] = []

    def fetch(self, url, headers=None):
        path = resolve(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        body = path.read_bytes()
        self.fetched.append(url)
        return URLFetcherResponse(path.as_uri(), body, {"Content-Type": content_type})

    def open(self, url, data=None, timeout=None):
        # Never urllib's opener: everything goes through `fetch` and its checks.
        return self.fetch(getattr(url, "full_url", url))

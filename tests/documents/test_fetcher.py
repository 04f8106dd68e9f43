"""The URL fetcher: the project's static files and nothing else, no network ever (so no redirect
can be followed), no file outside static/, however the path is spelt."""

import http.server
import os
import threading
from pathlib import Path

import pytest
from django.conf import settings

from rumorcases.documents import rendering
from rumorcases.documents.fetcher import ResourceRefused, StaticOnlyFetcher, resolve, static_root

STATIC = Path(settings.BASE_DIR) / "static"


@pytest.fixture
def redirecting_server():
    """A local server answering every request with a 302 to /etc/passwd, counting what it received."""
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            received.append(self.path)
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def test_it_serves_the_print_stylesheet_by_file_url_and_by_static_path():
    fetcher = StaticOnlyFetcher()
    for url in ((STATIC / "documents" / "print.css").as_uri(), "/static/documents/print.css"):
        response = fetcher(url)
        assert b"@page" in response.read()
        assert response.content_type == "text/css"
        response.close()


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    "file://otherhost/etc/passwd",
    "/etc/passwd",
    "/static/../rumorcases/settings.py",
    "/static/%2e%2e/rumorcases/settings.py",
    "/static/documents/../../manage.py",
    "/static/..%2f..%2fetc/passwd",
    "/static-evil/x.css",
    "file://" + str(STATIC) + "/../rumorcases/settings.py",
    "file://" + str(STATIC) + "/%2e%2e/manage.py",
    "file://" + str(STATIC) + "-other/x.css",
    "http://127.0.0.1/static/documents/print.css",
    "https://example.com/font.woff2",
    "//127.0.0.1/static/documents/print.css",
    "ftp://127.0.0.1/x",
    "data:text/css,body{color:red}",
    "javascript:alert(1)",
    "documents/print.css",  # relative: WeasyPrint resolves against the base before asking
])
def test_it_refuses_anything_else(url):
    with pytest.raises(ResourceRefused):
        StaticOnlyFetcher()(url)


def test_a_missing_static_file_is_refused_too():
    with pytest.raises(ResourceRefused, match="no such static file"):
        resolve("/static/documents/no-such.css")


def test_an_http_url_is_refused_before_any_request_so_no_redirect_is_followed(redirecting_server):
    base, received = redirecting_server
    with pytest.raises(ResourceRefused, match="scheme is refused"):
        StaticOnlyFetcher()(f"{base}/print.css")
    assert received == []


def test_the_renderer_stops_on_a_refused_url_and_the_server_hears_nothing(redirecting_server):
    base, received = redirecting_server
    html = (f'<html><head><link rel="stylesheet" href="{base}/x.css"></head>'
            f'<body><img src="{base}/a.png">文</body></html>')
    with pytest.raises(ResourceRefused) as refused:
        rendering.render_pdf(html)
    assert refused.value.url.startswith(base)
    assert received == []


def test_the_renderer_refuses_local_files():
    with pytest.raises(ResourceRefused):
        rendering.render_pdf('<html><body><img src="file:///etc/passwd"></body></html>')
    with pytest.raises(ResourceRefused):
        rendering.render_pdf('<html><body><img src="../rumorcases/settings.py"></body></html>')


def test_a_symlink_out_of_static_is_refused(settings, tmp_path):
    outside = tmp_path / "secret.css"
    outside.write_text("body { color: red }")
    (tmp_path / "project" / "static").mkdir(parents=True)
    (tmp_path / "project" / "static" / "ok.css").write_text("p { color: black }")
    os.symlink(outside, tmp_path / "project" / "static" / "link.css")
    settings.BASE_DIR = tmp_path / "project"
    assert static_root() == (tmp_path / "project" / "static").resolve()
    assert resolve("/static/ok.css").name == "ok.css"
    with pytest.raises(ResourceRefused, match="outside"):
        resolve("/static/link.css")
    with pytest.raises(ResourceRefused, match="outside"):
        resolve((tmp_path / "project" / "static" / "link.css").as_uri())

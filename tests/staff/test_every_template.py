"""Every staff and public template renders, in Chinese and in English.

A signed-in supervisor (who sees every button) walks the whole UI over the demo data by
following links from My work, as a person would; then the few templates only a form submission
shows are asked for directly. Every page must answer without a server error, and every template
under templates/staff and templates/public must have been rendered at least once.
"""

from collections import Counter
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.signals import template_rendered
from django.urls import reverse

from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin
from rumorcases.core import demo
from rumorcases.documents.services import document_render_bulletin, document_render_notice
from rumorcases.notices.choices import NoticeStatus
from rumorcases.notices.models import DebunkNotice
from rumorcases.notices.selectors import notice_public_path
from rumorcases.notices.services import notice_withdraw

TEMPLATE_ROOT = Path(settings.BASE_DIR) / "templates"
AREAS = ["staff", "public", "documents"]
# The same page with other filters or another page number adds nothing after a few.
MAX_QUERY_VARIANTS = 3
MAX_PAGES = 600


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def _all_templates() -> set[str]:
    found = set()
    for area in AREAS:
        for path in (TEMPLATE_ROOT / area).rglob("*.html"):
            found.add(str(path.relative_to(TEMPLATE_ROOT)))
    return found


@pytest.fixture
def demo_data(db, settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True  # the demo refuses to run without it
    with django_capture_on_commit_callbacks(execute=True):
        demo.demo_load()


@contextmanager
def _recording():
    """Collects the names of the templates rendered inside the block."""
    rendered: set[str] = set()

    def record(sender, template, context, **kwargs):
        if template.name:
            rendered.add(template.name)

    template_rendered.connect(record)
    try:
        yield rendered
    finally:
        template_rendered.disconnect(record)


def _walk(client: Client) -> tuple[set[str], list[str]]:
    """Follow every staff and public link from My work and from the public home page; the
    templates rendered, and the pages that answered with an error."""
    problems: list[str] = []
    queue = ["/staff/", "/"]
    seen: set[str] = set()
    variants: Counter = Counter()
    with _recording() as rendered:
        while queue and len(seen) < MAX_PAGES:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            if response.status_code >= 400:  # a link the supervisor is shown must work for them
                problems.append(f"{url}: {response.status_code}")
                continue
            if "text/html" not in response.get("Content-Type", ""):
                continue
            parser = _Links()
            parser.feed(response.content.decode())
            for href in parser.links:
                href, _fragment = urldefrag(href)
                parts = urlsplit(href)
                public = parts.path == "/" or parts.path.startswith(("/notices/", "/bulletins/", "/search/"))
                if parts.scheme or parts.netloc or not (public or parts.path.startswith("/staff/")):
                    continue
                if href in seen or href in queue:
                    continue
                if parts.query:
                    variants[parts.path] += 1
                    if variants[parts.path] > MAX_QUERY_VARIANTS:
                        continue
                queue.append(href)
    return rendered, problems


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_template_renders(language, demo_data, settings):
    settings.LANGUAGE_CODE = language
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    rendered = _signed_out_pages(client, settings)

    client.force_login(get_user_model().objects.get(username="supervisor"))
    walked, problems = _walk(client)
    assert not problems, problems

    missing = sorted(_all_templates() - rendered - walked - _rendered_by_forms(client, language))
    assert not missing, f"never rendered in {language}: {missing}"
    assert rendered & {"staff/base.html"}


def _signed_out_pages(client: Client, settings) -> set[str]:
    """The sign-in page, and the lockout page after too many failures."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 1
    with _recording() as rendered:
        assert client.get("/staff/login/").status_code == 200
        client.post("/staff/login/", {"username": "intake", "password": "wrong"})
        assert client.post("/staff/login/", {"username": "intake", "password": "wrong"}).status_code == 429
    settings.AXES_ENABLED = False
    return rendered


def _rendered_by_forms(client: Client, language: str) -> set[str]:
    """Templates no link leads to: a live preview (htmx POST), a version diff (a GET form), the
    official documents (rendered to PDF on publish, before the walk), and the public page of a
    withdrawn notice."""
    notice = DebunkNotice.objects.filter(status=NoticeStatus.PUBLISHED).select_related("case").first()
    case = notice.case
    with _recording() as rendered:
        preview = client.post(reverse("staff:notice_preview", args=[case.reference]),
                              {"title": "标题", "claim": "说法", "verdict": "false", "body": "<b>正文</b>"})
        assert preview.status_code == 200
        diff = client.get(reverse("staff:notice_diff", args=[case.reference, notice.pk]))
        assert diff.status_code == 200
        assert document_render_notice(notice=notice, force=True) is not None
        bulletin = Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).first()
        assert document_render_bulletin(bulletin=bulletin, force=True) is not None
        notice_withdraw(notice=notice, by=get_user_model().objects.get(username="supervisor"),
                        statement="该通报已撤回。")
        assert client.get(notice_public_path(notice)).status_code == 410
    return rendered

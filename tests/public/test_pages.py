"""Every public page and feed renders for the demo data, and nothing unpublished or internal
ever appears in them."""

import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 (our own feeds, not untrusted input)

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin
from rumorcases.cases.models import Case, CaseComment, CaseParty, EvidenceItem
from rumorcases.disposal.models import Subject
from rumorcases.notices.choices import NoticeStatus
from rumorcases.notices.models import DebunkNotice, NoticeReview
from rumorcases.notices.selectors import notice_public_path
from rumorcases.notices.services import notice_withdraw

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def parse(xml: str) -> ET.Element:
    return ET.fromstring(xml.encode())  # noqa: S314 (the site's own output)


def bulletin_path(bulletin, name="public:bulletin"):
    return reverse(name, kwargs={"year": bulletin.year, "issue": bulletin.issue_number})


def every_public_page(client) -> dict[str, str]:
    """Path → body of every public page, feed and file, following the site's own lists."""
    pages = {}

    def get(path, status=200):
        response = client.get(path)
        assert response.status_code == status, path
        pages[path] = response.content.decode()
        return response

    for path in ("/", "/search/", "/search/?q=谣言", "/bulletins/", "/feeds/notices.atom", "/feeds/bulletins.atom",
                 "/sitemap.xml", "/robots.txt"):
        get(path)
    for notice in DebunkNotice.objects.filter(status=NoticeStatus.PUBLISHED):
        get(notice_public_path(notice))
    for bulletin in Bulletin.objects.filter(status=BulletinStatus.PUBLISHED):
        get(bulletin_path(bulletin))
        get(bulletin_path(bulletin, "public:bulletin_accounts"))
    return pages


def secrets() -> list[str]:
    """Texts that must never reach the public: case parties, reviewers' and staff's words,
    unpublished notices and bulletins, evidence, subjects, staff names, case references."""
    found = []
    for party in CaseParty.objects.all():
        found += [party.name, party.contact, party.notes]
    found += [r.comments for r in NoticeReview.objects.all()]
    found += [c.body for c in CaseComment.objects.all()]
    hidden = DebunkNotice.objects.exclude(status__in=[NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN])
    published_titles = set(DebunkNotice.objects.filter(status=NoticeStatus.PUBLISHED)
                           .values_list("current_version__title", flat=True))
    found += [n.current_version.title for n in hidden if n.current_version.title not in published_titles]
    for bulletin in Bulletin.objects.exclude(status=BulletinStatus.PUBLISHED):
        found += [bulletin.title, bulletin.review_comments, *bulletin.entries.values_list("headline", flat=True)]
    found += [b.review_comments for b in Bulletin.objects.all()]
    for item in EvidenceItem.objects.all():
        found += [item.original_name, item.file.name, item.sha256, item.description]
    found += list(Subject.objects.values_list("name", flat=True))
    found += [u.get_full_name() for u in get_user_model().objects.all()]
    found += list(Case.objects.values_list("reference", flat=True))
    # The first draft of the beach notice named the girl's age; the published text does not.
    found.append("女童今年7岁")
    return [text for text in found if text and len(text.strip()) >= 2]


def test_every_public_page_renders_and_leaks_nothing(demo_data):
    client = Client()
    pages = every_public_page(client)
    published = DebunkNotice.objects.filter(status=NoticeStatus.PUBLISHED)
    bulletins = Bulletin.objects.filter(status=BulletinStatus.PUBLISHED)
    assert published.count() >= 5 and bulletins.count() >= 1
    assert Bulletin.objects.exclude(status=BulletinStatus.PUBLISHED).exists()  # the demo has a draft
    assert DebunkNotice.objects.exclude(status=NoticeStatus.PUBLISHED).exists()

    home = pages["/"]
    for notice in published.order_by("-published_at")[:8]:
        assert notice_public_path(notice) in home
    assert bulletin_path(bulletins.first()) in home
    assert 'action="/search/"' in home

    # The feeds are Atom with one entry per published notice / bulletin, linking to their pages.
    feed = parse(pages["/feeds/notices.atom"])
    assert feed.tag == f"{ATOM}feed"
    links = {e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")}
    assert {f"http://testserver{notice_public_path(n)}" for n in published} == links
    feed = parse(pages["/feeds/bulletins.atom"])
    links = {e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")}
    assert {f"http://testserver{bulletin_path(b)}" for b in bulletins} == links

    sitemap = parse(pages["/sitemap.xml"])
    locs = {u.findtext(f"{SITEMAP}loc") for u in sitemap.findall(f"{SITEMAP}url")}
    assert {f"http://testserver{notice_public_path(n)}" for n in published} <= locs
    assert {f"http://testserver{bulletin_path(b)}" for b in bulletins} <= locs
    assert "http://testserver/" in locs
    assert len(locs) == published.count() + bulletins.count() + 2
    assert "Sitemap: http://testserver/sitemap.xml" in pages["/robots.txt"]

    # Every published notice page carries its ClaimReview.
    for notice in published:
        html = pages[notice_public_path(notice)]
        assert notice.current_version.claim in html
        data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
        assert data["@type"] == "ClaimReview"

    # The bulletin: numbered issue, period, every entry; the accounts acted on by platform.
    bulletin = bulletins.first()
    html = pages[bulletin_path(bulletin)]
    for entry in bulletin.entries.all():
        assert entry.headline in html and entry.rumour_summary in html and entry.finding_summary in html
    assert bulletin.period_start.isoformat() in html and f"{bulletin.issue_number}" in html
    accounts = pages[bulletin_path(bulletin, "public:bulletin_accounts")]
    assert "@吃瓜前线_0417" in accounts and "新浪微博" in accounts

    hidden = secrets()
    assert {"林某某", "王某某", "陈某某", "reporter-0417@example.com", "警情通报.pdf"} <= set(hidden)
    assert "第一稿写了女童年龄，属可识别信息，请删去；其余同意。" in hidden
    leaks = [(secret, path) for secret in hidden for path, body in pages.items() if secret in body]
    assert not leaks, leaks

    # Nothing unpublished answers at all.
    for notice in DebunkNotice.objects.exclude(status__in=[NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN]):
        assert client.get(notice_public_path(notice)).status_code == 404

    # A withdrawal takes the notice off every list, and its page answers 410 with the statement.
    notice = published.order_by("-published_at").first()
    notice_withdraw(notice=notice, by=get_user_model().objects.get(username="supervisor"),
                    statement="该通报已撤回。")
    gone = client.get(notice_public_path(notice))
    assert gone.status_code == 410 and "该通报已撤回。" in gone.content.decode()
    assert notice.current_version.body not in gone.content.decode()
    for path in ("/", "/search/", "/feeds/notices.atom", "/sitemap.xml"):
        assert notice_public_path(notice) not in client.get(path).content.decode(), path


def test_the_english_pages_show_what_the_office_wrote_in_english(demo_data):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    pages = every_public_page(client)
    home = pages["/"]
    assert '<html lang="en">' in home and "Shanghai Internet Information Office" in home
    assert "False: &#x27;3 killed by lightning in a Pudong park&#x27;" in home  # title_en in the list
    bulletin = Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).first()
    html = pages[bulletin_path(bulletin)]
    assert bulletin.title_en in html and bulletin.title in html  # English first, the Chinese beside it
    assert "Weibo" in pages[bulletin_path(bulletin, "public:bulletin_accounts")]
    notice = DebunkNotice.objects.filter(status=NoticeStatus.PUBLISHED).exclude(current_version__body_en="").first()
    html = pages[notice_public_path(notice)]
    assert 'lang="en"' in html and notice.current_version.title in html
    leaks = [(secret, path) for secret in secrets() for path, body in pages.items() if secret in body]
    assert not leaks, leaks


@pytest.mark.parametrize("path", ["/bulletins/2020/1/", "/bulletins/2020/1/accounts/", "/search/x/", "/feeds/x.atom"])
def test_what_is_not_there_is_404(client, db, path):
    assert client.get(path).status_code == 404

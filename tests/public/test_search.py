"""'Is this a rumour?': search over the published notices only, escaped, paginated."""

import pytest

from rumorcases.notices import services as notices
from rumorcases.notices.selectors import notice_public_path
from rumorcases.public import views


@pytest.fixture
def two_published(build):
    return [build.disposing().notices.get(status="published") for _ in range(2)]


def test_it_finds_published_notices_by_title_claim_or_facts(client, two_published):
    first, second = two_published
    html = client.get("/search/", {"q": "第1号"}).content.decode()  # a claim of the builder's first case
    assert notice_public_path(first) in html and notice_public_path(second) not in html
    html = client.get("/search/", {"q": "经核实 不实"}).content.decode()  # every word, in the facts
    assert notice_public_path(first) in html and notice_public_path(second) in html
    html = client.get("/search/", {"q": "经核实 没有这句话"}).content.decode()
    assert notice_public_path(first) not in html and notice_public_path(second) not in html
    assert "关于网传谣言的辟谣" not in html


def test_unpublished_notices_are_never_found(client, build, cast, two_published):
    case = build.debunking()
    draft = notices.notice_create(case=case, by=cast.editor, title="草稿标题独有词", claim="草稿说法独有词",
                                  verdict="false", body="草稿正文独有词")
    html = client.get("/search/", {"q": "独有词"}).content.decode()
    assert notice_public_path(draft) not in html and "草稿标题独有词" not in html
    assert notice_public_path(draft) not in client.get("/search/").content.decode()


def test_the_query_is_escaped(client, two_published):
    html = client.get("/search/", {"q": '<script>alert("q")</script>'}).content.decode()
    assert '<script>alert("q")' not in html
    assert "&lt;script&gt;alert(&quot;q&quot;)&lt;/script&gt;" in html


def test_results_are_paginated(client, two_published, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 1)
    first_page = client.get("/search/", {"q": "不实"}).content.decode()
    second_page = client.get("/search/", {"q": "不实", "page": 2}).content.decode()
    newest, oldest = sorted(two_published, key=lambda n: n.published_at, reverse=True)
    assert notice_public_path(newest) in first_page and notice_public_path(oldest) not in first_page
    assert notice_public_path(oldest) in second_page
    assert 'href="?q=%E4%B8%8D%E5%AE%9E&amp;page=2"' in first_page

"""Cached public pages: strong ETag and Last-Modified with 304 answers, one query for a cached
page, and a fresh page as soon as anything public changes."""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.http import http_date

from rumorcases.bulletins import services as bulletins
from rumorcases.bulletins.models import BulletinEntry
from rumorcases.notices import services as notices
from rumorcases.notices.selectors import notice_public_path
from rumorcases.public.cache import VERSION_KEY, public_pages_changed


@pytest.fixture
def published(build):
    return build.disposing().notices.get(status="published")


def test_a_page_carries_its_caching_headers(client, published):
    response = client.get(notice_public_path(published))
    etag = response["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/") and len(etag) == 66  # strong: SHA-256 of the body
    assert response["Last-Modified"] == http_date(published.published_at.timestamp())
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=60"}
    vary = {v.strip() for v in response["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary


def test_it_answers_304_to_a_matching_etag_or_date(client, published):
    path = notice_public_path(published)
    first = client.get(path)
    again = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    assert client.get(path, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200
    earlier = http_date(published.published_at.timestamp() - 60)
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


def test_a_cached_page_costs_one_query(client, published, django_assert_num_queries):
    path = notice_public_path(published)
    body = client.get(path).content
    with django_assert_num_queries(1):  # the stamp: status and current version
        assert client.get(path).content == body
    etag = client.get(path)["ETag"]
    with django_assert_num_queries(1):
        assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_fresh_page_is_served_without_any_query(client, published, cast, settings, monkeypatch,
                                                  django_assert_num_queries):
    settings.PUBLIC_PAGE_RECHECK_SECONDS = 5
    path = notice_public_path(published)
    before = client.get(path).content
    with django_assert_num_queries(0):
        assert client.get(path).content == before
    version = published.current_version
    notices.notice_correct(notice=published, by=cast.supervisor, note="更正", title=version.title,
                           claim=version.claim, verdict=version.verdict, body="更正后的事实")
    # Another worker, which the correction's process could not tell, serves the page it holds
    # for at most the quiet period...
    assert client.get(path).content == before
    later = time.time() + 6
    monkeypatch.setattr(time, "time", lambda: later)
    # ...then reads the stamp again and renders the corrected page.
    assert "更正后的事实" in client.get(path).content.decode()


def test_invalidation_is_at_once(client, published, cast, settings):
    settings.PUBLIC_PAGE_RECHECK_SECONDS = 600
    path = notice_public_path(published)
    client.get(path)
    version = published.current_version
    notices.notice_correct(notice=published, by=cast.supervisor, note="更正", title=version.title,
                           claim=version.claim, verdict=version.verdict, body="更正后的事实")
    assert "更正后的事实" not in client.get(path).content.decode()
    public_pages_changed()  # what the services call on commit
    assert "更正后的事实" in client.get(path).content.decode()


def test_each_language_has_its_own_page(client, published):
    path = notice_public_path(published)
    chinese = client.get(path)
    english = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in english.content.decode() and '<html lang="zh-hans">' in chinese.content.decode()
    assert chinese["ETag"] != english["ETag"]
    assert client.get(path, HTTP_IF_NONE_MATCH=chinese["ETag"], HTTP_ACCEPT_LANGUAGE="en").status_code == 200


def test_a_correction_shows_at_once_with_a_new_etag(client, published, cast):
    path = notice_public_path(published)
    before = client.get(path)
    version = published.current_version
    notices.notice_correct(notice=published, by=cast.supervisor, note="更正：时间应为周二", title=version.title,
                           claim=version.claim, verdict=version.verdict, body="更正后的事实")
    after = client.get(path, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    html = after.content.decode()
    assert "更正后的事实" in html and "经核实，该信息不实。" not in html
    # The latest correction comes first, before the claim.
    main = html[html.index("<main"):]
    assert main.index("更正：时间应为周二") < main.index(version.claim)
    published.refresh_from_db()
    assert after["Last-Modified"] == http_date(published.current_version.created_at.timestamp())
    assert "更正后的事实" in client.get("/feeds/notices.atom").content.decode()


def test_a_withdrawal_replaces_the_cached_page_with_410(client, published, cast):
    path = notice_public_path(published)
    assert client.get(path).status_code == 200
    notices.notice_withdraw(notice=published, by=cast.supervisor, statement="该通报有误，已撤回。")
    gone = client.get(path)
    assert gone.status_code == 410 and "该通报有误，已撤回。" in gone.content.decode()
    assert gone["ETag"] and client.get(path).content == gone.content  # cached too


def test_invalidation_reaches_what_the_stamps_do_not_see(client, build, cast):
    entry = build.closed_exposed().bulletin_entries.get()
    bulletin = entry.bulletin
    path = reverse("public:bulletin", kwargs={"year": bulletin.year, "issue": bulletin.issue_number})
    assert "<h2" in client.get(path).content.decode()
    BulletinEntry.objects.filter(pk=entry.pk).update(headline="改过的标题")  # as an admin would
    assert "改过的标题" not in client.get(path).content.decode()  # still the cached page
    public_pages_changed()
    assert "改过的标题" in client.get(path).content.decode()


def test_the_version_survives_a_cache_without_it(client, published):
    cache.delete(VERSION_KEY)
    assert client.get(notice_public_path(published)).status_code == 200
    token = cache.get(VERSION_KEY)
    assert token
    public_pages_changed()
    assert cache.get(VERSION_KEY) != token


def test_an_uncached_answer_is_not_kept(client, db):
    assert client.get("/bulletins/2031/1/").status_code == 404
    assert client.post("/").status_code == 405
    assert client.head("/").status_code == 200


# --- the services' hook ---------------------------------------------------------------------------
# notices/services.py, bulletins/services.py and the penalty decisions call `public_pages_changed()`
# on commit after every change the public sees.


def _version_changes(django_capture_on_commit_callbacks, action) -> bool:
    public_pages_changed()
    before = cache.get(VERSION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        action()
    return cache.get(VERSION_KEY) != before


def test_publishing_a_notice_invalidates(build, cast, django_capture_on_commit_callbacks):
    from rumorcases.cases import workflow

    case = build.debunking()
    build.approved_notice(case)
    assert _version_changes(django_capture_on_commit_callbacks,
                            lambda: workflow.case_publish_debunk(case=case, by=cast.publisher))


def test_correcting_a_notice_invalidates(published, cast, django_capture_on_commit_callbacks):
    version = published.current_version
    assert _version_changes(django_capture_on_commit_callbacks, lambda: notices.notice_correct(
        notice=published, by=cast.supervisor, note="更正", title=version.title, claim=version.claim,
        verdict=version.verdict, body="更正后的事实"))


def test_withdrawing_a_notice_invalidates(published, cast, django_capture_on_commit_callbacks):
    assert _version_changes(django_capture_on_commit_callbacks, lambda: notices.notice_withdraw(
        notice=published, by=cast.supervisor, statement="撤回"))


def test_publishing_a_bulletin_invalidates(build, cast, django_capture_on_commit_callbacks):
    from datetime import date

    case = build.exposing()
    bulletin = bulletins.bulletin_create(by=cast.publisher, title="第一批", period_start=date(2026, 1, 1),
                                         period_end=date(2026, 1, 31))
    bulletins.bulletin_add_entry(bulletin=bulletin, case=case, by=cast.publisher, headline="h",
                                 rumour_summary="r", finding_summary="f")
    bulletins.bulletin_submit(bulletin=bulletin, by=cast.publisher)
    assert _version_changes(django_capture_on_commit_callbacks,
                            lambda: bulletins.bulletin_publish(bulletin=bulletin, by=cast.publisher2))

"""POST /api/v1/reports/: one report, answered created / existing / updated / conflict / invalid.

Every refusal leaves the database as it was: no report, case, account, audit event or number.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from rumorcases.cases.choices import Priority, ReportSource
from rumorcases.cases.models import Case, Report
from rumorcases.core.models import AuditEvent
from rumorcases.disposal.models import Account
from tests.api.conftest import assert_error, payload, stored

URL = "/api/v1/reports/"


def test_it_creates_a_report_and_its_case(api, platform):
    response = api.post(URL, payload(title="雷击谣言", language="zh-CN", category="rumour", source="platform_review",
                                     reason="多名用户举报", evidence_urls=["https://weibo.example/shot/1"]))
    assert response.status_code == 201, response.json()
    body = response.json()
    report = Report.objects.get()
    assert body == {"id": report.pk, "external_id": "wb-1001", "outcome": "created",
                    "case": {"reference": report.case.reference, "status": "discovered"}}
    assert re.fullmatch(r"RC-\d{4}-\d{6}", body["case"]["reference"])
    assert report.platform == platform
    assert report.submitted_by is None
    assert (report.title, report.language, report.source, report.reason) == (
        "雷击谣言", "zh-CN", ReportSource.PLATFORM_REVIEW, "多名用户举报")
    assert report.evidence_urls == ["https://weibo.example/shot/1"]
    assert (report.views, report.reposts, report.comments, report.likes) == (120, 4, 0, 0)
    assert report.author.platform_account_id == "u-100"
    assert report.author.handle == "rumour_teller"
    assert AuditEvent.objects.filter(action="report.received").count() == 1


def test_it_needs_only_external_id_content_and_posted_at(api):
    response = api.post(URL, {"external_id": "min-1", "content": "只有正文的举报",
                              "posted_at": "2026-01-02T03:04:05+08:00"})
    assert response.status_code == 201, response.json()
    report = Report.objects.get()
    assert report.author is None
    assert report.posted_at.isoformat() == "2026-01-01T19:04:05+00:00"
    assert (report.content_type, report.category, report.source) == ("text", "rumour", "user_report")


def test_it_answers_existing_for_the_same_report_again(api):
    first = api.post(URL, payload()).json()
    before = stored()
    again = api.post(URL, payload())
    assert again.status_code == 200
    assert again.json() == {**first, "outcome": "existing"}
    assert stored() == before


def test_it_answers_updated_for_new_spread_figures_and_raises_the_priority(api):
    first = api.post(URL, payload()).json()
    response = api.post(URL, payload(metrics={"views": 6000, "reposts": 4}))
    assert response.status_code == 200
    assert response.json() == {**first, "outcome": "updated"}
    report = Report.objects.get()
    assert report.views == 6000
    assert report.case.priority == Priority.P1


def test_it_joins_a_reworded_report_to_the_existing_case(api):
    first = api.post(URL, payload("wb-1", content="网传某公园发生雷击致多人死亡，官方尚未回应")).json()
    second = api.post(URL, payload("wb-2", content="网传：某公园发生雷击致多人死亡！官方尚未回应……")).json()
    assert second["outcome"] == "created"
    assert second["case"] == first["case"]
    assert Case.objects.count() == 1


def test_it_answers_409_for_different_content_under_a_known_external_id(api):
    api.post(URL, payload())
    before = stored()
    response = api.post(URL, payload(content="完全不同的另一条内容"))
    assert_error(response, 409, "conflict", fields=["content"])
    assert stored() == before


def test_it_keeps_each_platforms_external_ids_apart(api, api_b):
    mine = api.post(URL, payload("same-id")).json()
    theirs = api_b.post(URL, payload("same-id", content="另一平台上完全不同的帖子内容")).json()
    assert theirs["outcome"] == "created"
    assert theirs["id"] != mine["id"]


def test_it_accepts_a_posted_at_within_the_clock_skew(api):
    soon = (timezone.now() + timedelta(minutes=3)).isoformat()
    assert api.post(URL, payload(posted_at=soon)).status_code == 201


def test_it_accepts_content_of_exactly_20000_characters(api):
    assert api.post(URL, payload(content="谣" * 20_000)).status_code == 201


def test_it_accepts_twenty_evidence_urls(api):
    urls = [f"https://weibo.example/shot/{n}" for n in range(20)]
    assert api.post(URL, payload(evidence_urls=urls)).status_code == 201


@pytest.mark.parametrize("external_id", ["a", "A.b_c:d-9", "x" * 128])
def test_it_accepts_external_ids_of_the_pattern(api, external_id):
    assert api.post(URL, payload(external_id)).status_code == 201


def _without(field):
    body = payload()
    del body[field]
    return body


def _author(**extra):
    return payload(author={"account_id": "u-1", **extra})


def _in(hours):
    return (timezone.now() + timedelta(hours=hours)).isoformat()


BAD = {
    # missing required fields
    "no external_id": (_without("external_id"), ["external_id"]),
    "no content": (_without("content"), ["content"]),
    "no posted_at": (_without("posted_at"), ["posted_at"]),
    "blank content": (payload(content="   \n "), ["content"]),
    "author without account_id": (payload(author={"handle": "h"}), ["author.account_id"]),
    "blank author account_id": (payload(author={"account_id": ""}), ["author.account_id"]),
    # wrong types
    "content a number": (payload(content=12345), ["content"]),
    "external_id a number": (payload(external_id=1001), ["external_id"]),
    "metrics a list": (payload(metrics=[1, 2]), ["metrics"]),
    "views a string": (payload(metrics={"views": "120"}), ["metrics.views"]),
    "views a float": (payload(metrics={"views": 1.5}), ["metrics.views"]),
    "views a boolean": (payload(metrics={"views": True}), ["metrics.views"]),
    "verified a string": (_author(verified="yes"), ["author.verified"]),
    "followers a string": (_author(followers="10"), ["author.followers"]),
    "evidence_urls a string": (payload(evidence_urls="https://weibo.example/a"), ["evidence_urls"]),
    "url null": (payload(url=None), ["url"]),
    "author a string": (payload(author="someone"), ["author"]),
    # unknown enum values
    "content_type": (payload(content_type="podcast"), ["content_type"]),
    "category": (payload(category="fake_news"), ["category"]),
    "source": (payload(source="web_crawl"), ["source"]),
    "source staff_monitoring": (payload(source="staff_monitoring"), ["source"]),
    "account_type": (_author(account_type="bot"), ["author.account_type"]),
    # external_id outside the pattern
    "external_id with a space": (payload("wb 1001"), ["external_id"]),
    "external_id with a slash": (payload("wb/1001"), ["external_id"]),
    "external_id in Chinese": (payload("微博1001"), ["external_id"]),
    "external_id empty": (payload(""), ["external_id"]),
    "external_id of 129": (payload("x" * 129), ["external_id"]),
    # sizes
    "content of 20001": (payload(content="谣" * 20_001), ["content"]),
    "title of 301": (payload(title="t" * 301), ["title"]),
    "language of 17": (payload(language="zh-" + "a" * 14), ["language"]),
    "account_id of 129": (_author(account_id="u" * 129), ["author.account_id"]),
    "NUL in content": (payload(content="谣言\x00"), ["content"]),
    # dates
    "posted_at not a date": (payload(posted_at="yesterday"), ["posted_at"]),
    "posted_at impossible": (payload(posted_at="2026-02-30T10:00:00+08:00"), ["posted_at"]),
    "posted_at without offset": (payload(posted_at="2026-01-02T03:04:05"), ["posted_at"]),
    "posted_at date only": (payload(posted_at="2026-01-02"), ["posted_at"]),
    "posted_at a number": (payload(posted_at=1767312245), ["posted_at"]),
    "posted_at in the future": (payload(posted_at=_in(1)), ["posted_at"]),
    "posted_at before 1990": (payload(posted_at="0001-01-01T00:00:00+00:00"), ["posted_at"]),
    # numbers
    "negative views": (payload(metrics={"views": -1}), ["metrics.views"]),
    "negative likes": (payload(metrics={"likes": -5}), ["metrics.likes"]),
    "negative followers": (_author(followers=-1), ["author.followers"]),
    "views past bigint": (payload(metrics={"views": 2**63}), ["metrics.views"]),
    # URLs
    "ftp url": (payload(url="ftp://weibo.example/x"), ["url"]),
    "javascript url": (payload(url="javascript:alert(1)"), ["url"]),
    "relative url": (payload(url="/status/1"), ["url"]),
    "url of 1001": (payload(url="https://weibo.example/" + "a" * 980), ["url"]),
    "non-http evidence url": (payload(evidence_urls=["https://ok.example/1", "file:///etc/passwd"]),
                              ["evidence_urls.1"]),
    "21 evidence urls": (payload(evidence_urls=[f"https://weibo.example/{n}" for n in range(21)]),
                         ["evidence_urls"]),
    # unknown fields, at any depth
    "unknown field": (payload(evidence_url="https://weibo.example/x"), ["evidence_url"]),
    "unknown author field": (_author(age=30), ["author.age"]),
    "unknown metrics field": (payload(metrics={"shares": 3}), ["metrics.shares"]),
    # not an object at all
    "a list": ([payload()], ["non_field_errors"]),
    "a string": ("report", ["non_field_errors"]),
}


@pytest.mark.parametrize("body, fields", BAD.values(), ids=BAD.keys())
def test_it_refuses_bad_input_with_422_and_stores_nothing(api, body, fields):
    before = stored()
    assert_error(api.post(URL, body), 422, "invalid", fields=fields)
    assert stored() == before


def test_it_names_every_problem_at_once(api):
    body = payload("bad id", content="", posted_at="2026-01-01T00:00:00", metrics={"views": -1}, colour="red")
    response = api.post(URL, body)
    assert_error(response, 422, "invalid", fields=["external_id", "content", "posted_at", "metrics.views", "colour"])


def test_it_does_not_change_a_stored_report_on_a_refused_resubmission(api):
    api.post(URL, payload())
    before = stored()
    assert_error(api.post(URL, payload(metrics={"views": -3})), 422, "invalid")
    assert stored() == before
    assert Account.objects.count() == 1

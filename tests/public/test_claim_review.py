"""Every notice page carries a schema.org ClaimReview in JSON-LD that no text can break out of."""

import json
import re
from datetime import datetime

import pytest
from django.test import Client

from rumorcases.cases import workflow
from rumorcases.notices import services as notices
from rumorcases.notices.selectors import notice_public_path

LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def claim_review_of(html: str) -> dict:
    scripts = LD.findall(html)
    assert len(scripts) == 1
    return json.loads(scripts[0])


@pytest.fixture
def published(build):
    return build.disposing().notices.get(status="published")


def test_it_has_every_required_property_with_the_right_type(client, published):
    html = client.get(notice_public_path(published)).content.decode()
    data = claim_review_of(html)
    version = published.current_version
    assert data["@context"] == "https://schema.org" and data["@type"] == "ClaimReview"
    assert data["claimReviewed"] == version.claim
    assert data["url"] == f"http://testserver{notice_public_path(published)}"
    assert datetime.fromisoformat(data["datePublished"]) == published.published_at

    rating = data["reviewRating"]
    assert rating["@type"] == "Rating"
    assert all(isinstance(rating[k], int) for k in ("ratingValue", "bestRating", "worstRating"))
    assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    assert rating["ratingValue"] == rating["worstRating"] == 1  # "false" is the bottom of the scale
    assert rating["alternateName"] == "虚假"  # the verdict in Chinese, whatever the page's language

    author = data["author"]
    assert author == {"@type": "Organization", "name": "上海市互联网信息办公室",
                      "alternateName": "Shanghai Internet Information Office", "url": "http://testserver/"}

    claim = data["itemReviewed"]
    assert claim["@type"] == "Claim"
    report = published.case.reports.order_by("posted_at").first()
    first = claim["firstAppearance"]
    assert first == {"@type": "CreativeWork", "url": report.url, "datePublished": report.posted_at.isoformat()}
    assert "author" not in claim  # who spread the rumour is no business of the structured data


def test_the_verdict_label_stays_chinese_on_the_english_page(published):
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(notice_public_path(published)).content.decode()
    assert '<html lang="en">' in html
    assert claim_review_of(html)["reviewRating"]["alternateName"] == "虚假"


def test_a_misleading_claim_rates_above_false(client, build, cast):
    case = build.debunking()
    notice = notices.notice_create(case=case, by=cast.editor, title="t", claim="c", verdict="misleading", body="b")
    notices.notice_submit(notice=notice, by=cast.editor)
    notices.notice_review(notice=notice, by=cast.reviewer, decision="approve")
    workflow.case_publish_debunk(case=case, by=cast.publisher)
    rating = claim_review_of(client.get(notice_public_path(notice)).content.decode())["reviewRating"]
    assert rating["ratingValue"] == 2 and rating["alternateName"] == "误导"


def test_no_first_appearance_without_a_url(client, published):
    published.case.reports.update(url="")
    data = claim_review_of(client.get(notice_public_path(published)).content.decode())
    assert data["itemReviewed"] == {"@type": "Claim"}


def test_script_in_the_text_cannot_leave_the_json(client, build, cast):
    case = build.debunking()
    hostile = '</script><script>alert(1)</script><!-- & "quotes" \u2028 end'
    notice = notices.notice_create(case=case, by=cast.editor, title=hostile, claim=hostile, verdict="false",
                                   body="b")
    notices.notice_submit(notice=notice, by=cast.editor)
    notices.notice_review(notice=notice, by=cast.reviewer, decision="approve")
    workflow.case_publish_debunk(case=case, by=cast.publisher)
    html = client.get(notice_public_path(notice)).content.decode()
    assert "<script>alert(1)" not in html
    assert html.count("</script>") == 1  # the JSON-LD's own end, nothing else
    data = claim_review_of(html)
    assert data["claimReviewed"] == hostile and data["name"] == hostile  # intact once parsed


def test_a_corrected_notice_reviews_its_current_text(client, published, cast):
    version = published.current_version
    notices.notice_correct(notice=published, by=cast.supervisor, note="更正", title=version.title,
                           claim="更正后的说法", verdict=version.verdict, body=version.body)
    data = claim_review_of(client.get(notice_public_path(published)).content.decode())
    assert data["claimReviewed"] == "更正后的说法"
    assert datetime.fromisoformat(data["dateModified"]) > published.published_at

"""GET /api/v1/reports/, /api/v1/reports/{id}/ and /api/v1/cases/{reference}/: a platform reads
its own reports and the cases it has a part in, and nothing else."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rumorcases.cases import services as case_services
from rumorcases.cases import workflow
from rumorcases.cases.models import Case, Report
from rumorcases.notices.choices import NoticeStatus
from tests.api.conftest import assert_error, payload
from tests.conftest import report_input

LIST = "/api/v1/reports/"


def submit(client, external_id, content=None, **extra):
    body = client.post(LIST, payload(external_id, content=content or f"谣言内容{external_id}", **extra)).json()
    assert body["outcome"] in ("created", "existing", "updated"), body
    return body


# --- the list ------------------------------------------------------------------------------


def test_it_lists_only_the_platforms_own_reports_newest_first(api, api_b):
    mine = [submit(api, f"wb-{n}")["id"] for n in range(3)]
    theirs = submit(api_b, "dy-1")["id"]
    body = api.get(LIST).json()
    assert [r["id"] for r in body["results"]] == mine[::-1]
    assert body["next"] is None and body["previous"] is None
    assert theirs not in [r["id"] for r in api.get(LIST).json()["results"]]
    assert [r["id"] for r in api_b.get(LIST).json()["results"]] == [theirs]


def test_it_shows_a_report_as_the_platform_sent_it_and_where_it_stands(api):
    submit(api, "wb-9", content="完整字段的谣言", title="标题", language="zh-CN", reason="用户举报",
           source="trusted_flagger", category="personal_attack", content_type="video", evidence_urls=["https://weibo.example/e/1"],
           author={"account_id": "u-9", "handle": "h9", "display_name": "某人", "account_type": "self_media",
                   "followers": 5000, "verified": True},
           metrics={"views": 10, "reposts": 2, "comments": 3, "likes": 4})
    report = Report.objects.get()
    (shown,) = api.get(LIST).json()["results"]
    assert shown == {
        "id": report.pk, "external_id": "wb-9", "url": "https://weibo.example/status/wb-9", "title": "标题",
        "content": "完整字段的谣言", "content_type": "video", "language": "zh-CN",
        "posted_at": shown["posted_at"],
        "author": {"account_id": "u-9", "handle": "h9", "display_name": "某人", "account_type": "self_media",
                   "followers": 5000, "verified": True},
        "metrics": {"views": 10, "reposts": 2, "comments": 3, "likes": 4},
        "category": "personal_attack", "reason": "用户举报", "source": "trusted_flagger",
        "evidence_urls": ["https://weibo.example/e/1"],
        "received_at": shown["received_at"], "updated_at": shown["updated_at"],
        "case": {"reference": report.case.reference, "status": "discovered"},
    }
    assert shown["posted_at"].endswith("+08:00")


def test_it_hides_what_the_office_recorded_from_its_own_monitoring(api, cast, platform):
    submit(api, "wb-1")
    case_services.report_submit_by_staff(by=cast.intake, platform=platform,
                                         data=report_input("office-seen", "办公室自行监测到的帖子"))
    staff_report = Report.objects.get(external_id="office-seen")
    assert [r["external_id"] for r in api.get(LIST).json()["results"]] == ["wb-1"]
    assert_error(api.get(f"{LIST}{staff_report.pk}/"), 404, "not_found")
    assert_error(api.get(f"/api/v1/cases/{staff_report.case.reference}/"), 404, "not_found")


def test_it_filters_by_external_id(api):
    submit(api, "wb-1")
    wanted = submit(api, "wb-2")
    assert [r["id"] for r in api.get(LIST, {"external_id": "wb-2"}).json()["results"]] == [wanted["id"]]
    assert api.get(LIST, {"external_id": "wb-404"}).json()["results"] == []


def test_it_filters_by_since(api):
    old = submit(api, "wb-old")
    Report.objects.filter(pk=old["id"]).update(received_at=timezone.now() - timedelta(days=2),
                                               updated_at=timezone.now() - timedelta(days=2))
    new = submit(api, "wb-new")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert [r["id"] for r in api.get(LIST, {"since": since}).json()["results"]] == [new["id"]]
    # New spread figures count as a change.
    submit(api, "wb-old", metrics={"views": 999})
    assert {r["id"] for r in api.get(LIST, {"since": since}).json()["results"]} == {old["id"], new["id"]}


@pytest.mark.parametrize("params, field", [
    ({"since": "2026-01-01T00:00:00"}, "since"),  # no offset
    ({"since": "last week"}, "since"),
    ({"external_id": "has space"}, "external_id"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": "cD1hYmM="}, "cursor"),  # a well-formed cursor whose position is not an id ("p=abc")
])
def test_it_refuses_bad_filters_with_422(api, params, field):
    assert_error(api.get(LIST, params), 422, "invalid", fields=[field])


def test_it_pages_with_a_cursor_without_skipping_or_repeating(api):
    ids = [submit(api, f"wb-{n}")["id"] for n in range(7)]
    seen, url = [], f"{LIST}?page_size=3"
    while url:
        body = api.get(url).json()
        assert len(body["results"]) <= 3
        seen += [r["id"] for r in body["results"]]
        if body["next"]:
            # A report arriving between pages does not shift the pages.
            submit(api, f"late-{len(seen)}")
        url = body["next"] and urlparse(body["next"])._replace(scheme="", netloc="").geturl()
    assert seen == ids[::-1]
    assert "cursor" in parse_qs(urlparse(api.get(f"{LIST}?page_size=3").json()["next"]).query)


def test_it_lists_a_page_in_a_constant_number_of_queries(api):
    for n in range(3):
        submit(api, f"wb-{n}", author={"account_id": f"u-{n}"})
    with CaptureQueriesContext(connection) as few:
        api.get(LIST)
    for n in range(3, 12):
        submit(api, f"wb-{n}", author={"account_id": f"u-{n}"})
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(LIST).json()["results"]) == 12
    assert len(many) == len(few)


# --- one report ----------------------------------------------------------------------------


def test_it_shows_one_own_report(api):
    report = submit(api, "wb-1")
    body = api.get(f"{LIST}{report['id']}/").json()
    assert body["id"] == report["id"] and body["external_id"] == "wb-1"
    assert body["case"] == report["case"]


def test_it_answers_404_for_another_platforms_report_as_for_none(api, api_b):
    theirs = submit(api_b, "dy-1")
    other = assert_error(api.get(f"{LIST}{theirs['id']}/"), 404, "not_found")
    missing = assert_error(api.get(f"{LIST}999999/"), 404, "not_found")
    assert other == missing


# --- cases ---------------------------------------------------------------------------------


def test_it_shows_a_case_the_platform_reported_into(api):
    case = submit(api, "wb-1")["case"]
    body = api.get(f"/api/v1/cases/{case['reference']}/").json()
    assert body == {"reference": case["reference"], "status": "discovered", "resolution": None, "notice_url": None}


def test_it_gives_the_notice_url_once_the_debunk_is_published(api, build, platform, api_b):
    # The builder's reports come from the `platform` fixture (weibo), through the intake service.
    case = build.debunking()
    notice = build.approved_notice(case)
    assert api.get(f"/api/v1/cases/{case.reference}/").json()["notice_url"] is None  # approved, not published
    workflow.case_publish_debunk(case=case, by=build.c.publisher)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PUBLISHED
    body = api.get(f"/api/v1/cases/{case.reference}/").json()
    assert body == {"reference": case.reference, "status": "disposing", "resolution": None,
                    "notice_url": f"/notices/{notice.public_id}/"}
    assert_error(api_b.get(f"/api/v1/cases/{case.reference}/"), 404, "not_found")


def test_it_gives_the_resolution_of_a_closed_case(api, cast):
    case = submit(api, "wb-1")["case"]
    workflow.case_dismiss(case=Case.objects.get(reference=case["reference"]), by=cast.supervisor,
                          reason="不属于受理范围")
    body = api.get(f"/api/v1/cases/{case['reference']}/").json()
    assert (body["status"], body["resolution"]) == ("closed", "out_of_scope")


def test_it_answers_404_for_a_case_the_platform_has_no_part_in(api, api_b):
    theirs = submit(api_b, "dy-1")["case"]
    other = assert_error(api.get(f"/api/v1/cases/{theirs['reference']}/"), 404, "not_found")
    missing = assert_error(api.get("/api/v1/cases/RC-2026-999999/"), 404, "not_found")
    assert other == missing
    assert_error(api.get("/api/v1/cases/not-a-reference/"), 404, "not_found")


def test_it_shows_the_case_to_every_platform_that_reported_into_it(api, api_b):
    mine = submit(api, "wb-1", content="两个平台都出现的同一条谣言")["case"]
    theirs = submit(api_b, "dy-1", content="两个平台都出现的同一条谣言")["case"]
    assert mine == theirs
    assert api_b.get(f"/api/v1/cases/{mine['reference']}/").status_code == 200

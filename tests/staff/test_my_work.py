"""My work: the queue of my cases and my roles' states, its filters, search, pages and cost."""

from datetime import timedelta

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rumorcases.cases import services as case_services
from rumorcases.cases.models import Campaign, Case
from rumorcases.cases.selectors import case_work_states
from rumorcases.platforms.models import Platform
from tests.conftest import report_input

URL = reverse("staff:my_work")


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def refs(response) -> list[str]:
    return [case.reference for case in response.context["page_obj"]]


def test_it_is_for_staff_only(client, cast):
    client.force_login(cast.nobody)
    assert client.get(URL).status_code == 403


def test_the_auditor_reads_the_queue(client, build):
    case = build.discovered()
    client.force_login(build.c.auditor)
    response = client.get(URL, {"scope": "all"})
    assert response.status_code == 200
    assert refs(response) == [case.reference]
    # Reading only: no link to record or open anything.
    assert reverse("staff:report_new") not in response.content.decode()


def test_the_states_of_each_role_come_from_the_workflow(cast):
    assert case_work_states(cast.intake) == ["discovered", "verifying"]
    assert case_work_states(cast.verifier) == ["discovered", "verifying", "debunking"]
    assert case_work_states(cast.editor) == ["debunking"]
    assert case_work_states(cast.disposal) == ["disposing"]
    assert case_work_states(cast.publisher) == ["debunking", "exposing"]
    assert case_work_states(cast.supervisor) == ["discovered", "verifying", "debunking", "disposing", "exposing"]
    assert case_work_states(cast.auditor) == []


def test_my_work_holds_my_cases_and_my_roles_states(client, build):
    discovered = build.discovered()
    mine = build.discovered()
    disposing = build.disposing()
    case_services.case_assign(case=mine, assignee=build.c.disposal, by=build.c.supervisor)
    client.force_login(build.c.disposal)
    response = client.get(URL)
    assert response.status_code == 200
    assert set(refs(response)) == {mine.reference, disposing.reference}
    assert discovered.reference not in response.content.decode()
    # The toggle shows every case.
    response = client.get(URL, {"scope": "all"})
    assert set(refs(response)) >= {discovered.reference, mine.reference, disposing.reference}


def test_it_sorts_by_deadline_marks_overdue_rows_and_counts_per_state(en, build):
    later = build.discovered()
    late = build.discovered()
    verifying = build.verifying()
    Case.objects.filter(pk=late.pk).update(stage_deadline=timezone.now() - timedelta(hours=1))
    Case.objects.filter(pk=later.pk).update(stage_deadline=timezone.now() + timedelta(days=30))
    en.force_login(build.c.intake)
    response = en.get(URL)
    assert refs(response) == [late.reference, verifying.reference, later.reference]
    html = response.content.decode()
    overdue_row = html[html.rindex("<tr", 0, html.index(late.reference)):html.index(late.reference)]
    assert 'class="overdue"' in overdue_row
    counts = {link["state"]: link["count"] for link in response.context["state_links"]}
    assert counts["discovered"] == 2 and counts["verifying"] == 1 and counts["closed"] == 0
    # The count links filter.
    link = next(link for link in response.context["state_links"] if link["state"] == "verifying")
    assert refs(en.get(URL + link["url"])) == [verifying.reference]


@pytest.fixture
def spread(build):
    """Five cases that differ in one thing each."""
    other = Platform.objects.create(slug="douyin", name="抖音", name_en="Douyin")
    campaign = Campaign.objects.create(slug="qinglang", name="清朗", starts_on=timezone.localdate())
    cases = {
        "plain": build.discovered(content="网传某小区自来水有毒"),
        "urgent": build.discovered(content="网传地铁全线停运"),
        "douyin": case_services.report_ingest(platform=other, data=report_input(
            external_id="d-1", content="网传台风明日登陆浦东")).case,
        "attack": build.discovered(content="某网友被人肉搜索"),
        "late": build.verifying(),
    }
    case_services.case_set_priority(case=cases["urgent"], priority="P1", by=build.c.supervisor)
    Case.objects.filter(pk=cases["attack"].pk).update(category="personal_attack")
    cases["plain"].campaigns.add(campaign)
    case_services.case_assign(case=cases["plain"], assignee=build.c.verifier, by=build.c.supervisor)
    Case.objects.filter(pk=cases["late"].pk).update(stage_deadline=timezone.now() - timedelta(minutes=5))
    return cases


@pytest.mark.parametrize(("query", "expected"), [
    ({"status": "verifying"}, ["late"]),
    ({"priority": "P1"}, ["urgent"]),
    ({"platform": "douyin"}, ["douyin"]),
    ({"category": "personal_attack"}, ["attack"]),
    ({"campaign": "qinglang"}, ["plain"]),
    ({"overdue": "yes"}, ["late"]),
    ({"q": "地铁"}, ["urgent"]),           # the title
    ({"q": "自来水有毒"}, ["plain"]),       # the claim
])
def test_each_filter_narrows_the_queue(client, build, spread, query, expected):
    client.force_login(build.c.supervisor)
    response = client.get(URL, {"scope": "all", **query})
    assert response.status_code == 200
    assert refs(response) == [spread[name].reference for name in expected]


def test_the_assignee_filter(client, build, spread):
    client.force_login(build.c.verifier)
    assert refs(client.get(URL, {"scope": "all", "assignee": "me"})) == [spread["plain"].reference]
    assert refs(client.get(URL, {"scope": "all", "assignee": str(build.c.verifier.pk)})) == [spread["plain"].reference]
    unassigned = refs(client.get(URL, {"scope": "all", "assignee": "none"}))
    assert spread["plain"].reference not in unassigned and len(unassigned) == 4


def test_search_finds_references_post_urls_and_report_texts_when_asked(client, build, spread, platform):
    # A report whose text differs from its case's claim: joined by its URL.
    case_services.report_ingest(platform=platform, data=report_input(
        external_id="x-9", content="转发：听说台风要来了", url="https://weibo.example/d-1"))
    client.force_login(build.c.supervisor)
    douyin = [spread["douyin"].reference]
    # Words only in a report's text: found when report texts are asked for, not by default.
    assert refs(client.get(URL, {"scope": "all", "q": "听说台风"})) == []
    assert refs(client.get(URL, {"scope": "all", "q": "听说台风", "in_reports": "on"})) == douyin
    assert refs(client.get(URL, {"scope": "all", "q": "https://weibo.example/d-1"})) == douyin
    assert refs(client.get(URL, {"scope": "all", "q": spread["attack"].reference})) == [spread["attack"].reference]
    assert refs(client.get(URL, {"scope": "all", "q": spread["attack"].reference.lower()})) == [
        spread["attack"].reference]


def test_bad_filter_values_are_ignored_not_an_error(client, build, spread):
    client.force_login(build.c.supervisor)
    response = client.get(URL, {"scope": "all", "status": "nonsense", "per_page": "many", "q": "地铁"})
    assert response.status_code == 200
    assert refs(response) == [spread["urgent"].reference]


def test_it_pages_25_by_default_and_per_page_up_to_100(client, build):
    Case.objects.bulk_create([Case(reference=f"RC-2026-9{n:05d}", title=f"案件 {n}", claim="c") for n in range(105)])
    client.force_login(build.c.supervisor)
    response = client.get(URL, {"scope": "all"})
    assert len(refs(response)) == 25
    assert response.context["page_obj"].paginator.num_pages == 5
    assert 'rel="next"' in response.content.decode()
    assert len(refs(client.get(URL, {"scope": "all", "per_page": "10", "page": "2"}))) == 10
    assert len(refs(client.get(URL, {"scope": "all", "per_page": "500"}))) == 100


def test_pages_read_as_a_deferred_join_keep_the_order_and_the_report_counts(client, build):
    """Every page holds exactly the slice of the ordered queue, with each case's own report count."""
    now = timezone.now()
    Case.objects.bulk_create([Case(reference=f"RC-2026-7{n:05d}", title=f"案件 {n}", claim="c",
                                   stage_deadline=None if n % 4 == 0 else now + timedelta(hours=n % 5))
                              for n in range(23)])
    counted = build.discovered(content="网传某地水库决堤")
    case_services.report_ingest(platform=build.platform, data=report_input(
        external_id="again", content="网传某地水库决堤", url="https://weibo.example/again"))
    client.force_login(build.c.supervisor)
    expected = [case.reference for case in Case.objects.order_by(
        models.F("stage_deadline").asc(nulls_last=True), "id")]
    seen, counts = [], {}
    for page in (1, 2, 3):
        response = client.get(URL, {"scope": "all", "per_page": "10", "page": str(page)})
        seen += refs(response)
        counts.update({case.reference: case.report_count for case in response.context["page_obj"]})
    assert seen == expected
    assert counts[counted.reference] == 2
    assert counts["RC-2026-700001"] == 0


def _add_cases(start, stop, build, campaign):
    for n in range(start, stop):
        case = Case.objects.create(reference=f"RC-2026-8{n:05d}", title=f"案件 {n}", claim="c",
                                   assignee=build.c.verifier, stage_deadline=timezone.now() + timedelta(hours=n))
        case.campaigns.add(campaign)


def _queries(client, expected_rows):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"scope": "all", "per_page": "100"})
    assert len(refs(response)) == expected_rows
    return len(queries)


def test_the_query_count_is_flat_whatever_the_page_size(client, build):
    campaign = Campaign.objects.create(slug="c1", name="c", starts_on=timezone.localdate())
    client.force_login(build.c.supervisor)
    _add_cases(0, 5, build, campaign)
    five = _queries(client, 5)
    _add_cases(5, 50, build, campaign)
    assert _queries(client, 50) == five


def test_htmx_gets_only_the_table_and_plain_get_the_page(client, build):
    build.discovered()
    client.force_login(build.c.intake)
    partial = client.get(URL, {"status": "discovered"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue")
    assert partial.status_code == 200
    assert b"<html" not in partial.content and b"<table" in partial.content
    full = client.get(URL, {"status": "discovered"})
    assert b"<html" in full.content and b'hx-target="#queue"' in full.content


def test_internet_text_is_escaped_in_the_queue(client, build):
    case = build.discovered(content="<script>alert('x')</script>网传谣言")
    client.force_login(build.c.intake)
    html = client.get(URL).content.decode()
    assert case.reference in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


def test_the_auditor_sees_every_case_by_default(client, build):
    case = build.discovered()
    client.force_login(build.c.auditor)
    response = client.get(URL)
    assert refs(response) == [case.reference]
    assert response.context["scope_all"]

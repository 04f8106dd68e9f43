"""The dashboard: who may read it, every figure from a small dataset built through the real
services at pinned times, the CSV of each chart, a flat query count, and escaped internet text."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from rumorcases.cases import services as case_services
from rumorcases.cases import workflow
from rumorcases.cases.models import Campaign
from rumorcases.disposal import services as disposal
from rumorcases.disposal.models import Account, Subject
from rumorcases.platforms.models import Platform
from rumorcases.staff import dashboard
from rumorcases.staff.dashboard import CHARTS, dashboard_chart

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday, office time; its week starts on Monday 16 November.
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SHANGHAI)
PAGE = reverse("staff:dashboard")
ROLES = ["intake", "verifier", "editor", "reviewer", "disposal", "publisher", "supervisor", "auditor"]


def csv_url(name):
    return reverse("staff:dashboard_csv", args=[name])


def at(time_machine, when):
    time_machine.move_to(when, tick=False)


@pytest.fixture
def douyin(db):
    return Platform.objects.create(slug="douyin", name="抖音", name_en="Douyin", is_key=True)


def read_csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def as_csv(rows) -> list[list[str]]:
    return [["" if cell is None else str(cell) for cell in row] for row in rows]


# --- who may read it ------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_the_dashboard_to_every_role(client, cast, role):
    client.force_login(getattr(cast, role))
    response = client.get(PAGE)
    assert response.status_code == 200
    content = response.content.decode()
    for key in CHARTS:
        assert f'id="chart-data-{key}"' in content
        assert csv_url(key) in content
    # With no case at all there is nothing to draw: each chart says so in words, numbers below.
    assert '<canvas' not in content
    assert content.count('<p class="chart-empty">') == len(CHARTS)
    assert "vendor/chartjs/chart.umd.min.js" in content
    assert "staff/dashboard.js" in content


@pytest.mark.parametrize("role", ["auditor", "intake"])
def test_it_gives_every_role_the_csv(client, cast, role):
    client.force_login(getattr(cast, role))
    assert client.get(csv_url("weekly")).status_code == 200


def test_it_refuses_staff_without_a_role(client, cast):
    client.force_login(cast.nobody)
    assert client.get(PAGE).status_code == 403
    assert client.get(csv_url("weekly")).status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    for url in (PAGE, csv_url("weekly")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("staff:login"))


def test_it_only_reads(client, cast):
    client.force_login(cast.supervisor)
    assert client.post(PAGE).status_code == 405
    assert client.post(csv_url("weekly")).status_code == 405


def test_it_answers_404_for_an_unknown_chart(client, cast):
    client.force_login(cast.auditor)
    assert client.get(csv_url("passwords")).status_code == 404
    assert client.get("/staff/dashboard/weekly.txt").status_code == 404


# --- each selector on a small constructed dataset --------------------------------------


def test_it_counts_cases_opened_and_closed_per_week_in_beijing_time(build, cast, time_machine):
    # Sunday 23:30 in Shanghai is still last week; Monday 00:30 is this week, though both are
    # Sunday in UTC.
    at(time_machine, datetime(2026, 11, 15, 23, 30, tzinfo=SHANGHAI))
    last_week = build.discovered()
    at(time_machine, datetime(2026, 11, 16, 0, 30, tzinfo=SHANGHAI))
    build.discovered()
    at(time_machine, datetime(2026, 11, 17, 9, 0, tzinfo=SHANGHAI))
    build.discovered()
    workflow.case_dismiss(case=last_week, by=cast.supervisor, reason="out of scope")
    at(time_machine, datetime(2026, 8, 1, 9, 0, tzinfo=SHANGHAI))  # before the window
    build.discovered()

    weeks = dashboard.cases_per_week(now=NOW)

    assert len(weeks) == 12
    assert weeks[0].week == date(2026, 8, 31)
    assert weeks[-1].week == date(2026, 11, 16)
    assert all(w.week.weekday() == 0 for w in weeks)
    counts = {w.week: (w.opened, w.closed) for w in weeks}
    assert counts[date(2026, 11, 9)] == (1, 0)
    assert counts[date(2026, 11, 16)] == (2, 1)
    assert sum(w.opened for w in weeks) == 3
    assert sum(w.closed for w in weeks) == 1


def test_it_counts_open_cases_by_state(build, cast):
    build.discovered()
    build.discovered()
    build.verifying()
    build.debunking()
    closed = build.discovered()
    workflow.case_dismiss(case=closed, by=cast.supervisor, reason="out of scope")

    states = {s.state: s.count for s in dashboard.cases_by_state()}

    assert states == {"discovered": 2, "verifying": 1, "debunking": 1, "disposing": 0, "exposing": 0}


def test_it_measures_completed_stays_in_each_stage(build, cast, time_machine):
    start = NOW - timedelta(days=3)
    # Three cases, discovered for 2, 4 and 9 hours; the first then verified for 10 hours.
    cases = []
    for hours in (2, 4, 9):
        at(time_machine, start)
        case = build.discovered()
        at(time_machine, start + timedelta(hours=hours))
        workflow.case_start_verification(case=case, by=cast.intake)
        cases.append(case)
    at(time_machine, start + timedelta(hours=12))
    build.add_rumour_finding(cases[0])
    workflow.case_confirm_rumour(case=cases[0], by=cast.verifier)
    # A stay that ended before the window does not count.
    at(time_machine, NOW - timedelta(weeks=20))
    old = build.discovered()
    at(time_machine, NOW - timedelta(weeks=20) + timedelta(hours=100))
    workflow.case_start_verification(case=old, by=cast.intake)

    times = {t.state: t for t in dashboard.stage_times(now=NOW)}

    assert (times["discovered"].stays, times["discovered"].median_hours, times["discovered"].mean_hours) == (3, 4, 5)
    assert (times["verifying"].stays, times["verifying"].median_hours, times["verifying"].mean_hours) == (1, 10, 10)
    assert (times["debunking"].stays, times["debunking"].median_hours) == (0, None)


def test_it_counts_overdue_cases_by_state_and_priority(build, cast, time_machine):
    at(time_machine, NOW - timedelta(hours=30))  # P3 may stay 24 hours in discovered
    build.discovered()
    at(time_machine, NOW - timedelta(hours=3))  # P1 may stay 2 hours
    urgent = build.discovered()
    case_services.case_set_priority(case=urgent, priority="P1", by=cast.supervisor, reason="public safety")
    at(time_machine, NOW - timedelta(hours=1))
    build.discovered()  # within its deadline
    at(time_machine, NOW - timedelta(hours=200))
    slow = build.discovered()
    at(time_machine, NOW - timedelta(hours=170))  # P3 may stay 168 hours in verifying
    workflow.case_start_verification(case=slow, by=cast.intake)

    overdue = {o.state: o for o in dashboard.overdue_cases(now=NOW)}

    assert overdue["discovered"].by_priority == {"P1": 1, "P2": 0, "P3": 1}
    assert overdue["verifying"].by_priority == {"P1": 0, "P2": 0, "P3": 1}
    assert sum(o.total for o in overdue.values()) == 3


@pytest.fixture
def orders(build, cast, platform, douyin, time_machine):
    """Weibo: acknowledged after 2 h and completed after 6 h; acknowledged after 4 h and
    overdue by 6 h; never acknowledged and overdue by 2 h. Douyin: completed after 1 h without
    an acknowledgement; open, not yet due."""
    at(time_machine, NOW - timedelta(hours=40))
    case = build.debunking()

    def issue(on, issued_hours_ago, due_hours_from_now):
        at(time_machine, NOW - timedelta(hours=issued_hours_ago))
        return disposal.order_issue(case=case, platform=on, due_at=NOW + timedelta(hours=due_hours_from_now),
                                    by=cast.disposal, items=[{"kind": "remove_content", "url": "https://x.example/1"}])

    def complete(order, hours_ago):
        at(time_machine, NOW - timedelta(hours=hours_ago))
        disposal.order_complete(order=order, results=[{"item": i.pk, "executed": True} for i in order.items.all()])

    def acknowledge(order, hours_ago):
        at(time_machine, NOW - timedelta(hours=hours_ago))
        disposal.order_acknowledge(order=order)

    done = issue(platform, 30, 1)
    acknowledge(done, 28)
    complete(done, 24)
    late = issue(platform, 30, -6)
    acknowledge(late, 26)
    issue(platform, 20, -2)
    quick = issue(douyin, 10, 5)
    complete(quick, 9)
    issue(douyin, 10, 10)
    at(time_machine, NOW)


def test_it_counts_overdue_orders_by_platform(orders):
    overdue = dashboard.overdue_orders(now=NOW)
    assert [(o.platform, o.count, o.most_overdue_hours) for o in overdue] == [("weibo", 2, 6.0)]


def test_it_measures_platform_response_times(orders):
    with translation.override("en"):
        times = {t.platform: t for t in dashboard.platform_response_times(now=NOW)}
        assert times["weibo"].label == "Weibo"
    weibo, douyin = times["weibo"], times["douyin"]
    assert (weibo.issued, weibo.acknowledged, weibo.median_ack_hours) == (3, 2, 3.0)
    assert (weibo.completed, weibo.median_completion_hours) == (1, 6.0)
    assert (douyin.issued, douyin.acknowledged, douyin.median_ack_hours) == (2, 0, None)
    assert (douyin.completed, douyin.median_completion_hours) == (1, 1.0)
    with translation.override("zh-hans"):
        assert {t.label for t in dashboard.platform_response_times(now=NOW)} == {"新浪微博", "抖音"}


@pytest.fixture
def penalties(build, cast, platform, douyin, provision):
    """Subject 张三: two penalties on Weibo and one on Douyin. An unlinked account with a
    <script> handle: two. Another account: one standing penalty, one still proposed, one revoked."""
    c1, c2, c3 = build.debunking(), build.debunking(), build.debunking()
    subject = Subject.objects.create(name="张三")
    on_weibo = Account.objects.create(platform=platform, platform_account_id="zs-w", handle="zhangsan", subject=subject)
    on_douyin = Account.objects.create(platform=douyin, platform_account_id="zs-d", handle="zs", subject=subject)
    loud = Account.objects.create(platform=platform, platform_account_id="x-1", handle="<script>alert(1)</script>")
    once = Account.objects.create(platform=douyin, platform_account_id="o-1", handle="once")

    def penalise(case, account, measure="warning", **extra):
        return disposal.penalty_propose(case=case, account=account, role="spreader", measure=measure,
                                        legal_provision=provision, reasoning="转发谣言", by=cast.disposal, **extra)

    penalise(c1, on_weibo)
    penalise(c2, on_weibo)
    penalise(c3, on_douyin)
    penalise(c1, loud)
    penalise(c2, loud)
    penalise(c3, once)
    penalise(c1, once, measure="posting_ban", duration_days=7)  # proposed, not yet standing
    revoked = penalise(c2, once)
    disposal.penalty_revoke(penalty=revoked, by=cast.supervisor, reason="申诉成立")
    return subject, loud


def test_it_ranks_repeat_offenders_across_platforms(penalties):
    subject, loud = penalties
    offenders = dashboard.repeat_offenders()
    assert [(o.kind, o.pk, o.penalties, o.platforms) for o in offenders] == [
        ("subject", subject.pk, 3, 2), ("account", loud.pk, 2, 1)]
    assert offenders[0].label == "张三"
    assert offenders[1].label == "新浪微博 · @<script>alert(1)</script>"


def test_it_keeps_the_top_ten(build, cast, platform, provision):
    cases = [build.debunking(), build.debunking()]
    for n in range(12):
        account = Account.objects.create(platform=platform, platform_account_id=f"a{n}", handle=f"a{n:02d}")
        for case in cases:
            disposal.penalty_propose(case=case, account=account, role="spreader", measure="warning",
                                     legal_provision=provision, reasoning="转发", by=cast.disposal)
    assert [o.label for o in dashboard.repeat_offenders()] == [f"新浪微博 · @a{n:02d}" for n in range(10)]


def test_it_shows_progress_per_campaign(build, cast):
    qinglang = Campaign.objects.create(slug="ql", name="清朗·网络暴力", name_en="Qinglang: cyber-violence",
                                       starts_on=date(2026, 3, 1))
    pujiang = Campaign.objects.create(slug="pj", name="清朗浦江", starts_on=date(2026, 6, 1))
    Campaign.objects.create(slug="old", name="旧行动", starts_on=date(2025, 1, 1))
    closed = build.discovered()
    workflow.case_dismiss(case=closed, by=cast.supervisor, reason="out of scope")
    for case in (build.discovered(), build.verifying(), closed):
        case_services.case_tag_campaigns(case=case, campaigns=[qinglang], by=cast.intake)
    case_services.case_tag_campaigns(case=build.verifying(), campaigns=[qinglang, pujiang], by=cast.intake)

    with translation.override("en"):
        progress = dashboard.campaign_progress()

    assert [p.slug for p in progress] == ["pj", "ql", "old"]  # latest first
    pj, ql, old = progress
    assert ql.label == "Qinglang: cyber-violence"
    assert pj.label == "清朗浦江"  # no English name: the Chinese one
    assert ql.by_state == {"discovered": 1, "verifying": 2, "debunking": 0, "disposing": 0, "exposing": 0,
                           "closed": 1}
    assert (ql.open, ql.total) == (3, 4)
    assert (pj.open, pj.total) == (1, 1)
    assert old.total == 0


# --- the CSV of each chart --------------------------------------------------------------


@pytest.fixture
def everything(build, cast, orders, penalties, time_machine):
    campaign = Campaign.objects.create(slug="ql", name="清朗·网络暴力", starts_on=date(2026, 3, 1))
    at(time_machine, NOW - timedelta(days=2))
    case = build.verifying()
    case_services.case_tag_campaigns(case=case, campaigns=[campaign], by=cast.intake)
    at(time_machine, NOW)


@pytest.mark.parametrize("name", list(CHARTS))
def test_it_exports_each_chart_as_csv(client, cast, everything, name):
    client.force_login(cast.auditor)
    response = client.get(csv_url(name))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="rumorcases-{name}-2026-11-18.csv"'
    header, *rows = read_csv(response)
    chart = dashboard_chart(cast.auditor, name, now=NOW)
    assert header == chart.columns
    assert rows == as_csv(chart.rows)
    assert rows  # the dataset gives every chart something to show


def test_the_csv_matches_the_selectors(client, cast, everything):
    client.force_login(cast.auditor)
    with translation.override("zh-hans"):
        weeks = dashboard.cases_per_week(now=NOW)
        times = dashboard.platform_response_times(now=NOW)
        offenders = dashboard.repeat_offenders()
    header, *rows = read_csv(client.get(csv_url("weekly")))
    assert len(header) == 3
    assert rows == [[w.week.isoformat(), str(w.opened), str(w.closed)] for w in weeks]
    _, *rows = read_csv(client.get(csv_url("response_times")))
    assert rows == as_csv([[t.label, t.issued, t.acknowledged, t.median_ack_hours, t.completed,
                            t.median_completion_hours] for t in times])
    assert ["新浪微博", "3", "2", "3.0", "1", "6.0"] in rows
    assert ["抖音", "2", "0", "", "1", "1.0"] in rows
    _, *rows = read_csv(client.get(csv_url("repeat_offenders")))
    assert [row[0] for row in rows] == [o.label for o in offenders]
    assert [row[2] for row in rows] == [str(o.penalties) for o in offenders]


def test_the_csv_headers_follow_the_language(client, cast):
    client.force_login(cast.auditor)
    client.cookies["django_language"] = "en"
    header, *rows = read_csv(client.get(csv_url("states")))
    assert header == ["State", "Cases"]
    assert [row[0] for row in rows] == ["Discovered", "Verifying", "Debunking", "Disposing", "Exposing"]


def test_the_csv_defuses_formulas_from_the_internet(client, cast, build, platform, provision):
    cases = [build.debunking(), build.debunking()]
    account = Account.objects.create(platform=platform, platform_account_id="=1+1", handle="")
    Platform.objects.filter(pk=platform.pk).update(name="=HYPERLINK(1)")
    for case in cases:
        disposal.penalty_propose(case=case, account=account, role="spreader", measure="warning",
                                 legal_provision=provision, reasoning="转发", by=cast.disposal)
    client.force_login(cast.auditor)
    _, row = read_csv(client.get(csv_url("repeat_offenders")))
    assert row[0] == "'=HYPERLINK(1) · =1+1"


# --- the page --------------------------------------------------------------------------


def test_the_page_carries_each_chart_as_figure_table_and_json(client, cast, everything):
    client.force_login(cast.supervisor)
    client.cookies["django_language"] = "en"
    response = client.get(PAGE)
    content = response.content.decode()
    assert content.count("<figure>") == len(CHARTS)
    # Every chart has something to draw but the overdue cases (none) and the stage times (every
    # stay in the dataset took no time at all).
    assert content.count('<canvas role="img" aria-label="') == len(CHARTS) - 2
    assert '<p class="chart-empty">0 open cases are overdue. Discovered 0; Verifying 0;' in content
    assert content.count("<figcaption>") == len(CHARTS)
    assert content.count('<details class="chart-numbers" open>') == len(CHARTS)
    assert "Show the numbers" in content
    assert '<th scope="col">Median hours to acknowledge</th>' in content
    assert 'aria-label="Open cases now: ' in content
    page = response.context["page"]
    weekly = next(chart for chart in page.charts if chart.key == "weekly")
    assert weekly.spec()["labels"][-1] == "2026-11-16"
    headlines = {h.label: (h.value, h.alert) for h in page.headlines}
    assert headlines["Open cases"] == (sum(s.count for s in dashboard.cases_by_state()), False)
    assert headlines["Overdue orders"] == (2, True)
    assert '<li class="card alert"><span class="value">2</span> <span class="label">Overdue orders</span>' in content


def test_the_page_escapes_names_from_the_internet(client, cast, build, penalties):
    campaign = Campaign.objects.create(slug="x", name="</script><script>alert('c')</script>", starts_on=date.today())
    case_services.case_tag_campaigns(case=build.verifying(), campaigns=[campaign], by=cast.intake)
    client.force_login(cast.auditor)
    content = client.get(PAGE).content.decode()
    assert "<script>alert" not in content
    assert "</script><script>" not in content
    assert "\\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E" in content  # in the chart's JSON
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content  # in the table and the aria-label
    assert "&lt;/script&gt;&lt;script&gt;alert(&#x27;c&#x27;)" in content


def test_the_query_count_does_not_grow_with_the_cases(client, cast, build, platform, provision):
    campaign = Campaign.objects.create(slug="ql", name="清朗", starts_on=date(2026, 1, 1))

    def add_cases(n):
        for i in range(n):
            case = [build.discovered, build.verifying, build.debunking][i % 3]()
            case_services.case_tag_campaigns(case=case, campaigns=[campaign], by=cast.intake)
            if case.status == "debunking":
                account = Account.objects.create(platform=platform, platform_account_id=f"q{case.pk}")
                disposal.penalty_propose(case=case, account=account, role="spreader", measure="warning",
                                         legal_provision=provision, reasoning="转发", by=cast.disposal)
                disposal.order_issue(case=case, platform=platform, due_at=case.created_at + timedelta(days=1),
                                     by=cast.disposal, items=[{"kind": "remove_content", "url": "https://x.example"}])

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        return len(queries)

    client.force_login(cast.auditor)
    add_cases(3)
    few = count_queries()
    add_cases(12)
    assert count_queries() == few
    assert few <= 16, few

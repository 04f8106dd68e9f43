"""Report intake: idempotent on platform + external_id, matched to its case, validated field by field."""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from rumorcases.cases.choices import CaseStatus, Priority, ReportSource
from rumorcases.cases.models import Case, Report
from rumorcases.cases.services import AuthorInput, report_ingest, report_submit_by_staff, report_validate
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent, Counter
from rumorcases.disposal.models import Account
from rumorcases.platforms.models import Platform
from tests.conftest import report_input


@pytest.fixture
def douyin(db):
    return Platform.objects.create(slug="douyin", name="抖音", name_en="Douyin", is_key=True)


def counts():
    return (Case.objects.count(), Report.objects.count(), Account.objects.count(), AuditEvent.objects.count(),
            list(Counter.objects.order_by("name").values_list("name", "value")))


def test_it_creates_a_report_with_a_new_discovered_case(platform):
    result = report_ingest(platform=platform, data=report_input(views=10, reposts=2, title="雷击谣言"))
    assert result.outcome == "created"
    report, case = result.report, result.case
    assert report.case == case
    assert case.status == CaseStatus.DISCOVERED
    assert case.priority == Priority.P3
    assert re.fullmatch(rf"RC-{timezone.localdate().year}-\d{{6}}", case.reference)
    assert case.title == "雷击谣言"
    assert report.match_reason == "new_case"
    assert report.source == ReportSource.USER_REPORT
    assert (report.views, report.reposts) == (10, 2)
    assert case.stage_deadline is not None
    assert AuditEvent.objects.filter(action="case.opened", case_reference=case.reference).count() == 1
    assert AuditEvent.objects.filter(action="report.received", object_id=str(report.pk)).count() == 1


def test_it_numbers_cases_consecutively(platform):
    first = report_ingest(platform=platform, data=report_input("p-1", "第一条谣言")).case
    second = report_ingest(platform=platform, data=report_input("p-2", "完全不同的第二条谣言")).case
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


def test_it_answers_existing_when_the_same_report_comes_again(platform):
    first = report_ingest(platform=platform, data=report_input(views=10))
    events = AuditEvent.objects.count()
    again = report_ingest(platform=platform, data=report_input(views=10))
    assert again.outcome == "existing"
    assert again.report.pk == first.report.pk
    assert again.case.pk == first.case.pk
    assert Report.objects.count() == 1 and Case.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_it_updates_new_spread_figures(platform):
    first = report_ingest(platform=platform, data=report_input(views=10, reposts=1, comments=0, likes=3))
    result = report_ingest(platform=platform, data=report_input(views=900, reposts=40, comments=7, likes=3))
    assert result.outcome == "updated"
    assert result.report.pk == first.report.pk
    stored = Report.objects.get(pk=first.report.pk)
    assert (stored.views, stored.reposts, stored.comments, stored.likes) == (900, 40, 7, 3)
    event = AuditEvent.objects.get(action="report.metrics_updated")
    assert event.data == {"views": 900, "reposts": 40, "comments": 7}


def test_it_refuses_other_content_under_the_same_external_id(platform):
    first = report_ingest(platform=platform, data=report_input(views=10))
    before = counts()
    with pytest.raises(ApplicationError) as refused:
        report_ingest(platform=platform, data=report_input(content="完全不同的内容", views=99999))
    assert refused.value.code == "conflict"
    assert refused.value.status_code == 409
    assert "content" in refused.value.fields
    assert counts() == before
    stored = Report.objects.get(pk=first.report.pk)
    assert stored.content == first.report.content
    assert stored.views == 10
    assert Case.objects.get().priority == Priority.P3


def test_it_joins_the_same_text_from_another_report(platform, douyin):
    first = report_ingest(platform=platform, data=report_input("p-1"))
    second = report_ingest(platform=platform, data=report_input("p-2"))
    elsewhere = report_ingest(platform=douyin, data=report_input("p-1"))
    assert second.outcome == elsewhere.outcome == "created"
    assert second.case.pk == elsewhere.case.pk == first.case.pk
    assert second.report.match_reason == "exact_text"
    assert elsewhere.report.pk != first.report.pk
    assert Case.objects.count() == 1 and Report.objects.count() == 3


def test_it_joins_the_same_url(platform):
    first = report_ingest(platform=platform, data=report_input("p-1", url="https://weibo.example/post/9"))
    second = report_ingest(platform=platform, data=report_input("p-2", content="转发：看看这个",
                                                                url="https://weibo.example/post/9"))
    assert second.case.pk == first.case.pk
    assert second.report.match_reason == "exact_url"


@pytest.mark.parametrize("variant", [
    "网传ＡＢＣ公园２０２６年发生雷击！！致多人死亡。",
    "  网传 abc 公园 2026 年发生雷击，致多人死亡  ",
    "网传AbC公园2026年\n发生雷击——致多人死亡?",
])
def test_it_ignores_width_case_spacing_and_punctuation(platform, variant):
    first = report_ingest(platform=platform, data=report_input("p-1", "网传ABC公园2026年发生雷击致多人死亡"))
    second = report_ingest(platform=platform, data=report_input("p-2", variant))
    assert second.case.pk == first.case.pk
    assert second.report.match_reason == "exact_text"


def test_it_opens_a_new_case_for_different_content(platform):
    first = report_ingest(platform=platform, data=report_input("p-1", "网传某公园发生雷击致多人死亡"))
    second = report_ingest(platform=platform, data=report_input("p-2", "网传地铁二号线明日全线停运"))
    assert second.case.pk != first.case.pk
    assert Case.objects.count() == 2


@pytest.mark.parametrize("metrics, priority", [
    ({"views": 5000}, Priority.P1),
    ({"reposts": 500}, Priority.P1),
    ({"views": 4999, "reposts": 499}, Priority.P3),
])
def test_it_makes_a_new_case_urgent_past_the_legal_thresholds(platform, metrics, priority):
    case = report_ingest(platform=platform, data=report_input(**metrics)).case
    assert case.priority == priority


def test_it_makes_an_existing_case_urgent_when_a_joining_report_spreads_widely(platform):
    case = report_ingest(platform=platform, data=report_input("p-1", views=100)).case
    deadline = case.stage_deadline
    report_ingest(platform=platform, data=report_input("p-2", reposts=500))
    case.refresh_from_db()
    assert case.priority == Priority.P1
    assert case.stage_deadline < deadline
    assert AuditEvent.objects.filter(action="case.priority_changed", case_reference=case.reference).count() == 1


def test_it_makes_the_case_urgent_when_updated_figures_pass_the_threshold(platform):
    case = report_ingest(platform=platform, data=report_input(views=100)).case
    result = report_ingest(platform=platform, data=report_input(views=5000))
    assert result.outcome == "updated"
    case.refresh_from_db()
    assert case.priority == Priority.P1


def test_it_creates_and_updates_the_author_account(platform):
    author = AuthorInput(account_id="u-42", handle="rumour_mill", display_name="谣言工厂", followers=100)
    report_ingest(platform=platform, data=report_input("p-1", author=author))
    account = Account.objects.get(platform=platform, platform_account_id="u-42")
    assert (account.handle, account.display_name, account.followers) == ("rumour_mill", "谣言工厂", 100)
    author = AuthorInput(account_id="u-42", handle="rumour_mill", followers=25000, verified=True,
                         account_type="self_media")
    result = report_ingest(platform=platform, data=report_input("p-2", "另一条完全不同的谣言", author=author))
    assert Account.objects.filter(platform_account_id="u-42").count() == 1
    account.refresh_from_db()
    assert account.followers == 25000
    assert account.verified is True
    assert account.account_type == "self_media"
    assert account.display_name == "谣言工厂"  # not blanked when left out
    assert result.report.author == account
    # A resubmitted report brings the author's latest figures too.
    author = AuthorInput(account_id="u-42", handle="rumour_mill", followers=30000, verified=True,
                         account_type="self_media")
    again = report_ingest(platform=platform, data=report_input("p-2", "另一条完全不同的谣言", author=author))
    assert again.outcome == "existing"
    account.refresh_from_db()
    assert account.followers == 30000


def test_it_lists_every_invalid_field_and_writes_nothing(platform):
    before = counts()
    data = report_input(external_id="", content="  ", posted_at=datetime(2026, 1, 1, 8, 0),  # noqa: DTZ001
                        url="ftp://not-http", views=-1, reposts=-5, category="gossip",
                        author=AuthorInput(account_id="", followers=-3))
    with pytest.raises(ApplicationError) as refused:
        report_ingest(platform=platform, data=data)
    assert refused.value.code == "invalid"
    assert refused.value.status_code == 422
    fields = refused.value.fields
    for name in ["external_id", "content", "posted_at", "url", "views", "reposts", "category",
                 "author.account_id", "author.followers"]:
        assert name in fields, name
    assert "likes" not in fields and "title" not in fields
    assert counts() == before


@pytest.mark.parametrize("extra, field", [
    ({"content_type": "hologram"}, "content_type"),
    ({"source": "rumour_mill"}, "source"),
    ({"evidence_urls": ["not a url"]}, "evidence_urls"),
    ({"title": "标" * 301}, "title"),
    ({"external_id": "x" * 129}, "external_id"),
    ({"url": "https://weibo.example/" + "a" * 1000}, "url"),
    ({"views": True}, "views"),
    ({"posted_at": "2026-01-01T08:00:00+08:00"}, "posted_at"),
])
def test_it_refuses_each_bad_field(platform, extra, field):
    before = counts()
    with pytest.raises(ApplicationError) as refused:
        report_ingest(platform=platform, data=report_input(**extra))
    assert list(refused.value.fields) == [field]
    assert counts() == before


def test_it_titles_the_case_from_the_content_when_the_title_is_blank(platform):
    case = report_ingest(platform=platform, data=report_input(title="   ", content="\n网传地铁停运\n第二行")).case
    assert case.title == "网传地铁停运"


def test_it_records_reports_found_by_staff(platform, cast):
    data = report_input(external_id="", content="巡查发现：网传某小区水源被污染")
    result = report_submit_by_staff(by=cast.intake, platform=platform, data=data)
    report = Report.objects.get(pk=result.report.pk)
    assert report.source == ReportSource.STAFF_MONITORING
    assert report.submitted_by == cast.intake
    assert report.external_id.startswith("office-")
    assert result.case.created_by == cast.intake
    assert AuditEvent.objects.get(action="report.received").actor == cast.intake


@pytest.mark.parametrize("who", ["nobody", "verifier", "auditor", "editor"])
def test_it_refuses_staff_reports_without_the_permission(platform, cast, who):
    before = counts()
    with pytest.raises(ApplicationError) as refused:
        report_submit_by_staff(by=getattr(cast, who), platform=platform, data=report_input())
    assert refused.value.code == "not_your_role"
    assert counts() == before


def test_it_does_not_match_a_case_closed_long_ago(platform, cast, settings):
    from rumorcases.cases import workflow

    old = report_ingest(platform=platform, data=report_input("p-1")).case
    workflow.case_dismiss(case=old, by=cast.supervisor, reason="不属于本辖区")
    long_ago = timezone.now() - timedelta(days=settings.MATCH_RECENTLY_CLOSED_DAYS + 1)
    Case.objects.filter(pk=old.pk).update(closed_at=long_ago)
    fresh = report_ingest(platform=platform, data=report_input("p-2")).case
    assert fresh.pk != old.pk
    assert fresh.status == CaseStatus.DISCOVERED


def test_it_still_matches_a_recently_closed_case(platform, cast):
    from rumorcases.cases import workflow

    old = report_ingest(platform=platform, data=report_input("p-1")).case
    workflow.case_dismiss(case=old, by=cast.supervisor, reason="不属于本辖区")
    joined = report_ingest(platform=platform, data=report_input("p-2")).case
    assert joined.pk == old.pk


def test_it_keeps_a_closed_case_as_it_was_when_a_wide_spreading_report_joins(platform, cast):
    from rumorcases.cases import workflow

    old = report_ingest(platform=platform, data=report_input("p-1")).case
    workflow.case_dismiss(case=old, by=cast.supervisor, reason="不属于本辖区")
    report_ingest(platform=platform, data=report_input("p-2", views=100000))
    old.refresh_from_db()
    assert old.status == CaseStatus.CLOSED
    assert old.priority == Priority.P3



def test_a_url_with_a_trailing_newline_is_refused(db):
    data = report_input(url="http://example.com/p/1\n")
    with pytest.raises(ApplicationError) as refused:
        report_validate(data)
    assert "url" in refused.value.fields

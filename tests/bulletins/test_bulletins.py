"""Exposure bulletins: entries from cases waiting for exposure, four-eyes publication, numbered issues."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from rumorcases.bulletins import services as bulletins
from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin, BulletinEntry
from rumorcases.cases import workflow
from rumorcases.cases.choices import CaseStatus, Resolution
from rumorcases.cases.models import CaseTransition
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import AuditEvent, Counter
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import Measure, OffenderRole
from rumorcases.disposal.models import Account
from rumorcases.platforms.models import Platform


def create(by, title="网络谣言曝光台"):
    today = timezone.localdate()
    return bulletins.bulletin_create(by=by, title=title, period_start=today - timedelta(days=7), period_end=today)


def add(bulletin, case, by, **kwargs):
    values = {"headline": "编造“公园雷击”谣言", "rumour_summary": "网传某公园雷击致多人死亡",
              "finding_summary": "经核实系编造", **kwargs}
    return bulletins.bulletin_add_entry(bulletin=bulletin, case=case, by=by, **values)


@pytest.fixture
def cases(build):
    return [build.exposing(), build.exposing()]


@pytest.fixture
def submitted(cases, cast):
    bulletin = create(cast.publisher)
    for case in cases:
        add(bulletin, case, cast.publisher)
    bulletins.bulletin_submit(bulletin=bulletin, by=cast.publisher)
    return bulletin


def snapshot(bulletin, cases):
    bulletin.refresh_from_db()
    statuses = []
    for case in cases:
        case.refresh_from_db()
        statuses.append((case.status, case.resolution))
    return (bulletin.status, bulletin.year, bulletin.issue_number, bulletin.published_by_id, statuses,
            AuditEvent.objects.count(), CaseTransition.objects.count(),
            list(Counter.objects.filter(name__startswith="bulletin-").values_list("value", flat=True)))


# --- drafting ------------------------------------------------------------------------------


def test_it_drafts_a_bulletin(cast):
    bulletin = create(cast.publisher)
    assert bulletin.status == BulletinStatus.DRAFT
    assert bulletin.drafted_by == cast.publisher
    assert bulletin.issue_number is None


def test_it_checks_the_draft(cast):
    today = timezone.localdate()
    with pytest.raises(ApplicationError) as refused:
        bulletins.bulletin_create(by=cast.publisher, title=" ", period_start=today, period_end=today - timedelta(1))
    assert set(refused.value.fields) == {"title", "period_end"}
    with pytest.raises(ApplicationError) as refused:
        bulletins.bulletin_create(by=cast.editor, title="曝光台", period_start=today, period_end=today)
    assert refused.value.code == "not_your_role"
    assert not Bulletin.objects.exists()


def test_it_adds_cases_waiting_for_exposure(cases, cast):
    bulletin = create(cast.publisher)
    first = add(bulletin, cases[0], cast.publisher)
    second = add(bulletin, cases[1], cast.publisher2)
    assert (first.position, second.position) == (1, 2)
    assert list(bulletin.entries.values_list("case", flat=True)) == [cases[0].pk, cases[1].pk]


@pytest.mark.parametrize("stage", ["discovered", "verifying", "debunking", "disposing", "closed_exposed"])
def test_it_refuses_cases_not_waiting_for_exposure(build, cast, stage):
    case = getattr(build, stage)()
    bulletin = create(cast.publisher)
    events = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as refused:
        add(bulletin, case, cast.publisher)
    assert list(refused.value.fields) == ["case"]
    assert not bulletin.entries.exists()
    assert AuditEvent.objects.count() == events


def test_it_refuses_the_same_case_twice(cases, cast):
    bulletin = create(cast.publisher)
    add(bulletin, cases[0], cast.publisher)
    with pytest.raises(ApplicationError) as refused:
        add(bulletin, cases[0], cast.publisher, headline="再来一次")
    assert list(refused.value.fields) == ["case"]
    assert bulletin.entries.count() == 1


def test_it_needs_the_entry_texts(cases, cast):
    bulletin = create(cast.publisher)
    with pytest.raises(ApplicationError) as refused:
        add(bulletin, cases[0], cast.publisher, headline=" ", rumour_summary="", finding_summary="")
    assert set(refused.value.fields) == {"headline", "rumour_summary", "finding_summary"}
    assert not BulletinEntry.objects.exists()


def test_it_changes_entries_only_in_a_draft(submitted, build, cast):
    late = build.exposing()
    with pytest.raises(ApplicationError) as refused:
        add(submitted, late, cast.publisher)
    assert refused.value.status_code == 409
    with pytest.raises(ApplicationError):
        bulletins.bulletin_remove_entry(entry=submitted.entries.first(), by=cast.publisher)
    assert submitted.entries.count() == 2


def test_it_needs_an_entry_to_submit(cast):
    bulletin = create(cast.publisher)
    with pytest.raises(ApplicationError) as refused:
        bulletins.bulletin_submit(bulletin=bulletin, by=cast.publisher)
    assert refused.value.code == "guard_failed"
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.DRAFT


def test_it_needs_comments_to_send_back(submitted, cast):
    with pytest.raises(ApplicationError) as refused:
        bulletins.bulletin_send_back(bulletin=submitted, by=cast.publisher2, comments="")
    assert refused.value.code == "reason_required"
    submitted.refresh_from_db()
    assert submitted.status == BulletinStatus.IN_REVIEW
    bulletins.bulletin_send_back(bulletin=submitted, by=cast.publisher2, comments="第二条标题需改")
    submitted.refresh_from_db()
    assert submitted.status == BulletinStatus.DRAFT
    assert submitted.review_comments == "第二条标题需改"


# --- publication --------------------------------------------------------------------------


def test_it_refuses_publication_by_the_drafter(submitted, cases, cast):
    before = snapshot(submitted, cases)
    with pytest.raises(ApplicationError) as refused:
        bulletins.bulletin_publish(bulletin=submitted, by=cast.publisher)
    assert refused.value.code == "four_eyes"
    assert refused.value.status_code == 403
    assert snapshot(submitted, cases) == before
    assert submitted.status == BulletinStatus.IN_REVIEW
    assert all(case.status == CaseStatus.EXPOSING for case in cases)


def test_it_refuses_publication_by_someone_without_the_role(submitted, cases, cast):
    before = snapshot(submitted, cases)
    for who in (cast.editor, cast.reviewer, cast.nobody):
        with pytest.raises(ApplicationError) as refused:
            bulletins.bulletin_publish(bulletin=submitted, by=who)
        assert refused.value.code == "not_your_role"
    assert snapshot(submitted, cases) == before


def test_it_publishes_numbers_and_closes_every_case_as_exposed(submitted, cases, cast):
    bulletins.bulletin_publish(bulletin=submitted, by=cast.publisher2)
    submitted.refresh_from_db()
    assert submitted.status == BulletinStatus.PUBLISHED
    assert submitted.published_by == cast.publisher2
    assert submitted.published_at is not None
    assert submitted.year == timezone.localdate().year
    assert submitted.issue_number == 1
    for case in cases:
        case.refresh_from_db()
        assert case.status == CaseStatus.CLOSED
        assert case.resolution == Resolution.EXPOSED
        assert case.closed_at is not None
        assert CaseTransition.objects.filter(case=case, name="mark_exposed").count() == 1
    event = AuditEvent.objects.get(action="bulletin.published")
    assert event.actor == cast.publisher2
    assert event.data["cases"] == [c.reference for c in cases]


def test_it_numbers_issues_consecutively_within_the_year(build, cast):
    numbers = []
    for _ in range(3):
        case = build.exposing()
        bulletin = create(cast.publisher)
        add(bulletin, case, cast.publisher)
        bulletins.bulletin_submit(bulletin=bulletin, by=cast.publisher)
        bulletins.bulletin_publish(bulletin=bulletin, by=cast.publisher2)
        bulletin.refresh_from_db()
        numbers.append((bulletin.year, bulletin.issue_number))
    year = timezone.localdate().year
    assert numbers == [(year, 1), (year, 2), (year, 3)]


def test_it_refuses_publication_when_a_case_no_longer_waits(submitted, cases, cast):
    workflow.case_close_without_exposure(case=cases[1], by=cast.supervisor, reason="涉及未成年人，不宜曝光")
    before = snapshot(submitted, cases)
    with pytest.raises(ApplicationError) as refused:
        bulletins.bulletin_publish(bulletin=submitted, by=cast.publisher2)
    assert refused.value.code == "guard_failed"
    assert cases[1].reference in refused.value.message
    assert snapshot(submitted, cases) == before
    assert submitted.status == BulletinStatus.IN_REVIEW and submitted.issue_number is None
    assert cases[0].status == CaseStatus.EXPOSING


def test_it_refuses_to_publish_twice(submitted, cases, cast):
    bulletins.bulletin_publish(bulletin=submitted, by=cast.publisher2)
    before = snapshot(submitted, cases)
    with pytest.raises(ApplicationError):
        bulletins.bulletin_publish(bulletin=submitted, by=cast.supervisor)
    assert snapshot(submitted, cases) == before


# --- measures ---------------------------------------------------------------------------------


def test_it_summarises_executed_penalties_by_platform_and_measure(build, cast, provision):
    case = build.disposing()
    report = case.reports.get()
    weibo_account = report.author
    douyin = Platform.objects.create(slug="douyin", name="抖音", name_en="Douyin", is_key=True)
    douyin_account = Account.objects.create(platform=douyin, platform_account_id="dy-1", handle="dy_pusher")

    def penalty(account, measure, **kwargs):
        p = disposal.penalty_propose(case=case, account=account, role=OffenderRole.AMPLIFIER, measure=measure,
                                     legal_provision=provision, reasoning="推波助澜", by=cast.disposal, **kwargs)
        if p.status == "proposed":
            disposal.penalty_approve(penalty=p, by=cast.supervisor)
            p.refresh_from_db()
        return p

    warning = penalty(weibo_account, Measure.WARNING)
    ban = penalty(douyin_account, Measure.POSTING_BAN, duration_days=7)
    revoked = penalty(douyin_account, Measure.CLOSE_ACCOUNT)
    disposal.penalty_revoke(penalty=revoked, by=cast.supervisor, reason="过重")
    penalty(weibo_account, Measure.DEMONETISE, duration_days=30)  # approved, never ordered: not executed
    due = timezone.now() + timedelta(days=1)
    for platform, p in ((report.platform, warning), (douyin, ban)):
        order = disposal.order_issue(case=case, platform=platform, due_at=due, by=cast.disposal,
                                     items=[{"kind": "act_on_account", "penalty": p}])
        disposal.order_complete(order=order, platform=platform,
                                results=[{"item": i.pk, "executed": True} for i in order.items.all()])

    summary = bulletins.measures_summary(case)
    lines = summary.splitlines()
    assert len(lines) == 2
    warning_label = str(Measure.WARNING.label)
    ban_label = str(Measure.POSTING_BAN.label)
    assert f"新浪微博 @{weibo_account.handle} {warning_label}" in lines
    [ban_line] = [line for line in lines if line.startswith("抖音")]
    assert ban_line.startswith(f"抖音 @dy_pusher {ban_label}")
    assert "7" in ban_line
    assert str(Measure.CLOSE_ACCOUNT.label) not in summary
    # Assembled by someone reading the UI in English, the public text is still the bulletin's.
    with translation.override("en"):
        assert bulletins.measures_summary(case) == summary
    assert str(Measure.DEMONETISE.label) not in summary

    workflow.case_complete_disposal(case=case, by=cast.disposal)
    case.refresh_from_db()
    bulletin = create(cast.publisher)
    entry = add(bulletin, case, cast.publisher)
    assert entry.measures_summary == summary
    custom = add(create(cast.publisher), case, cast.publisher, measures="  相关账号已依法处置  ")
    assert custom.measures_summary == "相关账号已依法处置"


def test_it_summarises_nothing_when_no_penalty_was_executed(build):
    assert bulletins.measures_summary(build.exposing()) == ""

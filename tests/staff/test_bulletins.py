"""Bulletin pages: drafting, assembling entries from cases waiting for exposure, ordering them,
review, and publication by a second person, which closes the cases as exposed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rumorcases.bulletins import services as bulletins
from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin, BulletinEntry
from rumorcases.cases.choices import CaseStatus, Resolution
from rumorcases.core.models import AuditEvent
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import Measure, OffenderRole


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"


def today():
    return timezone.localdate()


@pytest.fixture
def draft(cast):
    return bulletins.bulletin_create(by=cast.publisher, title="网络谣言曝光台",
                                     period_start=today() - timedelta(days=7), period_end=today())


@pytest.fixture
def cases(build):
    return [build.exposing(), build.exposing()]


def add(bulletin, case, by, headline="编造“雷击”谣言"):
    return bulletins.bulletin_add_entry(bulletin=bulletin, case=case, by=by, headline=headline,
                                        rumour_summary="网传", finding_summary="经核实系编造")


def url(name, *args):
    return reverse(f"staff:{name}", args=args)


def state():
    return (Bulletin.objects.count(), BulletinEntry.objects.count(), AuditEvent.objects.count(),
            list(Bulletin.objects.order_by("pk").values_list("status", "review_comments")),
            list(BulletinEntry.objects.order_by("pk").values_list("position", "headline")))


# --- list and create ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["auditor", "intake", "publisher"])
def test_it_lists_bulletins_to_every_role(client, cast, draft, who):
    client.force_login(getattr(cast, who))
    body = client.get(url("bulletin_list")).content.decode()
    assert "网络谣言曝光台" in body
    assert (url("bulletin_create") in body) is (who == "publisher")


def test_it_drafts_a_bulletin(client, cast):
    client.force_login(cast.publisher)
    assert client.get(url("bulletin_create")).status_code == 200
    response = client.post(url("bulletin_create"), {"title": "第一期", "period_start": "2026-01-01",
                                                    "period_end": "2026-01-31"})
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302 and response.url == url("bulletin_detail", bulletin.pk)
    assert (bulletin.title, bulletin.status, bulletin.drafted_by) == ("第一期", BulletinStatus.DRAFT, cast.publisher)


def test_it_keeps_what_was_typed_when_the_period_is_wrong(client, cast):
    client.force_login(cast.publisher)
    response = client.post(url("bulletin_create"), {"title": "<script>第二期</script>", "period_start": "2026-02-10",
                                                    "period_end": "2026-02-01"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "The period ends before it starts." in body
    assert "&lt;script&gt;第二期&lt;/script&gt;" in body and 'value="2026-02-10"' in body
    response = client.post(url("bulletin_create"), {"title": "第二期", "period_start": "2026-02-31",
                                                    "period_end": ""})
    body = response.content.decode()
    assert "Enter a valid date." in body and "This field is required." in body
    assert 'value="2026-02-31"' in body
    assert Bulletin.objects.count() == 0


@pytest.mark.parametrize("who", ["auditor", "disposal", "intake"])
def test_it_refuses_drafting_by_other_roles(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(url("bulletin_create")).status_code == 403
    assert client.post(url("bulletin_create"), {"title": "x", "period_start": "2026-01-01",
                                                "period_end": "2026-01-02"}).status_code == 403
    assert Bulletin.objects.count() == 0


# --- assembling --------------------------------------------------------------------------------


def test_it_offers_waiting_cases_not_in_a_bulletin(client, cast, draft, cases, build):
    other = bulletins.bulletin_create(by=cast.publisher2, title="另一期", period_start=today(), period_end=today())
    add(other, cases[1], cast.publisher2)
    disposing = build.disposing()
    client.force_login(cast.publisher)
    body = client.get(url("bulletin_detail", draft.pk)).content.decode()
    assert f"?case={cases[0].reference}" in body
    assert f"?case={cases[1].reference}" not in body  # held by another draft
    assert disposing.reference not in body


def test_it_prefills_an_entry_from_the_case(client, cast, draft, build, provision):
    case = build.disposing()
    account = case.reports.get().author
    account.handle = "<b>spreader</b>"
    account.save()
    disposal.penalty_propose(case=case, account=account, role=OffenderRole.ORIGINATOR, measure=Measure.WARNING,
                             legal_provision=provision, reasoning="x", by=cast.disposal)
    penalty = case.penalties.get()
    order = disposal.order_issue(case=case, platform=build.platform, due_at=timezone.now() + timedelta(days=1),
                                 by=cast.disposal, items=[{"kind": "act_on_account", "penalty": penalty}])
    disposal.order_complete(order=order, results=[{"item": i.pk, "executed": True} for i in order.items.all()])
    from rumorcases.cases import workflow

    workflow.case_complete_disposal(case=case, by=cast.disposal)
    client.force_login(cast.publisher)
    body = client.get(url("bulletin_entry_add", draft.pk) + f"?case={case.reference}").content.decode()
    assert case.title in body and "经核实，该信息不实。" in body  # the published notice's facts
    assert "@&lt;b&gt;spreader&lt;/b&gt;" in body  # the measures line, escaped


def test_it_assembles_submits_and_publishes(client, cast, draft, cases):
    client.force_login(cast.publisher)
    for n, case in enumerate(cases):
        response = client.post(url("bulletin_entry_add", draft.pk), {
            "case": case.reference, "headline": f"标题{n}", "rumour_summary": "网传", "finding_summary": "不实",
            "measures_summary": ""})
        assert response.status_code == 302
    first, second = BulletinEntry.objects.order_by("position")
    assert [first.case, second.case] == cases

    # order: move the second up
    assert client.post(url("bulletin_entry_move", draft.pk, second.pk), {"direction": "up"}).status_code == 302
    assert list(draft.entries.order_by("position").values_list("headline", flat=True)) == ["标题1", "标题0"]
    # edit an entry's public text
    response = client.post(url("bulletin_entry_edit", draft.pk, first.pk), {
        "headline": "编造“雷击”谣言", "rumour_summary": "网传某公园雷击", "finding_summary": "经核实系编造",
        "measures_summary": "新浪微博 @x 警告"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.headline, first.measures_summary) == ("编造“雷击”谣言", "新浪微博 @x 警告")

    assert client.post(url("bulletin_submit", draft.pk)).status_code == 302
    draft.refresh_from_db()
    assert draft.status == BulletinStatus.IN_REVIEW

    # the drafter may not publish: told in place, nothing changes
    page = client.get(url("bulletin_detail", draft.pk)).content.decode()
    assert url("bulletin_publish", draft.pk) not in page and "someone else must publish it" in page
    before = state()
    response = client.post(url("bulletin_publish", draft.pk))
    assert response.status_code == 403
    assert "You drafted this bulletin; someone else must approve it." in response.content.decode()
    assert state() == before

    client.force_login(cast.publisher2)
    assert url("bulletin_publish", draft.pk) in client.get(url("bulletin_detail", draft.pk)).content.decode()
    response = client.post(url("bulletin_publish", draft.pk))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.published_by) == (BulletinStatus.PUBLISHED, cast.publisher2)
    for case in cases:
        case.refresh_from_db()
        assert (case.status, case.resolution) == (CaseStatus.CLOSED, Resolution.EXPOSED)
    page = client.get(response.url).content.decode()
    assert "2 cases closed as exposed" in page
    assert f"{draft.year}-{draft.issue_number:03d}" in page
    # everything read-only now
    assert url("bulletin_entry_edit", draft.pk, first.pk) not in page
    assert url("bulletin_entry_move", draft.pk, first.pk) not in page
    assert url("bulletin_send_back", draft.pk) not in page
    before = state()
    client.force_login(cast.publisher)
    assert client.get(url("bulletin_entry_edit", draft.pk, first.pk)).status_code == 302
    response = client.post(url("bulletin_entry_edit", draft.pk, first.pk), {
        "headline": "改", "rumour_summary": "改", "finding_summary": "改"})
    assert response.status_code == 200
    assert client.post(url("bulletin_entry_remove", draft.pk, first.pk)).status_code == 200
    assert state() == before


def test_it_keeps_what_was_typed_in_an_entry(client, cast, draft, cases):
    client.force_login(cast.publisher)
    response = client.post(url("bulletin_entry_add", draft.pk), {
        "case": cases[0].reference, "headline": "", "rumour_summary": "<script>x</script>", "finding_summary": "f"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required." in body and "&lt;script&gt;x&lt;/script&gt;" in body
    assert BulletinEntry.objects.count() == 0


def test_it_removes_an_entry_and_renumbers_on_move(client, cast, draft, cases, build):
    entries = [add(draft, case, cast.publisher, headline=f"h{n}") for n, case in enumerate(cases)]
    third = add(draft, build.exposing(), cast.publisher, headline="h2")
    client.force_login(cast.publisher)
    assert client.post(url("bulletin_entry_remove", draft.pk, entries[0].pk)).status_code == 302
    assert not BulletinEntry.objects.filter(pk=entries[0].pk).exists()
    assert client.post(url("bulletin_entry_move", draft.pk, third.pk), {"direction": "up"}).status_code == 302
    assert list(draft.entries.order_by("position").values_list("headline", "position")) == [("h2", 1), ("h1", 2)]
    # the first cannot go further up: nothing moves
    assert client.post(url("bulletin_entry_move", draft.pk, third.pk), {"direction": "up"}).status_code == 302
    assert list(draft.entries.order_by("position").values_list("headline", flat=True)) == ["h2", "h1"]
    response = client.post(url("bulletin_entry_move", draft.pk, third.pk), {"direction": "sideways"})
    assert response.status_code == 200 and "Some fields are not valid." in response.content.decode()


def test_it_needs_an_entry_to_submit(client, cast, draft):
    client.force_login(cast.publisher)
    response = client.post(url("bulletin_submit", draft.pk))
    assert response.status_code == 200
    assert "A bulletin needs at least one entry." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == BulletinStatus.DRAFT


def test_it_sends_back_with_comments(client, cast, draft, cases):
    add(draft, cases[0], cast.publisher)
    bulletins.bulletin_submit(bulletin=draft, by=cast.publisher)
    client.force_login(cast.publisher2)
    response = client.post(url("bulletin_send_back", draft.pk), {"comments": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert client.post(url("bulletin_send_back", draft.pk), {"comments": "标题<太长>"}).status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.review_comments) == (BulletinStatus.DRAFT, "标题<太长>")
    client.force_login(cast.publisher)
    assert "标题&lt;太长&gt;" in client.get(url("bulletin_detail", draft.pk)).content.decode()


@pytest.mark.parametrize("who", ["auditor", "disposal", "intake"])
def test_it_refuses_every_change_from_other_roles(client, cast, draft, cases, who):
    entry = add(draft, cases[0], cast.publisher)
    client.force_login(getattr(cast, who))
    page = client.get(url("bulletin_detail", draft.pk))
    assert page.status_code == 200
    assert url("bulletin_entry_edit", draft.pk, entry.pk) not in page.content.decode()
    before = state()
    posts = [
        (url("bulletin_entry_add", draft.pk), {"case": cases[1].reference, "headline": "h", "rumour_summary": "r",
                                               "finding_summary": "f"}),
        (url("bulletin_entry_edit", draft.pk, entry.pk), {"headline": "h", "rumour_summary": "r",
                                                          "finding_summary": "f"}),
        (url("bulletin_entry_move", draft.pk, entry.pk), {"direction": "down"}),
        (url("bulletin_entry_remove", draft.pk, entry.pk), {}),
        (url("bulletin_submit", draft.pk), {}),
        (url("bulletin_send_back", draft.pk), {"comments": "x"}),
        (url("bulletin_publish", draft.pk), {}),
    ]
    for target, data in posts:
        assert client.post(target, data).status_code == 403, target
    assert state() == before


def test_it_answers_404_for_an_unknown_bulletin_or_entry(client, cast, draft):
    client.force_login(cast.auditor)
    assert client.get(url("bulletin_detail", draft.pk + 100)).status_code == 404
    client.force_login(cast.publisher)
    assert client.get(url("bulletin_entry_edit", draft.pk, 999)).status_code == 404


def test_it_keeps_the_list_queries_flat(client, cast, django_assert_max_num_queries):
    for n in range(3):
        bulletins.bulletin_create(by=cast.publisher, title=f"b{n}", period_start=today(), period_end=today())
    client.force_login(cast.auditor)
    with django_assert_max_num_queries(20) as few:
        client.get(url("bulletin_list"))
    for n in range(10):
        bulletins.bulletin_create(by=cast.publisher, title=f"c{n}", period_start=today(), period_end=today())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("bulletin_list"))

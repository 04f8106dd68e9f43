"""The disposal tab: penalties per account (with the repeat-offender suggestion), four-eyes approval,
orders to platforms, their completion and webhook deliveries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rumorcases.core.models import AuditEvent
from rumorcases.disposal import selectors
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import MEASURES_WITH_DURATION, Measure, OffenderRole, OrderStatus, PenaltyStatus
from rumorcases.disposal.models import Account, DisposalOrder, Penalty, Subject
from rumorcases.platforms.models import Platform, WebhookAttempt, WebhookDelivery


@pytest.fixture(autouse=True)
def english(client):
    # The assertions read the English texts; the office's default language is Chinese.
    client.cookies["django_language"] = "en"


@pytest.fixture
def case(build):
    return build.disposing()


@pytest.fixture
def account(case):
    return case.reports.get().author


@pytest.fixture
def douyin(db):
    return Platform.objects.create(slug="douyin", name="抖音", name_en="Douyin", is_key=True)


def tab(case):
    return reverse("staff:case_disposal", args=[case.reference])


def propose_url(case, account):
    return reverse("staff:penalty_propose", args=[case.reference, account.pk])


def propose(case, account, by, provision, measure=Measure.POSTING_BAN, duration_days=30, approve_by=None):
    penalty = disposal.penalty_propose(case=case, account=account, role=OffenderRole.ORIGINATOR, measure=measure,
                                       duration_days=duration_days if measure in MEASURES_WITH_DURATION else None,
                                       legal_provision=provision, reasoning="编造谣言", by=by)
    if approve_by is not None and penalty.status == PenaltyStatus.PROPOSED:
        disposal.penalty_approve(penalty=penalty, by=approve_by)
    penalty.refresh_from_db()
    return penalty


def proposal(account, provision, **overrides):
    prefix = f"a{account.pk}-"
    data = {"measure": Measure.POSTING_BAN, "duration_days": "15", "legal_provision": str(provision.pk),
            "role": OffenderRole.AMPLIFIER, "reasoning": "转发扩散谣言"}
    data.update(overrides)
    return {prefix + key: value for key, value in data.items()}


def counts():
    return (Penalty.objects.count(), DisposalOrder.objects.count(), AuditEvent.objects.count(),
            list(Penalty.objects.order_by("pk").values_list("status", flat=True)),
            list(DisposalOrder.objects.order_by("pk").values_list("status", flat=True)))


# --- the tab ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["auditor", "intake", "disposal", "supervisor"])
def test_it_shows_the_tab_to_every_role(client, cast, case, account, who):
    client.force_login(getattr(cast, who))
    response = client.get(tab(case))
    assert response.status_code == 200
    body = response.content.decode()
    assert case.reference in body
    assert f"@{account.handle}" in body
    assert 'aria-current="page"' in body  # the disposal tab of the case header
    shows_form = who in ("disposal", "supervisor")
    assert (propose_url(case, account) in body) is shows_form


def test_it_refuses_people_without_a_role(client, cast, case):
    client.force_login(cast.nobody)
    assert client.get(tab(case)).status_code == 403
    client.logout()
    assert client.get(tab(case)).status_code == 302


def test_it_answers_404_for_an_unknown_case(client, cast, db):
    client.force_login(cast.auditor)
    assert client.get(reverse("staff:case_disposal", args=["RC-1999-000001"])).status_code == 404


def test_it_escapes_account_texts_from_the_internet(client, cast, case, account):
    account.handle = "<script>alert(1)</script>"
    account.display_name = "<img src=x onerror=alert(2)>"
    account.save()
    client.force_login(cast.disposal)
    body = client.get(tab(case)).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body
    assert "<img src=x" not in body


def test_it_shows_the_completion_guards_read_only(client, cast, case, account, provision):
    propose(case, account, cast.disposal, provision)  # still proposed
    client.force_login(cast.auditor)
    body = client.get(tab(case)).content.decode()
    assert "Every penalty must be decided" in body
    assert "guard-open" in body


# --- proposing -------------------------------------------------------------------------------


def test_it_proposes_a_penalty(client, cast, case, account, provision):
    client.force_login(cast.disposal)
    response = client.post(propose_url(case, account), proposal(account, provision))
    assert response.status_code == 302
    penalty = Penalty.objects.get()
    assert (penalty.account, penalty.case, penalty.measure, penalty.duration_days, penalty.role, penalty.status) == (
        account, case, Measure.POSTING_BAN, 15, OffenderRole.AMPLIFIER, PenaltyStatus.PROPOSED)
    assert penalty.proposed_by == cast.disposal
    assert AuditEvent.objects.filter(action="penalty.proposed").count() == 1
    page = client.get(response.url).content.decode()
    assert "Penalty proposed" in page
    assert "Awaiting approval by someone other than its proposer" in page


def test_it_approves_a_warning_at_once(client, cast, case, account, provision):
    client.force_login(cast.disposal)
    client.post(propose_url(case, account), proposal(account, provision, measure=Measure.WARNING,
                                                     duration_days=""))
    assert Penalty.objects.get().status == PenaltyStatus.APPROVED


@pytest.mark.parametrize("who", ["auditor", "intake", "publisher"])
def test_it_refuses_proposals_from_other_roles(client, cast, case, account, provision, who):
    before = counts()
    client.force_login(getattr(cast, who))
    assert client.post(propose_url(case, account), proposal(account, provision)).status_code == 403
    assert counts() == before


def test_it_keeps_what_was_typed_when_the_provision_is_missing(client, cast, case, account, provision):
    client.force_login(cast.disposal)
    response = client.post(propose_url(case, account), proposal(account, provision, legal_provision="",
                                                                 reasoning="<b>原帖</b>已扩散"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required" in body
    assert "&lt;b&gt;原帖&lt;/b&gt;已扩散" in body  # kept, and escaped
    assert 'value="15"' in body
    assert Penalty.objects.count() == 0


def test_it_shows_the_services_refusal_beside_the_duration(client, cast, case, account, provision):
    client.force_login(cast.disposal)
    response = client.post(propose_url(case, account), proposal(account, provision, duration_days=""))
    assert response.status_code == 200
    assert "This measure needs a duration in days." in response.content.decode()
    assert Penalty.objects.count() == 0


def test_it_refuses_an_account_not_involved_in_the_case(client, cast, case, platform, provision):
    stranger = Account.objects.create(platform=platform, platform_account_id="x-1", handle="stranger")
    client.force_login(cast.disposal)
    assert client.post(propose_url(case, stranger), proposal(stranger, provision)).status_code == 404
    assert Penalty.objects.count() == 0


def test_it_refuses_proposals_outside_the_disposal_stages(client, cast, build, provision):
    case = build.exposing()
    account = case.reports.get().author
    client.force_login(cast.disposal)
    body = client.get(tab(case)).content.decode()
    assert propose_url(case, account) not in body
    response = client.post(propose_url(case, account), proposal(account, provision))
    assert response.status_code == 200
    assert Penalty.objects.count() == 0


# --- the repeat-offender suggestion ------------------------------------------------------------


def test_it_suggests_a_warning_for_a_first_offence(case, account):
    suggestion = selectors.penalty_suggestion(account, case)
    assert suggestion.measure == Measure.WARNING
    assert suggestion.prior == []


def test_it_suggests_a_heavier_measure_for_a_repeat_offender_across_platforms(client, cast, build, douyin,
                                                                             provision):
    first = build.disposing()
    douyin_account = Account.objects.create(platform=douyin, platform_account_id="dy-1", handle="dy_same_person")
    first.reports.get()  # the first case's post was on weibo; its douyin account was penalised too
    propose(first, douyin_account, cast.disposal, provision, measure=Measure.POSTING_BAN, duration_days=30,
            approve_by=cast.supervisor)
    case = build.disposing()
    weibo_account = case.reports.get().author
    assert selectors.penalty_suggestion(weibo_account, case).measure == Measure.WARNING  # not linked yet

    person = Subject.objects.create(name="张某")
    disposal.subject_link_account(account=weibo_account, subject=person, by=cast.disposal)
    disposal.subject_link_account(account=douyin_account, subject=person, by=cast.disposal)
    suggestion = selectors.penalty_suggestion(weibo_account, case)
    assert suggestion.measure == Measure.SUSPEND_UPDATES  # one step past the posting ban
    assert suggestion.role == OffenderRole.REPEAT_OFFENDER
    assert suggestion.duration_days == 60
    assert "抖音" in suggestion.reason and "dy_same_person" in suggestion.reason
    assert first.reference in suggestion.reason

    client.force_login(cast.disposal)
    body = client.get(tab(case)).content.decode()
    assert '<option value="suspend_updates" selected>' in body
    assert '<option value="repeat_offender" selected>' in body
    assert "Repeat offender" in body and first.reference in body and "dy_same_person" in body


def test_it_keeps_the_tab_queries_flat_whatever_the_number_of_accounts(client, cast, case, platform, provision,
                                                                        django_assert_max_num_queries):
    from rumorcases.cases.models import Report

    client.force_login(cast.disposal)
    template = case.reports.get()

    def add_reports(start, count):
        for n in range(start, start + count):
            author = Account.objects.create(platform=platform, platform_account_id=f"q-{n}", handle=f"q{n}")
            Report.objects.create(platform=platform, external_id=f"q-{n}", case=case, author=author,
                                  content=template.content, content_hash=template.content_hash,
                                  posted_at=template.posted_at)
            propose(case, author, cast.disposal, provision, measure=Measure.WARNING)

    add_reports(0, 2)
    with django_assert_max_num_queries(40) as small:
        client.get(tab(case))
    add_reports(2, 10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(tab(case)).status_code == 200


# --- approving and revoking ---------------------------------------------------------------------


def approve_url(case, penalty):
    return reverse("staff:penalty_approve", args=[case.reference, penalty.pk])


def test_it_lets_a_supervisor_approve(client, cast, case, account, provision):
    penalty = propose(case, account, cast.disposal, provision)
    client.force_login(cast.supervisor)
    assert client.get(tab(case)).content.decode().count(approve_url(case, penalty)) == 1
    response = client.post(approve_url(case, penalty))
    assert response.status_code == 302
    penalty.refresh_from_db()
    assert (penalty.status, penalty.approved_by) == (PenaltyStatus.APPROVED, cast.supervisor)


@pytest.mark.parametrize("who", ["intake", "auditor", "disposal2"])
def test_it_refuses_approval_by_other_roles(client, cast, case, account, provision, who):
    penalty = propose(case, account, cast.disposal, provision)
    client.force_login(getattr(cast, who))
    assert approve_url(case, penalty) not in client.get(tab(case)).content.decode()
    before = counts()
    assert client.post(approve_url(case, penalty)).status_code == 403
    assert counts() == before


def test_it_refuses_the_proposer_approving_a_heavier_penalty(client, cast, case, account, provision):
    penalty = propose(case, account, cast.supervisor, provision, measure=Measure.CLOSE_ACCOUNT)
    client.force_login(cast.supervisor)
    page = client.get(tab(case)).content.decode()
    assert approve_url(case, penalty) not in page
    assert "someone else must approve it" in page
    before = counts()
    response = client.post(approve_url(case, penalty))
    assert response.status_code == 403
    assert "You proposed this penalty; someone else must approve it." in response.content.decode()
    assert counts() == before
    client.force_login(cast.supervisor2)
    assert client.post(approve_url(case, penalty)).status_code == 302
    penalty.refresh_from_db()
    assert penalty.approved_by == cast.supervisor2


def test_it_revokes_with_a_reason(client, cast, case, account, provision):
    penalty = propose(case, account, cast.disposal, provision)
    url = reverse("staff:penalty_revoke", args=[case.reference, penalty.pk])
    client.force_login(cast.supervisor)
    response = client.post(url, {f"r{penalty.pk}-reason": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    penalty.refresh_from_db()
    assert penalty.status == PenaltyStatus.PROPOSED
    assert client.post(url, {f"r{penalty.pk}-reason": "认定有误"}).status_code == 302
    penalty.refresh_from_db()
    assert (penalty.status, penalty.revoked_reason) == (PenaltyStatus.REVOKED, "认定有误")


@pytest.mark.parametrize("who", ["auditor", "disposal"])
def test_it_refuses_revocation_by_other_roles(client, cast, case, account, provision, who):
    penalty = propose(case, account, cast.disposal, provision)
    before = counts()
    client.force_login(getattr(cast, who))
    url = reverse("staff:penalty_revoke", args=[case.reference, penalty.pk])
    assert client.post(url, {f"r{penalty.pk}-reason": "x"}).status_code == 403
    assert counts() == before


# --- orders ------------------------------------------------------------------------------------


def issue_url(case, platform):
    return reverse("staff:order_issue", args=[case.reference, platform.slug])


def order_form(platform, report, penalty, due=None, **overrides):
    prefix = f"o{platform.pk}-"
    due = due or timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"reports": [str(report.pk)], "penalties": [str(penalty.pk)] if penalty else [], "due_at": due,
            "instructions": "删除原帖并禁言"}
    data.update(overrides)
    return {prefix + key: value for key, value in data.items()}


@pytest.fixture
def approved(case, account, cast, provision):
    return propose(case, account, cast.disposal, provision, approve_by=cast.supervisor)


def test_it_issues_an_order_which_the_platform_completes(client, cast, case, platform, approved):
    report = case.reports.get()
    client.force_login(cast.disposal)
    page = client.get(tab(case)).content.decode()
    assert issue_url(case, platform) in page
    response = client.post(issue_url(case, platform), order_form(platform, report, approved))
    assert response.status_code == 302
    order = DisposalOrder.objects.get()
    assert response.url == reverse("staff:order_detail", args=[case.reference, order.reference])
    assert order.items.count() == 2
    approved.refresh_from_db()
    assert approved.status == PenaltyStatus.ORDERED
    detail = client.get(response.url).content.decode()
    assert "Issued" in detail and order.reference in detail

    disposal.order_acknowledge(order=order, platform=platform)
    disposal.order_complete(order=order, platform=platform, results=[
        {"item": item.pk, "executed": True, "note": "已处理"} for item in order.items.all()])
    detail = client.get(response.url).content.decode()
    assert "badge state-completed" in detail
    assert detail.count("Executed") >= 2
    assert "已处理" in detail
    tab_page = client.get(tab(case)).content.decode()
    assert "badge state-completed" in tab_page


def test_it_keeps_what_was_typed_when_the_due_time_is_bad(client, cast, case, platform, approved):
    report = case.reports.get()
    client.force_login(cast.disposal)
    past = timezone.localtime(timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(issue_url(case, platform), order_form(platform, report, approved, due=past,
                                                                 instructions="<script>x</script>尽快"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "A due time in the future is required." in body
    assert "&lt;script&gt;x&lt;/script&gt;尽快" in body
    assert DisposalOrder.objects.count() == 0
    response = client.post(issue_url(case, platform), order_form(platform, report, approved, due="not a date"))
    assert response.status_code == 200
    assert "Enter a valid date/time." in response.content.decode()
    response = client.post(issue_url(case, platform), order_form(platform, report, None, reports=[]))
    assert "An order needs at least one item." in response.content.decode()
    assert DisposalOrder.objects.count() == 0


@pytest.mark.parametrize("who", ["auditor", "intake", "publisher"])
def test_it_refuses_orders_from_other_roles(client, cast, case, platform, approved, who):
    before = counts()
    client.force_login(getattr(cast, who))
    assert issue_url(case, platform) not in client.get(tab(case)).content.decode()
    assert client.post(issue_url(case, platform), order_form(platform, case.reports.get(), approved)).status_code \
        == 403
    assert counts() == before


@pytest.fixture
def order(case, platform, approved, cast):
    platform.webhook_url = "https://hooks.weibo.example/rumorcases"
    platform.save(update_fields=["webhook_url"])
    return disposal.order_issue(case=case, platform=platform, due_at=timezone.now() + timedelta(hours=4),
                                by=cast.disposal, items=[{"kind": "remove_content", "report": case.reports.get()},
                                                         {"kind": "act_on_account", "penalty": approved}])


def order_url(case, order, action=""):
    name = "staff:order_" + (action or "detail")
    return reverse(name, args=[case.reference, order.reference])


def test_it_lists_the_webhook_deliveries_to_those_who_may_see_them(client, cast, case, order):
    delivery = WebhookDelivery.objects.get(order=order)
    WebhookAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), status_code=503,
                                  error="<h1>busy</h1>")
    WebhookAttempt.objects.create(delivery=delivery, number=2, started_at=timezone.now(), status_code=200,
                                  succeeded=True)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="delivered", attempts=2,
                                                          delivered_at=timezone.now())
    for who in ("auditor", "supervisor"):
        client.force_login(getattr(cast, who))
        body = client.get(order_url(case, order)).content.decode()
        assert "Webhook deliveries" in body
        assert "HTTP 503" in body and "HTTP 200" in body and "&lt;h1&gt;busy" in body
        assert str(delivery.delivery_id) in body
    client.force_login(cast.disposal)
    body = client.get(order_url(case, order)).content.decode()
    assert "Webhook deliveries" not in body and "HTTP 503" not in body


def test_it_marks_an_overdue_order(client, cast, case, order):
    DisposalOrder.objects.filter(pk=order.pk).update(due_at=timezone.now() - timedelta(hours=1))
    client.force_login(cast.auditor)
    assert 'class="overdue"' in client.get(tab(case)).content.decode()
    assert "overdue" in client.get(order_url(case, order)).content.decode()


def test_it_answers_404_for_another_cases_order(client, cast, build, order):
    other = build.disposing()
    client.force_login(cast.auditor)
    assert client.get(reverse("staff:order_detail", args=[other.reference, order.reference])).status_code == 404


def test_it_lets_a_supervisor_waive_with_a_reason(client, cast, case, order):
    client.force_login(cast.supervisor)
    assert order_url(case, order, "waive") in client.get(order_url(case, order)).content.decode()
    response = client.post(order_url(case, order, "waive"), {"waive-reason": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = client.post(order_url(case, order, "waive"), {"waive-reason": "平台已自行处置"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.waived_by, order.waived_reason) == (OrderStatus.WAIVED, cast.supervisor,
                                                                    "平台已自行处置")
    assert "badge state-waived" in client.get(order_url(case, order)).content.decode()


@pytest.mark.parametrize("who", ["auditor", "disposal"])
def test_it_refuses_waivers_from_other_roles(client, cast, case, order, who):
    client.force_login(getattr(cast, who))
    assert order_url(case, order, "waive") not in client.get(order_url(case, order)).content.decode()
    before = counts()
    assert client.post(order_url(case, order, "waive"), {"waive-reason": "x"}).status_code == 403
    assert counts() == before


def test_it_refuses_to_waive_a_completed_order_in_place(client, cast, case, order, platform):
    disposal.order_complete(order=order, platform=platform, results=[
        {"item": item.pk, "executed": True} for item in order.items.all()])
    client.force_login(cast.supervisor)
    response = client.post(order_url(case, order, "waive"), {"waive-reason": "晚了"})
    assert response.status_code == 200
    assert "not possible from state" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


@pytest.mark.parametrize("name", ["penalty_propose", "penalty_approve", "order_issue", "order_waive"])
def test_actions_answer_only_post(client, cast, case, account, name, order, approved):
    args = {"penalty_propose": [case.reference, account.pk], "penalty_approve": [case.reference, approved.pk],
            "order_issue": [case.reference, "weibo"], "order_waive": [case.reference, order.reference]}[name]
    client.force_login(cast.supervisor)
    assert client.get(reverse(f"staff:{name}", args=args)).status_code == 405


def test_it_renders_the_pages_in_chinese(client, cast, case, order):
    client.cookies["django_language"] = "zh-hans"
    client.force_login(cast.supervisor)
    for page in (tab(case), order_url(case, order)):
        response = client.get(page)
        assert response.status_code == 200
        assert 'lang="zh-hans"' in response.content.decode()

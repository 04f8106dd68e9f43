"""/api/v1/orders/: a platform pulls the orders addressed to it and answers them, through the
disposal services; another platform's orders do not exist for it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import Measure, OffenderRole, OrderItemOutcome, OrderStatus, PenaltyStatus
from rumorcases.disposal.models import Account, DisposalOrder
from tests.api.conftest import assert_error, stored


def propose(case, account, cast, provision, measure=Measure.POSTING_BAN, duration_days=30):
    penalty = disposal.penalty_propose(case=case, account=account, role=OffenderRole.ORIGINATOR, measure=measure,
                                       legal_provision=provision, reasoning="编造谣言", by=cast.disposal,
                                       duration_days=duration_days)
    if penalty.status == PenaltyStatus.PROPOSED:
        disposal.penalty_approve(penalty=penalty, by=cast.supervisor)
    penalty.refresh_from_db()
    return penalty


def issue(case, platform, cast, items, hours=24):
    return disposal.order_issue(case=case, platform=platform, due_at=timezone.now() + timedelta(hours=hours),
                                by=cast.disposal, items=items, instructions="删除原帖并禁言30天")


@pytest.fixture
def case(build):
    return build.disposing()


@pytest.fixture
def order(case, platform, cast, provision):
    report = case.reports.get()
    penalty = propose(case, report.author, cast, provision)
    return issue(case, platform, cast, [{"kind": "remove_content", "report": report},
                                        {"kind": "act_on_account", "penalty": penalty}])


@pytest.fixture
def douyin_order(case, douyin, cast):
    return issue(case, douyin, cast, [{"kind": "remove_content", "url": "https://douyin.example/v/1"}])


def url(order, action=""):
    return f"/api/v1/orders/{order.pk}/" + (f"{action}/" if action else "")


def test_it_shows_an_order_with_its_items(api, order, case):
    body = api.get(url(order)).json()
    report = case.reports.get()
    remove, act = order.items.order_by("id")
    assert body == {
        "id": order.pk, "reference": order.reference, "status": "issued",
        "case": {"reference": case.reference, "status": "disposing"},
        "instructions": "删除原帖并禁言30天",
        "issued_at": body["issued_at"], "due_at": body["due_at"], "acknowledged_at": None, "completed_at": None,
        "rejected_reason": "", "waived_reason": "",
        "items": [
            {"id": remove.pk, "kind": "remove_content", "url": report.url,
             "report": {"id": report.pk, "external_id": report.external_id},
             "account": {"account_id": report.author.platform_account_id, "handle": report.author.handle},
             "penalty": None, "outcome": "pending", "done_at": None, "note": ""},
            {"id": act.pk, "kind": "act_on_account", "url": "", "report": None,
             "account": {"account_id": report.author.platform_account_id, "handle": report.author.handle},
             "penalty": {"measure": "posting_ban", "duration_days": 30,
                         "legal_basis": {"code": "csl-12", "law": "中华人民共和国网络安全法", "article": "第十二条"}},
             "outcome": "pending", "done_at": None, "note": ""},
        ],
    }


def test_it_lists_only_the_platforms_own_orders(api, api_b, order, douyin_order):
    assert [o["id"] for o in api.get("/api/v1/orders/").json()["results"]] == [order.pk]
    assert [o["id"] for o in api_b.get("/api/v1/orders/").json()["results"]] == [douyin_order.pk]


def test_it_filters_orders_by_status(api, order, case, platform, cast):
    later = issue(case, platform, cast, [{"kind": "remove_content", "url": "https://weibo.example/repost/2"}],
                  hours=48)
    disposal.order_acknowledge(order=later, platform=platform)
    done = issue(case, platform, cast, [{"kind": "remove_content", "url": "https://weibo.example/repost/3"}])
    disposal.order_complete(order=done, platform=platform,
                            results=[{"item": done.items.get().pk, "executed": True}])

    def listed(status):
        return [o["id"] for o in api.get("/api/v1/orders/", {"status": status}).json()["results"]]

    assert listed("open") == [order.pk, later.pk]  # soonest due first
    assert listed("issued") == [order.pk]
    assert listed("acknowledged") == [later.pk]
    assert listed("completed") == [done.pk]
    assert listed("waived") == []
    assert len(api.get("/api/v1/orders/").json()["results"]) == 3


def test_it_refuses_an_unknown_status_filter(api):
    assert_error(api.get("/api/v1/orders/", {"status": "closed"}), 422, "invalid", fields=["status"])


def test_it_lists_orders_in_a_constant_number_of_queries(api, order, case, platform, cast):
    api.get("/api/v1/orders/")  # the token's last use is written once a minute: not in the count
    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/orders/")
    for n in range(4):
        issue(case, platform, cast, [{"kind": "remove_content", "url": f"https://weibo.example/r/{n}"}])
    with CaptureQueriesContext(connection) as five:
        assert len(api.get("/api/v1/orders/").json()["results"]) == 5
    assert len(five) == len(one)


def test_it_pages_orders(api, order, case, platform, cast):
    for n in range(4):
        issue(case, platform, cast, [{"kind": "remove_content", "url": f"https://weibo.example/r/{n}"}], hours=30 + n)
    first = api.get("/api/v1/orders/", {"page_size": 2}).json()
    second = api.client.get(first["next"], **api.headers).json()
    third = api.client.get(second["next"], **api.headers).json()
    ids = [o["id"] for page in (first, second, third) for o in page["results"]]
    assert ids == list(DisposalOrder.objects.order_by("due_at", "id").values_list("pk", flat=True))
    assert third["next"] is None


def test_it_acknowledges_an_order(api, order):
    response = api.post(url(order, "acknowledge"))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "acknowledged"
    assert response.json()["acknowledged_at"] is not None
    order.refresh_from_db()
    assert order.status == OrderStatus.ACKNOWLEDGED


def test_it_answers_409_when_acknowledging_twice(api, order):
    api.post(url(order, "acknowledge"))
    before = stored()
    assert_error(api.post(url(order, "acknowledge")), 409, "transition_not_allowed")
    assert stored() == before


def test_it_completes_an_order_with_every_item_executed(api, order):
    remove, act = order.items.order_by("id")
    at = (timezone.now() - timedelta(minutes=30)).isoformat()
    response = api.post(url(order, "complete"), {"results": [
        {"item": remove.pk, "executed": True, "at": at, "note": "已删除"},
        {"item": act.pk, "executed": True},
    ]})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "completed"
    assert [(i["outcome"], i["note"]) for i in body["items"]] == [("executed", "已删除"), ("executed", "")]
    act.refresh_from_db()
    assert act.penalty.status == PenaltyStatus.EXECUTED


def test_it_rejects_an_order_with_an_item_not_executed(api, order):
    remove, act = order.items.order_by("id")
    response = api.post(url(order, "complete"), {"results": [
        {"item": remove.pk, "executed": True},
        {"item": act.pk, "executed": False, "note": "账号已注销"},
    ]})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert [i["outcome"] for i in response.json()["items"]] == ["executed", "not_executed"]
    assert "账号已注销" in response.json()["rejected_reason"]


def test_it_answers_409_when_completing_a_completed_order(api, order):
    results = {"results": [{"item": item.pk, "executed": True} for item in order.items.all()]}
    api.post(url(order, "complete"), results)
    before = stored()
    assert_error(api.post(url(order, "complete"), results), 409, "transition_not_allowed")
    assert stored() == before


def _answers(order, **change):
    remove, act = order.items.order_by("id")
    answers = [{"item": remove.pk, "executed": True}, {"item": act.pk, "executed": True}]
    answers[0].update(change)
    return {"results": answers}


BAD_COMPLETIONS = {
    "no results": (lambda o: {}, ["results"]),
    "empty results": (lambda o: {"results": []}, ["results"]),
    "an item missing": (lambda o: {"results": _answers(o)["results"][:1]}, ["results"]),
    "an item of another order": (lambda o: _answers(o, item=999_999), ["results.0.item"]),
    "executed a string": (lambda o: _answers(o, executed="yes"), ["results.0.executed"]),
    "item a string": (lambda o: _answers(o, item="1"), ["results.0.item"]),
    "at in the future": (lambda o: _answers(o, at=(timezone.now() + timedelta(hours=2)).isoformat()),
                         ["results.0.at"]),
    "at without offset": (lambda o: _answers(o, at="2026-01-01T10:00:00"), ["results.0.at"]),
    "note too long": (lambda o: _answers(o, note="x" * 2001), ["results.0.note"]),
    "unknown field": (lambda o: _answers(o, proof="https://x"), ["results.0.proof"]),
    "unknown top-level field": (lambda o: {**_answers(o), "done": True}, ["done"]),
    "answered twice": (lambda o: {"results": [_answers(o)["results"][0]] * 2}, ["results.1.item"]),
}


@pytest.mark.parametrize("make, fields", BAD_COMPLETIONS.values(), ids=BAD_COMPLETIONS.keys())
def test_it_refuses_a_bad_completion_and_changes_nothing(api, order, make, fields):
    before = stored()
    assert_error(api.post(url(order, "complete"), make(order)), 422, "invalid", fields=fields)
    assert stored() == before
    order.refresh_from_db()
    assert order.status == OrderStatus.ISSUED
    assert set(order.items.values_list("outcome", flat=True)) == {OrderItemOutcome.PENDING}


@pytest.mark.parametrize("action", ["", "acknowledge", "complete"])
def test_it_answers_404_for_another_platforms_order_and_changes_nothing(api_b, order, action):
    before = stored()
    method = api_b.get if not action else api_b.post
    body = {"results": [{"item": item.pk, "executed": True} for item in order.items.all()]}
    response = method(url(order, action)) if action != "complete" else method(url(order, action), body)
    theirs = assert_error(response, 404, "not_found")
    missing_path = f"/api/v1/orders/999999/{action + '/' if action else ''}"
    missing = api_b.get(missing_path) if not action else api_b.post(missing_path, body)
    assert theirs == assert_error(missing, 404, "not_found")
    assert stored() == before


def test_a_case_with_an_order_to_the_platform_is_readable_by_it(api_b, douyin_order, case):
    # Douyin reported nothing into the case, but the order named it.
    body = api_b.get(f"/api/v1/cases/{case.reference}/").json()
    assert body["reference"] == case.reference and body["notice_url"].startswith("/notices/")


def test_an_order_item_never_names_another_platforms_account(api_b, case, douyin, cast, provision):
    account = Account.objects.create(platform=douyin, platform_account_id="dy-7", handle="douyin_h")
    penalty = propose(case, account, cast, provision, measure=Measure.WARNING, duration_days=None)
    order = issue(case, douyin, cast, [{"kind": "act_on_account", "penalty": penalty}])
    (item,) = api_b.get(url(order)).json()["items"]
    assert item["account"] == {"account_id": "dy-7", "handle": "douyin_h"}
    assert item["penalty"]["measure"] == "warning" and item["penalty"]["duration_days"] is None


def test_an_order_item_does_not_name_a_report_the_office_recorded_itself(api, case, platform, cast):
    from rumorcases.cases import services as case_services
    from tests.conftest import report_input

    staff = case_services.report_submit_by_staff(by=cast.intake, platform=platform,
                                                 data=report_input("office-seen", "办公室监测到的转发")).report
    staff.case = case  # as if merged into this case
    staff.save(update_fields=["case"])
    order = issue(case, platform, cast, [{"kind": "remove_content", "report": staff}])
    (item,) = api.get(url(order)).json()["items"]
    assert item["report"] is None
    assert item["url"] == staff.url

"""The whole platform API fuzzed against its own OpenAPI schema (schemathesis), over real data.

Weibo, holding a token with every scope, owns cases at every stage of the workflow (reports with
authors, spread figures and evidence links; published debunk notices; penalties citing the
catalogue) and disposal orders in every state; the office recorded a post of its own on Weibo,
and Douyin owns a case and an order. Neither of those two is Weibo's to see. On that world:

- every operation gets the schema's examples, schemathesis' coverage cases and generated
  requests, valid and invalid, every other generated id naming a real object;
- a state machine follows the schema's links with real values from real answers (submit a
  report → read it → its case; list orders → read one → acknowledge → complete → read again),
  and a report sent again exactly as it reads back must be the same report (`existing`).

No answer may be a server error, carry a status the schema does not list for it, or differ from
the schema in content type, headers or body; what breaks the schema must be refused. Requests
are counted, so that the module fails if the generation silently shrinks.
"""

import re
import zlib
from collections import Counter
from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config._checks import NegativeDataRejectionConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from rumorcases.cases import services as case_services
from rumorcases.cases import workflow
from rumorcases.cases.choices import Category, ContentType, ReportSource
from rumorcases.cases.models import Case, Report
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import AccountType, Measure, OffenderRole, PenaltyStatus
from rumorcases.disposal.models import DisposalOrder
from rumorcases.platforms.models import Platform
from rumorcases.wsgi import application
from tests.api.conftest import PlatformClient, assert_error, make_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]

# Generated requests per operation, beyond the schema's examples and schemathesis' coverage cases.
MAX_EXAMPLES = 200
# Scenarios of the state machine, each of 2 to 8 linked steps.
SCENARIOS = 200
# What the module sends at the least (about 2,600 stateless requests and 1,700 stateful steps).
FLOOR = 4_000
STATEFUL_FLOOR = 1_500

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# The token is sent on every request: generating or leaving out credentials is tests/hardening/test_api_access.py's.
schema.config.generation.update(modes=list(schemathesis.GenerationMode), max_examples=MAX_EXAMPLES,
                                with_security_parameters=False)
# Over 1,000 reports in a batch is refused with 413 (batch_too_large), as documented.
schema.config.checks.negative_data_rejection = NegativeDataRejectionConfig(
    expected_statuses=[*schema.config.checks.negative_data_rejection.expected_statuses, "413"])
OPERATIONS = {result.ok().label for result in schema.get_all_operations()}

SENT = Counter()  # stateless requests, by operation
STEPS = Counter()  # stateful steps, by (the link followed or None, operation, status)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Requests go straight to the WSGI application, not through Django's test client: the end of
    # each request would otherwise close the connection that holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    settings.API_RATE = "1000000/min"  # thousands of requests; throttling has its own tests


def checks_for(case):
    if case.operation.path == "/api/v1/reports/batch/":
        # A report that breaks the schema is answered `invalid` inside the batch's 200, by design
        # (tests/api/test_batch.py): the batch is exempt from this one.
        return [check for check in CHECKS if check is not negative_data_rejection]
    return CHECKS


# --- the world ------------------------------------------------------------------------

RUMOURS = [
    "网传某区自来水厂被污染，请大家这两天不要喝自来水！已经有人喝了上吐下泻。",
    "紧急扩散：明天起本市地铁全线停运三天，各单位放假，请提前安排出行。",
    "可口可乐被检出多菌灵超标，喝了会致癌，赶紧告诉家里的老人孩子！",
    "某小学门口有人用迷药拐卖儿童，已经有三个孩子失踪，家长们千万注意。",
    "交警新规：明年起闯黄灯一律扣6分罚款200元，转给身边开车的朋友。",
    "台风过境后某区医院停电，重症监护室多名病人死亡，院方封锁消息。",
]


def _report(external_id, content, *, handle, followers=0, account_type=AccountType.INDIVIDUAL, views=0,
            reposts=0, hours_ago=3, **extra):
    return case_services.ReportInput(
        external_id=external_id, content=content, posted_at=timezone.now() - timedelta(hours=hours_ago),
        url=f"https://weibo.example/status/{external_id}", title="", content_type=ContentType.TEXT,
        language="zh-CN", views=views, reposts=reposts, comments=reposts // 3, likes=views // 20,
        author=case_services.AuthorInput(account_id=f"u{zlib.crc32(handle.encode()):010d}", handle=handle,
                                         display_name=handle, account_type=account_type,
                                         followers=followers, verified=followers > 100_000),
        category=Category.RUMOUR, reason="多名用户举报，与官方通报不符", source=ReportSource.USER_REPORT,
        evidence_urls=[f"https://weibo.example/capture/{external_id}.png"], **extra,
    )


def _ingest(platform, *args, **kwargs):
    return case_services.report_ingest(platform=platform, data=_report(*args, **kwargs))


def _rumour_published(build, cast, case):
    """Verify, confirm and debunk `case`: it ends `disposing`, with a published notice."""
    workflow.case_start_verification(case=case, by=cast.intake)
    build.add_rumour_finding(case)
    workflow.case_confirm_rumour(case=case, by=cast.verifier)
    build.approved_notice(case)
    workflow.case_publish_debunk(case=case, by=cast.publisher)
    case.refresh_from_db()
    return case


def _penalty(case, account, cast, provision, measure, duration_days=None):
    penalty = disposal.penalty_propose(case=case, account=account, role=OffenderRole.ORIGINATOR, measure=measure,
                                       legal_provision=provision, reasoning="编造、传播虚假信息",
                                       by=cast.disposal, duration_days=duration_days)
    if penalty.status == PenaltyStatus.PROPOSED:
        disposal.penalty_approve(penalty=penalty, by=cast.supervisor)
    return penalty


def _issue(case, platform, cast, items, hours=48):
    return disposal.order_issue(case=case, platform=platform, due_at=timezone.now() + timedelta(hours=hours),
                                by=cast.disposal, items=items, instructions="删除原帖，并对账号采取所列措施。")


@pytest.fixture
def world(build, cast, platform, provision):
    """Weibo's cases at every stage and orders in every state; Douyin's own case and order."""
    douyin = Platform.objects.create(slug="douyin", name="抖音", name_en="Douyin", is_key=True)
    water, metro, cola, school, traffic, typhoon = RUMOURS
    # Discovered: the same post reported twice (two accounts), one case.
    _ingest(platform, "4890011223344501", water, handle="某某生活圈", followers=120_000,
            account_type=AccountType.SELF_MEDIA, views=52_000, reposts=830)
    _ingest(platform, "4890011223344502", water, handle="热心市民小王", followers=300, views=900, reposts=12)
    # Verifying, and closed as out of scope.
    verifying = _ingest(platform, "4890011223344503", metro, handle="城市通勤", views=8_000, reposts=510).case
    workflow.case_start_verification(case=verifying, by=cast.intake)
    dismissed = _ingest(platform, "4890011223344504", traffic, handle="车友会", views=300).case
    workflow.case_dismiss(case=dismissed, by=cast.supervisor, reason="不属于本办管辖")
    # Disposing, with a published notice, penalties and orders in every state.
    first = _ingest(platform, "4890011223344505", cola, handle="健康早知道", followers=880_000,
                    account_type=AccountType.MCN, views=1_200_000, reposts=45_000)
    spreader = _ingest(platform, "4890011223344506", cola, handle="转发小能手", views=3_000, reposts=40)
    disposing = _rumour_published(build, cast, first.case)
    warning = _penalty(disposing, spreader.report.author, cast, provision, Measure.WARNING)
    ban = _penalty(disposing, first.report.author, cast, provision, Measure.POSTING_BAN, duration_days=30)
    orders = {
        "issued": _issue(disposing, platform, cast, [{"kind": "remove_content", "report": first.report},
                                                     {"kind": "act_on_account", "penalty": ban}]),
        "acknowledged": _issue(disposing, platform, cast, [{"kind": "remove_content", "report": spreader.report}]),
        "completed": _issue(disposing, platform, cast, [{"kind": "act_on_account", "penalty": warning}]),
        "rejected": _issue(disposing, platform, cast, [
            {"kind": "remove_content", "url": "https://weibo.example/status/4890011223344599"}]),
        "overdue": _issue(disposing, platform, cast, [{"kind": "remove_content", "report": first.report}]),
        "waived": _issue(disposing, platform, cast, [{"kind": "remove_content", "report": spreader.report}]),
    }
    disposal.order_acknowledge(order=orders["acknowledged"], platform=platform)
    item = orders["completed"].items.get()
    disposal.order_complete(order=orders["completed"], platform=platform,
                            results=[{"item": item.pk, "executed": True, "note": "账号已警告"}])
    item = orders["rejected"].items.get()
    disposal.order_complete(order=orders["rejected"], platform=platform,
                            results=[{"item": item.pk, "executed": False, "note": "原帖已由作者删除"}])
    DisposalOrder.objects.filter(pk=orders["overdue"].pk).update(due_at=timezone.now() - timedelta(hours=1))
    orders["overdue"].refresh_from_db()
    disposal.order_mark_overdue(order=orders["overdue"])
    disposal.order_waive(order=orders["waived"], by=cast.supervisor, reason="平台已自行处置")
    # The office's own find on Weibo, in a case Weibo never reported into but has an order on.
    staff = case_services.report_submit_by_staff(by=cast.intake, platform=platform, data=_report(
        "4890011223344507", school, handle="本地大小事", views=20_000, reposts=900, hours_ago=30))
    staff_case = _rumour_published(build, cast, staff.case)
    orders["staff"] = _issue(staff_case, platform, cast, [{"kind": "remove_content", "report": staff.report}])
    # Douyin's case and order: Weibo must never see them.
    theirs = _ingest(douyin, "7312345678901234567", typhoon, handle="台风实况", views=66_000, reposts=2_100)
    theirs_case = _rumour_published(build, cast, theirs.case)
    orders["douyin"] = _issue(theirs_case, douyin, cast, [{"kind": "remove_content", "report": theirs.report}])
    # Real ids, Weibo's and others', for the generated requests to name.
    ids = {"report_id": list(Report.objects.order_by("pk").values_list("pk", flat=True)),
           "order_id": list(DisposalOrder.objects.order_by("pk").values_list("pk", flat=True)),
           "reference": list(Case.objects.order_by("pk").values_list("reference", flat=True))}
    return {"platform": platform, "ids": ids}


@pytest.fixture
def bearer(world):
    return {"Authorization": f"Bearer {make_token(world['platform'])[1]}"}


# --- every operation, stateless -----------------------------------------------------------------


def _names_a_real_object(case, world, n: int) -> None:
    """Every other generated request whose path is valid names a real object instead (a random
    id is almost never one): Weibo's, answered with real data, or another's, answered 404."""
    meta = case.meta
    if not case.path_parameters or meta is None or meta.phase.name != TestPhase.FUZZING or n % 2:
        return
    if meta.is_negative_at(ParameterLocation.PATH):
        return  # the invalid path is what this request tests
    (name,) = case.path_parameters
    pool = world["ids"][name]
    case.path_parameters[name] = pool[n // 2 % len(pool)]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
def test_every_operation_keeps_to_the_schema(case, world, bearer):
    SENT[case.operation.label] += 1
    _names_a_real_object(case, world, SENT[case.operation.label])
    case.call_and_validate(headers=bearer, checks=checks_for(case))


# --- linked workflows, stateful ----------------------------------------------------------------

# The fields a platform submits, as a report reads back: sending them again is the same report.
SUBMITTED = ["external_id", "content", "posted_at", "url", "title", "content_type", "language", "author",
             "metrics", "category", "reason", "source", "evidence_urls"]
LINK_NAME = re.compile(r" -> \[[0-9X]+\] (\w+) -> ")


def _test_links(raw: dict) -> None:
    """What the state machine follows besides the schema's own links (test only).

    - The schema's links from a list name its first entry, standing for any entry: here `*`
      (schemathesis' wildcard, read in links marked inferred) picks any, so that scenarios
      reach every order and report, not the first one only.
    - CompleteOrder carries a body answering the order's first item as done, and a twin,
      ReportItemNotDone, as not done: scenarios complete and reject real orders (an order of
      two items answers 422: one item is left unanswered).
    - ResubmitReport sends a report again exactly as it reads back.
    """
    for path, operations in raw["paths"].items():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                links = response.get("links", {})
                if "CompleteOrder" in links:
                    item = links["CompleteOrder"]["parameters"]["order_id"].removesuffix("/id") + "/items/0/id"
                    links["CompleteOrder"] = {**links["CompleteOrder"], "x-schemathesis": {"merge_body": False},
                                              "requestBody": {"results": [{"item": item, "executed": True}]}}
                    links["ReportItemNotDone"] = {**links["CompleteOrder"], "requestBody": {"results": [
                        {"item": item, "executed": False, "note": "帖子已被作者删除，无法处置"}]}}
                for link in links.values():
                    if "requestBody" not in link and any("/results/0/" in p for p in link["parameters"].values()):
                        link["parameters"] = {name: pointer.replace("/results/0/", "/results/*/")
                                              for name, pointer in link["parameters"].items()}
                        link["x-schemathesis"] = {"is_inferred": True}
                if path == "/api/v1/reports/{report_id}/" and status == "200":
                    links["ResubmitReport"] = {
                        "operationId": "reports_submit", "x-schemathesis": {"merge_body": False},
                        "requestBody": {field: f"$response.body#/{field}" for field in SUBMITTED}}


def _link_name(step_input) -> str | None:
    """The link a step followed, None for a step from scratch or one that used no linked value."""
    if step_input.transition is None or not step_input.is_applied:
        return None
    return LINK_NAME.search(step_input.transition.id).group(1)


def workflows(bearer):
    """The state machine over the links, calling as Weibo; it records every step in STEPS."""
    linked = schemathesis.openapi.from_wsgi("/api/schema/", application)
    _test_links(linked.raw_schema)
    linked.config.generation.update(modes=list(schemathesis.GenerationMode), with_security_parameters=False)
    linked.config.checks.negative_data_rejection = schema.config.checks.negative_data_rejection
    linked.config.phases.stateful.inference.algorithms = []  # the links above only, none guessed

    class PlatformWorkflows(linked.as_state_machine()):
        def setup(self):
            # Every scenario starts from the same world: Hypothesis replays the beginnings of
            # earlier scenarios, which must meet the answers they met the first time.
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)
            super().teardown()

        def get_call_kwargs(self, case):
            return {"headers": bearer}

        def step(self, input):
            output = super().step(input)
            link = _link_name(input)
            STEPS[link, output.case.operation.label, output.response.status_code] += 1
            if link == "ResubmitReport" and len(input.applied_parameters) == len(SUBMITTED):
                body = output.response.json()
                assert (output.response.status_code, body.get("outcome")) == (200, "existing"), body
            return output

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # And the stateful checks: a report just created is there to read.
            checks = [*checks_for(case), ensure_resource_availability, use_after_free]
            case.validate_response(response, checks=checks, headers=kwargs.get("headers"), transport_kwargs=kwargs,
                                   recorder=self.recorder)

    return PlatformWorkflows


def test_linked_workflows_keep_to_the_schema(world, bearer):
    STEPS.clear()
    workflows(bearer).run(settings=settings(
        max_examples=SCENARIOS, stateful_step_count=8, deadline=None, derandomize=True,
        # No shrinking: a scenario replayed shorter meets another world than the one it failed in.
        phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    assert sum(STEPS.values()) >= STATEFUL_FLOOR
    # Every link led to a real object at least once, with values taken from a real answer.
    # The walk is derandomized, but which links it takes depends on the ids in the answers, and
    # those depend on what ran before in the session: every workflow link must be taken, and all
    # but at most one of the others.
    followed = {link for (link, _label, status) in STEPS if link is not None and 200 <= status < 300}
    workflow = {"GetReport", "GetCase", "GetOrder", "AcknowledgeOrder", "CompleteOrder"}
    others = {"FindReport", "ReportItemNotDone", "GetItemReport", "ResubmitReport"}
    assert followed <= workflow | others
    assert workflow <= followed
    assert len(others & followed) >= len(others) - 1, others - followed


def test_the_module_sent_thousands_of_requests():
    """After the tests above (pytest runs a module in order): the floor of the whole module."""
    if set(SENT) != OPERATIONS or not STEPS:
        pytest.skip("counts the requests of the whole module: run it whole")
    print(f"{sum(SENT.values())} stateless requests, {sum(STEPS.values())} stateful steps")  # shown with -rP
    assert min(SENT.values()) >= MAX_EXAMPLES, SENT
    assert sum(SENT.values()) + sum(STEPS.values()) >= FLOOR


# --- what the fuzzing found -----------------------------------------------------------------


def test_the_schema_describes_paging_and_links(db):
    served = Client().get("/api/schema/?format=json").json()
    for path in ["/api/v1/reports/", "/api/v1/orders/"]:
        parameters = {p["name"]: p["schema"] for p in served["paths"][path]["get"]["parameters"]}
        assert parameters["cursor"] == {"type": "string"}
        assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 500}
    created = served["paths"]["/api/v1/reports/"]["post"]["responses"]["201"]["links"]
    assert created["GetReport"] == {"operationId": "reports_retrieve", "description": "Read the report.",
                                    "parameters": {"report_id": "$response.body#/id"}}
    listed = served["paths"]["/api/v1/orders/"]["get"]["responses"]["200"]["links"]
    assert set(listed) == {"GetOrder", "AcknowledgeOrder", "CompleteOrder", "GetCase", "GetItemReport"}
    assert listed["CompleteOrder"]["parameters"] == {"order_id": "$response.body#/results/0/id"}


@pytest.mark.parametrize("path", ["/api/v1/reports/", "/api/v1/orders/"])
@pytest.mark.parametrize("page_size", ["0", "501", "-1", "abc", "", "1.5", " 5", "9" * 5000])
def test_a_page_size_out_of_range_is_refused(platform, path, page_size):
    """It was read as the default (or cut to 500) in silence; the schema now says 1 to 500."""
    api = PlatformClient(make_token(platform)[1])
    assert_error(api.get(path, {"page_size": page_size}), 422, "invalid", fields=["page_size"])


@pytest.mark.parametrize(("page_size", "listed"), [("1", 1), ("2", 2), ("0002", 2), ("500", 3)])
def test_a_page_size_in_range_is_read(build, platform, page_size, listed):
    for _ in range(3):
        build.discovered()
    api = PlatformClient(make_token(platform)[1])
    body = api.get("/api/v1/reports/", {"page_size": page_size}).json()
    assert len(body["results"]) == listed
    assert (body["next"] is None) == (listed == 3)

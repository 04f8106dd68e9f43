"""The API against its own OpenAPI schema, with generated requests (schemathesis).

Every operation gets up to 25 generated requests per generation mode, sent through the WSGI
application with a token holding every scope: valid data (201/200/404/409/422 as it falls)
and data that breaks the schema (which must be refused with a 4xx). No answer may be a
server error, carry a status the schema does not list for the operation, or differ from the
schema in its content type, its headers or its body.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config._checks import NegativeDataRejectionConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rumorcases.wsgi import application
from tests.api.conftest import make_token

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


# Loaded when the module is collected: the schema view is public and reads no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# The token is sent on every request (below): generating or leaving out credentials is not what is tested here.
schema.config.generation.update(modes=list(schemathesis.GenerationMode), max_examples=25,
                                with_security_parameters=False)
# Over 1,000 reports in a batch is refused with 413 (batch_too_large), as documented.
schema.config.checks.negative_data_rejection = NegativeDataRejectionConfig(
    expected_statuses=[*schema.config.checks.negative_data_rejection.expected_statuses, "413"])


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Requests go straight to the WSGI application, not through Django's test client, so the
    # end of each request would close the connection holding the test's transaction. The test
    # client unhooks this handler for the same reason.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    settings.API_RATE = "1000000/min"  # generated requests are many; throttling has its own tests


@pytest.fixture
def bearer(platform):
    return {"Authorization": f"Bearer {make_token(platform)[1]}"}


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
def test_the_api_keeps_to_its_schema(case, bearer):
    checks = CHECKS
    if case.operation.path == "/api/v1/reports/batch/":
        # By design a report that breaks the schema does not refuse its batch: it is answered
        # `invalid` in the 200 body (tests/api/test_batch.py), so the batch is exempt from this one.
        checks = [check for check in CHECKS if check is not negative_data_rejection]
    case.call_and_validate(headers=bearer, checks=checks)


def test_real_answers_keep_to_the_schema(build, platform, cast, provision, bearer):
    """Generated ids rarely name real objects; here every read and write meets real ones."""
    from datetime import timedelta

    from django.utils import timezone

    from rumorcases.disposal import services as disposal
    from rumorcases.disposal.choices import Measure, OffenderRole

    case = build.disposing()
    report = case.reports.get()
    penalty = disposal.penalty_propose(case=case, account=report.author, role=OffenderRole.ORIGINATOR,
                                       measure=Measure.WARNING, legal_provision=provision, reasoning="编造谣言",
                                       by=cast.disposal)
    order = disposal.order_issue(case=case, platform=platform, due_at=timezone.now() + timedelta(days=1),
                                 by=cast.disposal, items=[{"kind": "remove_content", "report": report},
                                                          {"kind": "act_on_account", "penalty": penalty}])
    items = list(order.items.order_by("id"))
    posted = (timezone.now() - timedelta(hours=1)).isoformat()
    calls = [
        ("/api/v1/reports/", "POST", {}, {}, {"external_id": "walk-1", "content": "走查用的谣言", "posted_at": posted}),
        ("/api/v1/reports/", "POST", {}, {}, {"external_id": "walk-1", "content": "走查用的谣言", "posted_at": posted}),
        ("/api/v1/reports/", "POST", {}, {}, {"external_id": "walk-1", "content": "另一条", "posted_at": posted}),
        ("/api/v1/reports/batch/", "POST", {}, {}, {"reports": [
            {"external_id": "walk-2", "content": "批量走查", "posted_at": posted}, {"external_id": "bad id"}]}),
        ("/api/v1/reports/", "GET", {}, {"page_size": 1}, None),
        ("/api/v1/reports/{report_id}/", "GET", {"report_id": report.pk}, {}, None),
        ("/api/v1/cases/{reference}/", "GET", {"reference": case.reference}, {}, None),
        ("/api/v1/orders/", "GET", {}, {"status": "open"}, None),
        ("/api/v1/orders/{order_id}/", "GET", {"order_id": order.pk}, {}, None),
        ("/api/v1/orders/{order_id}/acknowledge/", "POST", {"order_id": order.pk}, {}, None),
        ("/api/v1/orders/{order_id}/acknowledge/", "POST", {"order_id": order.pk}, {}, None),  # 409
        ("/api/v1/orders/{order_id}/complete/", "POST", {"order_id": order.pk}, {},
         {"results": [{"item": items[0].pk, "executed": True, "at": posted, "note": "已删除"}]}),  # 422
        ("/api/v1/orders/{order_id}/complete/", "POST", {"order_id": order.pk}, {},
         {"results": [{"item": item.pk, "executed": True} for item in items]}),
    ]
    statuses = []
    for path, method, path_parameters, query, body in calls:
        kwargs = {"path_parameters": path_parameters, "query": query}
        if body is not None:
            kwargs.update(body=body, media_type="application/json")
        response = schema[path][method].Case(**kwargs).call_and_validate(headers=bearer, checks=CHECKS)
        statuses.append(response.status_code)
    assert statuses == [201, 200, 409, 200, 200, 200, 200, 200, 200, 200, 409, 422, 200]

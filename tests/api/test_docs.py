"""The OpenAPI schema and its documentation pages: public, complete, served without any CDN."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.test import Client

OPERATIONS = {
    ("/api/v1/reports/", "get"), ("/api/v1/reports/", "post"), ("/api/v1/reports/batch/", "post"),
    ("/api/v1/reports/{report_id}/", "get"), ("/api/v1/cases/{reference}/", "get"),
    ("/api/v1/orders/", "get"), ("/api/v1/orders/{order_id}/", "get"),
    ("/api/v1/orders/{order_id}/acknowledge/", "post"), ("/api/v1/orders/{order_id}/complete/", "post"),
}


@pytest.fixture
def schema(db):
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_it_describes_every_endpoint_and_only_those(schema):
    described = {(path, method) for path, ops in schema["paths"].items() for method in ops}
    assert described == OPERATIONS
    assert schema["openapi"].startswith("3.")


def test_it_requires_the_bearer_token_on_every_endpoint(schema):
    assert schema["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    for ops in schema["paths"].values():
        for operation in ops.values():
            assert operation["security"] == [{"bearerToken": []}]
            responses = operation["responses"]
            assert {"401", "403", "429"} <= set(responses)
            assert "Retry-After" in responses["429"]["headers"]
            assert "WWW-Authenticate" in responses["401"]["headers"]
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_it_describes_the_report_fields_exactly(schema):
    report = schema["components"]["schemas"]["ReportSubmission"]
    assert set(report["properties"]) == {
        "external_id", "content", "posted_at", "url", "title", "content_type", "language", "author", "metrics",
        "category", "reason", "source", "evidence_urls"}
    assert set(report["required"]) == {"external_id", "content", "posted_at"}
    assert report["additionalProperties"] is False
    assert report["properties"]["content"]["maxLength"] == 20_000
    assert report["properties"]["evidence_urls"]["maxItems"] == 20
    enums = schema["components"]["schemas"]
    assert enums["ReportSourceEnum"]["enum"] == ["user_report", "platform_review", "automated_detection",
                                                 "trusted_flagger"]
    assert enums["BatchOutcomeEnum"]["enum"] == ["created", "existing", "updated", "invalid", "conflict"]
    batch = schema["components"]["schemas"]["ReportBatch"]["properties"]["reports"]
    assert (batch["minItems"], batch["maxItems"]) == (1, 1000)


def test_it_serves_the_schema_as_json_too(db):
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "rumorcases platform API"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_it_serves_the_docs_pages_with_local_assets_only(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "an asset is fetched from elsewhere"
    for asset in re.findall(r"/static/(drf_spectacular_sidecar/[^\"' ]+)", html):
        assert finders.find(asset), asset


def test_it_turns_off_swagger_uis_online_validator(db):
    assert '"validatorUrl": null' in Client().get("/api/docs/").content.decode()


def test_the_guide_explains_every_error_code():
    from django.conf import settings

    from rumorcases.api.schema import ERROR_CODES

    guide = (settings.BASE_DIR / "docs" / "api.md").read_text(encoding="utf-8")
    for status, codes in ERROR_CODES.items():
        for code in codes:
            assert f"| {status} | `{code}` |" in guide, code
    for status, code in [(405, "method_not_allowed"), (406, "not_acceptable"), (500, "server_error")]:
        assert f"| {status} | `{code}` |" in guide, code

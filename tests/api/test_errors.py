"""Every error the API answers has one JSON shape, {code, message, fields}, whatever went wrong."""

import json
from unittest import mock

import pytest

from rumorcases.api.throttling import parse_rate
from tests.api.conftest import PlatformClient, assert_error, make_token, payload, stored


@pytest.mark.parametrize("path", ["/api/", "/api/v1/", "/api/v1/nothing/", "/api/v2/reports/",
                                  "/api/v1/reports/abc/", "/api/v1/reports/1234567890123456789/",
                                  "/api/v1/orders/-1/", "/api/v1/cases/RC-2026-000001%00/", "/api/v1/reports/%0A/",
                                  "/api/v1/orders/%0A1/acknowledge/"])
def test_it_answers_404_in_json_for_paths_that_are_no_endpoint(api, path):
    assert_error(api.get(path), 404, "not_found")


def test_it_answers_404_without_a_slash_instead_of_redirecting(api):
    body = assert_error(api.post("/api/v1/reports", payload()), 404, "not_found")
    assert "/api/v1/reports/" in body["message"]


@pytest.mark.parametrize(("method", "path"), [("PUT", "/api/v1/reports/"), ("DELETE", "/api/v1/reports/1/"),
                                              ("GET", "/api/v1/reports/batch/"), ("PATCH", "/api/v1/orders/1/"),
                                              ("GET", "/api/v1/orders/1/acknowledge/"),
                                              ("OPTIONS", "/api/v1/reports/")])
def test_it_answers_405_in_json(api, method, path):
    assert_error(api.raw(method, path), 405, "method_not_allowed")


def test_it_answers_406_when_json_is_not_acceptable(api):
    assert_error(api.get("/api/v1/reports/", HTTP_ACCEPT="text/html"), 406, "not_acceptable")


@pytest.mark.parametrize("body", [
    b"{not json",
    b'{"external_id": "a",}',
    b'{"external_id": NaN}',
    b"\xff\xfe{}",  # not UTF-8
    b"[" * 100_000 + b"]" * 100_000,  # nested past the parser's recursion limit
    b'{"views": ' + b"9" * 5000 + b"}",  # an integer of 5,000 digits
])
def test_it_answers_400_for_a_body_that_is_not_json(api, body):
    before = stored()
    assert_error(api.raw("POST", "/api/v1/reports/", body), 400, "parse_error")
    assert stored() == before


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; "
                                          "boundary=x", "application/xml"])
def test_it_answers_415_for_a_body_that_is_not_sent_as_json(api, content_type):
    before = stored()
    response = api.raw("POST", "/api/v1/reports/", json.dumps(payload()).encode(), content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")
    assert stored() == before


def test_it_accepts_json_with_a_charset(api):
    response = api.raw("POST", "/api/v1/reports/", json.dumps(payload()).encode(),
                       content_type="application/json; charset=utf-8")
    assert response.status_code == 201


def test_it_answers_422_for_an_empty_body(api):
    before = stored()
    assert_error(api.raw("POST", "/api/v1/reports/", b""), 422, "invalid",
                 fields=["external_id", "content", "posted_at"])
    assert stored() == before


def test_it_answers_413_for_a_single_report_over_its_cap(api, settings):
    assert settings.API_MAX_BODY_BYTES == 1024 * 1024
    before = stored()
    huge = json.dumps(payload(content="谣" * 400_000)).encode()
    assert_error(api.raw("POST", "/api/v1/reports/", huge), 413, "too_large")
    assert stored() == before


def test_it_enforces_the_cap_on_what_it_reads_not_only_on_what_is_declared(api, settings):
    settings.API_MAX_BODY_BYTES = 100
    body = json.dumps(payload()).encode()
    assert len(body) > 100
    # A client that declares a short body and sends a longer one is read up to the cap only.
    response = api.raw("POST", "/api/v1/reports/", body, CONTENT_LENGTH="50")
    assert response.status_code in (400, 413)
    assert set(response.json()) == {"code", "message", "fields"}


def test_it_answers_429_with_retry_after_once_the_rate_is_spent(platform, settings):
    settings.API_RATE = "3/min"
    client = PlatformClient(make_token(platform)[1])
    assert [client.get("/api/v1/reports/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/reports/")
    assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60
    # Per token: another token of the same platform has its own allowance.
    assert PlatformClient(make_token(platform)[1]).get("/api/v1/reports/").status_code == 200


def test_it_does_not_store_a_throttled_submission(platform, settings):
    settings.API_RATE = "1/min"
    client = PlatformClient(make_token(platform)[1])
    client.post("/api/v1/reports/", payload("first"))
    before = stored()
    assert_error(client.post("/api/v1/reports/", payload("second")), 429, "throttled")
    assert stored() == before


@pytest.mark.parametrize(("rate", "parsed"), [("600/min", (600, 60)), ("10/s", (10, 1)), ("5000/hour", (5000, 3600)),
                                              ("1/day", (1, 86400))])
def test_it_reads_rates(rate, parsed):
    assert parse_rate(rate) == parsed


def test_it_answers_500_in_json_under_api(api):
    with mock.patch("rumorcases.api.views.case_selectors.report_list_for_platform", side_effect=RuntimeError("x")):
        response = api.get("/api/v1/reports/")
    assert_error(response, 500, "server_error")


def test_it_keeps_the_html_500_page_elsewhere(rf):
    from rumorcases.api.views import server_error

    assert server_error(rf.get("/admin/"))["Content-Type"].startswith("text/html")


def test_it_never_fails_on_text_it_echoes_back(api):
    # A lone surrogate (valid JSON, not valid UTF-8) in a field name it refuses and in an external_id.
    body = b'{"reports": [{"external_id": "\\ud800", "\\udfff": 1}]}'
    response = api.raw("POST", "/api/v1/reports/batch/", body)
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["outcome"] == "invalid"
    assert result["external_id"] == "\ud800"


def test_it_answers_in_english_when_asked(api):
    body = assert_error(api.get("/api/v1/reports/1/", HTTP_ACCEPT_LANGUAGE="en"), 404, "not_found")
    assert body["message"] == "Not found."


def test_the_rate_limit_holds_for_concurrent_requests(settings):
    """Workers share one counter in the cache (Redis in production) and increment it atomically:
    however the requests interleave, exactly the allowed number gets through."""
    import threading
    import uuid
    from types import SimpleNamespace

    from rumorcases.api.throttling import PlatformTokenThrottle

    settings.API_RATE = "100/hour"
    request = SimpleNamespace(auth=SimpleNamespace(key_id=uuid.uuid4().hex[:12]))
    allowed = []
    start = threading.Barrier(8)

    def worker():
        start.wait(timeout=10)
        allowed.extend(PlatformTokenThrottle().allow_request(request, None) for _ in range(40))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert allowed.count(True) == 100
    assert allowed.count(False) == 8 * 40 - 100

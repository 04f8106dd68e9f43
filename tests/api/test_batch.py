"""POST /api/v1/reports/batch/: up to 1,000 reports, each answered on its own."""

import json

import pytest

from rumorcases.cases.models import Case, Report
from tests.api.conftest import assert_error, payload, stored

URL = "/api/v1/reports/batch/"


def test_it_answers_each_report_on_its_own(api):
    api.post("/api/v1/reports/", payload("known", content="早已提交过的一条谣言内容", metrics={"views": 1}))
    api.post("/api/v1/reports/", payload("taken", content="原来的内容"))
    reports = [
        payload("new-1", content="第一条新的谣言"),                                   # created
        payload("known", content="早已提交过的一条谣言内容", metrics={"views": 1}),    # existing
        payload("known", content="早已提交过的一条谣言内容", metrics={"views": 9}),    # updated
        payload("bad id", content="格式不对的编号"),                                   # invalid
        payload("taken", content="换了内容"),                                          # conflict
        42,                                                                           # invalid: not an object
        payload("new-2", content="第二条新的谣言", colour="red"),                      # invalid: unknown field
        payload("new-1", content="第一条新的谣言"),                                   # existing: repeated in the batch
    ]
    response = api.post(URL, {"reports": reports})
    assert response.status_code == 200, response.content
    body = response.json()
    results = body["results"]
    assert [r["index"] for r in results] == list(range(8))
    assert [r["outcome"] for r in results] == ["created", "existing", "updated", "invalid", "conflict", "invalid",
                                               "invalid", "existing"]
    assert body["counts"] == {"created": 1, "existing": 2, "updated": 1, "invalid": 3, "conflict": 1}
    assert [r["external_id"] for r in results] == ["new-1", "known", "known", "bad id", "taken", None, "new-2",
                                                   "new-1"]

    created, existing, updated, invalid, conflict, not_object, unknown, repeated = results
    new_report = Report.objects.get(external_id="new-1")
    assert created["id"] == repeated["id"] == new_report.pk
    assert created["case"] == {"reference": new_report.case.reference, "status": "discovered"}
    assert created["message"] is None and created["fields"] == {}
    known = Report.objects.get(external_id="known")
    assert existing["id"] == updated["id"] == known.pk
    assert known.views == 9
    assert invalid["id"] is None and invalid["case"] is None
    assert set(invalid["fields"]) == {"external_id"} and invalid["message"]
    assert set(conflict["fields"]) == {"content"} and conflict["id"] is None
    assert set(not_object["fields"]) == {"non_field_errors"}
    assert set(unknown["fields"]) == {"colour"}
    assert not Report.objects.filter(external_id__in=["bad id", "new-2"]).exists()
    assert Report.objects.get(external_id="taken").content == "原来的内容"


def test_it_answers_a_whole_batch_of_invalid_reports_without_storing_anything(api):
    before = stored()
    response = api.post(URL, {"reports": [payload(f"x{n}", metrics={"views": -1}) for n in range(5)]})
    assert response.status_code == 200
    assert response.json()["counts"] == {"created": 0, "existing": 0, "updated": 0, "invalid": 5, "conflict": 0}
    assert stored() == before


def test_it_takes_exactly_1000_reports(api):
    # Invalid on purpose (no content): the limit is about the count, and these cost no intake.
    reports = [{"external_id": f"r{n}", "posted_at": "2026-01-01T00:00:00Z"} for n in range(1000)]
    response = api.post(URL, {"reports": reports})
    assert response.status_code == 200
    assert response.json()["counts"]["invalid"] == 1000


def test_it_refuses_1001_reports_with_413_and_stores_nothing(api):
    before = stored()
    reports = [payload(f"r{n}") for n in range(1001)]
    assert_error(api.post(URL, {"reports": reports}), 413, "batch_too_large")
    assert stored() == before


def test_it_refuses_a_body_over_the_batch_size_cap_with_413(api):
    # A real 32 MiB-plus body: refused from its Content-Length, before it is read.
    big = json.dumps({"reports": [payload(f"r{n}", content="谣" * 20_000) for n in range(600)]}).encode()
    assert len(big) > 32 * 1024 * 1024
    before = stored()
    assert_error(api.raw("POST", URL, big), 413, "too_large")
    assert stored() == before


def test_it_accepts_a_body_up_to_the_cap(api, settings):
    body = json.dumps({"reports": [payload("r1")]}).encode()
    settings.API_BATCH_MAX_BODY_BYTES = len(body)
    assert api.raw("POST", URL, body).status_code == 200
    settings.API_BATCH_MAX_BODY_BYTES = len(body) - 1
    assert_error(api.raw("POST", URL, body), 413, "too_large")


ENVELOPES = {
    "no reports": ({}, ["reports"]),
    "reports not a list": ({"reports": {"external_id": "x"}}, ["reports"]),
    "empty list": ({"reports": []}, ["reports"]),
    "unknown key": ({"reports": [payload()], "dry_run": True}, ["dry_run"]),
    "a list": ([payload()], ["non_field_errors"]),
}


@pytest.mark.parametrize("body, fields", ENVELOPES.values(), ids=ENVELOPES.keys())
def test_it_refuses_a_body_of_the_wrong_shape(api, body, fields):
    before = stored()
    assert_error(api.post(URL, body), 422, "invalid", fields=fields)
    assert stored() == before


def test_it_answers_like_the_single_endpoint(api, api_b):
    single = api.post("/api/v1/reports/", payload("one", content="单独提交的谣言")).json()
    batch = api_b.post(URL, {"reports": [payload("one", content="单独提交的谣言")]}).json()["results"][0]
    assert batch["outcome"] == single["outcome"] == "created"
    assert batch["case"] == single["case"]  # the same rumour from two platforms: one case
    assert Case.objects.count() == 1

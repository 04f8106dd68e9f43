"""Who may call the platform API: a platform's bearer token with the right scope, nothing else."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rumorcases.platforms.models import ApiScope, ApiToken
from tests.api.conftest import PlatformClient, assert_error, client_with, make_token, payload, stored

# Every endpoint, with a method and the one scope it needs. Ids need not exist: the scope is
# checked before anything is looked up, so the answer says nothing about what exists.
ENDPOINTS = [
    ("POST", "/api/v1/reports/", ApiScope.REPORTS_WRITE),
    ("POST", "/api/v1/reports/batch/", ApiScope.REPORTS_WRITE),
    ("GET", "/api/v1/reports/", ApiScope.REPORTS_READ),
    ("GET", "/api/v1/reports/1/", ApiScope.REPORTS_READ),
    ("GET", "/api/v1/cases/RC-2026-000001/", ApiScope.REPORTS_READ),
    ("GET", "/api/v1/orders/", ApiScope.ORDERS_READ),
    ("GET", "/api/v1/orders/1/", ApiScope.ORDERS_READ),
    ("POST", "/api/v1/orders/1/acknowledge/", ApiScope.ORDERS_WRITE),
    ("POST", "/api/v1/orders/1/complete/", ApiScope.ORDERS_WRITE),
]


def call(client, method, path):
    if method == "GET":
        return client.get(path)
    body = {"reports": [payload()]} if path.endswith("batch/") else payload()
    return client.post(path, body)


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
def test_it_answers_401_without_a_token(db, method, path, scope):
    before = stored()
    response = call(PlatformClient(None), method, path)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="rumorcases"'
    assert stored() == before


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
def test_it_answers_403_insufficient_scope_with_every_other_scope(platform, method, path, scope):
    client = client_with(platform, *[s for s in ApiScope.values if s != scope])
    before = stored()
    response = call(client, method, path)
    assert_error(response, 403, "insufficient_scope")
    assert response["WWW-Authenticate"] == f'Bearer realm="rumorcases", error="insufficient_scope", scope="{scope}"'
    assert stored() == before


@pytest.mark.parametrize(("method", "path", "scope"), ENDPOINTS)
def test_it_lets_the_one_scope_through(platform, method, path, scope):
    response = call(client_with(platform, scope), method, path)
    assert response.status_code not in (401, 403), response.content


@pytest.mark.parametrize("header", [
    "Bearer rcp_000000000000_nope",  # unknown key id
    "Bearer not-even-a-token",
    "Bearer",  # no token
    "Bearer a b",  # too many parts
    "bearer rcp_x_y",
])
def test_it_refuses_malformed_or_unknown_tokens(platform, header):
    before = stored()
    response = PlatformClient(None).post("/api/v1/reports/", payload(), HTTP_AUTHORIZATION=header)
    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == 'Bearer realm="rumorcases", error="invalid_token"'
    assert stored() == before


def test_it_refuses_a_token_of_the_right_key_id_but_wrong_secret(platform):
    token, raw = make_token(platform)
    forged = raw[: -4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    response = PlatformClient(forged).get("/api/v1/reports/")
    assert_error(response, 401, "authentication_failed")


def test_it_treats_another_scheme_as_no_credentials(platform):
    response = PlatformClient(None).get("/api/v1/reports/", HTTP_AUTHORIZATION="Basic d2VpYm86cHc=")
    assert_error(response, 401, "not_authenticated")


def test_it_refuses_an_expired_token(platform):
    token, raw = make_token(platform)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    before = stored()
    response = PlatformClient(raw).post("/api/v1/reports/", payload())
    assert_error(response, 401, "authentication_failed")
    assert stored() == before


def test_it_refuses_a_revoked_token(platform):
    token, raw = make_token(platform)
    client = PlatformClient(raw)
    assert client.get("/api/v1/reports/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    before = stored()
    response = client.post("/api/v1/reports/", payload())
    assert_error(response, 401, "authentication_failed")
    assert stored() == before


def test_it_refuses_the_tokens_of_a_deactivated_platform(platform, api):
    platform.active = False
    platform.save(update_fields=["active"])
    assert_error(api.get("/api/v1/reports/"), 401, "authentication_failed")


def test_it_does_not_accept_a_staff_session(cast, client):
    client.force_login(cast.supervisor)
    response = client.get("/api/v1/reports/")
    assert_error(response, 401, "not_authenticated")
    response = client.post("/api/v1/reports/", payload(), content_type="application/json")
    assert_error(response, 401, "not_authenticated")


def test_it_records_when_a_token_was_last_used(platform):
    token, raw = make_token(platform)
    assert token.last_used_at is None
    PlatformClient(raw).get("/api/v1/reports/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_checks_credentials_before_reading_the_body(db):
    response = PlatformClient(None).raw("POST", "/api/v1/reports/", b"{not json")
    assert_error(response, 401, "not_authenticated")

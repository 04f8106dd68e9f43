"""Platform API fixtures: two platforms (weibo, douyin), tokens through the real service, and
clients that speak to /api/v1/ the way a platform's system would."""

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from rumorcases.cases.models import Case, Report
from rumorcases.core.models import AuditEvent, Counter
from rumorcases.disposal.models import Account, DisposalOrder, OrderItem, Penalty
from rumorcases.platforms.models import ApiScope, Platform
from rumorcases.platforms.services import api_token_create

ALL_SCOPES = list(ApiScope.values)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


class PlatformClient:
    """A platform's API client: its bearer token on every request, JSON bodies."""

    def __init__(self, raw_token: str | None):
        self.client = Client(raise_request_exception=False)
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_token}"} if raw_token else {}

    def get(self, path, params=None, **extra):
        return self.client.get(path, params or {}, **{**self.headers, **extra})

    def post(self, path, body=None, **extra):
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        return self.raw("POST", path, data, **extra)

    def raw(self, method, path, data=b"", content_type="application/json", **extra):
        return self.client.generic(method, path, data, content_type=content_type, **{**self.headers, **extra})


def make_token(platform, scopes=None, **kwargs):
    token, raw = api_token_create(platform=platform, name="moderation system", scopes=scopes or ALL_SCOPES,
                                  by=None, system=True, **kwargs)
    return token, raw


@pytest.fixture
def douyin(db):
    return Platform.objects.create(slug="douyin", name="抖音", name_en="Douyin", is_key=True)


@pytest.fixture
def api(platform):
    """Weibo's client, holding every scope."""
    return PlatformClient(make_token(platform)[1])


@pytest.fixture
def api_b(douyin):
    """Douyin's client, holding every scope."""
    return PlatformClient(make_token(douyin)[1])


def client_with(platform, *scopes):
    return PlatformClient(make_token(platform, list(scopes))[1])


def payload(external_id="wb-1001", content="网传某公园发生雷击致多人死亡，官方尚未回应", **extra):
    body = {
        "external_id": external_id,
        "content": content,
        "posted_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        "url": f"https://weibo.example/status/{quote(str(external_id), safe='')}",
        "author": {"account_id": "u-100", "handle": "rumour_teller"},
        "metrics": {"views": 120, "reposts": 4},
    }
    body.update(extra)
    return body


def stored():
    """Everything a refused request must leave untouched."""
    return {
        "reports": list(Report.objects.order_by("pk").values_list("pk", "views", "reposts", "comments", "likes",
                                                                   "updated_at")),
        "cases": list(Case.objects.order_by("pk").values_list("pk", "status", "priority")),
        "accounts": list(Account.objects.order_by("pk").values_list("pk", "handle", "followers")),
        "audit": AuditEvent.objects.count(),
        "counters": list(Counter.objects.order_by("name").values_list("name", "value")),
        "orders": list(DisposalOrder.objects.order_by("pk").values_list("pk", "status")),
        "items": list(OrderItem.objects.order_by("pk").values_list("pk", "outcome", "done_at", "note")),
        "penalties": list(Penalty.objects.order_by("pk").values_list("pk", "status")),
    }


def assert_error(response, status, code, fields=None):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    if fields is not None:
        assert set(body["fields"]) == set(fields), body["fields"]
    return body

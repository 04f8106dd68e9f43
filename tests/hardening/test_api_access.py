"""Who may call what under /api/: an access matrix over every route of `rumorcases/api/urls.py`.

The routes are read from the URL configuration itself, so an endpoint added without a rule in
EXPECTED fails `test_every_route_has_a_rule`. What the product promises (docs/api.md, the views):
the schema and its documentation pages are public; everything under /api/v1/ needs a bearer
token (no token, an expired or revoked one, or a staff session only: 401), with the scope the
method needs (403 otherwise); a platform sees only its own reports, cases and orders — anything
else is 404; any other path under /api/ is the API's JSON 404. A refused request writes nothing.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone

from rumorcases.api import urls as api_urls
from rumorcases.api.views import api_not_found
from rumorcases.cases.models import Report
from rumorcases.disposal import services as disposal
from rumorcases.disposal.models import DisposalOrder
from rumorcases.platforms.models import ApiScope, ApiToken, Platform
from tests.api.conftest import ALL_SCOPES, PlatformClient, make_token, payload, stored

PUBLIC = "public"  # no credentials needed, and any presented are ignored
NOT_FOUND = "not_found"  # the catch-all: the API's 404 for everyone

# url name (None: the unnamed catch-all) -> {method: the scope it needs, or PUBLIC / NOT_FOUND}
EXPECTED = {
    "reports": {"GET": ApiScope.REPORTS_READ, "POST": ApiScope.REPORTS_WRITE},
    "reports-batch": {"POST": ApiScope.REPORTS_WRITE},
    "report": {"GET": ApiScope.REPORTS_READ},
    "case": {"GET": ApiScope.REPORTS_READ},
    "orders": {"GET": ApiScope.ORDERS_READ},
    "order": {"GET": ApiScope.ORDERS_READ},
    "order-acknowledge": {"POST": ApiScope.ORDERS_WRITE},
    "order-complete": {"POST": ApiScope.ORDERS_WRITE},
    "schema": {"GET": PUBLIC},
    "docs": {"GET": PUBLIC},
    "redoc": {"GET": PUBLIC},
    None: {"GET": NOT_FOUND, "POST": NOT_FOUND},
}

# Routes whose object, in this matrix, is platform A's: platform B must get 404 on them.
OWNED_BY_A = {"report", "case", "order", "order-acknowledge", "order-complete"}

# What platform A, holding every scope, gets on its own objects (calls made in EXPECTED's order:
# acknowledge before complete).
SUCCESS = {
    ("reports", "GET"): 200, ("reports", "POST"): 201, ("reports-batch", "POST"): 200,
    ("report", "GET"): 200, ("case", "GET"): 200, ("orders", "GET"): 200, ("order", "GET"): 200,
    ("order-acknowledge", "POST"): 200, ("order-complete", "POST"): 200,
}

CALLERS = ["anonymous", "platform_a", "platform_b", "missing_scope", "expired", "revoked", "staff_session"]
UNAUTHENTICATED = {"anonymous", "expired", "revoked", "staff_session"}


def walk(patterns, prefix=""):
    """(name, pattern) for every route, nested includes too."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            assert isinstance(entry, URLPattern)
            yield entry.name, entry


def test_every_route_has_a_rule():
    routes = list(walk(api_urls.urlpatterns))
    names = [name for name, _pattern in routes]
    assert len(names) == len(set(names)), "two routes share a name (or there are two unnamed routes)"
    assert set(names) == set(EXPECTED)
    for name, pattern in routes:
        if name is None:
            assert pattern.callback is api_not_found
            continue
        rule = EXPECTED[name]
        view_class = getattr(pattern.callback, "view_class", None)
        if PUBLIC in rule.values():
            assert getattr(view_class, "required_scopes", None) is None, name
        else:
            # The rule here and the scopes the view enforces must agree, method for method.
            assert view_class.required_scopes == rule, name


@pytest.fixture
def world(build, cast, platform):
    """Platform A (weibo) with a report in a case and an order; platform B (douyin) with nothing."""
    case = build.disposing()  # A's report, ingested through `report_ingest`
    report = case.reports.get()
    order = disposal.order_issue(case=case, platform=platform, due_at=timezone.now() + timedelta(hours=24),
                                 by=cast.disposal, items=[{"kind": "remove_content", "report": report}],
                                 instructions="删除原帖")
    douyin = Platform.objects.create(slug="douyin", name="抖音", name_en="Douyin", is_key=True)
    return {"case": case, "report": report, "order": order, "item": order.items.get(), "a": platform,
            "b": douyin, "cast": cast}


def path_for(name, world):
    kwargs = {
        "report": {"report_id": world["report"].pk},
        "case": {"reference": world["case"].reference},
        "order": {"order_id": world["order"].pk},
        "order-acknowledge": {"order_id": world["order"].pk},
        "order-complete": {"order_id": world["order"].pk},
    }.get(name, {})
    if name is None:
        return "/api/v1/no-such-endpoint/"
    return reverse(f"api:{name}", kwargs=kwargs)


def body_for(name, world):
    if name == "reports":
        return payload(external_id="matrix-1", content="网传某地水库溃坝，官方尚未回应")
    if name == "reports-batch":
        return {"reports": [payload(external_id="matrix-2", content="网传某地地铁停运一周，官方尚未回应")]}
    if name == "order-complete":
        return {"results": [{"item": world["item"].pk, "executed": True, "at": timezone.now().isoformat(),
                             "note": "原帖已删除"}]}
    return {}


def client_for(caller, world, scope=None):
    if caller == "anonymous":
        return PlatformClient(None)
    if caller == "platform_a":
        return PlatformClient(make_token(world["a"])[1])
    if caller == "platform_b":
        return PlatformClient(make_token(world["b"])[1])
    if caller == "missing_scope":
        # Every scope but the one needed (for a public route or the catch-all: any one scope).
        others = [s for s in ALL_SCOPES if s != scope] if scope in ALL_SCOPES else [ApiScope.REPORTS_READ]
        return PlatformClient(make_token(world["a"], others)[1])
    if caller in ("expired", "revoked"):
        token, raw = make_token(world["a"])
        field = "expires_at" if caller == "expired" else "revoked_at"
        ApiToken.objects.filter(pk=token.pk).update(**{field: timezone.now() - timedelta(seconds=1)})
        return PlatformClient(raw)
    assert caller == "staff_session"
    staff = world["cast"].supervisor
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    client = PlatformClient(None)
    client.client.force_login(staff)
    return client


def expected_status(caller, name, method):
    rule = EXPECTED[name][method]
    if rule == PUBLIC:
        return 200
    if rule == NOT_FOUND:
        return 404
    if caller in UNAUTHENTICATED:
        return 401
    if caller == "missing_scope":
        return 403
    if caller == "platform_b" and name in OWNED_BY_A:
        return 404
    return SUCCESS[(name, method)]


def call(client, method, name, world):
    path = path_for(name, world)
    return client.get(path) if method == "GET" else client.post(path, body_for(name, world))


@pytest.mark.parametrize("caller", CALLERS)
def test_the_access_matrix(world, caller):
    cells = [(name, method) for name, rule in EXPECTED.items() for method in rule]
    shared = None if caller == "missing_scope" else client_for(caller, world)
    got, want = {}, {}
    for name, method in cells:
        client = shared or client_for(caller, world, EXPECTED[name][method])
        before = stored()
        reports, statuses = Report.objects.count(), list(DisposalOrder.objects.values_list("pk", "status"))
        response = call(client, method, name, world)
        got[(name, method)] = response.status_code
        want[(name, method)] = expected_status(caller, name, method)
        if response.status_code >= 400:
            if EXPECTED[name][method] != PUBLIC:
                assert response["Content-Type"] == "application/json", (name, method)
            assert stored() == before, (name, method, "a refused request wrote something")
            assert Report.objects.count() == reports
            assert list(DisposalOrder.objects.values_list("pk", "status")) == statuses
        if caller == "platform_b" and method == "GET" and name in ("reports", "orders"):
            ids = [row["id"] for row in response.json()["results"]]
            assert world["report" if name == "reports" else "order"].pk not in ids
    assert got == want


def test_a_staff_session_gets_nothing_even_with_csrf_checks_on(world):
    # The session client above skips CSRF checks; with them on, the answer is still 401, not 403.
    staff = world["cast"].supervisor
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(staff)
    before = stored()
    response = client.post(path_for("order-acknowledge", world), b"", content_type="application/json")
    assert response.status_code == 401
    assert client.get(path_for("order", world)).status_code == 401
    assert stored() == before


def test_the_platforms_own_writes_went_through(world):
    # The matrix's success cells are real: A's acknowledge and complete changed A's order.
    client = client_for("platform_a", world)
    for name in ("order-acknowledge", "order-complete"):
        assert call(client, "POST", name, world).status_code == 200
    world["order"].refresh_from_db()
    assert world["order"].status == "completed"


@pytest.mark.parametrize("caller", ["anonymous", "platform_a"])
def test_other_methods_are_refused_without_writing(world, caller):
    # Not a rule of EXPECTED: 405 for a platform; the credentials are checked first (401).
    client = client_for(caller, world)
    before = stored()
    for name, rule in EXPECTED.items():
        if name is None or PUBLIC in rule.values():
            continue
        for method in ("PUT", "PATCH", "DELETE", "OPTIONS"):
            response = client.raw(method, path_for(name, world), b"{}")
            assert response.status_code == (401 if caller == "anonymous" else 405), (name, method)
    assert stored() == before

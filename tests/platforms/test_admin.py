"""The admin pages for API tokens and webhook deliveries, driven as staff would drive them."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from rumorcases.core.models import AuditEvent
from rumorcases.platforms import services
from rumorcases.platforms.models import ApiToken, DeliveryStatus, Platform, WebhookDelivery
from tests.platforms.conftest import WEBHOOK_SECRET, issue, order_parts


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.org", "pw-root")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def add_token(client, platform, **extra):
    data = {"platform": platform.pk, "name": "审核系统（生产）", "scopes": ["reports:write", "orders:read"],
            "valid_days": 365, **extra}
    return client.post(url(ApiToken, "add"), data)


# --- API tokens -----------------------------------------------------------------------------


def test_adding_a_token_shows_it_once_and_stores_only_its_hash(admin_client, platform, superuser):
    response = add_token(admin_client, platform)
    assert response.status_code == 200
    plaintext = response.context["plaintext"]
    assert plaintext.startswith("rcp_") and plaintext in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert token.token_sha256 == hashlib.sha256(plaintext.encode()).hexdigest()
    assert (token.platform, token.scopes, token.created_by) == (platform, ["orders:read", "reports:write"], superuser)
    assert timedelta(days=364) < token.expires_at - timezone.now() <= timedelta(days=365)
    assert services.api_token_authenticate(plaintext) == token
    # Never again: not in the list, the token's page, the admin's log, the audit trail, or a message.
    for page in (url(ApiToken), url(ApiToken, "change", token.pk)):
        body = admin_client.get(page).content.decode()
        assert token.key_id in body
        assert plaintext not in body and token.token_sha256 not in body
    assert plaintext not in str(list(LogEntry.objects.values()))
    assert plaintext not in str(list(AuditEvent.objects.values()))
    assert AuditEvent.objects.get(action="api_token.created").actor == superuser
    assert messages_of(response) == []


def test_a_token_cannot_be_edited(admin_client, platform):
    token, _plaintext = services.api_token_create(platform=platform, name="n", scopes=["orders:read"], by=None,
                                                  system=True)
    page = admin_client.get(url(ApiToken, "change", token.pk))
    assert page.context["adminform"].form.fields == {}
    admin_client.post(url(ApiToken, "change", token.pk), {"name": "renamed", "scopes": ["reports:write"]})
    token.refresh_from_db()
    assert (token.name, token.scopes) == ("n", ["orders:read"])


def test_a_refused_token_shows_why_and_stores_nothing(admin_client, platform):
    response = add_token(admin_client, platform, scopes=[], name=" ")
    assert response.status_code == 200
    assert "plaintext" not in response.context
    assert response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="api_token.created").exists()


def test_only_token_managers_may_add_tokens(client, cast, platform):
    # The auditor reads tokens (never their secret) but may not create them.
    User.objects.filter(pk=cast.auditor.pk).update(is_staff=True)
    client.force_login(cast.auditor)
    assert client.get(url(ApiToken)).status_code == 200
    assert client.get(url(ApiToken, "add")).status_code == 403
    assert add_token(client, platform).status_code == 403
    assert not ApiToken.objects.exists()


def test_the_revoke_action_revokes_through_the_service(admin_client, platform, superuser):
    token, plaintext = services.api_token_create(platform=platform, name="n", scopes=["orders:read"], by=superuser)
    response = admin_client.post(url(ApiToken), {"action": "revoke", "_selected_action": [token.pk], "index": 0})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert services.api_token_authenticate(plaintext) is None
    assert AuditEvent.objects.get(action="api_token.revoked").actor == superuser


def test_the_platform_form_wants_an_http_address_and_a_secret_with_it(admin_client):
    data = {"slug": "douyin", "name": "抖音", "name_en": "Douyin", "active": "on",
            "webhook_url": "ftp://files.example.org/hook", "webhook_secret": WEBHOOK_SECRET}
    response = admin_client.post(url(Platform, "add"), data)
    assert "http:// or https://" in response.content.decode()
    response = admin_client.post(url(Platform, "add"), {**data, "webhook_url": "https://douyin.example/hooks",
                                                        "webhook_secret": ""})
    assert "set a secret" in response.content.decode()
    assert not Platform.objects.filter(slug="douyin").exists()
    admin_client.post(url(Platform, "add"), {**data, "webhook_url": "https://douyin.example/hooks"})
    assert Platform.objects.get(slug="douyin").webhook_secret == WEBHOOK_SECRET


# --- webhook deliveries ---------------------------------------------------------------------


@pytest.fixture
def failed_delivery(build, hooked, receiver, django_capture_on_commit_callbacks):
    """A delivery that got a 500, then ran out of time."""
    parts = order_parts(build)
    receiver.always = 500
    with django_capture_on_commit_callbacks(execute=True):
        issue(build, *parts)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    delivery.refresh_from_db()
    return delivery


def test_staff_see_every_delivery_and_its_attempts(admin_client, failed_delivery):
    page = admin_client.get(url(WebhookDelivery, "change", failed_delivery.pk)).content.decode()
    assert str(failed_delivery.delivery_id) in page
    assert "HTTP 500" in page and failed_delivery.order.reference in page
    assert WEBHOOK_SECRET not in page
    listing = admin_client.get(url(WebhookDelivery) + "?status__exact=failed&event__exact=order.issued")
    assert list(listing.context["cl"].result_list) == [failed_delivery]
    found = admin_client.get(url(WebhookDelivery) + f"?q={failed_delivery.delivery_id}")
    assert list(found.context["cl"].result_list) == [failed_delivery]
    assert admin_client.get(url(WebhookDelivery) + "?q=RC-2026").status_code == 200


def test_retry_now_sends_a_failed_delivery_again(admin_client, failed_delivery, receiver, superuser,
                                                  django_capture_on_commit_callbacks):
    receiver.always = None
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url(WebhookDelivery), {"action": "retry_now",
                                                           "_selected_action": [failed_delivery.pk], "index": 0})
    assert response.status_code == 302
    failed_delivery.refresh_from_db()
    assert (failed_delivery.status, failed_delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert [r.delivery_id for r in receiver.received] == [str(failed_delivery.delivery_id)] * 2
    assert receiver.received[0].body == receiver.received[1].body
    assert AuditEvent.objects.get(action="webhook.retry_requested").actor == superuser
    response = admin_client.post(url(WebhookDelivery), {"action": "retry_now",
                                                       "_selected_action": [failed_delivery.pk], "index": 0})
    assert any("has been delivered" in m for m in messages_of(response))
    assert len(receiver.received) == 2


def test_retry_now_after_the_window_makes_one_more_attempt(failed_delivery, receiver, superuser, time_machine,
                                                           django_capture_on_commit_callbacks):
    from rumorcases.platforms.webhooks import webhook_retry_now

    time_machine.move_to(failed_delivery.created_at + timedelta(days=3), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_retry_now(delivery=failed_delivery, by=superuser)
    failed_delivery.refresh_from_db()
    assert (failed_delivery.status, failed_delivery.attempts) == (DeliveryStatus.FAILED, 2)
    assert len(receiver.received) == 2


def test_retry_now_is_for_those_allowed_to(client, cast, failed_delivery, receiver):
    staff = cast.auditor  # reads every delivery, retries none
    User.objects.filter(pk=staff.pk).update(is_staff=True)
    client.force_login(staff)
    assert client.get(url(WebhookDelivery, "change", failed_delivery.pk)).status_code == 200
    response = client.post(url(WebhookDelivery), {"action": "retry_now", "_selected_action": [failed_delivery.pk],
                                                  "index": 0})
    assert response.status_code == 200  # the action is not offered: "No action selected"
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == DeliveryStatus.FAILED
    assert len(receiver.received) == 1

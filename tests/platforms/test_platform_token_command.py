"""`manage.py platform_token`: operators create, list and revoke tokens from the command line."""

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from rumorcases.core.models import AuditEvent
from rumorcases.platforms import services
from rumorcases.platforms.models import ApiToken, Platform

ALL_SCOPES = "reports:write,reports:read,orders:read,orders:write"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("platform_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def create(platform="weibo", name="审核系统（生产）", scopes=ALL_SCOPES, *extra):
    return run("create", "--platform", platform, "--name", name, "--scopes", scopes, *extra)


def test_it_creates_a_token_and_prints_it_once(platform):
    out, err = create("weibo", "moderation, production", ALL_SCOPES, "--expires-days", "30")
    plaintext = out.strip()
    assert out == plaintext + "\n"  # the token alone, for a script to capture
    token = ApiToken.objects.get()
    assert token.key_id in err and "shown this once" in err
    assert plaintext not in err
    assert token.token_sha256 == hashlib.sha256(plaintext.encode()).hexdigest()
    assert token.scopes == sorted(ALL_SCOPES.split(","))
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert token.created_by is None
    assert services.api_token_authenticate(plaintext) == token
    event = AuditEvent.objects.get(action="api_token.created")
    assert (event.actor, event.actor_label, event.data["key_id"]) == (None, "system", token.key_id)
    assert plaintext not in str(event.data)


def test_it_lists_tokens_without_the_tokens(platform):
    douyin = Platform.objects.create(slug="douyin", name="抖音")
    weibo_out, _err = create("weibo", "weibo prod", "orders:read")
    create("douyin", "douyin prod", "reports:write")
    weibo = ApiToken.objects.get(platform=platform)
    out, _err = run("list")
    assert "KEY ID" in out
    assert weibo.key_id in out and ApiToken.objects.get(platform=douyin).key_id in out
    assert weibo_out.strip() not in out and weibo.token_sha256 not in out
    assert "active" in out
    out, _err = run("list", "--platform", "douyin")
    assert weibo.key_id not in out and "douyin prod" in out


def test_it_revokes_a_token(platform):
    plaintext = create()[0].strip()
    token = ApiToken.objects.get()
    out, _err = run("revoke", token.key_id)
    assert f"Revoked token {token.key_id}" in out
    assert services.api_token_authenticate(plaintext) is None
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert (event.actor_label, event.data["key_id"]) == ("system", token.key_id)
    assert "already revoked" in run("revoke", token.key_id)[0]
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1
    assert "revoked" in run("list")[0]


@pytest.mark.parametrize(("args", "message"), [
    (("weibo", "n", "reports:write,orders:delete"), "reports:write, reports:read, orders:read, orders:write"),
    (("weibo", "n", " , "), "Choose one or more of"),
    (("weibo", " ", "orders:read"), "name: This field is required."),
    (("toutiao", "n", "orders:read"), "No platform with the slug 'toutiao'. Known platforms: weibo."),
    (("weibo", "n", "orders:read", "--expires-days", "0"), "--expires-days must be 1 or more"),
])
def test_it_refuses_bad_input_clearly_and_stores_nothing(platform, args, message):
    before = AuditEvent.objects.count()
    with pytest.raises(CommandError) as refused:
        create(*args)
    assert message in str(refused.value)
    assert not ApiToken.objects.exists()
    assert AuditEvent.objects.count() == before


def test_it_refuses_an_unknown_key_id(platform):
    with pytest.raises(CommandError, match="No token with the key id 'abc'"):
        run("revoke", "abc")

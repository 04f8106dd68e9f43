"""Signing in and out of the staff UI, and the lockout after repeated failures."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

LOGIN = "/staff/login/"


@pytest.fixture
def lockout_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3


def test_it_shows_the_sign_in_form(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_it_signs_in_and_goes_to_my_work(client, cast, lockout_on):
    response = client.post(LOGIN, {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:my_work")
    assert client.get(reverse("staff:my_work")).status_code == 200


def test_it_refuses_a_wrong_password_and_keeps_the_username(client, cast, lockout_on):
    response = client.post(LOGIN, {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert 'value="alice"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_locks_the_account_after_repeated_failures(client, cast, lockout_on):
    for _ in range(3):
        client.post(LOGIN, {"username": "alice", "password": "wrong"})
    # Even the right password is refused while the lock holds.
    response = client.post(LOGIN, {"username": "alice", "password": "pw-alice"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "The lock lifts after 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The refused attempt during the lock counts as a failure too.
    assert AccessAttempt.objects.get(username="alice").failures_since_start == 4
    # Another account is not affected.
    assert client.post(LOGIN, {"username": "victor", "password": "pw-victor"}).status_code == 302


def test_it_signs_out_only_by_post(client, cast):
    client.force_login(cast.intake)
    assert client.get("/staff/logout/").status_code == 405
    response = client.post("/staff/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("staff:my_work"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_user_without_a_role_is_refused(client, cast):
    client.force_login(cast.nobody)
    assert client.get(reverse("staff:my_work")).status_code == 403


def test_the_language_switch_sets_english(client, cast):
    client.force_login(cast.intake)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/staff/login/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"


def test_a_session_expires_after_its_age(client, cast, settings):
    settings.SESSION_COOKIE_AGE = 3600
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(cast.intake)
        assert client.get(reverse("staff:my_work")).status_code == 200
        traveller.shift(timedelta(seconds=3601))
        response = client.get(reverse("staff:my_work"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_every_form_needs_its_csrf_token(cast):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(cast.intake)
    assert csrf_client.post(reverse("staff:report_new"), {"content": "网传某地发生爆炸"}).status_code == 403
    signed_out = Client(enforce_csrf_checks=True)
    assert signed_out.post(LOGIN, {"username": "alice", "password": "pw-alice"}).status_code == 403

"""The staff page where each user chooses their notifications' language and e-mails."""

from django.urls import reverse

from rumorcases.operations.models import NotificationPreference

URL = reverse("staff:notification_preferences")


def test_it_shows_the_defaults_and_saves_the_choices(client, cast):
    client.force_login(cast.verifier)
    page = client.get(URL)
    assert page.status_code == 200
    assert page.context["form"].initial == {"language": "zh-hans", "email_kinds": []}
    answer = client.post(URL, {"language": "en", "email_kinds": ["case_overdue", "order_overdue"]})
    assert answer.status_code == 302 and answer.url == URL
    preference = NotificationPreference.objects.get(user=cast.verifier)
    assert (preference.language, preference.email_kinds) == ("en", ["case_overdue", "order_overdue"])
    page = client.get(URL)
    assert page.context["form"].initial == {"language": "en", "email_kinds": ["case_overdue", "order_overdue"]}
    assert page.content.decode().count("checked") == 2


def test_it_refuses_an_unknown_choice_and_saves_nothing(client, cast):
    client.force_login(cast.verifier)
    answer = client.post(URL, {"language": "fr", "email_kinds": ["spam"]})
    assert answer.status_code == 200
    assert answer.context["form"].errors.keys() == {"language", "email_kinds"}
    assert not NotificationPreference.objects.exists()


def test_every_role_may_choose_but_not_someone_without_one(client, cast):
    client.force_login(cast.auditor)
    assert client.post(URL, {"language": "en"}).status_code == 302
    client.force_login(cast.nobody)
    assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302


def test_the_notifications_page_links_to_it(client, cast):
    client.force_login(cast.verifier)
    assert URL in client.get(reverse("staff:notifications")).content.decode()

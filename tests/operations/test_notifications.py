"""Notifications: one function per message, in each recipient's language, by e-mail for those who chose it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.utils import translation

from rumorcases.cases import workflow
from rumorcases.core import notifications
from rumorcases.core.exceptions import ApplicationError
from rumorcases.core.models import Notification
from rumorcases.operations.models import Escalation, NotificationPreference
from rumorcases.operations.services import notification_preference_set, sweep_deadlines
from tests.conftest import make_user
from tests.operations.conftest import at, order_for

MINUTE = timedelta(minutes=1)


def choose(user, language="zh-hans", email=(), address=None):
    if address is not None:
        user.email = address
        user.save(update_fields=["email"])
    return notification_preference_set(user=user, language=language, email_kinds=list(email))


def test_each_recipient_reads_the_transition_notice_in_their_own_language(build, django_capture_on_commit_callbacks):
    vera = make_user("vera", "verifier")
    choose(vera, language="en")
    case = build.discovered()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.case_start_verification(case=case, by=build.c.intake)
    english = Notification.objects.get(recipient=vera)
    chinese = Notification.objects.get(recipient=build.c.verifier)  # no preference: the office's language
    assert english.title == f"{case.reference} is now Verifying"
    assert chinese.title == f"案件{case.reference}当前状态：核查中"
    assert case.title in english.body and "Discovered" in english.body
    assert english.kind == chinese.kind == "case_transition"


def test_only_those_who_chose_a_kind_get_it_by_email(build, django_capture_on_commit_callbacks):
    vera = make_user("vera", "verifier")
    choose(vera, language="en", email=["case_transition"], address="vera@office.example")
    choose(build.c.verifier, email=["case_overdue"], address="victor@office.example")  # another kind
    case = build.discovered()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.case_start_verification(case=case, by=build.c.intake)
    assert [m.to for m in mail.outbox] == [["vera@office.example"]]
    assert mail.outbox[0].subject == f"{case.reference} is now Verifying"
    assert case.get_absolute_url() in mail.outbox[0].body
    # Both are told in the application anyway.
    assert Notification.objects.filter(case_reference=case.reference).count() == 2


def test_no_email_without_an_address_or_for_a_rolled_back_change(build, django_capture_on_commit_callbacks):
    vera = make_user("vera", "verifier")
    choose(vera, email=["case_transition"])  # no address
    case = build.discovered()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.case_start_verification(case=case, by=build.c.intake)
    assert mail.outbox == []


def test_email_leaves_only_after_the_commit(build, cast, time_machine, django_capture_on_commit_callbacks):
    choose(cast.supervisor, language="en", email=["case_overdue"], address="sam@office.example")
    case = build.verifying()
    at(time_machine, case.stage_deadline + timedelta(hours=5))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sweep_deadlines()
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["sam@office.example"]]
    assert mail.outbox[0].subject == f"Escalation (level 2): {case.reference} is overdue"
    assert "supervisors are asked to step in" in mail.outbox[0].body


def test_links_in_emails_are_absolute_when_the_site_address_is_set(build, settings, time_machine,
                                                                   django_capture_on_commit_callbacks):
    settings.EMAIL_LINK_BASE_URL = "https://rumorcases.example.gov.cn"
    case = build.verifying()
    choose(build.c.verifier, email=["case_overdue"], address="victor@office.example")
    at(time_machine, case.stage_deadline + MINUTE)
    with django_capture_on_commit_callbacks(execute=True):
        sweep_deadlines()
    assert f"https://rumorcases.example.gov.cn{case.get_absolute_url()}" in mail.outbox[0].body
    # In-app, the link stays relative.
    assert Notification.objects.get(kind="case_overdue").url == case.get_absolute_url()


def test_a_failing_mail_relay_loses_no_notification(build, settings, time_machine,
                                                    django_capture_on_commit_callbacks, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("relay down")

    monkeypatch.setattr(notifications, "send_mail", broken)
    case = build.verifying()
    choose(build.c.verifier, email=["case_overdue"], address="victor@office.example")
    at(time_machine, case.stage_deadline + MINUTE)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_deadlines().cases == 1
    assert Notification.objects.filter(kind="case_overdue").count() == 1


def test_the_order_message_names_the_platform_in_the_readers_language(build, cast, platform, time_machine):
    choose(cast.disposal2, language="en")
    case = build.disposing()
    order = order_for(case, platform, cast, hours=1)
    at(time_machine, order.due_at + MINUTE)
    sweep_deadlines()
    english = Notification.objects.get(kind="order_overdue", recipient=cast.disposal2)
    chinese = Notification.objects.get(kind="order_overdue", recipient=cast.disposal)
    assert english.body.startswith(f"Weibo has not completed order {order.reference}")
    assert chinese.body.startswith("新浪微博")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("kind", list(notifications.EMAIL_KINDS))
def test_every_message_template_renders_in_both_languages(kind, language, build, cast, platform):
    case = build.disposing()
    order = order_for(case, platform, cast)
    transition = case.transitions.order_by("-pk").first()
    consultation = case.consultations.create(authority="police", authority_name="浦东公安分局", question="？",
                                             due_at=order.due_at, asked_by=cast.verifier)
    for level in (1, 2, 3):
        escalation = Escalation(case=case, level=level, stage=case.status, deadline=case.stage_deadline)
        context = {"case": case, "transition": transition, "source": "a", "target": "b", "stage": "s",
                   "priority": "P1", "order": order, "platform": platform, "consultation": consultation,
                   "escalation": escalation, "link": "/staff/x/"}
        with translation.override(language):
            subject = render_to_string(f"notifications/{kind}_subject.txt", context)
            body = render_to_string(f"notifications/{kind}.txt", context)
        assert (order.reference if kind == "order_overdue" else case.reference) in subject
        assert "\n" not in subject.strip()
        assert "/staff/x/" in body and "&quot;" not in body and "&lt;" not in body


def test_preferences_refuse_unknown_languages_and_kinds(cast):
    with pytest.raises(ApplicationError) as refused:
        notification_preference_set(user=cast.verifier, language="fr", email_kinds=["case_overdue", "spam"])
    assert refused.value.code == "invalid"
    assert set(refused.value.fields) == {"language", "email_kinds"}
    assert "spam" in refused.value.fields["email_kinds"][0]
    assert not NotificationPreference.objects.exists()
    preference = notification_preference_set(user=cast.verifier, language="en",
                                             email_kinds=["order_overdue", "case_overdue", "case_overdue"])
    assert preference.email_kinds == ["case_overdue", "order_overdue"]
    notification_preference_set(user=cast.verifier, language="zh-hans", email_kinds=[])
    assert NotificationPreference.objects.get(user=cast.verifier).email_kinds == []

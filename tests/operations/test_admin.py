"""The escalations and preferences in the admin: shown, never edited by hand."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.urls import reverse

from rumorcases.operations.models import Escalation, NotificationPreference
from rumorcases.operations.services import notification_preference_set, sweep_deadlines
from tests.operations.conftest import at


def test_the_admin_shows_escalations_and_preferences_read_only(client, build, cast, time_machine):
    case = build.verifying()
    notification_preference_set(user=cast.verifier, language="en", email_kinds=["case_overdue"])
    at(time_machine, case.stage_deadline + timedelta(days=2))
    sweep_deadlines()
    client.force_login(User.objects.create_superuser("root", password="pw"))
    for model in (Escalation, NotificationPreference):
        name = f"admin:operations_{model._meta.model_name}"
        assert client.get(reverse(f"{name}_changelist") + "?q=RC").status_code == 200
        obj = model.objects.first()
        assert client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200
        assert client.get(reverse(f"{name}_add")).status_code == 403
        assert client.post(reverse(f"{name}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    assert Escalation.objects.filter(case=case).count() == 3


def test_the_office_head_reads_like_the_auditor_and_sees_escalations(head, cast):
    auditor_perms = cast.auditor.get_all_permissions()
    assert auditor_perms <= head.get_all_permissions()
    assert head.has_perm("operations.view_escalation")
    assert not head.has_perm("cases.confirm_rumour")

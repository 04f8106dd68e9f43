"""`manage.py demo`: cases at every state, built through the real services, loaded once."""

import hashlib
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from rumorcases.bulletins.choices import BulletinStatus
from rumorcases.bulletins.models import Bulletin, BulletinEntry
from rumorcases.cases.choices import CaseStatus, PartyRole, Resolution
from rumorcases.cases.models import Case, CaseParty, CaseTransition, Consultation, EvidenceItem, Report
from rumorcases.core import demo
from rumorcases.core.audit import audit_chain_problems
from rumorcases.core.models import AuditChainHead, AuditEvent, Notification
from rumorcases.disposal.choices import Measure, OffenderRole, OrderStatus, PenaltyStatus
from rumorcases.disposal.models import DisposalOrder, Penalty, Subject
from rumorcases.notices.choices import NoticeStatus
from rumorcases.notices.models import DebunkNotice, NoticeCorrection, NoticeVersion

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ["core", "platforms", "cases", "notices", "disposal", "bulletins"]
USERNAMES = [demo.ADMIN_USERNAME, *(user.username for user in demo.DEMO_USERS)]


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path, monkeypatch):
    settings.DEBUG = True  # the demo refuses to run without it
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    monkeypatch.delenv("DEMO_PASSWORD_FILE", raising=False)


@pytest.fixture
def run_demo(django_capture_on_commit_callbacks):
    """Run the command as `manage.py` would: its on-commit notifications run when it returns."""

    def run(*args) -> str:
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("demo", *args, stdout=out)
        return out.getvalue()

    return run


@pytest.fixture
def loaded(run_demo):
    return run_demo()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count()
            for label in DOMAIN_APPS for model in apps.get_app_config(label).get_models()}


def test_it_changes_nothing_when_run_again(loaded, run_demo):
    before = row_counts()
    users_before = list(get_user_model().objects.order_by("username").values())
    head_before = AuditChainHead.objects.values("last_seq", "last_hash").get()

    output = run_demo()

    assert "already there" in output
    assert row_counts() == before
    assert list(get_user_model().objects.order_by("username").values()) == users_before
    assert AuditChainHead.objects.values("last_seq", "last_hash").get() == head_before
    assert list(audit_chain_problems()) == []
    empty = {label for label, count in before.items() if count == 0}
    # The office's deadline overrides (none: the defaults apply); no platform of the demo has a
    # webhook or an API token until staff give it one; near-duplicate fingerprints are off by default;
    # no background task of the demo fails.
    assert empty == {"cases.StageDeadline", "platforms.ApiToken", "platforms.WebhookDelivery",
                     "platforms.WebhookAttempt", "cases.ReportFingerprint", "core.TaskFailure"}


def test_it_has_a_case_in_every_state_and_every_resolution(loaded):
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    closed = Case.objects.filter(status=CaseStatus.CLOSED)
    assert set(closed.values_list("resolution", flat=True)) == set(Resolution.values)
    assert not Case.objects.exclude(status=CaseStatus.CLOSED).exclude(resolution="").exists()
    assert Report.objects.values("platform").distinct().count() >= 8


def test_it_moves_every_case_through_the_services(loaded):
    assert list(audit_chain_problems()) == []
    for transition in CaseTransition.objects.select_related("case"):
        event = AuditEvent.objects.get(action=f"case.{transition.name}", data__transition_id=transition.pk)
        assert event.case_reference == transition.case.reference
    # Whoever acts next was told.
    assert Notification.objects.filter(kind="case_transition").exists()
    assert Notification.objects.filter(kind="review_requested").exists()
    # Some reports from several platforms joined one case.
    assert any(case.reports.values("platform").distinct().count() >= 3 for case in Case.objects.all())
    for item in EvidenceItem.objects.all():
        with item.file.open("rb") as fh:
            content = fh.read()
        assert hashlib.sha256(content).hexdigest() == item.sha256
        assert len(content) == item.size
    assert set(EvidenceItem.objects.values_list("content_type", flat=True)) == {
        "image/png", "application/pdf", "text/plain"}


def test_it_keeps_victims_and_reporters_out_of_public_text(loaded):
    parties = list(CaseParty.objects.all())
    assert {p.role for p in parties} >= {PartyRole.VICTIM, PartyRole.REPORTER}
    published = NoticeVersion.objects.filter(notice__status=NoticeStatus.PUBLISHED)
    public_texts = [
        " ".join([v.title, v.claim, v.body, v.title_en, v.body_en, str(v.sources)]) for v in published
    ] + [
        " ".join([e.headline, e.rumour_summary, e.finding_summary, e.measures_summary])
        for e in BulletinEntry.objects.all()
    ] + [
        " ".join([b.title, b.title_en, b.introduction]) for b in Bulletin.objects.all()
    ] + list(NoticeCorrection.objects.values_list("note", flat=True))
    assert len(public_texts) > 5
    for party in parties:
        for secret in filter(None, [party.name, party.contact]):
            assert not [text for text in public_texts if secret in text], secret


def test_it_shows_a_repeat_offence_across_platforms(loaded):
    repeat = Penalty.objects.get(role=OffenderRole.REPEAT_OFFENDER, measure=Measure.CLOSE_ACCOUNT)
    subject = repeat.account.subject
    assert subject is not None
    assert subject.accounts.values("platform").distinct().count() == 2
    earlier = Penalty.objects.filter(account__subject=subject).exclude(case=repeat.case)
    assert earlier.exists()
    assert repeat.prior_offences == earlier.count()
    assert Subject.objects.count() >= 2


def test_it_shows_notices_penalties_orders_and_bulletins_in_their_states(loaded):
    assert set(DebunkNotice.objects.values_list("status", flat=True)) >= {
        NoticeStatus.DRAFT, NoticeStatus.IN_REVIEW, NoticeStatus.PUBLISHED}
    published = DebunkNotice.objects.filter(status=NoticeStatus.PUBLISHED)
    assert all(n.document_number.startswith("沪网信辟〔") for n in published)
    corrected = NoticeCorrection.objects.get()
    assert corrected.notice.current_version == corrected.version and corrected.note
    assert set(Penalty.objects.values_list("measure", flat=True)) >= {
        Measure.WARNING, Measure.POSTING_BAN, Measure.CLOSE_ACCOUNT}
    assert not Penalty.objects.filter(measure=Measure.POSTING_BAN, duration_days__isnull=True).exists()
    upheld = Penalty.objects.exclude(appeal_note="").get()
    assert upheld.status == PenaltyStatus.EXECUTED
    assert Penalty.objects.filter(status=PenaltyStatus.PROPOSED).exists()  # waiting for a second person
    assert DisposalOrder.objects.filter(status=OrderStatus.COMPLETED).exists()
    assert DisposalOrder.objects.get(status=OrderStatus.WAIVED).waived_reason
    assert DisposalOrder.objects.get(status=OrderStatus.ACKNOWLEDGED).case.status == CaseStatus.DISPOSING
    bulletin = Bulletin.objects.get(status=BulletinStatus.PUBLISHED)
    exposed = set(Case.objects.filter(resolution=Resolution.EXPOSED))
    assert {e.case for e in bulletin.entries.all()} == exposed
    assert bulletin.published_by != bulletin.drafted_by
    assert Bulletin.objects.filter(status=BulletinStatus.DRAFT).exists()
    assert Consultation.objects.filter(answered_at__isnull=False).exists()
    assert Consultation.objects.filter(answered_at__isnull=True).exists()


def test_it_lets_every_demo_user_log_in(loaded):
    for username in USERNAMES:
        client = Client()
        assert client.login(username=username, password=demo.DEFAULT_PASSWORD), username
        assert client.get("/admin/").status_code == 200, username
    assert get_user_model().objects.get(username=demo.ADMIN_USERNAME).is_superuser
    assert get_user_model().objects.get(username="reviewer2").groups.get().name == "reviewer"


def test_it_prints_the_logins_and_where_to_use_them(loaded):
    assert "Demo data loaded." in loaded
    assert demo.STAFF_URL in loaded
    assert demo.ADMIN_URL in loaded
    for username in USERNAMES:
        assert f"  {username} " in loaded
    assert loaded.count(demo.DEFAULT_PASSWORD) == len(USERNAMES)


def test_it_takes_the_password_from_the_environment_and_resets_it(run_demo, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-pass")
    run_demo()
    assert Client().login(username="publisher", password="another-demo-pass")
    monkeypatch.delenv("DEMO_PASSWORD")
    run_demo()
    assert Client().login(username="publisher", password=demo.DEFAULT_PASSWORD)


def test_it_refuses_to_run_with_debug_off(settings, run_demo):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        run_demo()
    assert not get_user_model().objects.exists()


def test_it_leaves_nothing_behind_when_a_step_fails(run_demo, monkeypatch, settings):
    def broken(self):
        raise RuntimeError("the verifier's laptop died")

    monkeypatch.setattr(demo._Stories, "school_canteen", broken)
    with pytest.raises(RuntimeError):
        run_demo()
    assert {label: count for label, count in row_counts().items() if count} == {"core.AuditChainHead": 1}
    assert not get_user_model().objects.exists()
    assert not [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]

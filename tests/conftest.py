"""The shared cast: one user per role (and a second of some, for four-eyes), a platform,
and helpers that bring a case to any state through the real services."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from rumorcases.cases import services as case_services
from rumorcases.cases import workflow
from rumorcases.cases.choices import Verdict
from rumorcases.core import roles
from rumorcases.disposal.models import LegalProvision
from rumorcases.platforms.models import Platform

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture(autouse=True)
def _exact_matching_only(settings):
    # The fixtures' texts differ in a digit or two and would join one case as near duplicates;
    # tests/cases/test_fingerprints.py turns near-duplicate matching on.
    settings.MATCH_NEAR_DUPLICATES = False


@pytest.fixture(autouse=True)
def _default_language():
    # A request in English leaves English active in the thread (LocaleMiddleware activates, nothing
    # deactivates): every test starts in the site's language, as a fresh request would.
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_login_lockout(settings):
    # django-axes refuses `authenticate()` without a request, which `client.login()` is;
    # tests/staff/test_auth.py turns it back on to test the lockout through the real form.
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test stores its uploads (evidence) in its own folder, never in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher costs ~0.3 s a user on this hardware; tests create a dozen per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, *role_names: str) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username)
    user.groups.set(Group.objects.filter(name__in=role_names))
    return user


@pytest.fixture
def cast(db):
    """alice intake, victor verifier, nora editor, rita/ryan reviewers, dora/dan disposal officers,
    paul/pia publishers, sam supervisor, audrey auditor, nobody with no role."""

    class Cast:
        pass

    c = Cast()
    c.intake = make_user("alice", roles.INTAKE_OFFICER)
    c.verifier = make_user("victor", roles.VERIFIER)
    c.editor = make_user("nora", roles.NOTICE_EDITOR)
    c.reviewer = make_user("rita", roles.REVIEWER)
    c.reviewer2 = make_user("ryan", roles.REVIEWER)
    c.disposal = make_user("dora", roles.DISPOSAL_OFFICER)
    c.disposal2 = make_user("dan", roles.DISPOSAL_OFFICER)
    c.publisher = make_user("paul", roles.PUBLISHER)
    c.publisher2 = make_user("pia", roles.PUBLISHER)
    c.supervisor = make_user("sam", roles.SUPERVISOR)
    c.supervisor2 = make_user("sue", roles.SUPERVISOR)
    c.auditor = make_user("audrey", roles.AUDITOR)
    c.nobody = make_user("nobody")
    return c


@pytest.fixture
def platform(db):
    return Platform.objects.create(slug="weibo", name="新浪微博", name_en="Weibo", is_key=True)


@pytest.fixture
def provision(db):
    return LegalProvision.objects.create(code="csl-12", law="中华人民共和国网络安全法", article="第十二条")


def report_input(external_id="p-1", content="网传某公园发生雷击致多人死亡", **extra):
    data = dict(external_id=external_id, content=content, posted_at=timezone.now() - timedelta(hours=1),
                url=f"https://weibo.example/{external_id}",
                author=case_services.AuthorInput(account_id="u-" + external_id, handle="h" + external_id))
    data.update(extra)
    return case_services.ReportInput(**data)


class CaseBuilder:
    """Moves a case through the workflow with the real services, as the right people."""

    def __init__(self, cast, platform, provision):
        self.c, self.platform, self.provision = cast, platform, provision
        self._n = 0

    def discovered(self, content=None):
        self._n += 1
        content = content or f"谣言内容第{self._n}号：某地发生重大事故"
        result = case_services.report_ingest(platform=self.platform,
                                             data=report_input(external_id=f"b-{self._n}", content=content))
        return result.case

    def verifying(self):
        case = self.discovered()
        workflow.case_start_verification(case=case, by=self.c.intake)
        return case

    def add_rumour_finding(self, case, verdict=Verdict.FALSE):
        item = case_services.evidence_add(case=case, upload=SimpleUploadedFile("shot.png", PNG), by=self.c.verifier)
        return case_services.finding_record(case=case, verdict=verdict, reasoning="官方辟谣", by=self.c.verifier,
                                            evidence=[item])

    def debunking(self):
        case = self.verifying()
        self.add_rumour_finding(case)
        workflow.case_confirm_rumour(case=case, by=self.c.verifier)
        return case

    def approved_notice(self, case):
        from rumorcases.notices import services as notices

        notice = notices.notice_create(case=case, by=self.c.editor, title="关于网传谣言的辟谣", claim=case.claim,
                                       verdict="false", body="经核实，该信息不实。")
        notices.notice_submit(notice=notice, by=self.c.editor)
        notices.notice_review(notice=notice, by=self.c.reviewer, decision="approve")
        return notice

    def disposing(self):
        case = self.debunking()
        self.approved_notice(case)
        workflow.case_publish_debunk(case=case, by=self.c.publisher)
        return case

    def exposing(self):
        case = self.disposing()
        workflow.case_complete_disposal(case=case, by=self.c.disposal)
        return case

    def closed_exposed(self):
        from rumorcases.bulletins import services as bulletins

        case = self.exposing()
        today = timezone.localdate()
        bulletin = bulletins.bulletin_create(by=self.c.publisher, title="曝光台", period_start=today,
                                             period_end=today)
        bulletins.bulletin_add_entry(bulletin=bulletin, case=case, by=self.c.publisher, headline="h",
                                     rumour_summary="r", finding_summary="f")
        bulletins.bulletin_submit(bulletin=bulletin, by=self.c.publisher)
        bulletins.bulletin_publish(bulletin=bulletin, by=self.c.publisher2)
        case.refresh_from_db()
        return case


@pytest.fixture
def build(cast, platform, provision):
    return CaseBuilder(cast, platform, provision)

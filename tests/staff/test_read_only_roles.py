"""Every action of the staff UI, sent by someone whose role may not write: refused, nothing written.

The list of actions is the staff URL configuration itself, so a page added later is swept too.
The auditor reads everything and writes nothing; a user without a role reaches nothing. Each URL
gets a POST full of plausible fields, so that a view which read its form before checking the
role would answer 200 with form errors instead of 403, and fail here.
"""

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from rumorcases.bulletins import services as bulletins
from rumorcases.cases import services as case_services
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import Measure, OffenderRole, OrderItemKind
from rumorcases.disposal.models import Subject
from rumorcases.staff.urls import urlpatterns
from tests.conftest import PNG

# The reader's own bookkeeping, open to every role: marking their own notifications read, choosing
# their own language and e-mails.
OPEN_TO_EVERY_ROLE = {"notifications_read", "notification_preferences"}
PAYLOAD = {
    "reason": "理由", "comments": "意见", "decision": "approve", "body": "内容", "title": "标题", "claim": "说法",
    "verdict": "false", "reasoning": "理由", "statement": "声明", "note": "更正", "direction": "up",
    "expected_status": "disposing", "assignee": "1", "priority": "P1", "category": "rumour", "new_name": "某人",
    "headline": "h", "rumour_summary": "r", "finding_summary": "f", "period_start": "2026-11-01",
    "period_end": "2026-11-02", "authority": "police", "authority_name": "某分局", "question": "q",
    "due_at": "2030-01-01T10:00", "answer": "a", "content": "帖文", "url": "https://weibo.example/p/9",
}


def _domain_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()
            if model._meta.app_label in ("cases", "notices", "disposal", "bulletins", "core", "platforms")}


@pytest.fixture
def world(build, cast, provision, platform):
    case = build.disposing()
    report = case.reports.get()
    account = report.author
    subject = Subject.objects.create(name="某主体")
    disposal.subject_link_account(account=account, subject=subject, by=cast.disposal)
    penalty = disposal.penalty_propose(case=case, account=account, role=OffenderRole.ORIGINATOR,
                                       measure=Measure.POSTING_BAN, duration_days=7, legal_provision=provision,
                                       reasoning="r", by=cast.disposal)
    order = disposal.order_issue(case=case, platform=platform, due_at=timezone.now() + timedelta(days=1),
                                 by=cast.disposal, items=[{"kind": OrderItemKind.REMOVE_CONTENT, "report": report}])
    evidence = case.evidence.first() or case_services.evidence_add(
        case=case, upload=SimpleUploadedFile("shot.png", PNG), by=cast.verifier)
    consultation = case_services.consultation_ask(case=case, authority="police", authority_name="某分局",
                                                  question="q", due_at=timezone.now() + timedelta(days=1),
                                                  by=cast.verifier)
    exposing = build.exposing()
    today = timezone.localdate()
    bulletin = bulletins.bulletin_create(by=cast.publisher, title="曝光", period_start=today, period_end=today)
    entry = bulletins.bulletin_add_entry(bulletin=bulletin, case=exposing, by=cast.publisher, headline="h",
                                         rumour_summary="r", finding_summary="f")
    by_prefix = {"bulletin": bulletin.pk, "penalty": penalty.pk, "notice": case.notices.get().pk,
                 "evidence": evidence.pk, "consultation": consultation.pk, "subject_detail": subject.pk}
    return {
        "reference": case.reference, "report_id": report.pk, "account_id": account.pk, "platform": platform.slug,
        # "reopen" is not possible from disposing: the role must be refused before the state is.
        "order_reference": order.reference, "entry_pk": entry.pk, "name": "reopen",
        "pk": lambda url_name: next((pk for prefix, pk in by_prefix.items() if url_name.startswith(prefix)),
                                    account.pk),
    }


def _actions(world):
    for pattern in urlpatterns:
        if pattern.name in ("login", "logout") or pattern.name in OPEN_TO_EVERY_ROLE:
            continue
        kwargs = {}
        for key in pattern.pattern.converters:
            value = world[key]
            kwargs[key] = value(pattern.name) if callable(value) else value
        if pattern.name == "dashboard_csv":
            kwargs["name"] = "weekly"
        yield pattern.name, reverse(f"staff:{pattern.name}", kwargs=kwargs)


@pytest.mark.parametrize("who", ["auditor", "nobody"])
def test_no_action_writes_for_a_role_that_may_not(client, cast, world, who):
    client.force_login(getattr(cast, who))
    before = _domain_counts()
    answers = {name: client.post(url, PAYLOAD).status_code for name, url in _actions(world)}
    assert len(answers) >= 45
    wrong = {name: status for name, status in answers.items() if status not in (403, 405)}
    assert not wrong, wrong
    assert _domain_counts() == before


def test_the_auditor_reads_every_page(client, cast, world):
    client.force_login(cast.auditor)
    pages = {name: url for name, url in _actions(world) if client.post(url, PAYLOAD).status_code == 405}
    answers = {name: client.get(url).status_code for name, url in pages.items()}
    assert len(answers) >= 15
    assert all(status == 200 for status in answers.values()), answers

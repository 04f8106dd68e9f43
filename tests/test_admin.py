"""The admin: every page renders, history stays read-only, and every write, transitions
included, goes through the services with their refusals shown to the user."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.core import checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_fsm import FSMFieldMixin

from rumorcases.bulletins import services as bulletins
from rumorcases.bulletins.models import Bulletin, BulletinEntry
from rumorcases.cases import services as case_services
from rumorcases.cases import workflow
from rumorcases.cases.choices import CaseStatus, Resolution
from rumorcases.cases.guards import has_rumour_finding_with_evidence
from rumorcases.cases.models import Campaign, Case, CaseTransition, EvidenceItem, Finding, StageDeadline
from rumorcases.core.models import AuditChainHead, AuditEvent, Counter, Notification, NotificationKind, TaskFailure
from rumorcases.core.services import notification_send
from rumorcases.disposal import services as disposal
from rumorcases.disposal.models import Account, Subject
from rumorcases.notices import services as notices
from rumorcases.notices.models import NoticeCorrection, NoticeReview, NoticeVersion
from rumorcases.platforms.services import api_token_create
from rumorcases.platforms.webhooks import webhook_deliver
from tests.conftest import PNG

APPS = ["core", "platforms", "cases", "notices", "disposal", "bulletins"]


@pytest.fixture(autouse=True)
def media_and_language(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # Messages are compared in English; the page-rendering test asks for Chinese.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def cast(cast):
    """The shared cast, as office staff who may sign in to the admin."""
    User.objects.filter(username__in=[u.username for u in vars(cast).values()]).update(is_staff=True)
    for user in vars(cast).values():
        user.is_staff = True
    return cast


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.org", "pw-root")


def url(model_or_obj, view="change", *args):
    opts = model_or_obj._meta
    if view == "change" and not args:
        args = (model_or_obj.pk,)
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def transition_url(case, name):
    return reverse("admin:cases_case_transition", args=[case.pk, name])


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def post_action(client, model, action, objects, **extra):
    data = {"action": action, "_selected_action": [o.pk for o in objects], **extra}
    if "apply" not in extra:
        data["index"] = 0
    return client.post(url(model, "changelist"), data)


def form_data(response):
    """What the browser would post back from an admin change form, inlines' management forms included."""
    data = {}
    form = response.context["adminform"].form
    forms = [form]
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
        forms.extend(inline.formset.forms)
    for each in forms:
        for name in each.fields:
            value = each[name].value()
            if value is not None:
                data[each.add_prefix(name)] = [str(v) for v in value] if isinstance(value, list | tuple) else value
    return data


@pytest.fixture(autouse=True)
def _fingerprints_written(settings):
    # Fingerprints are written (so their admin has rows to show), but nothing joins as a near
    # duplicate: the builder's texts differ in a digit only.
    settings.MATCH_NEAR_DUPLICATES = True
    settings.MATCH_NEAR_THRESHOLD = 1.01


def populate(build, cast, platform, provision, n=1):
    """A case in every state, and one of everything hanging off them."""

    class World:
        pass

    w = World()
    w.discovered = build.discovered()
    w.verifying = build.verifying()
    w.debunking = build.debunking()
    w.disposing = build.disposing()
    w.exposing = build.exposing()
    w.closed = build.closed_exposed()
    case_services.case_comment_add(case=w.verifying, body="需要联系区应急局", by=cast.verifier)
    case_services.case_party_add(case=w.verifying, role="reporter", name="张某", by=cast.supervisor)
    case_services.consultation_ask(case=w.verifying, authority="emergency", authority_name="浦东新区应急管理局",
                                   question="是否发生雷击？", due_at=timezone.now() + timedelta(days=1),
                                   by=cast.verifier)
    report = w.disposing.reports.get()
    w.penalty = disposal.penalty_propose(case=w.disposing, account=report.author, role="originator",
                                         measure="posting_ban", duration_days=7, legal_provision=provision,
                                         reasoning="恶意编造", by=cast.disposal)
    # The platform's webhook points where nothing listens: the order's delivery gets one failed attempt.
    platform.webhook_url, platform.webhook_secret = "http://127.0.0.1:9/hooks", "whsec-test"
    platform.save(update_fields=["webhook_url", "webhook_secret"])
    w.order = disposal.order_issue(case=w.disposing, platform=platform, due_at=timezone.now() + timedelta(days=1),
                                   by=cast.disposal, items=[{"kind": "remove_content", "report": report}])
    webhook_deliver(delivery_pk=w.order.webhook_deliveries.get().pk)
    api_token_create(platform=platform, name=f"moderation {n}", scopes=["orders:read"], by=None, system=True)
    published = w.disposing.notices.get()
    notices.notice_correct(notice=published, by=cast.supervisor, note="更正了发布时间", title="关于网传谣言的辟谣",
                           claim=w.disposing.claim, verdict="false", body="经核实，该信息不实（已更正）。")
    subject = Subject.objects.create(name=f"某公司{n}")
    disposal.subject_link_account(account=report.author, subject=subject, by=cast.disposal)
    campaign = Campaign.objects.create(slug=f"qinglang-{n}", name="清朗·网络暴力", starts_on=timezone.localdate())
    case_services.case_tag_campaigns(case=w.verifying, campaigns=[campaign], by=cast.verifier)
    StageDeadline.objects.create(stage=CaseStatus.VERIFYING, priority=f"P{n}", hours=12)
    notification_send(recipients=[cast.verifier], kind=NotificationKind.CASE_ASSIGNED, title=f"t{n}")
    TaskFailure.objects.create(task_name="rumorcases.documents.tasks.render_notice_pdf", task_id=f"task-{n}",
                               args=[published.pk], exception_type="builtins.OSError", message="disk full")
    return w


@pytest.fixture
def penalty_and_order(build, cast, platform, provision):
    """A case being disposed of, with a proposed posting ban and an order to remove the post."""
    case = build.disposing()
    report = case.reports.get()
    penalty = disposal.penalty_propose(case=case, account=report.author, role="originator", measure="posting_ban",
                                       duration_days=7, legal_provision=provision, reasoning="恶意编造",
                                       by=cast.disposal)
    order = disposal.order_issue(case=case, platform=platform, due_at=timezone.now() + timedelta(days=1),
                                 by=cast.disposal, items=[{"kind": "remove_content", "report": report}])
    return penalty, order


# --- every page ------------------------------------------------------------------------------


def test_it_registers_every_model_of_the_six_apps():
    # Fingerprints are an index derived from report texts (and the admin cannot show a composite key).
    missing = [model._meta.label for label in APPS for model in apps.get_app_config(label).get_models()
               if model not in admin.site._registry]
    assert missing == ["cases.ReportFingerprint"]


def test_it_passes_the_admin_system_checks():
    assert checks.run_checks(tags=[checks.Tags.admin]) == []


def test_it_renders_every_page_with_changelist_query_counts_flat(client, superuser, build, cast, platform,
                                                                  provision):
    client.force_login(superuser)
    request = type("Request", (), {"user": superuser})()
    registry = {model: model_admin for model, model_admin in admin.site._registry.items()
                if model._meta.app_label in APPS}

    def changelist_queries():
        counts = {}
        for model in registry:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url(model, "changelist")).status_code == 200, model
            counts[model._meta.label] = len(queries)
        return counts

    populate(build, cast, platform, provision, n=1)
    few = changelist_queries()
    populate(build, cast, platform, provision, n=2)
    assert changelist_queries() == few  # twice the rows, the same queries

    broken = []
    for model, model_admin in registry.items():
        # In the office's language here; the other tests read the messages in English.
        pages = [url(model, "changelist") + "?q=RC"] if model_admin.search_fields else []
        if model_admin.has_add_permission(request):
            pages.append(url(model, "add"))
        for page in pages:
            status = client.get(page, headers={"accept-language": "zh-hans"}).status_code
            if status != 200:
                broken.append((page, status))
        if model is Case:
            objects = list({case.status: case for case in Case.objects.all()}.values())
            assert len(objects) == len(CaseStatus)
        else:
            objects = model._default_manager.all()[:1]
        assert objects, f"no {model._meta.label} to show"
        state_field = next((f.name for f in model._meta.fields if isinstance(f, FSMFieldMixin)), None)
        for obj in objects:
            response = client.get(url(obj))
            if response.status_code != 200:
                broken.append((url(obj), response.status_code))
            elif state_field:
                # A state only ever moves through its transition services.
                assert state_field not in response.context["adminform"].form.fields, model
    assert broken == []


# --- history is read-only -------------------------------------------------------------------


def test_it_never_lets_anyone_add_change_or_delete_audit_events(client, superuser, build):
    build.discovered()
    event = AuditEvent.objects.first()
    client.force_login(superuser)
    assert client.get(url(event)).status_code == 200
    assert client.get(url(AuditEvent, "add")).status_code == 403
    assert client.post(url(AuditEvent, "add"), {"action": "forged"}).status_code == 403
    assert client.post(url(event), {"action": "forged"}).status_code == 403
    assert client.get(url(AuditEvent, "delete", event.pk)).status_code == 403
    assert client.post(url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    response = post_action(client, AuditEvent, "delete_selected", [event], post="yes")
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()
    assert response.status_code in (200, 302)


@pytest.mark.parametrize("model", [AuditEvent, AuditChainHead, Counter, Notification, CaseTransition, NoticeVersion,
                                   NoticeReview, NoticeCorrection])
def test_history_is_read_only_even_for_superusers(rf, superuser, model):
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[model]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_evidence_is_added_through_the_service_and_only_its_description_changes(client, cast, build):
    case = build.verifying()
    client.force_login(cast.verifier)
    response = client.post(url(EvidenceItem, "add"), {
        "case": case.pk, "kind": "file", "description": "截图", "file": SimpleUploadedFile("shot.png", PNG)})
    assert response.status_code == 302
    item = EvidenceItem.objects.get()
    assert (item.content_type, item.size, item.uploaded_by) == ("image/png", len(PNG), cast.verifier)
    assert len(item.sha256) == 64 and item.original_name == "shot.png"
    response = client.get(url(item))
    assert list(response.context["adminform"].form.fields) == ["description"]
    client.post(url(item), {"description": "微博截图", "sha256": "0" * 64, "size": 1})
    item.refresh_from_db()
    assert (item.description, item.size) == ("微博截图", len(PNG))
    assert AuditEvent.objects.filter(action="evidence.described", object_id=str(item.pk)).exists()
    assert client.get(url(EvidenceItem, "delete", item.pk)).status_code == 403
    response = client.post(url(EvidenceItem, "add"), {
        "case": case.pk, "kind": "file", "file": SimpleUploadedFile("tool.exe", b"MZ\x90\x00" + b"\x00" * 200)})
    assert response.status_code == 200
    assert "not accepted as evidence" in response.content.decode()
    assert EvidenceItem.objects.count() == 1


def test_it_shows_transition_history_audit_trail_and_evidence_on_the_case_page(client, cast, build):
    case = build.disposing()
    client.force_login(cast.supervisor)
    response = client.get(url(case))
    assert response.status_code == 200
    page = response.content.decode()
    assert "confirm_rumour" in page and "publish_debunk" in page  # the transition history
    assert "case.confirm_rumour" in page and "report.received" in page  # the audit trail
    assert case.evidence.get().sha256 in page
    assert "沪网信辟" in page  # the published notice


def test_it_hides_the_audit_trail_from_roles_that_may_not_read_it(client, cast, build):
    case = build.verifying()
    client.force_login(cast.verifier)
    page = client.get(url(case)).content.decode()
    assert "case.start_verification" not in page


# --- case transitions --------------------------------------------------------------------


def test_a_supervisor_starts_verification_with_the_button(client, cast, build):
    case = build.discovered()
    client.force_login(cast.supervisor)
    page = client.get(url(case)).content.decode()
    assert transition_url(case, "start_verification") in page
    response = client.post(transition_url(case, "start_verification"), {"expected_status": "discovered"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.VERIFYING
    record = CaseTransition.objects.get(case=case)
    assert (record.name, record.source, record.target, record.actor) == (
        "start_verification", "discovered", "verifying", cast.supervisor)
    assert AuditEvent.objects.filter(case_reference=case.reference, action="case.start_verification").exists()


def test_the_transition_view_wants_a_csrf_token(cast, build):
    case = build.discovered()
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.supervisor)
    response = client.post(transition_url(case, "start_verification"), {"expected_status": "discovered"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == CaseStatus.DISCOVERED


def test_it_offers_only_the_transitions_the_user_may_fire_now(client, cast, build):
    case = build.verifying()
    client.force_login(cast.verifier)
    page = client.get(url(case)).content.decode()
    assert transition_url(case, "merge_into") in page
    assert transition_url(case, "confirm_rumour") not in page  # no finding yet: shown as blocked, with why
    assert str(has_rumour_finding_with_evidence.message) in page
    assert transition_url(case, "close_unverifiable") not in page  # a supervisor's transition
    client.force_login(cast.auditor)
    page = client.get(url(case)).content.decode()
    assert "/transition/" not in page


def test_a_refused_transition_shows_the_guard_and_changes_nothing(client, cast, build):
    case = build.verifying()
    client.force_login(cast.verifier)
    response = client.post(transition_url(case, "confirm_rumour"), {"expected_status": "verifying"})
    assert response.status_code == 302
    assert str(has_rumour_finding_with_evidence.message) in messages_of(response)
    case.refresh_from_db()
    assert case.status == CaseStatus.VERIFYING
    assert not CaseTransition.objects.filter(case=case, name="confirm_rumour").exists()


def test_a_transition_on_a_case_that_moved_meanwhile_is_refused(client, cast, build):
    case = build.verifying()
    client.force_login(cast.supervisor)
    response = client.post(transition_url(case, "start_verification"), {"expected_status": "discovered"})
    assert any("changed meanwhile" in message for message in messages_of(response))
    response = client.post(transition_url(case, "dismiss"), {"expected_status": "discovered", "reason": "x"})
    assert any("changed meanwhile" in message for message in messages_of(response))
    assert CaseTransition.objects.filter(case=case).count() == 1


def test_a_transition_needing_a_reason_asks_for_it(client, cast, build):
    case = build.discovered()
    client.force_login(cast.supervisor)
    assert client.get(transition_url(case, "dismiss")).status_code == 200
    response = client.post(transition_url(case, "dismiss"), {"expected_status": "discovered", "reason": " "})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.DISCOVERED
    client.post(transition_url(case, "dismiss"), {"expected_status": "discovered", "reason": "不属于本办管辖"})
    case.refresh_from_db()
    assert (case.status, case.resolution) == (CaseStatus.CLOSED, Resolution.OUT_OF_SCOPE)
    assert CaseTransition.objects.get(case=case).reason == "不属于本办管辖"


def test_merge_into_asks_for_the_target_reference(client, cast, build):
    duplicate, original = build.discovered(), build.discovered(content="完全不同的另一条谣言：地铁停运")
    client.force_login(cast.intake)
    response = client.post(transition_url(duplicate, "merge_into"), {"expected_status": "discovered",
                                                                      "target": "RC-0000-999999"})
    assert response.status_code == 200
    response = client.post(transition_url(duplicate, "merge_into"), {"expected_status": "discovered",
                                                                      "target": original.reference})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (CaseStatus.CLOSED, original)
    assert original.reports.count() == 2


def test_transitions_run_as_changelist_actions_reporting_each_case(client, cast, build):
    first, second, moved = build.discovered(), build.discovered(content="另一条：某小区水源被污染"), build.verifying()
    client.force_login(cast.intake)
    response = post_action(client, Case, "transition_start_verification", [first, second, moved])
    assert response.status_code == 302
    notes = messages_of(response)
    assert any(first.reference in m and second.reference in m for m in notes)
    assert any(m.startswith(moved.reference) and "not possible" in m for m in notes)
    assert set(Case.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {"verifying"}
    assert CaseTransition.objects.filter(case=moved).count() == 1


def test_a_transition_action_needing_a_reason_asks_for_it_first(client, cast, build):
    case = build.discovered()
    client.force_login(cast.supervisor)
    response = post_action(client, Case, "transition_dismiss", [case])
    assert response.status_code == 200
    assert 'name="reason"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.DISCOVERED
    response = post_action(client, Case, "transition_dismiss", [case], apply="yes", reason="广告，不属谣言")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_an_auditor_can_view_but_not_change_cases(client, cast, build):
    case = build.discovered()
    client.force_login(cast.auditor)
    response = client.get(url(case))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert client.post(url(case), {"title": "改"}).status_code == 403
    assert client.get(url(Case, "add")).status_code == 403
    changelist = client.get(url(Case, "changelist")).content.decode()
    assert "transition_start_verification" not in changelist
    response = client.post(transition_url(case, "start_verification"), {"expected_status": "discovered"})
    case.refresh_from_db()
    assert case.status == CaseStatus.DISCOVERED
    assert any("Your role may not" in m for m in messages_of(response))


# --- writes through services ---------------------------------------------------------------


def test_a_case_added_in_the_admin_is_opened_through_the_service(client, cast):
    client.force_login(cast.verifier)
    assert client.get(url(Case, "add")).status_code == 403
    client.force_login(cast.supervisor)
    response = client.post(url(Case, "add"), {"title": "网传地铁2号线停运", "claim": "地铁2号线全线停运",
                                              "category": "rumour", "priority": "P1"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.reference.startswith("RC-") and case.created_by == cast.supervisor
    assert case.stage_deadline is not None
    assert AuditEvent.objects.filter(case_reference=case.reference, action="case.opened").exists()


def test_priority_and_title_changes_go_through_services_and_the_audit_trail(client, superuser, build):
    case = build.verifying()
    client.force_login(superuser)
    data = form_data(client.get(url(case)))
    data.update(priority="P1", title="新的标题")
    response = client.post(url(case), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert (case.priority, case.title, case.status) == ("P1", "新的标题", CaseStatus.VERIFYING)
    actions = set(AuditEvent.objects.filter(case_reference=case.reference).values_list("action", flat=True))
    assert {"case.priority_changed", "case.edited"} <= actions


def test_a_refused_change_rolls_the_whole_form_back(client, superuser, build):
    case = build.discovered()
    workflow.case_dismiss(case=case, by=build.c.supervisor, reason="不属于本办管辖")
    client.force_login(superuser)
    data = form_data(client.get(url(case)))
    data.update(priority="P1", title="新的标题")
    response = client.post(url(case), data)
    assert response.status_code == 200
    assert f"Case {case.reference} is closed." in response.content.decode()
    case.refresh_from_db()
    assert (case.priority, case.title) == ("P3", "谣言内容第1号：某地发生重大事故")
    assert not AuditEvent.objects.filter(case_reference=case.reference, action="case.edited").exists()


def test_a_case_moved_while_its_form_was_saved_is_changed_meanwhile(client, superuser, build, monkeypatch):
    case = build.discovered()
    client.force_login(superuser)
    data = form_data(client.get(url(case)))
    stale = Case.objects.get(pk=case.pk)
    workflow.case_start_verification(case=case, by=build.c.intake)
    # The form view loaded the case just before someone else moved it on.
    monkeypatch.setattr(admin.site._registry[Case], "get_object", lambda *args, **kwargs: stale)
    response = client.post(url(case), {**data, "priority": "P1"})
    assert response.status_code == 200
    assert "changed meanwhile" in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.priority) == (CaseStatus.VERIFYING, "P3")


def test_a_service_refusal_on_an_add_form_is_shown_on_the_form(client, cast, build):
    case = build.discovered()
    client.force_login(cast.supervisor)
    response = client.post(url(Finding, "add"), {"case": case.pk, "verdict": "false", "reasoning": "官方通报",
                                                 "sources": "[]"})
    assert response.status_code == 200
    assert "Findings are recorded while the case is being verified." in response.content.decode()
    assert not Finding.objects.exists()


# --- other workflows -----------------------------------------------------------------------


def test_the_author_of_a_notice_cannot_approve_it(client, cast, build):
    case = build.debunking()
    notice = notices.notice_create(case=case, by=cast.supervisor, title="辟谣", claim=case.claim, verdict="false",
                                   body="经核实，不实。")
    notices.notice_submit(notice=notice, by=cast.supervisor)
    client.force_login(cast.supervisor)
    response = post_action(client, type(notice), "approve", [notice])
    assert any("someone else must approve it" in m for m in messages_of(response))
    notice.refresh_from_db()
    assert notice.status == "in_review"
    client.force_login(cast.reviewer)
    post_action(client, type(notice), "approve", [notice])
    notice.refresh_from_db()
    assert (notice.status, notice.approved_by) == ("approved", cast.reviewer)


def test_penalties_are_approved_by_another_and_revoked_with_a_reason(client, cast, penalty_and_order):
    penalty, _order = penalty_and_order
    client.force_login(cast.supervisor)
    post_action(client, type(penalty), "approve", [penalty])
    penalty.refresh_from_db()
    assert penalty.status == "approved"
    assert post_action(client, type(penalty), "revoke", [penalty]).status_code == 200
    post_action(client, type(penalty), "revoke", [penalty], apply="yes", reason="复核认定证据不足")
    penalty.refresh_from_db()
    assert (penalty.status, penalty.revoked_reason) == ("revoked", "复核认定证据不足")


def test_a_disposal_officer_cannot_approve_their_own_penalty(client, cast, penalty_and_order):
    penalty, _order = penalty_and_order
    cast.disposal.user_permissions.add(Permission.objects.get(codename="approve_penalty"))
    client.force_login(cast.disposal)
    response = post_action(client, type(penalty), "approve", [penalty])
    assert any("someone else must approve it" in m for m in messages_of(response))
    penalty.refresh_from_db()
    assert penalty.status == "proposed"


def test_an_order_is_waived_with_a_reason(client, cast, penalty_and_order):
    _penalty, order = penalty_and_order
    client.force_login(cast.supervisor)
    post_action(client, type(order), "waive", [order], apply="yes", reason="帖子已被作者删除")
    order.refresh_from_db()
    assert (order.status, order.waived_reason, order.waived_by) == ("waived", "帖子已被作者删除", cast.supervisor)


def test_a_bulletin_is_published_by_someone_other_than_its_drafter(client, cast, build):
    case = build.exposing()
    today = timezone.localdate()
    bulletin = bulletins.bulletin_create(by=cast.publisher, title="曝光台第一期", period_start=today, period_end=today)
    bulletins.bulletin_add_entry(bulletin=bulletin, case=case, by=cast.publisher, headline="h", rumour_summary="r",
                                 finding_summary="f")
    client.force_login(cast.publisher)
    post_action(client, Bulletin, "submit_for_review", [bulletin])
    response = post_action(client, Bulletin, "publish", [bulletin])
    assert any("someone else must approve it" in m for m in messages_of(response))
    client.force_login(cast.publisher2)
    post_action(client, Bulletin, "publish", [bulletin])
    bulletin.refresh_from_db()
    case.refresh_from_db()
    assert bulletin.status == "published" and case.status == CaseStatus.CLOSED


def test_entries_leave_only_draft_bulletins_and_through_the_service(client, cast, build):
    case = build.exposing()
    today = timezone.localdate()
    bulletin = bulletins.bulletin_create(by=cast.publisher, title="曝光台", period_start=today, period_end=today)
    entry = bulletins.bulletin_add_entry(bulletin=bulletin, case=case, by=cast.publisher, headline="h",
                                         rumour_summary="r", finding_summary="f")
    client.force_login(cast.publisher)
    bulletins.bulletin_submit(bulletin=bulletin, by=cast.publisher)
    assert client.get(url(BulletinEntry, "delete", entry.pk)).status_code == 403
    bulletins.bulletin_send_back(bulletin=bulletin, by=cast.publisher2, comments="标题再改改")
    assert client.post(url(BulletinEntry, "delete", entry.pk), {"post": "yes"}).status_code == 302
    assert not BulletinEntry.objects.exists()
    assert AuditEvent.objects.filter(action="bulletin.entry_removed", case_reference=case.reference).exists()


def test_the_subject_behind_an_account_is_linked_through_the_service(client, cast, build):
    account = build.discovered().reports.get().author
    subject = Subject.objects.create(name="某传媒公司")
    client.force_login(cast.disposal)
    response = client.get(url(account))
    assert list(response.context["adminform"].form.fields) == ["subject"]
    assert client.get(url(Account, "add")).status_code == 403
    client.post(url(account), {**form_data(response), "subject": subject.pk, "handle": "forged"})
    account.refresh_from_db()
    assert (account.subject, account.handle) == (subject, "hb-1")
    assert AuditEvent.objects.filter(action="account.subject_linked", object_id=str(account.pk)).exists()


def test_notifications_are_read_only(client, cast, superuser):
    [notification] = notification_send(recipients=[cast.verifier], kind=NotificationKind.CASE_ASSIGNED, title="t")
    client.force_login(superuser)
    assert client.post(url(notification), {"title": "x"}).status_code == 403
    assert client.get(url(Notification, "add")).status_code == 403

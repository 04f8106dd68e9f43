"""The case workbench: what a case page shows, the transition buttons and their refusals, and
the small actions (assign, priority, campaigns, comment, details, moving reports); notifications."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rumorcases.cases import services as case_services
from rumorcases.cases import workflow
from rumorcases.cases.models import Campaign, Case, CaseComment, CaseTransition, Report
from rumorcases.core.models import AuditEvent, Notification
from tests.conftest import report_input


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def page(case):
    return reverse("staff:case_detail", args=[case.reference])


def fire(case, name):
    return reverse("staff:case_transition", args=[case.reference, name])


def buttons(response) -> dict:
    return {t["name"]: t for t in response.context["transitions"]}


# --- reading --------------------------------------------------------------------------------


def test_every_role_reads_the_workbench_and_nobody_else(client, build):
    case = build.verifying()
    for user in (build.c.intake, build.c.editor, build.c.disposal, build.c.auditor, build.c.supervisor):
        client.force_login(user)
        assert client.get(page(case)).status_code == 200
    client.force_login(build.c.nobody)
    assert client.get(page(case)).status_code == 403
    client.force_login(build.c.auditor)
    assert client.get("/staff/cases/RC-1999-000001/").status_code == 404


def test_it_shows_the_claim_the_reports_and_why_each_matched(en, build, platform):
    case = build.discovered(content="网传某地发生爆炸")
    case_services.report_ingest(platform=platform, data=report_input(
        external_id="r-2", content="网传某地发生爆炸", views=7000, reposts=12))
    en.force_login(build.c.verifier)
    html = en.get(page(case)).content.decode()
    assert "网传某地发生爆炸" in html
    assert "opened this case" in html and "same text" in html
    assert 'href="https://weibo.example/r-2" rel="noopener noreferrer nofollow" target="_blank"' in html
    assert "@hr-2" in html and ">7000<" in html


def test_internet_text_is_escaped_on_the_workbench(client, build, platform):
    case = build.discovered(content="<script>alert(1)</script>谣言")
    case_services.report_ingest(platform=platform, data=report_input(
        external_id="r-x", content="<img src=x onerror=alert(2)>", url="https://weibo.example/b-1",
        author=case_services.AuthorInput(account_id="a-x", handle="<b>evil</b>")))
    client.force_login(build.c.verifier)
    html = client.get(page(case)).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html and "<b>evil</b>" not in html


def test_the_timeline_is_newest_first_and_holds_decisions(en, build):
    case = build.debunking()
    build.approved_notice(case)
    case_services.case_comment_add(case=case, body="请加快", by=build.c.verifier)
    en.force_login(build.c.auditor)
    response = en.get(page(case))
    timeline = response.context["timeline"]
    assert [e.at for e in timeline] == sorted((e.at for e in timeline), reverse=True)
    kinds = {e.kind for e in timeline}
    assert {"transition", "comment", "evidence", "finding", "report", "notice_version", "notice_review"} <= kinds
    html = response.content.decode()
    assert "Confirm rumour" in html and "Debunk notice version 1" in html and "请加快" in html


def test_the_workbench_costs_the_same_for_a_big_case(client, build, platform):
    small = build.verifying()
    big = build.verifying()
    for n in range(8):
        case_services.report_ingest(platform=platform, data=report_input(external_id=f"big-{n}", content=big.claim))
        case_services.case_comment_add(case=big, body=f"备注 {n}", by=build.c.verifier)
    client.force_login(build.c.supervisor)

    def count(case):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page(case)).status_code == 200
        return len(queries)

    assert count(small) == count(big)


# --- the transition buttons -----------------------------------------------------------------


def test_buttons_are_exactly_the_transitions_the_user_may_fire(client, build):
    case = build.discovered()
    client.force_login(build.c.intake)
    assert set(buttons(client.get(page(case)))) == {"start_verification", "merge_into"}
    client.force_login(build.c.supervisor)
    assert set(buttons(client.get(page(case)))) == {"start_verification", "dismiss", "merge_into"}
    client.force_login(build.c.auditor)
    response = client.get(page(case))
    assert buttons(response) == {}
    assert fire(case, "start_verification") not in response.content.decode()


def test_a_failing_guard_shows_disabled_with_its_message(en, build):
    case = build.verifying()
    en.force_login(build.c.verifier)
    response = en.get(page(case))
    confirm = buttons(response)["confirm_rumour"]
    assert confirm["disabled"] and "backed by at least one evidence item" in confirm["message"]
    assert "close_unverifiable" not in buttons(response)  # the verifier's role may not
    assert "backed by at least one evidence item" in response.content.decode()


def test_a_transition_happy_path(client, build):
    case = build.discovered()
    client.force_login(build.c.intake)
    response = client.post(fire(case, "start_verification"), {"expected_status": "discovered", "reason": "开始核查"})
    assert response.status_code == 302 and response["Location"] == page(case)
    case.refresh_from_db()
    assert case.status == "verifying"
    record = CaseTransition.objects.get(case=case, name="start_verification")
    assert (record.actor, record.reason) == (build.c.intake, "开始核查")


def test_a_reason_is_required_where_the_workflow_says(en, build):
    case = build.discovered()
    en.force_login(build.c.supervisor)
    response = en.post(fire(case, "dismiss"), {"expected_status": "discovered", "reason": "  "})
    assert response.status_code == 200
    assert "reason" in buttons(response)["dismiss"]["form"].errors
    case.refresh_from_db()
    assert case.status == "discovered"
    en.post(fire(case, "dismiss"), {"expected_status": "discovered", "reason": "不属于管辖范围"})
    case.refresh_from_db()
    assert (case.status, case.resolution) == ("closed", "out_of_scope")


def test_a_guard_refusal_is_shown_and_nothing_moves(en, build):
    case = build.verifying()
    en.force_login(build.c.verifier)
    response = en.post(fire(case, "confirm_rumour"), {"expected_status": "verifying"}, follow=True)
    assert response.status_code == 200
    assert "backed by at least one evidence item" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "verifying"
    assert not CaseTransition.objects.filter(case=case, name="confirm_rumour").exists()


def test_changed_meanwhile_answers_409_and_fires_nothing(en, build):
    case = build.discovered()
    en.force_login(build.c.intake)
    seen = buttons(en.get(page(case)))["start_verification"]["form"].initial["expected_status"]
    workflow.case_start_verification(case=Case.objects.get(pk=case.pk), by=build.c.verifier)  # someone else
    response = en.post(fire(case, "start_verification"), {"expected_status": seen})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Case changed meanwhile" in html and f'href="{page(case)}"' in html
    assert CaseTransition.objects.filter(case=case, name="start_verification").count() == 1


def test_a_double_submit_fires_once(client, build):
    case = build.discovered()
    client.force_login(build.c.intake)
    first = client.post(fire(case, "start_verification"), {"expected_status": "discovered"})
    second = client.post(fire(case, "start_verification"), {"expected_status": "discovered"})
    assert (first.status_code, second.status_code) == (302, 409)
    assert CaseTransition.objects.filter(case=case).count() == 1


def test_merge_into_another_case(client, build):
    duplicate = build.discovered()
    survivor = build.discovered()
    client.force_login(build.c.intake)
    response = client.post(fire(duplicate, "merge_into"),
                           {"expected_status": "discovered", "target": survivor.reference.lower()})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.resolution, duplicate.merged_into) == ("closed", "duplicate", survivor)
    assert Report.objects.filter(case=survivor).count() == 2
    html = client.get(page(duplicate)).content.decode()
    assert reverse("staff:case_detail", args=[survivor.reference]) in html


def test_merge_needs_an_existing_other_case(en, build):
    case = build.discovered()
    en.force_login(build.c.intake)
    for target in ("", "RC-1999-000001", case.reference):
        response = en.post(fire(case, "merge_into"), {"expected_status": "discovered", "target": target})
        assert response.status_code == 200
        assert "target" in buttons(response)["merge_into"]["form"].errors
    case.refresh_from_db()
    assert case.status == "discovered"


def test_unknown_transitions_are_404(client, build):
    case = build.discovered()
    client.force_login(build.c.supervisor)
    assert client.post(fire(case, "explode"), {"expected_status": "discovered"}).status_code == 404
    assert client.get(fire(case, "start_verification")).status_code == 405


def test_a_role_that_may_not_fire_gets_403(client, build):
    case = build.discovered()
    client.force_login(build.c.intake)
    response = client.post(fire(case, "dismiss"), {"expected_status": "discovered", "reason": "x"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "discovered"


# --- the auditor reads and never writes ------------------------------------------------------


def test_every_post_of_the_auditor_is_refused_and_nothing_changes(client, build):
    case = build.discovered()
    report = case.reports.get()
    Campaign.objects.create(slug="q", name="清朗", starts_on=timezone.localdate())
    client.force_login(build.c.auditor)
    posts = [
        (fire(case, "start_verification"), {"expected_status": "discovered"}),
        (fire(case, "merge_into"), {"expected_status": "discovered", "target": build.discovered().reference}),
        (reverse("staff:case_assign", args=[case.reference]), {"assignee": build.c.verifier.pk}),
        (reverse("staff:case_priority", args=[case.reference]), {"priority": "P1"}),
        (reverse("staff:case_comment", args=[case.reference]), {"body": "审计意见"}),
        (reverse("staff:case_campaigns", args=[case.reference]), {"campaigns": [Campaign.objects.get().pk]}),
        (reverse("staff:case_edit", args=[case.reference]), {"title": "t", "claim": "c", "category": "other"}),
        (reverse("staff:report_relocate", args=[report.pk]), {"reason": "r", "split": "1"}),
    ]
    before = (AuditEvent.objects.count(), CaseComment.objects.count(), CaseTransition.objects.count())
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert (AuditEvent.objects.count(), CaseComment.objects.count(), CaseTransition.objects.count()) == before
    case.refresh_from_db()
    assert (case.status, case.priority, case.assignee, case.title) == ("discovered", "P3", None, case.title)
    assert client.get(reverse("staff:case_edit", args=[case.reference])).status_code == 403


def test_a_transition_outside_the_role_is_refused_before_its_form_is_read(client, build):
    # Not possible from this state and not this role's, with an empty form: the role speaks first.
    case = build.discovered()
    client.force_login(build.c.auditor)
    assert client.post(fire(case, "reopen"), {}).status_code == 403
    client.force_login(build.c.intake)
    assert client.post(fire(case, "confirm_rumour"), {}).status_code == 403
    assert CaseTransition.objects.filter(case=case).count() == 0


# --- the small actions ------------------------------------------------------------------------


def test_a_supervisor_assigns_and_the_assignee_is_told(client, build, django_capture_on_commit_callbacks):
    case = build.discovered()
    client.force_login(build.c.supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staff:case_assign", args=[case.reference]),
                               {"assignee": build.c.verifier.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assignee == build.c.verifier
    assert Notification.objects.filter(recipient=build.c.verifier, kind="case_assigned").exists()


def test_only_a_working_role_can_be_assigned(client, build):
    case = build.discovered()
    client.force_login(build.c.supervisor)
    response = client.post(reverse("staff:case_assign", args=[case.reference]), {"assignee": build.c.auditor.pk})
    assert response.status_code == 200 and "assignee" in response.context["assign_form"].errors
    case.refresh_from_db()
    assert case.assignee is None


def test_an_intake_officer_cannot_assign_or_set_priority(client, build):
    case = build.discovered()
    client.force_login(build.c.intake)
    assert client.get(page(case)).context["assign_form"] is None
    assert client.post(reverse("staff:case_assign", args=[case.reference]),
                       {"assignee": build.c.intake.pk}).status_code == 403
    assert client.post(reverse("staff:case_priority", args=[case.reference]), {"priority": "P1"}).status_code == 403
    case.refresh_from_db()
    assert (case.assignee, case.priority) == (None, "P3")


def test_setting_the_priority_recomputes_the_deadline(client, build):
    case = build.discovered()
    old_deadline = case.stage_deadline
    client.force_login(build.c.supervisor)
    response = client.post(reverse("staff:case_priority", args=[case.reference]),
                           {"priority": "P1", "reason": "扩散快"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.priority == "P1" and case.stage_deadline < old_deadline
    assert AuditEvent.objects.filter(action="case.priority_changed", case_reference=case.reference).exists()


def test_comments(en, build):
    case = build.discovered()
    en.force_login(build.c.editor)
    assert en.post(reverse("staff:case_comment", args=[case.reference]), {"body": "已联系平台"}).status_code == 302
    assert CaseComment.objects.get().author == build.c.editor
    response = en.post(reverse("staff:case_comment", args=[case.reference]), {"body": ""})
    assert response.status_code == 200 and "body" in response.context["comment_form"].errors
    assert CaseComment.objects.count() == 1
    assert "已联系平台" in en.get(page(case)).content.decode()


def test_campaigns(client, build):
    case = build.discovered()
    campaign = Campaign.objects.create(slug="qinglang", name="清朗·网络暴力", starts_on=timezone.localdate())
    client.force_login(build.c.verifier)
    response = client.post(reverse("staff:case_campaigns", args=[case.reference]), {"campaigns": [campaign.pk]})
    assert response.status_code == 302
    assert list(case.campaigns.all()) == [campaign]


def test_editing_the_details(en, build):
    case = build.discovered()
    url = reverse("staff:case_edit", args=[case.reference])
    en.force_login(build.c.intake)
    assert en.get(url).status_code == 200
    response = en.post(url, {"title": "", "claim": "我改过的说法", "category": "rumour"})
    assert response.status_code == 200 and "title" in response.context["form"].errors
    assert "我改过的说法" in response.content.decode()
    assert en.post(url, {"title": "新标题", "claim": "新说法", "category": "other"}).status_code == 302
    case.refresh_from_db()
    assert (case.title, case.claim, case.category) == ("新标题", "新说法", "other")
    en.force_login(build.c.editor)  # a notice editor does not edit cases
    assert en.get(url).status_code == 403


def test_moving_and_splitting_reports(en, build, platform):
    case = build.discovered()
    other = build.discovered()
    extra = case_services.report_ingest(platform=platform, data=report_input(
        external_id="m-1", content=case.claim, url="https://weibo.example/m-1")).report
    en.force_login(build.c.intake)
    url = reverse("staff:report_relocate", args=[extra.pk])
    response = en.post(url, {"target": other.reference, "reason": ""})
    assert response.status_code == 200
    assert "reason" in next(r for r in response.context["reports"] if r.pk == extra.pk).move_form.errors
    assert en.post(url, {"target": other.reference, "reason": "另一谣言", "move": "1"}).status_code == 302
    extra.refresh_from_db()
    assert (extra.case, extra.match_reason) == (other, "moved_by_staff")
    response = en.post(url, {"reason": "单独立案", "title": "拆分的案件", "split": "1"})
    assert response.status_code == 302
    extra.refresh_from_db()
    assert extra.case.title == "拆分的案件" and extra.case not in (case, other)
    en.force_login(build.c.editor)
    assert en.post(url, {"reason": "x", "split": "1"}).status_code == 403


# --- notifications ----------------------------------------------------------------------------


def test_notifications_list_and_mark_read(en, build, django_capture_on_commit_callbacks):
    case = build.discovered()
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_assign(case=case, assignee=build.c.verifier, by=build.c.supervisor)
        case_services.case_assign(case=case, assignee=build.c.intake, by=build.c.supervisor)
    mine = Notification.objects.get(recipient=build.c.verifier)
    theirs = Notification.objects.get(recipient=build.c.intake)
    en.force_login(build.c.verifier)
    html = en.get(reverse("staff:notifications")).content.decode()
    assert mine.title in html and page(case) in html
    # Someone else's notification is never touched.
    en.post(reverse("staff:notifications_read"), {"id": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = en.post(reverse("staff:notifications_read"), {"id": [mine.pk]})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert en.get(reverse("staff:notifications_read")).status_code == 405


def test_a_closed_case_offers_only_reopen_to_a_supervisor(en, build):
    case = build.discovered()
    workflow.case_dismiss(case=case, by=build.c.supervisor, reason="不属于管辖范围")
    en.force_login(build.c.supervisor)
    response = en.get(page(case))
    assert set(buttons(response)) == {"reopen"}
    assert response.context["assign_form"] is None and response.context["campaigns_form"] is None
    en.post(fire(case, "reopen"), {"expected_status": "closed", "reason": "有新情况"})
    case.refresh_from_db()
    assert (case.status, case.resolution) == ("verifying", "")


def test_a_merged_duplicate_cannot_be_reopened_and_says_why(en, build):
    duplicate = build.discovered()
    survivor = build.discovered()
    workflow.case_merge_into(case=duplicate, target=survivor, by=build.c.intake)
    en.force_login(build.c.supervisor)
    reopen = buttons(en.get(page(duplicate)))["reopen"]
    assert reopen["disabled"] and "reopen the case it was merged into" in reopen["message"]

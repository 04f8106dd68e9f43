"""Discovery by staff: a post found by the office's monitoring becomes a report that matching puts
in a case; a supervisor may also open a case directly."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from rumorcases.cases.models import Case, EvidenceItem, Report
from rumorcases.core.models import AuditEvent
from tests.conftest import PNG

URL = reverse("staff:report_new")
OPEN_URL = reverse("staff:case_new")


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def post_data(platform, **extra):
    data = {
        "platform": platform.pk, "url": "https://weibo.example/post/77", "title": "",
        "content": "网传某医院发生大规模食物中毒", "content_type": "text",
        "posted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "author_account_id": "acct-77", "author_handle": "spreader77", "author_display_name": "某大V",
        "author_followers": "12000", "views": "120", "reposts": "3", "comments": "4", "likes": "9",
        "category": "rumour", "reason": "监测发现",
    }
    data.update(extra)
    return data


def written():
    return Report.objects.count(), Case.objects.count(), EvidenceItem.objects.count(), AuditEvent.objects.count()


def test_the_form_is_for_intake_officers_and_supervisors(client, cast):
    for user in (cast.intake, cast.supervisor):
        client.force_login(user)
        assert client.get(URL).status_code == 200
    for user in (cast.auditor, cast.editor, cast.nobody):
        client.force_login(user)
        assert client.get(URL).status_code == 403


def test_the_auditor_cannot_record_a_post(client, cast, platform):
    client.force_login(cast.auditor)
    before = written()
    assert client.post(URL, post_data(platform)).status_code == 403
    assert written() == before


def test_a_new_post_opens_a_new_case(en, cast, platform):
    en.force_login(cast.intake)
    response = en.post(URL, post_data(platform), follow=True)
    report = Report.objects.get()
    case = report.case
    assert response.redirect_chain[-1][0] == reverse("staff:case_detail", args=[case.reference])
    assert report.source == "staff_monitoring" and report.submitted_by == cast.intake
    assert report.external_id.startswith("office-")
    assert (report.views, report.reposts, report.comments, report.likes) == (120, 3, 4, 9)
    assert report.author.handle == "spreader77" and report.author.followers == 12000
    assert case.status == "discovered" and case.claim == "网传某医院发生大规模食物中毒"
    assert f"opened a new case, {case.reference}" in response.content.decode()


def test_a_post_carrying_a_known_rumour_joins_its_case_and_says_why(en, build, platform):
    case = build.discovered(content="网传某医院发生大规模食物中毒")
    en.force_login(build.c.intake)
    response = en.post(URL, post_data(platform, url="https://weibo.example/other"), follow=True)
    assert Case.objects.count() == 1
    assert Report.objects.filter(case=case).count() == 2
    html = response.content.decode()
    assert f"joined the existing case {case.reference} (same text)" in html
    # Same URL, other words: joined by the URL.
    en.post(URL, post_data(platform, content="完全不同的转述", url="https://weibo.example/b-1"))
    assert Report.objects.get(content="完全不同的转述").match_reason == "exact_url"
    assert Case.objects.count() == 1


def test_serious_spread_makes_the_case_urgent(client, cast, platform):
    client.force_login(cast.intake)
    client.post(URL, post_data(platform, views="6000"))
    assert Case.objects.get().priority == "P1"


def test_screenshots_are_stored_as_evidence_on_the_case(client, cast, platform):
    client.force_login(cast.intake)
    shots = [SimpleUploadedFile("a.png", PNG, content_type="image/png"),
             SimpleUploadedFile("b.png", PNG + b"\x00", content_type="image/png")]
    response = client.post(URL, {**post_data(platform), "screenshots": shots})
    assert response.status_code == 302
    report = Report.objects.get()
    items = EvidenceItem.objects.filter(case=report.case, report=report)
    assert sorted(item.original_name for item in items) == ["a.png", "b.png"]
    assert all(item.content_type == "image/png" and len(item.sha256) == 64 for item in items)


def test_bad_input_is_shown_in_place_and_nothing_is_written(en, cast, platform):
    en.force_login(cast.intake)
    before = written()
    response = en.post(URL, post_data(platform, content="", url="not a url", views="-3", reason="我输入的理由"))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"content", "url", "views"}
    html = response.content.decode()
    assert "我输入的理由" in html and "spreader77" in html  # what was typed is kept
    assert written() == before


def test_author_details_need_the_account_id(en, cast, platform):
    en.force_login(cast.intake)
    response = en.post(URL, post_data(platform, author_account_id=""))
    assert "author_account_id" in response.context["form"].errors
    assert Report.objects.count() == 0


def test_a_screenshot_of_a_forbidden_type_refuses_everything(en, cast, platform, media_root):
    en.force_login(cast.intake)
    before = written()
    shots = [SimpleUploadedFile("ok.png", PNG, content_type="image/png"),
             SimpleUploadedFile("evil.png", b"MZ\x90\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode",
                                content_type="image/png")]
    response = en.post(URL, {**post_data(platform), "screenshots": shots})
    assert response.status_code == 200
    assert "screenshots" in response.context["form"].errors
    assert "evil.png" in response.content.decode()
    assert written() == before
    assert not any(path.is_file() for path in media_root.rglob("*")) if media_root.exists() else True


def test_a_screenshot_over_the_cap_is_refused(en, cast, platform, settings):
    settings.EVIDENCE_MAX_BYTES = 40
    en.force_login(cast.intake)
    before = written()
    response = en.post(URL, {**post_data(platform), "screenshots": [SimpleUploadedFile("big.png", PNG)]})
    assert response.status_code == 200
    assert "larger than the 40-byte limit" in str(response.context["form"].errors["screenshots"])
    assert written() == before


def test_a_refusal_after_the_report_rolls_it_back(en, build, platform, media_root):
    """A screenshot the service refuses after the report was stored (here: the post joins a closed
    case, which takes no evidence) takes the report back with it."""
    case = build.discovered(content="网传某医院发生大规模食物中毒")
    from rumorcases.cases import workflow

    workflow.case_dismiss(case=case, by=build.c.supervisor, reason="不属于本办管辖")
    en.force_login(build.c.intake)
    before = written()
    response = en.post(URL, {**post_data(platform), "screenshots": [SimpleUploadedFile("a.png", PNG)]})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert written() == before


# --- a supervisor opens a case directly ---------------------------------------------------


def test_a_supervisor_opens_a_case(client, cast):
    client.force_login(cast.supervisor)
    assert client.get(OPEN_URL).status_code == 200
    response = client.post(OPEN_URL, {"title": "网传暴雨致地铁停运", "claim": "某线路因暴雨全线停运",
                                       "category": "rumour", "priority": "P2"})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:case_detail", args=[case.reference])
    assert (case.priority, case.created_by, case.status) == ("P2", cast.supervisor, "discovered")


def test_other_roles_cannot_open_a_case(client, cast):
    for user in (cast.intake, cast.auditor):
        client.force_login(user)
        assert client.get(OPEN_URL).status_code == 403
        assert client.post(OPEN_URL, {"title": "t", "claim": "c", "category": "rumour",
                                      "priority": "P3"}).status_code == 403
    assert Case.objects.count() == 0


def test_opening_a_case_with_bad_input_keeps_what_was_typed(client, cast):
    client.force_login(cast.supervisor)
    response = client.post(OPEN_URL, {"title": "", "claim": "我写的说法", "category": "rumour", "priority": "P9"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "priority"}
    assert "我写的说法" in response.content.decode()
    assert Case.objects.count() == 0

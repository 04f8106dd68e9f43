"""The debunk-notice tab: draft with live preview, review (four-eyes), versions and diff,
publish, withdraw and correct."""

import pytest
from django.urls import reverse

from rumorcases.cases.choices import CaseStatus
from rumorcases.core.models import AuditEvent
from rumorcases.notices import services as notices
from rumorcases.notices.models import DebunkNotice, NoticeCorrection, NoticeReview, NoticeVersion
from rumorcases.notices.selectors import notice_public_path

CONTENT = {"title": "关于网传谣言的辟谣", "claim": "网传某公园雷击", "verdict": "false",
           "body": "经核实，该信息不实。", "sources": "区应急局通报 | https://yjj.example/1", "title_en": "",
           "body_en": ""}


def tab(case):
    return reverse("staff:case_notice", args=[case.reference])


def url(name, notice, *args):
    return reverse(f"staff:{name}", args=[notice.case.reference, notice.pk, *args])


def in_english(client):
    """The default language is zh-hans; tests that assert English messages ask for English."""
    client.cookies["django_language"] = "en"


@pytest.fixture
def case(build):
    return build.debunking()


@pytest.fixture
def draft(case, cast):
    return notices.notice_create(case=case, by=cast.editor, title="初稿", claim="网传某公园雷击",
                                 verdict="false", body="经核实，该信息不实。")


@pytest.fixture
def in_review(draft, cast):
    notices.notice_submit(notice=draft, by=cast.editor)
    return draft


def written():
    return (DebunkNotice.objects.count(), NoticeVersion.objects.count(), NoticeReview.objects.count(),
            NoticeCorrection.objects.count(), AuditEvent.objects.count())


# --- the tab --------------------------------------------------------------------------


def test_it_offers_the_draft_form_with_live_preview_to_the_editor(client, cast, case):
    client.force_login(cast.editor)
    response = client.get(tab(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'hx-post="{reverse("staff:notice_preview", args=[case.reference])}"' in html
    assert 'hx-trigger="input changed delay:500ms"' in html
    assert f'action="{reverse("staff:notice_create", args=[case.reference])}"' in html
    # The draft starts from the case's claim.
    assert response.context["create_form"].initial["claim"] == case.claim


def test_it_shows_no_write_forms_to_the_auditor(client, cast, in_review):
    client.force_login(cast.auditor)
    response = client.get(tab(in_review.case))
    assert response.status_code == 200
    html = response.content.decode()
    assert "初稿" in html
    for name in ("notice_edit", "notice_submit", "notice_review", "notice_publish", "notice_withdraw",
                 "notice_correct", "notice_preview_existing"):
        assert url(name, in_review) not in html, name
    assert reverse("staff:notice_create", args=[in_review.case.reference]) not in html
    assert 'name="decision"' not in html and "hx-post" not in html


def test_it_refuses_anonymous_and_roleless_visitors(client, cast, draft):
    response = client.get(tab(draft.case))
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    client.force_login(cast.nobody)
    assert client.get(tab(draft.case)).status_code == 403
    assert client.get(url("notice_detail", draft)).status_code == 403


def test_it_answers_404_for_a_notice_of_another_case(client, cast, draft, build):
    other = build.debunking()
    client.force_login(cast.editor)
    response = client.get(reverse("staff:notice_detail", args=[other.reference, draft.pk]))
    assert response.status_code == 404


# --- drafting and the live preview -----------------------------------------------------------


def test_it_creates_a_draft(client, cast, case):
    client.force_login(cast.editor)
    response = client.post(reverse("staff:notice_create", args=[case.reference]), CONTENT)
    notice = DebunkNotice.objects.get(case=case)
    assert response.status_code == 302 and response["Location"] == url("notice_detail", notice)
    version = notice.current_version
    assert version.number == 1 and version.author == cast.editor
    assert version.sources == [{"title": "区应急局通报", "url": "https://yjj.example/1", "publisher": ""}]


def test_it_keeps_what_was_typed_when_a_draft_is_refused(client, cast, case):
    client.force_login(cast.editor)
    response = client.post(reverse("staff:notice_create", args=[case.reference]),
                           {**CONTENT, "title": "", "body": "保留的正文"})
    assert response.status_code == 200
    assert response.context["create_form"].errors["title"]
    assert "保留的正文" in response.content.decode()
    assert not DebunkNotice.objects.exists()


def test_it_shows_the_service_refusal_of_a_second_live_notice(client, cast, draft):
    in_english(client)
    client.force_login(cast.editor)
    response = client.post(reverse("staff:notice_create", args=[draft.case.reference]), CONTENT)
    assert response.status_code == 200
    assert "already has a notice in progress" in response.content.decode()
    assert DebunkNotice.objects.count() == 1


def test_it_refuses_drafts_from_other_roles(client, cast, case):
    for user in (cast.auditor, cast.reviewer, cast.intake):
        client.force_login(user)
        assert client.post(reverse("staff:notice_create", args=[case.reference]), CONTENT).status_code == 403
    assert not DebunkNotice.objects.exists()


def test_the_live_preview_renders_escaped_text_and_writes_nothing(client, cast, case):
    client.force_login(cast.editor)
    before = written()
    response = client.post(reverse("staff:notice_preview", args=[case.reference]),
                           {**CONTENT, "title": "<script>alert('x')</script>标题", "body": "<img src=x onerror=1>"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;标题" in html and "<script>" not in html
    assert "&lt;img src=x onerror=1&gt;" in html
    assert 'href="https://yjj.example/1"' in html
    assert written() == before


def test_the_live_preview_never_links_an_invalid_url(client, cast, case):
    client.force_login(cast.editor)
    response = client.post(reverse("staff:notice_preview", args=[case.reference]),
                           {**CONTENT, "sources": "坏链接 | javascript:alert(1)"})
    assert response.status_code == 200
    assert "javascript:" not in response.content.decode()


def test_the_live_preview_is_refused_to_the_auditor(client, cast, case):
    client.force_login(cast.auditor)
    assert client.post(reverse("staff:notice_preview", args=[case.reference]), CONTENT).status_code == 403


def test_the_page_uses_the_public_fragment(client, cast, draft):
    client.force_login(cast.editor)
    response = client.get(url("notice_detail", draft))
    assert "public/_notice.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert f'hx-post="{url("notice_preview_existing", draft)}"' in html
    assert 'id="notice-preview"' in html


# --- editing, versions and the diff -------------------------------------------------------------


def test_it_saves_an_edit_as_a_new_version(client, cast, draft):
    client.force_login(cast.editor)
    response = client.post(url("notice_edit", draft), {**CONTENT, "title": "二稿"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.current_version.number == 2 and draft.current_version.title == "二稿"
    assert list(draft.versions.values_list("title", flat=True)) == ["初稿", "二稿"]


def test_it_refuses_edits_by_other_roles_and_of_non_drafts(client, cast, in_review):
    in_english(client)
    client.force_login(cast.auditor)
    assert client.post(url("notice_edit", in_review), CONTENT).status_code == 403
    client.force_login(cast.editor)
    response = client.post(url("notice_edit", in_review), CONTENT)
    assert response.status_code == 200
    assert "Only a draft can be edited" in response.content.decode()
    assert in_review.versions.count() == 1


def test_it_shows_the_differences_between_two_versions_escaped(client, cast, draft):
    notices.notice_edit(notice=draft, by=cast.editor, title="初稿 <b>新</b>", claim="网传某公园雷击",
                        verdict="false", body="经核实，该信息完全不实。")
    client.force_login(cast.auditor)
    response = client.get(url("notice_diff", draft), {"a": 1, "b": 2})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<ins> &lt;b&gt;新&lt;/b&gt;</ins>" in html
    assert "<ins>完全</ins>" in html
    fields = {f["name"]: f for f in response.context["fields"]}
    assert fields["body"]["ops"] == [("equal", "经核实，该信息"), ("insert", "完全"), ("equal", "不实。")]
    assert not fields["claim"]["changed"]
    # And the other way round, deleted.
    html = client.get(url("notice_diff", draft), {"a": 2, "b": 1}).content.decode()
    assert "<del>完全</del>" in html


def test_the_diff_answers_404_for_a_missing_version(client, cast, draft):
    client.force_login(cast.editor)
    response = client.get(url("notice_diff", draft), {"a": 1, "b": 7})
    assert response.status_code == 200 and response.context["form"].errors
    assert "fields" not in response.context


# --- submit and review -----------------------------------------------------------------------------


def test_it_submits_for_review(client, cast, draft):
    client.force_login(cast.reviewer)
    assert client.post(url("notice_submit", draft)).status_code == 403
    client.force_login(cast.editor)
    assert client.post(url("notice_submit", draft)).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "in_review"


def test_a_different_reviewer_approves(client, cast, in_review):
    client.force_login(cast.reviewer)
    response = client.post(url("notice_review", in_review), {"decision": "approve"})
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == "approved" and in_review.approved_by == cast.reviewer
    assert in_review.reviews.get().reviewer == cast.reviewer


def test_the_author_cannot_approve_own_notice(client, cast, case):
    in_english(client)
    # A supervisor may draft and review; four eyes still apply.
    notice = notices.notice_create(case=case, by=cast.supervisor, title="t", claim="c", verdict="false", body="b")
    notices.notice_submit(notice=notice, by=cast.supervisor)
    client.force_login(cast.supervisor)
    page = client.get(url("notice_detail", notice)).content.decode()
    assert "someone else must approve it" in page
    response = client.post(url("notice_review", notice), {"decision": "approve"})
    assert response.status_code == 403
    assert "You wrote this notice; someone else must approve it." in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == "in_review" and not notice.reviews.exists()


def test_the_editor_cannot_review_at_all(client, cast, in_review):
    client.force_login(cast.editor)
    assert client.post(url("notice_review", in_review), {"decision": "approve"}).status_code == 403
    client.force_login(cast.auditor)
    assert client.post(url("notice_review", in_review), {"decision": "approve"}).status_code == 403
    in_review.refresh_from_db()
    assert in_review.status == "in_review"


def test_sending_back_needs_comments(client, cast, in_review):
    client.force_login(cast.reviewer)
    response = client.post(url("notice_review", in_review), {"decision": "return", "comments": ""})
    assert response.status_code == 200
    assert response.context["review_form"].errors["comments"]
    response = client.post(url("notice_review", in_review), {"decision": "return", "comments": "<i>来源不足</i>"})
    assert response.status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == "draft"
    html = client.get(url("notice_detail", in_review)).content.decode()
    assert "&lt;i&gt;来源不足&lt;/i&gt;" in html


# --- publish -------------------------------------------------------------------------------------------


def test_publishing_moves_the_case_on_and_opens_the_public_page(client, cast, case, build):
    notice = build.approved_notice(case)
    client.force_login(cast.editor)
    assert client.post(url("notice_publish", notice)).status_code == 403
    client.force_login(cast.publisher)
    assert 'name="csrfmiddlewaretoken"' in client.get(url("notice_detail", notice)).content.decode()
    response = client.post(url("notice_publish", notice))
    assert response.status_code == 302
    notice.refresh_from_db()
    case.refresh_from_db()
    assert notice.status == "published" and notice.document_number
    assert case.status == CaseStatus.DISPOSING
    client.logout()
    public = client.get(notice_public_path(notice))
    assert public.status_code == 200
    assert "关于网传谣言的辟谣" in public.content.decode()


def test_publishing_shows_the_guard_when_refused(client, cast, case, build):
    in_english(client)
    notice = build.approved_notice(case)
    # The approval is undone behind the page's back: the guard no longer holds.
    DebunkNotice.objects.filter(pk=notice.pk).update(approved_by=cast.editor)
    client.force_login(cast.publisher)
    response = client.post(url("notice_publish", notice))
    assert response.status_code == 200
    assert "approved by someone other than its author" in response.content.decode()
    case.refresh_from_db()
    notice.refresh_from_db()
    assert case.status == CaseStatus.DEBUNKING and notice.status == "approved"


# --- withdraw and correct ---------------------------------------------------------------------------------


@pytest.fixture
def published(build):
    case = build.disposing()
    return case.notices.get(status="published")


def test_the_supervisor_withdraws_with_a_public_statement(client, cast, published):
    client.force_login(cast.publisher)
    assert client.post(url("notice_withdraw", published), {"statement": "x"}).status_code == 403
    client.force_login(cast.supervisor)
    response = client.post(url("notice_withdraw", published), {"statement": ""})
    assert response.status_code == 200 and response.context["withdraw_form"].errors["statement"]
    response = client.post(url("notice_withdraw", published), {"statement": "该通报有误，已撤回。"})
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.status == "withdrawn" and published.withdrawal_statement == "该通报有误，已撤回。"


def test_the_supervisor_corrects_with_a_public_note(client, cast, published):
    client.force_login(cast.auditor)
    assert client.post(url("notice_correct", published), {**CONTENT, "note": "n"}).status_code == 403
    client.force_login(cast.supervisor)
    response = client.post(url("notice_correct", published), {**CONTENT, "note": ""})
    assert response.status_code == 200 and response.context["correct_form"].errors["note"]
    response = client.post(url("notice_correct", published), {**CONTENT, "body": "更正后的事实", "note": "更正了日期"})
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.status == "published" and published.current_version.body == "更正后的事实"
    correction = published.corrections.get()
    assert correction.note == "更正了日期" and correction.corrected_by == cast.supervisor
    html = client.get(notice_public_path(published)).content.decode()
    assert "更正后的事实" in html and "更正了日期" in html


def test_auditor_posts_are_all_refused_and_write_nothing(client, cast, in_review, published):
    client.force_login(cast.auditor)
    before = written()
    for name, notice, data in [
        ("notice_edit", in_review, CONTENT), ("notice_submit", in_review, {}),
        ("notice_review", in_review, {"decision": "approve"}), ("notice_publish", in_review, {}),
        ("notice_withdraw", published, {"statement": "s"}), ("notice_correct", published, {**CONTENT, "note": "n"}),
        ("notice_preview_existing", in_review, CONTENT),
    ]:
        assert client.post(url(name, notice), data).status_code == 403, name
    assert written() == before


def test_actions_answer_only_post(client, cast, draft):
    client.force_login(cast.editor)
    assert client.get(url("notice_submit", draft)).status_code == 405


def test_the_notice_page_keeps_its_query_count_flat(client, cast, draft, django_assert_max_num_queries):
    for n in range(5):
        notices.notice_edit(notice=draft, by=cast.editor, title=f"第{n}稿", claim="c", verdict="false", body="b")
        notices.notice_submit(notice=draft, by=cast.editor)
        notices.notice_review(notice=draft, by=cast.reviewer, decision="return", comments=f"意见{n}")
    client.force_login(cast.reviewer)
    with django_assert_max_num_queries(16):
        assert client.get(url("notice_detail", draft)).status_code == 200

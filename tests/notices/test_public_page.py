"""The public notice page: published notices only, nothing personal, everything escaped."""

import uuid

import pytest
from django.urls import reverse

from rumorcases.notices import services as notices
from rumorcases.notices.selectors import notice_public_path


@pytest.fixture
def published(build):
    case = build.disposing()
    return case.notices.get(status="published")


def test_the_public_path_is_the_public_page(published):
    assert notice_public_path(published) == f"/notices/{published.public_id}/"
    assert notice_public_path(published) == reverse("notices:notice_public", args=[published.public_id])


def test_it_shows_a_published_notice_without_sign_in(client, published):
    response = client.get(notice_public_path(published))
    assert response.status_code == 200
    html = response.content.decode()
    version = published.current_version
    assert version.title in html and version.claim in html and version.body in html
    assert published.document_number in html
    assert "上海市互联网信息办公室" in html
    assert '<html lang="zh-hans">' in html
    assert "staff/staff.css" not in html and "/staff/" not in html


def test_it_carries_no_personal_data(client, published, cast):
    html = client.get(notice_public_path(published)).content.decode()
    for user in (cast.editor, cast.reviewer, cast.publisher):
        assert user.username not in html


def test_it_escapes_everything(client, build, cast):
    case = build.debunking()
    notice = notices.notice_create(case=case, by=cast.editor, title="<script>alert(1)</script>",
                                   claim="<img src=x onerror=alert(2)>", verdict="misleading",
                                   body="<b>事实</b>", sources=[{"title": "<i>来源</i>", "url": "https://a.example/?q=<x>"}])
    notices.notice_submit(notice=notice, by=cast.editor)
    notices.notice_review(notice=notice, by=cast.reviewer, decision="approve")
    from rumorcases.cases import workflow

    workflow.case_publish_debunk(case=case, by=cast.publisher)
    html = client.get(notice_public_path(notice)).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "<b>事实" not in html and "<i>来源" not in html


@pytest.mark.parametrize("state", ["draft", "in_review", "approved"])
def test_unpublished_notices_do_not_exist_for_the_public(client, build, cast, state):
    case = build.debunking()
    notice = notices.notice_create(case=case, by=cast.editor, title="t", claim="c", verdict="false", body="b")
    if state != "draft":
        notices.notice_submit(notice=notice, by=cast.editor)
    if state == "approved":
        notices.notice_review(notice=notice, by=cast.reviewer, decision="approve")
    assert client.get(notice_public_path(notice)).status_code == 404


def test_an_unknown_notice_is_404(client, db):
    assert client.get(f"/notices/{uuid.uuid4()}/").status_code == 404


def test_a_withdrawn_notice_is_gone_with_its_statement(client, published, cast):
    notices.notice_withdraw(notice=published, by=cast.supervisor, statement="<撤回> 原通报有误")
    response = client.get(notice_public_path(published))
    assert response.status_code == 410
    html = response.content.decode()
    assert "&lt;撤回&gt; 原通报有误" in html
    assert published.current_version.body not in html


def test_a_corrected_notice_shows_its_correction_history(client, published, cast):
    version = published.current_version
    notices.notice_correct(notice=published, by=cast.supervisor, note="更正：时间应为周二", title=version.title,
                           claim=version.claim, verdict=version.verdict, body="更正后的事实")
    html = client.get(notice_public_path(published)).content.decode()
    assert "更正后的事实" in html and "更正：时间应为周二" in html
    assert "经核实，该信息不实。" not in html


def test_it_answers_only_reads(client, published):
    assert client.post(notice_public_path(published)).status_code == 405


def test_it_speaks_english_when_asked(client, published):
    response = client.get(notice_public_path(published), HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in response.content.decode()
    assert "Shanghai Internet Information Office" in response.content.decode()

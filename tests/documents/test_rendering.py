"""The PDFs themselves: A4 official documents in Chinese, the content's SHA-256 in every page's
footer, page numbers, and Noto Sans CJK embedded as a subset (made by HarfBuzz)."""

import re

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from rumorcases.documents import rendering, services
from rumorcases.documents.hashing import bulletin_content_payload, bulletin_content_sha256
from rumorcases.documents.selectors import bulletin_entries
from rumorcases.notices import services as notices
from tests.documents.conftest import pdf_fonts, pdf_text, publish_notice, squeeze

SUBSET_CJK = re.compile(r"^[A-Z]{6}\+Noto-?Sans-?CJK-?SC")


def page_label(page: int, pages: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Page %(page)s of %(pages)s") % {"page": page, "pages": pages}


def test_it_is_subset_by_harfbuzz_here():
    # libharfbuzz-subset0 is a system requirement: without it fontTools takes seconds per PDF.
    assert rendering.harfbuzz_subset_available()


def test_a_notice_pdf_carries_title_number_office_and_hash_on_every_page(notice, tmp_path):
    document = services.document_render_notice(notice=notice)
    pdf = document.file.read()
    text = pdf_text(pdf)
    version = notice.current_version
    assert pdf.startswith(b"%PDF-")
    assert document.pages >= 2
    assert version.title in text
    assert notice.document_number in text  # 沪网信辟〔2026〕N号
    assert settings.OFFICE_NAME in text
    assert "网传某公园突遭雷击致三人死亡。" in text and "第14段" in squeeze(text)
    assert "气象监测情况说明" in text and "https://weather.example.gov.cn/x" in text
    pages = text.split("\f")[: document.pages]
    for number, page in enumerate(pages, 1):
        assert version.content_sha256 in squeeze(page), f"no hash on page {number}"
        assert squeeze(page_label(number, document.pages)) in squeeze(page)
    assert document.content_sha256 == version.content_sha256 == version.compute_sha256()


def test_the_font_is_noto_sans_cjk_embedded_as_a_subset(notice, tmp_path):
    pdf = services.document_render_notice(notice=notice).file.read()
    fonts = pdf_fonts(pdf, tmp_path)
    assert fonts, "no fonts in the PDF"
    cjk = [f for f in fonts if SUBSET_CJK.match(f["name"])]
    assert cjk, fonts
    assert all(f["emb"] == "yes" and f["sub"] == "yes" and f["uni"] == "yes" for f in fonts), fonts
    # A subset, not the 16 MB collection.
    assert len(pdf) < 1_500_000


def test_a_short_notice_is_one_page_numbered_one_of_one(build):
    notice = publish_notice(build, body="经核实，该信息不实。")
    document = services.document_render_notice(notice=notice)
    assert document.pages == 1
    assert squeeze(page_label(1, 1)) in squeeze(pdf_text(document.file.read()))


def test_database_text_is_printed_as_text_never_as_markup(build):
    notice = publish_notice(build, title="<b>粗体</b>标题", body="<img src='file:///etc/passwd'>正文 & 更多",
                            sources=[{"title": "<link rel=stylesheet href=http://127.0.0.1/x.css>"}])
    text = pdf_text(services.document_render_notice(notice=notice).file.read())
    assert "<b>粗体</b>标题" in text
    assert "<img src='file:///etc/passwd'>正文 & 更多" in text
    assert "<link rel=stylesheet href=http://127.0.0.1/x.css>" in text


def test_a_corrected_notice_prints_its_correction_note(notice, cast):
    content = {name: getattr(notice.current_version, name) for name in notices.CONTENT_FIELDS}
    notices.notice_correct(notice=notice, by=cast.supervisor, note="更正：原文第3段的时间有误，特此更正。",
                           **{**content, "body": content["body"].replace("第3段", "第三段")})
    notice.refresh_from_db()
    text = pdf_text(services.document_render_notice(notice=notice).file.read())
    assert "更正：原文第3段的时间有误，特此更正。" in text
    assert "第三段" in text and notice.current_version.content_sha256 in squeeze(text)


def test_a_bulletin_pdf_carries_issue_entries_and_its_hash(bulletin):
    document = services.document_render_bulletin(bulletin=bulletin)
    text = pdf_text(document.file.read())
    entries = bulletin_entries(bulletin)
    expected_hash = bulletin_content_sha256(bulletin, entries)
    assert document.content_sha256 == expected_hash
    assert expected_hash in squeeze(text)
    assert bulletin.title in text and settings.OFFICE_NAME in text
    with translation.override(settings.LANGUAGE_CODE):
        issue = gettext("Year %(year)s, issue %(issue)s") % {"year": bulletin.year, "issue": bulletin.issue_number}
    assert squeeze(issue) in squeeze(text)
    for entry in entries:
        for value in (entry.headline, entry.rumour_summary, entry.finding_summary, entry.measures_summary):
            assert value in text
    assert squeeze(page_label(1, document.pages)) in squeeze(text)


def test_the_bulletin_hash_is_canonical_and_follows_the_content(bulletin):
    entries = bulletin_entries(bulletin)
    first = bulletin_content_sha256(bulletin, entries)
    assert first == bulletin_content_sha256(bulletin, list(entries))
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    payload = bulletin_content_payload(bulletin, entries)
    assert payload["period_start"] == bulletin.period_start.isoformat()
    assert [e["headline"] for e in payload["entries"]] == [e.headline for e in entries]
    assert "case" not in str(payload.keys()) and "drafted_by" not in payload
    entries[0].finding_summary += "。"
    assert bulletin_content_sha256(bulletin, entries) != first
    assert bulletin_content_sha256(bulletin, entries[::-1]) != first


def test_the_page_label_is_css_with_counters_and_escaped_words(settings):
    css = rendering.page_number_css()
    assert "counter(page)" in css and "counter(pages)" in css
    assert rendering.css_string('a"b\\c</style>\n') == '"a\\22 b\\5c c\\3c /style\\3e \\a "'


def test_the_same_content_renders_to_the_same_bytes(notice):
    from rumorcases.documents.selectors import notice_corrections_up_to

    version = notice.current_version
    html = rendering.notice_html(notice=notice, version=version, office_name=settings.OFFICE_NAME,
                                 corrections=notice_corrections_up_to(notice, version))
    assert rendering.render_pdf(html).sha256 == rendering.render_pdf(html).sha256

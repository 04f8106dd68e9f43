"""HTML → PDF with WeasyPrint, for the official documents.

Everything the renderer reads goes through `fetcher.StaticOnlyFetcher`; the font (Noto Sans CJK
SC) comes from fontconfig and is embedded as a subset. WeasyPrint subsets with HarfBuzz when it
can load libharfbuzz-subset (Debian `libharfbuzz-subset0`), else with fontTools, which takes
some 50 times longer on a CJK font: `harfbuzz_subset_available()` says which one this process uses.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext
from weasyprint import CSS, HTML
from weasyprint.urls import FatalURLFetchingError

from rumorcases.documents.fetcher import ResourceRefused, StaticOnlyFetcher, static_root

FONT_FAMILY = "Noto Sans CJK SC"


class DocumentRenderError(RuntimeError):
    pass


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    sha256: str
    pages: int
    seconds: float


def harfbuzz_subset_available() -> bool:
    from weasyprint.pdf import fonts
    from weasyprint.text.ffi import harfbuzz

    return bool(fonts.harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def css_string(text: str) -> str:
    """`text` as a CSS string literal, every character that could end or break it escaped."""
    out = []
    for char in text:
        if char in '"\\<>&' or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def page_number_css() -> str:
    """The bottom-right margin box: "Page N of M" in the active language, as CSS counters."""
    marker = gettext("Page %(page)s of %(pages)s") % {"page": "\0page\0", "pages": "\0pages\0"}
    tokens = []
    for index, piece in enumerate(marker.split("\0")):
        if index % 2:
            tokens.append(f"counter({piece})")
        elif piece:
            tokens.append(css_string(piece))
    return "@page { @bottom-right { content: " + " ".join(tokens) + "; } }"


def render_html(template: str, context: dict) -> str:
    """The document's HTML, always in the office's language (a task has no request)."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(template, {**context, "font_family": FONT_FAMILY})


def render_pdf(html: str) -> RenderedPdf:
    """Render `html` (relative URLs resolve in the static folder) as PDF bytes."""
    started = time.perf_counter()
    fetcher = StaticOnlyFetcher()
    with translation.override(settings.LANGUAGE_CODE):
        page_css = CSS(string=page_number_css(), url_fetcher=fetcher)
    try:
        document = HTML(string=html, base_url=static_root().as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=[page_css])
        pdf = document.write_pdf()
    except FatalURLFetchingError as exc:
        if isinstance(exc.__cause__, ResourceRefused):
            raise exc.__cause__ from None
        raise DocumentRenderError(str(exc)) from exc
    return RenderedPdf(pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), pages=len(document.pages),
                       seconds=time.perf_counter() - started)


def notice_html(*, notice, version, corrections, office_name: str) -> str:
    return render_html("documents/notice.html", {
        "notice": notice, "version": version, "corrections": corrections, "office_name": office_name,
        "content_sha256": version.content_sha256,
    })


def bulletin_html(*, bulletin, entries, office_name: str, content_sha256: str) -> str:
    return render_html("documents/bulletin.html", {
        "bulletin": bulletin, "entries": entries, "office_name": office_name, "content_sha256": content_sha256,
    })

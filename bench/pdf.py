"""A 2-page Chinese debunk notice as PDF, warm, beside WeasyPrint rendering the same HTML bare.
See bench/README.md.

    .venv/bin/python bench/pdf.py                  # 30 timed renders of each, 3 with fontTools
    .venv/bin/python bench/pdf.py --runs 50 --fonttools-runs 0

In one process, after two untimed warm-up renders of each:

- **rumorcases**: `documents.rendering.render_pdf` — the project's template and print CSS, the
  static-only URL fetcher, the page-number stylesheet; what the Celery task runs (storage and the
  database left out).
- **bare WeasyPrint**: `HTML(string=the same html, base_url=static/).write_pdf(stylesheets=[the same
  page CSS])` with WeasyPrint's default URL fetcher and default options.
- **fontTools subsetting**: rumorcases again with WeasyPrint told HarfBuzz-Subset is missing (as on
  a machine without libharfbuzz-subset0), a few runs: the gain HarfBuzz brings.

The two first alternate which goes first. Prints median, p90, min and max; the target is a median
≤ 0.25 s for rumorcases. Result: bench/results/pdf-<UTC time>.json.
"""

import argparse
import logging
import os
import statistics
import sys
import time

from common import ROOT, write_result

TARGET_SECONDS = 0.25
PARAGRAPH = ("经向公安机关、气象部门和应急管理部门核实：当日下午该公园周边未监测到地闪，"
             "园内未发生雷击事件，亦无人员伤亡。"
             "网传视频系将外省多年前的旧视频剪辑拼接后，冒充本市公园当日情况发布，配以“突遭雷击、三人死亡”等文字，"
             "误导公众。相关账号为博取流量编造、传播虚假信息，已由属地网信部门会同平台依法依规处置。")


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rumorcases.settings")
    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)


def notice_html(paragraphs: int) -> str:
    """The notice's HTML from unsaved model objects: no database needed."""
    from django.conf import settings
    from django.utils import timezone

    from rumorcases.documents import rendering
    from rumorcases.notices.models import DebunkNotice, NoticeCorrection, NoticeVersion

    now = timezone.now()
    version = NoticeVersion(
        number=2, title="关于“某公园突遭雷击致三人死亡”的辟谣", claim="网传某公园突遭雷击，造成三人死亡、多人受伤。",
        verdict="false", body="\n\n".join(f"{n}. {PARAGRAPH}" for n in range(1, paragraphs + 1)),
        sources=[{"title": "关于网传公园雷击事件的情况说明", "publisher": "市气象局", "url": "https://weather.example.gov.cn/notice/1"},
                 {"title": "警情通报", "publisher": "市公安局某区分局"}],
        title_en="False: 'lightning killed three people in a park'",
        body_en="The weather service recorded no lightning near the park that afternoon; nobody was hurt.",
        created_at=now)
    version.content_sha256 = version.compute_sha256()
    notice = DebunkNotice(document_number="沪网信辟〔2026〕12号", published_at=now)
    corrections = [NoticeCorrection(note="更正：原文“四人受伤”应为“无人受伤”，特此更正。", created_at=now)]
    return rendering.notice_html(notice=notice, version=version, corrections=corrections,
                                 office_name=settings.OFFICE_NAME)


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"runs": len(times), "median": statistics.median(times), "p90": ordered[int(0.9 * (len(times) - 1))],
            "min": ordered[0], "max": ordered[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--fonttools-runs", type=int, default=3)
    args = parser.parse_args()
    setup_django()

    from django.conf import settings
    from django.utils import translation
    from weasyprint import CSS, HTML
    from weasyprint.pdf import fonts

    from rumorcases.documents import rendering
    from rumorcases.documents.fetcher import static_root

    # As many paragraphs of facts as two pages hold: a full 2-page notice.
    paragraphs = 1
    while rendering.render_pdf(notice_html(paragraphs + 1)).pages <= 2:
        paragraphs += 1
    html = notice_html(paragraphs)
    pages = rendering.render_pdf(html).pages
    assert pages == 2, f"{paragraphs} paragraphs make {pages} pages"
    with translation.override(settings.LANGUAGE_CODE):
        page_css = rendering.page_number_css()
    base_url = static_root().as_uri() + "/"

    def ours() -> float:
        started = time.perf_counter()
        rendering.render_pdf(html)
        return time.perf_counter() - started

    def bare() -> float:
        started = time.perf_counter()
        HTML(string=html, base_url=base_url).write_pdf(stylesheets=[CSS(string=page_css)])
        return time.perf_counter() - started

    result = rendering.render_pdf(html)
    bare_pdf = HTML(string=html, base_url=base_url).write_pdf(stylesheets=[CSS(string=page_css)])
    print(f"A {result.pages}-page notice ({paragraphs} paragraphs, {len(html):,} characters of HTML); "
          f"PDF {len(result.pdf):,} bytes (bare: {len(bare_pdf):,}); "
          f"HarfBuzz-Subset in use: {rendering.harfbuzz_subset_available()}; load {os.getloadavg()[0]:.2f}")

    for _ in range(2):
        ours(), bare()
    timed = {"rumorcases": [], "bare": []}
    for run in range(args.runs):
        pair = [("rumorcases", ours), ("bare", bare)]
        for name, call in pair if run % 2 == 0 else pair[::-1]:
            timed[name].append(call())

    fonttools = []
    if args.fonttools_runs:
        saved = fonts.harfbuzz_subset
        fonts.harfbuzz_subset = None
        try:
            for _ in range(args.fonttools_runs):
                fonttools.append(ours())
        finally:
            fonts.harfbuzz_subset = saved

    figures = {name: summary(times) for name, times in timed.items()}
    if fonttools:
        figures["fonttools"] = summary(fonttools)
    print(f"\n{'':28} {'median':>8} {'p90':>8} {'min':>8} {'max':>8}   runs")
    labels = {"rumorcases": "rumorcases render_pdf", "bare": "bare WeasyPrint, same HTML",
              "fonttools": "rumorcases, fontTools subset"}
    for name, f in figures.items():
        print(f"{labels[name]:28} {f['median']:8.3f} {f['p90']:8.3f} {f['min']:8.3f} {f['max']:8.3f}   {f['runs']}")
    ours_median = figures["rumorcases"]["median"]
    print(f"\nrumorcases / bare: {ours_median / figures['bare']['median']:.2f}")
    if fonttools:
        print(f"fontTools / HarfBuzz: {figures['fonttools']['median'] / ours_median:.1f}×")
    verdict = "met" if ours_median <= TARGET_SECONDS else "MISSED"
    print(f"target: median ≤ {TARGET_SECONDS} s — {verdict} ({ours_median:.3f} s)")

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    write_result("pdf", {
        "machine": {"cpus": os.cpu_count(), "cpu": cpu, "python": sys.version.split()[0], "load": os.getloadavg()},
        "pages": result.pages, "paragraphs": paragraphs, "pdf_bytes": len(result.pdf), "bare_pdf_bytes": len(bare_pdf),
        "harfbuzz_subset": rendering.harfbuzz_subset_available(), "seconds": figures, "target_seconds": TARGET_SECONDS,
        "target_met": ours_median <= TARGET_SECONDS, "raw": {**timed, "fonttools": fonttools},
        "weasyprint": __import__("weasyprint").__version__, "font": rendering.FONT_FAMILY,
    })


if __name__ == "__main__":
    main()

"""Helpers for the PDF tests: published notices and bulletins built through the real services,
and the PDF read back with poppler's pdftotext and pdffonts."""

import shutil
import subprocess

import pytest
from django.utils import timezone

from rumorcases.bulletins import services as bulletins
from rumorcases.cases import workflow

LONG_BODY = "\n\n".join(
    f"第{i}段：经向公安机关和应急管理部门核实，当日该公园周边未监测到雷电活动，亦无人员伤亡。网传视频系外省旧视频剪辑拼接，"
    "相关账号为博取流量编造“突遭雷击、三人死亡”的说法，已依法依规处置。请广大网民不信谣、不传谣。"
    for i in range(1, 15))


def publish_notice(build, *, title="关于“公园雷击致三人死亡”的辟谣", body=LONG_BODY, **content):
    """A case in disposal with its notice published by the services; returns the notice."""
    from rumorcases.notices import services as notices

    case = build.debunking()
    values = {"title": title, "claim": "网传某公园突遭雷击致三人死亡。", "verdict": "false", "body": body,
              "sources": [{"title": "气象监测情况说明", "publisher": "市气象局", "url": "https://weather.example.gov.cn/x"}]}
    values.update(content)
    notice = notices.notice_create(case=case, by=build.c.editor, **values)
    notices.notice_submit(notice=notice, by=build.c.editor)
    notices.notice_review(notice=notice, by=build.c.reviewer, decision="approve")
    workflow.case_publish_debunk(case=case, by=build.c.publisher)
    notice.refresh_from_db()
    return notice


def publish_bulletin(build, *, cases=1):
    today = timezone.localdate()
    waiting = [build.exposing() for _ in range(cases)]
    bulletin = bulletins.bulletin_create(by=build.c.publisher, title="网络谣言典型案例曝光（第一批）",
                                         title_en="Typical cases", period_start=today.replace(day=1),
                                         period_end=today, introduction="现将近期查处的典型案例公布如下。")
    for n, case in enumerate(waiting, 1):
        bulletins.bulletin_add_entry(bulletin=bulletin, case=case, by=build.c.publisher,
                                     headline=f"编造“公园雷击”谣言案{n}",
                                     rumour_summary="有账号冒充本市公园发布雷击视频。",
                                     finding_summary="经核实，当日无雷击，无人员伤亡。",
                                     measures="新浪微博：关闭账号1个。")
    bulletins.bulletin_submit(bulletin=bulletin, by=build.c.publisher)
    bulletins.bulletin_publish(bulletin=bulletin, by=build.c.publisher2)
    bulletin.refresh_from_db()
    return bulletin


@pytest.fixture
def notice(build):
    return publish_notice(build)


@pytest.fixture
def bulletin(build):
    return publish_bulletin(build, cases=2)


def tool(name: str) -> str:
    """poppler-utils (.ci/install-system-packages)."""
    path = shutil.which(name)
    assert path, f"{name} is missing: install poppler-utils"
    return path


def pdf_text(pdf: bytes) -> str:
    return subprocess.run([tool("pdftotext"), "-enc", "UTF-8", "-", "-"], input=pdf,  # noqa: S603
                          capture_output=True, check=True).stdout.decode("utf-8")


def pdf_fonts(pdf: bytes, tmp_path) -> list[dict]:
    """pdffonts' table as dicts (it reads a file, not stdin)."""
    path = tmp_path / "fonts-check.pdf"
    path.write_bytes(pdf)
    lines = subprocess.run([tool("pdffonts"), str(path)], capture_output=True, check=True,  # noqa: S603
                           text=True).stdout.splitlines()
    fonts = []
    for line in lines[2:]:
        cells = line.split()
        # name, type (several words), encoding, emb, sub, uni, object id, generation
        fonts.append({"name": cells[0], "emb": cells[-5], "sub": cells[-4], "uni": cells[-3]})
    return fonts


def squeeze(text: str) -> str:
    """Text without white space: pdftotext may break a long line anywhere."""
    return "".join(text.split())

"""Demo data: the office's people, the platforms, the legal catalogue, campaigns, and a
dozen cases spread over every stage of the workflow.

Every case is built through the real services, by the staff member whose role it is, so
its transitions, audit events and notifications are the ones the product writes. Report
texts are invented, or real public Weibo posts judged to be rumours (the CED data set, with
pseudonymous author ids). Victims and reporters recorded as case parties carry obviously
invented names, and no public text names them.

`demo_load` is idempotent: the first report of the first story is the marker. When it is
there, a second run only makes sure the demo users exist with the demo password; no
domain table changes. Everything runs in one transaction, so a failure leaves nothing.
"""

import struct
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from rumorcases.bulletins import services as bulletins
from rumorcases.cases import services as cases
from rumorcases.cases import workflow
from rumorcases.cases.choices import (
    Authority,
    CaseStatus,
    Category,
    ContentType,
    EvidenceKind,
    PartyRole,
    Priority,
    ReportSource,
    Verdict,
)
from rumorcases.cases.models import Campaign, Case, Report
from rumorcases.cases.services import AuthorInput, ReportInput
from rumorcases.core import roles
from rumorcases.disposal import services as disposal
from rumorcases.disposal.choices import AccountType, Measure, OffenderRole, OrderItemKind, SubjectKind
from rumorcases.disposal.models import LegalProvision, Subject
from rumorcases.notices import services as notices
from rumorcases.platforms.models import Platform

DEFAULT_PASSWORD = "demo-pass-2026"  # noqa: S105 - the published password of a local demo, never of production
STAFF_URL = "http://127.0.0.1:8000/staff/"
ADMIN_URL = "http://127.0.0.1:8000/admin/"
ADMIN_USERNAME = "admin"

# The report whose presence says the demo stories were loaded already.
MARKER_PLATFORM = "douyin"
MARKER_EXTERNAL_ID = "demo-dy-beach-001"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str


DEMO_USERS = [
    DemoUser("intake", roles.INTAKE_OFFICER, "受理员"),
    DemoUser("verifier", roles.VERIFIER, "核查员"),
    DemoUser("editor", roles.NOTICE_EDITOR, "辟谣编辑"),
    DemoUser("reviewer", roles.REVIEWER, "审核员甲"),
    DemoUser("reviewer2", roles.REVIEWER, "审核员乙"),
    DemoUser("disposal", roles.DISPOSAL_OFFICER, "处置员甲"),
    DemoUser("disposal2", roles.DISPOSAL_OFFICER, "处置员乙"),
    DemoUser("publisher", roles.PUBLISHER, "发布员甲"),
    DemoUser("publisher2", roles.PUBLISHER, "发布员乙"),
    DemoUser("supervisor", roles.SUPERVISOR, "督办"),
    DemoUser("auditor", roles.AUDITOR, "审计员"),
]

# slug, name, English name, key platform
PLATFORMS = [
    ("weibo", "新浪微博", "Weibo", True),
    ("douyin", "抖音", "Douyin", True),
    ("wechat", "微信", "WeChat", True),
    ("xiaohongshu", "小红书", "Xiaohongshu", True),
    ("bilibili", "哔哩哔哩", "Bilibili", True),
    ("zhihu", "知乎", "Zhihu", True),
    ("kuaishou", "快手", "Kuaishou", True),
    ("toutiao", "今日头条", "Toutiao", True),
    ("baidu", "百度", "Baidu", True),
    ("qq", "腾讯QQ", "Tencent QQ", True),
    ("tencent-news", "腾讯新闻", "Tencent News", True),
    ("netease", "网易", "NetEase", True),
    ("dianping", "大众点评", "Dianping", True),
    ("ximalaya", "喜马拉雅", "Ximalaya", True),
    ("pinduoduo", "拼多多", "Pinduoduo", True),
    ("douban", "豆瓣", "Douban", False),
    ("hupu", "虎扑", "Hupu", False),
    ("ctrip", "携程", "Trip.com", False),
]

# code, law, English name, article, a short paraphrase. The article numbers of the Cybersecurity
# Law, the Ecosystem Regulations, the Public Security Administration Punishments Law (2012 text)
# and the Criminal Law are the real ones; those of the two newer provisions are illustrative and
# must be checked against the official text before a penalty cites them in earnest.
PROVISIONS = [
    ("csl-12", "中华人民共和国网络安全法", "Cybersecurity Law of the PRC", "第十二条",
     "任何个人和组织使用网络……不得编造、传播虚假信息扰乱经济秩序和社会秩序。"),
    ("csl-47", "中华人民共和国网络安全法", "Cybersecurity Law of the PRC", "第四十七条",
     "网络运营者发现法律、行政法规禁止发布或者传输的信息的，应当立即停止传输该信息，采取消除等处置措施，"
     "防止信息扩散，保存有关记录，并向有关主管部门报告。"),
    ("ecosystem-6", "网络信息内容生态治理规定",
     "Provisions on the Governance of the Network Information Content Ecosystem", "第六条",
     "网络信息内容生产者不得制作、复制、发布散布谣言，扰乱经济秩序和社会秩序等违法信息。"),
    ("ecosystem-7", "网络信息内容生态治理规定",
     "Provisions on the Governance of the Network Information Content Ecosystem", "第七条",
     "网络信息内容生产者应当采取措施，防范和抵制制作、复制、发布不良信息。"),
    ("cyberviolence-accounts", "网络暴力信息治理规定", "Provisions on the Governance of Cyber-Violence Information",
     "第二十四条", "对发布、传播网络暴力信息的用户，依法依约采取警示、删除信息、限制账号功能、关闭账号等处置措施。"),
    ("account-info-measures", "互联网用户账号信息管理规定",
     "Provisions on the Management of Internet User Account Information", "第十八条",
     "账号使用者发布违法信息的，依法依约采取警示、限制账号功能、暂停更新、关闭账号等处置措施。"),
    ("psapl-25", "中华人民共和国治安管理处罚法", "Public Security Administration Punishments Law of the PRC",
     "第二十五条", "散布谣言，谎报险情、疫情、警情或者以其他方法故意扰乱公共秩序的，处拘留，可以并处罚款。"),
    ("criminal-246", "中华人民共和国刑法", "Criminal Law of the PRC", "第二百四十六条",
     "捏造事实诽谤他人，情节严重的，构成诽谤罪。"),
    ("criminal-291-1", "中华人民共和国刑法", "Criminal Law of the PRC", "第二百九十一条之一第二款",
     "编造虚假的险情、疫情、灾情、警情，在信息网络或者其他媒体上传播，或者明知是上述虚假信息故意传播，"
     "严重扰乱社会秩序的，构成编造、故意传播虚假信息罪。"),
]


@dataclass
class DemoResult:
    loaded: bool  # False when the demo stories were there already
    logins: list[tuple[str, str, str]]  # username, role, password
    states: dict[str, int] = field(default_factory=dict)  # "closed/exposed" style keys, case counts


def demo_load(*, password: str = DEFAULT_PASSWORD) -> DemoResult:
    """Load the demo (once) and make sure every demo user can log in with `password`."""
    stored_files: list[str] = []
    try:
        with transaction.atomic():
            # Registered first, so it runs first once committed: from then on the files are kept,
            # even if a later on-commit callback (a notification) fails.
            transaction.on_commit(stored_files.clear)
            logins = demo_users_ensure(password=password)
            loaded = not Report.objects.filter(platform__slug=MARKER_PLATFORM,
                                               external_id=MARKER_EXTERNAL_ID).exists()
            if loaded:
                _Stories(stored_files).tell()
    except BaseException:
        # The rows are rolled back; the evidence files written meanwhile go too.
        for name in stored_files:
            default_storage.delete(name)
        raise
    return DemoResult(loaded=loaded, logins=logins, states=demo_case_states())


def demo_case_states() -> dict[str, int]:
    """Cases by state, closed ones by resolution (`closed/exposed`). One query."""
    counts = Counter()
    for status, resolution in Case.objects.values_list("status", "resolution"):
        counts[f"{status}/{resolution}" if status == CaseStatus.CLOSED else status] += 1
    return dict(sorted(counts.items()))


def demo_users_ensure(*, password: str) -> list[tuple[str, str, str]]:
    """Create the demo users, or bring them back to their role, staff status and `password`.

    An existing user is saved only when something differs, so a second run writes nothing.
    """
    user_model = get_user_model()
    logins = []
    wanted = [(ADMIN_USERNAME, None, "管理员"), *((u.username, u.role, u.first_name) for u in DEMO_USERS)]
    for username, role, first_name in wanted:
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"first_name": first_name, "is_staff": True,
                                         "is_superuser": role is None},
        )
        changed = created
        for name, value in (("is_staff", True), ("is_active", True), ("is_superuser", role is None)):
            if getattr(user, name) != value:
                setattr(user, name, value)
                changed = True
        if created or not user.check_password(password):
            user.set_password(password)
            changed = True
        if changed:
            user.save()
        if role is not None:
            group = Group.objects.get(name=role)
            if list(user.groups.all()) != [group]:
                user.groups.set([group])
        logins.append((username, f"{role} ({roles.ROLE_LABELS[role]})" if role else "superuser", password))
    return logins


# --- evidence files, generated ---------------------------------------------------


def _png(width: int, height: int, accent: tuple[int, int, int], seed: int) -> bytes:
    """A small picture of a post: a coloured header bar, grey text lines and an image block."""

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        if y < 18:
            return accent
        if 30 <= y < 90 and 12 <= x < 108:
            return ((seed * 37 + x) % 256, (seed * 59 + y) % 256, (seed * 83) % 256)
        line = (y - 100) // 14
        if y >= 100 and (y - 100) % 14 < 6 and 12 <= x < width - 12 - (line * 37 + seed * 11) % 90:
            return (170, 170, 170)
        return (255, 255, 255)

    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _pdf(lines: list[str]) -> bytes:
    """A one-page PDF with ASCII text lines (a scanned letter stands in for the real one)."""
    text = "BT /F1 12 Tf 56 780 Td 16 TL " + " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*" for line in lines
    ) + " ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text.encode("ascii") + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _capture(report: Report) -> bytes:
    """A plain-text web capture of a reported post."""
    handle = report.author.handle if report.author else ""
    posted = timezone.localtime(report.posted_at)
    return (
        f"网页留存 / web capture\n平台：{report.platform.name}\n地址：{report.url}\n"
        f"账号：{handle}\n发布时间：{posted:%Y-%m-%d %H:%M}\n"
        f"浏览 {report.views}  转发 {report.reposts}  评论 {report.comments}  点赞 {report.likes}\n\n{report.content}\n"
    ).encode()


PLATFORM_COLOURS = {"weibo": (230, 22, 45), "douyin": (22, 24, 35), "xiaohongshu": (255, 36, 66),
                    "bilibili": (0, 161, 214), "kuaishou": (255, 80, 0), "wechat": (7, 193, 96)}


# --- the stories -------------------------------------------------------------------


# When each story began, in days before the demo was loaded (in the order they are told): the
# office's history of the last two months, so that the dashboard has weeks to draw and the
# stage clocks have run. Within a story the clock moves on with each step (`_Paced`).
STORY_DAYS_AGO = {
    "park_lightning": 63, "beach_girl": 56, "first_bulletin": 50, "correct_beach_notice": 48,
    "traffic_rules": 35, "pork_fever": 9, "blood_donation": 6, "toothpaste": 4, "watermelon": 3.5,
    "metro_closure": 3, "night_blast": 2.5, "restaurant_review": 2, "school_canteen": 1.5,
    "kidney_theft": 0.5, "plate_restriction": 0.2,
}

# Hours that pass before each workflow step of a story: people take their time.
STEP_HOURS = {
    "case_start_verification": 2, "case_confirm_rumour": 18, "case_publish_debunk": 5,
    "case_complete_disposal": 8, "case_merge_into": 1, "case_dismiss": 3, "case_clear": 20,
    "case_close_unverifiable": 30, "case_close_without_exposure": 6,
}

# How many hours each platform takes to acknowledge an order, and then to carry it out.
PLATFORM_PACE = {"weibo": (1.5, 6), "douyin": (0.5, 3), "xiaohongshu": (4, 14), "bilibili": (6, 20),
                 "kuaishou": (2, 9), "wechat": (3, 10), "zhihu": (5, 16)}


class _Paced:
    """A module of services whose calls first move the demo's clock on by `STEP_HOURS`."""

    def __init__(self, module, clock):
        self._module, self._clock = module, clock

    def __getattr__(self, name):
        service = getattr(self._module, name)

        def paced(*args, **kwargs):
            self._clock.later(hours=STEP_HOURS.get(name, 1))
            return service(*args, **kwargs)

        return paced


class _Clock:
    """The demo's time: `timezone.now()` everywhere (services, models' defaults, the audit
    trail) reads it while the stories are told."""

    def __init__(self, traveller, started):
        self.traveller, self.started = traveller, started

    def begin(self, story: str) -> None:
        """Jump to when `story` began, never backwards (a story that ran long delays the next)."""
        when = self.started - timedelta(days=STORY_DAYS_AGO[story])
        if when > timezone.now():
            self.traveller.move_to(when)

    def later(self, *, hours: float) -> None:
        self.traveller.shift(timedelta(hours=hours))


class _Stories:
    """Builds the demo cases, each through the services as the member of staff whose job it is."""

    def __init__(self, stored_files: list[str]):
        self.stored_files = stored_files
        self.clock = None
        self.flow = None
        users = {u.username: u for u in get_user_model().objects.filter(username__in=[d.username for d in DEMO_USERS])}
        self.intake, self.verifier, self.editor = users["intake"], users["verifier"], users["editor"]
        self.reviewer, self.reviewer2 = users["reviewer"], users["reviewer2"]
        self.disposal, self.disposal2 = users["disposal"], users["disposal2"]
        self.publisher, self.publisher2 = users["publisher"], users["publisher2"]
        self.supervisor = users["supervisor"]
        self.platforms = self._platforms()
        self.provisions = self._provisions()
        self.campaigns = self._campaigns()
        self._evidence_seed = 0

    @property
    def now(self):
        return timezone.now()

    @property
    def today(self):
        return timezone.localdate()

    # reference data: what an administrator keeps in the admin

    def _platforms(self) -> dict[str, Platform]:
        found = {}
        for slug, name, name_en, is_key in PLATFORMS:
            found[slug], _created = Platform.objects.get_or_create(
                slug=slug, defaults={"name": name, "name_en": name_en, "is_key": is_key})
        return found

    def _provisions(self) -> dict[str, LegalProvision]:
        found = {}
        for code, law, law_en, article, text in PROVISIONS:
            found[code], _created = LegalProvision.objects.get_or_create(
                code=code, defaults={"law": law, "law_en": law_en, "article": article, "text": text})
        return found

    def _campaigns(self) -> dict[str, Campaign]:
        year = self.today.year
        wanted = [
            ("qinglang-cyberviolence", "清朗·网络暴力专项整治", "Qinglang · cyber-violence",
             "网络暴力信息；“人肉搜索”“开盒”侵犯隐私；借热点事件造谣、攻击当事人；匿名“网络厕所”。",
             date(year, 1, 1), date(year, 12, 31)),
            ("qinglang-pujiang-hostility", "清朗浦江·网络戾气整治", "Qinglang Pujiang · online hostility",
             "挑动地域、群体对立；污名化特定群体；煽动对医疗、教育等公共服务机构的敌意；借谣言引流牟利。",
             self.today - timedelta(days=90), self.today + timedelta(days=90)),
        ]
        found = {}
        for slug, name, name_en, problems, starts_on, ends_on in wanted:
            found[slug], _created = Campaign.objects.get_or_create(
                slug=slug, defaults={"name": name, "name_en": name_en, "problems": problems,
                                     "starts_on": starts_on, "ends_on": ends_on})
        return found

    # helpers

    def report(self, slug: str, external_id: str, content: str, *, author: AuthorInput, hours_ago: float,
               views=0, reposts=0, comments=0, likes=0, content_type=ContentType.TEXT, category=Category.RUMOUR,
               source=ReportSource.USER_REPORT, reason="") -> Report:
        data = ReportInput(
            external_id=external_id, content=content, posted_at=self.now - timedelta(hours=hours_ago),
            url=f"https://{slug}.example/p/{external_id}", content_type=content_type, language="zh-hans",
            author=author, views=views, reposts=reposts, comments=comments, likes=likes, category=category,
            reason=reason, source=source,
        )
        self.clock.later(hours=0.3)
        return cases.report_ingest(platform=self.platforms[slug], data=data).report

    def _store(self, case, content: bytes, name: str, *, by, **kwargs):
        self.clock.later(hours=0.5)
        item = cases.evidence_add(case=case, upload=ContentFile(content, name=name), by=by, original_name=name,
                                  **kwargs)
        self.stored_files.append(item.file.name)
        return item

    def screenshot(self, case, report: Report, *, by, description: str):
        self._evidence_seed += 1
        accent = PLATFORM_COLOURS.get(report.platform.slug, (90, 90, 90))
        return self._store(case, _png(240, 180, accent, self._evidence_seed), f"{report.external_id}-截图.png",
                           by=by, kind=EvidenceKind.WEB_CAPTURE, source_url=report.url, report=report,
                           description=description)

    def capture(self, case, report: Report, *, by, description: str):
        return self._store(case, _capture(report), f"{report.external_id}-留存.txt", by=by,
                           kind=EvidenceKind.WEB_CAPTURE, source_url=report.url, report=report,
                           description=description)

    def letter(self, case, name: str, lines: list[str], *, by, description: str):
        return self._store(case, _pdf([*lines, f"Case {case.reference}", "Demo document"]), name, by=by,
                           description=description)

    def ask(self, case, authority: str, authority_name: str, question: str, *, answer: str = ""):
        self.clock.later(hours=1)
        consultation = cases.consultation_ask(case=case, authority=authority, authority_name=authority_name,
                                              question=question, due_at=self.now + timedelta(days=2),
                                              by=self.verifier)
        if answer:
            self.clock.later(hours=16)
            cases.consultation_answer(consultation=consultation, answer=answer, by=self.verifier)
        return consultation

    def notice(self, case, *, approve: bool = True, submit: bool = True, reviewer=None, **content):
        """A notice drafted by the editor; submitted and approved by a reviewer unless told otherwise."""
        self.clock.later(hours=3)
        notice = notices.notice_create(case=case, by=self.editor, **content)
        if submit:
            self.clock.later(hours=2)
            notices.notice_submit(notice=notice, by=self.editor)
        if submit and approve:
            self.clock.later(hours=4)
            notices.notice_review(notice=notice, by=reviewer or self.reviewer, decision="approve",
                                  comments="事实清楚，来源权威，同意发布。")
        return notice

    def penalty(self, case, account, role, measure, provision, reasoning, *, days=None, approve=True):
        self.clock.later(hours=2)
        penalty = disposal.penalty_propose(case=case, account=account, role=role, measure=measure,
                                           legal_provision=self.provisions[provision], reasoning=reasoning,
                                           duration_days=days, by=self.disposal)
        if approve and measure != Measure.WARNING:
            self.clock.later(hours=3)
            disposal.penalty_approve(penalty=penalty, by=self.supervisor)
        return penalty

    def order(self, case, slug: str, *, reports=(), penalties=(), instructions="", by=None):
        items = [{"kind": OrderItemKind.REMOVE_CONTENT, "report": r} for r in reports]
        items += [{"kind": OrderItemKind.ACT_ON_ACCOUNT, "penalty": p} for p in penalties]
        self.clock.later(hours=1)
        return disposal.order_issue(case=case, platform=self.platforms[slug], due_at=self.now + timedelta(hours=24),
                                    items=items, instructions=instructions, by=by or self.disposal)

    def platform_carries_out(self, order, *, not_done: dict | None = None):
        """The platform acknowledges the order and reports each item done (or not, with a note)."""
        not_done = not_done or {}
        acknowledge_after, complete_after = PLATFORM_PACE.get(order.platform.slug, (2, 8))
        self.clock.later(hours=acknowledge_after)
        disposal.order_acknowledge(order=order, platform=order.platform)
        self.clock.later(hours=complete_after)
        results = []
        for item in order.items.all():
            note = not_done.get(item.kind, "")
            results.append({"item": item.pk, "executed": not note, "note": note or "已按要求处置"})
        return disposal.order_complete(order=order, results=results, platform=order.platform)

    # the whole demo, in the order the office would have lived it

    def tell(self):
        started = timezone.now()
        earliest = started - timedelta(days=max(STORY_DAYS_AGO.values()))
        with time_machine.travel(earliest, tick=False) as traveller:
            self.clock = _Clock(traveller, started)
            self.flow = _Paced(workflow, self.clock)
            lightning = self._story("park_lightning")
            beach = self._story("beach_girl")
            self._story("first_bulletin", beach, lightning)
            self._story("correct_beach_notice", beach)
            for name in ("traffic_rules", "pork_fever", "blood_donation", "toothpaste", "watermelon",
                         "metro_closure", "night_blast", "restaurant_review", "school_canteen", "kidney_theft",
                         "plate_restriction"):
                self._story(name)

    def _story(self, name: str, *args):
        self.clock.begin(name)
        return getattr(self, name)(*args)

    # closed, exposed — and the earlier offence of a subject who offends again below

    def park_lightning(self) -> Case:
        text = ("【突发】今天下午浦东一公园突遭雷击，当场劈倒好几个人，3人没救过来！现场视频太吓人了，"
                "雷雨天千万别去公园，转给家里人！")
        weibo = self.report("weibo", "demo-wb-lightning-001", text, hours_ago=30, views=486000, reposts=3120,
                            comments=905, likes=2210, content_type=ContentType.VIDEO,
                            author=AuthorInput("wb-5521870417", "吃瓜前线_0417", "吃瓜前线", AccountType.SELF_MEDIA,
                                               193000))
        bili = self.report("bilibili", "demo-bili-lightning-001", text, hours_ago=27, views=52000, reposts=310,
                           content_type=ContentType.VIDEO, source=ReportSource.PLATFORM_REVIEW,
                           author=AuthorInput("bili-30021977", "雷雨天搬运工", "雷雨天搬运工", followers=8200))
        case = weibo.case
        cases.case_tag_campaigns(case=case, campaigns=[self.campaigns["qinglang-pujiang-hostility"]],
                                 by=self.intake)
        self.flow.case_start_verification(case=case, by=self.intake, reason="涉突发灾害，按P1核查")
        shot = self.screenshot(case, weibo, by=self.verifier, description="微博视频帖截图，含“3人没救过来”字样")
        self.capture(case, bili, by=self.verifier, description="B站搬运视频页面留存")
        self.ask(case, Authority.WEATHER, "上海市气象局",
                 "请核实当日下午浦东相关公园区域是否监测到地闪及雷击伤人事件。",
                 answer="经查闪电定位系统，当日13时至18时该公园周边5公里范围内未监测到地闪，未接到雷击伤人报告。")
        letter = self.letter(case, "区应急管理局复函.pdf",
                             ["District emergency management bureau: reply",
                              "No casualties were reported in the park on the day in question."],
                             by=self.verifier, description="区应急管理局复函：当日公园内无人员伤亡事件")
        cases.finding_record(
            case=case, verdict=Verdict.FALSE, by=self.verifier, evidence=[shot, letter],
            reasoning="气象部门闪电定位无地闪记录，应急、公园管理部门均确认无伤亡；视频经比对系外省多年前的旧视频。",
            sources=[{"title": "雷电监测情况说明", "publisher": "上海市气象局"},
                     {"title": "关于网传公园雷击事件的复函", "publisher": "浦东新区应急管理局"}],
        )
        self.flow.case_confirm_rumour(case=case, by=self.verifier)
        self.notice(
            case, title="关于“浦东一公园遭雷击致3人死亡”的辟谣",
            claim="网传某日下午浦东一公园遭雷击，致3人死亡、多人受伤，并附现场视频。", verdict="false",
            body="经向市气象局、区应急管理局和公园管理部门核实：当日该公园周边未监测到地闪，园内未发生雷击伤人事件，"
                 "无人员伤亡。网传视频系外省多年前的旧视频，经剪辑后冒充本市“突发事件”传播。雷雨天气请远离孤立大树和"
                 "空旷地带，关注气象部门发布的预警信息。",
            sources=[{"title": "雷电监测情况说明", "publisher": "上海市气象局"}],
            title_en="False: '3 killed by lightning in a Pudong park'",
            body_en="The meteorological bureau recorded no cloud-to-ground lightning near the park that day and no one "
                    "was hurt. The video is years old and was filmed in another province.",
        )
        self.flow.case_publish_debunk(case=case, by=self.publisher)
        ban = self.penalty(case, weibo.author, OffenderRole.ORIGINATOR, Measure.POSTING_BAN, "ecosystem-6",
                           "移花接木编造本市突发灾害信息，阅读量逾48万，情节严重。", days=15)
        warning = self.penalty(case, bili.author, OffenderRole.SPREADER, Measure.WARNING, "ecosystem-7",
                               "未经核实转载不实视频，粉丝量小，首次违规。")
        self.platform_carries_out(self.order(case, "weibo", reports=[weibo], penalties=[ban]))
        rejected = self.platform_carries_out(
            self.order(case, "bilibili", reports=[bili], penalties=[warning]),
            not_done={OrderItemKind.REMOVE_CONTENT: "视频已由上传者在平台处置前自行删除"},
        )
        disposal.order_waive(order=rejected, by=self.supervisor,
                             reason="目标视频已由上传者自行删除，经复核已无可执行内容，豁免该项指令。")
        ban.refresh_from_db()
        disposal.penalty_appeal(penalty=ban, by=self.supervisor,
                                note="账号主体申诉称视频系转载，非本人编造。")
        disposal.penalty_uphold(penalty=ban, by=self.supervisor)
        self.flow.case_complete_disposal(case=case, by=self.disposal2, reason="处罚均已执行，申诉已维持原处理。")
        return case

    # closed, exposed: three platforms, one case; victims who must never be named

    def beach_girl(self) -> Case:
        text = ("扩散！海边走丢的那个小女孩根本不是走丢，是继父嫌她是拖油瓶故意扔在沙滩上的！监控都拍到了，"
                "警方还在帮着压消息，大家都去评论区声援！")
        douyin = self.report("douyin", MARKER_EXTERNAL_ID, text, hours_ago=50, views=2630000, reposts=41800,
                             comments=12600, likes=88000, content_type=ContentType.VIDEO,
                             author=AuthorInput("dy-70331958", "沪上夜话Vlog_88", "沪上夜话Vlog", AccountType.MCN,
                                                286000, verified=True))
        case = douyin.case
        weibo = self.report("weibo", "demo-wb-beach-001", text, hours_ago=47, views=915000, reposts=8600,
                            comments=3400, likes=15100,
                            author=AuthorInput("wb-6672100931", "热点搬运站2026", "热点搬运站", AccountType.SELF_MEDIA,
                                               121000))
        self.report("weibo", "demo-wb-beach-002", text + "！！！", hours_ago=46, views=3100,
                    reposts=44, author=AuthorInput("wb-1093385120", "小鱼今天不摸鱼", followers=610))
        redbook = self.report("xiaohongshu", "demo-xhs-beach-001", text.replace("！", "!!").replace("，", ", "),
                              hours_ago=44, views=36000, reposts=120, likes=2300,
                              author=AuthorInput("xhs-5f3a9c21", "带娃日记小满妈", followers=4300))
        cases.case_assign(case=case, assignee=self.verifier, by=self.supervisor)
        cases.case_tag_campaigns(case=case, campaigns=[self.campaigns["qinglang-cyberviolence"]], by=self.intake)
        cases.case_party_add(case=case, role=PartyRole.VICTIM, name="林某某", by=self.supervisor,
                             notes="走失女童，未成年人。任何公开材料不得出现其姓名、年龄、学校、照片。")
        cases.case_party_add(case=case, role=PartyRole.VICTIM, name="王某某", by=self.supervisor,
                             notes="女童继父，遭大量辱骂和“开盒”，已提示平台加强保护。")
        cases.case_party_add(case=case, role=PartyRole.REPORTER, name="陈某某", contact="reporter-0417@example.com",
                             by=self.supervisor, notes="通过12377举报，附评论区“开盒”截图。")
        self.flow.case_start_verification(case=case, by=self.intake, reason="涉未成年人及网暴，P1")
        cases.case_comment_add(case=case, by=self.verifier,
                               body="已请平台对话题限流、关闭当事人主页评论，等待公安通报。")
        shot = self.screenshot(case, douyin, by=self.verifier, description="抖音视频页截图（当事人面部已打码）")
        self.capture(case, weibo, by=self.verifier, description="微博原帖留存")
        self.capture(case, redbook, by=self.verifier, description="小红书笔记留存")
        self.ask(case, Authority.POLICE, "上海市公安局某区分局", "请核实女童走失经过，是否存在遗弃情形。",
                 answer="女童与家人在海滩游玩时走散，家属即报警，民警会同景区人员和热心群众约30分钟后找到女童，"
                        "交还家属。经调查不存在遗弃情形。")
        statement = self.letter(case, "警情通报.pdf",
                                ["Police statement (summary)",
                                 "The child was separated from her family on the beach and found",
                                 "about 30 minutes later. There is no sign she was abandoned."],
                                by=self.verifier, description="公安分局警情通报")
        cases.finding_record(
            case=case, verdict=Verdict.FALSE, by=self.verifier, evidence=[shot, statement],
            reasoning="警方通报与景区监控均显示女童系走散，家属第一时间报警；“继父故意遗弃”“警方压消息”均无事实依据。",
            sources=[{"title": "警情通报", "publisher": "上海市公安局某区分局"}],
        )
        self.flow.case_confirm_rumour(case=case, by=self.verifier)
        # The published text says "about 40 minutes", a slip corrected below (`correct_beach_notice`).
        content = dict(
            title="关于“海边走失女童系被继父故意遗弃”的辟谣",
            claim="网传在本市海滩走失的女童是被继父故意遗弃，警方“压消息”。", verdict="false",
            body="经向公安机关核实：当日下午，一名女童与家人在海滩游玩时走散，家属随即报警。民警会同景区工作人员和"
                 "热心群众展开寻找，约40分钟后找到女童并交还家属。经调查，女童系走失，不存在遗弃情形，网传“继父故意"
                 "遗弃”“警方压消息”等说法均系编造。相关账号借此攻击当事家庭，已依法依规处置。请广大网民不信谣、"
                 "不传谣，尊重和保护未成年人及其家庭的隐私。",
            sources=[{"title": "警情通报", "publisher": "上海市公安局某区分局"}],
            title_en="False: 'the girl lost on the beach was abandoned by her stepfather'",
            body_en="Police say the girl was separated from her family on the beach and found about 40 minutes "
                    "later; she was not abandoned. Accounts that attacked the family have been dealt with.",
        )
        notice = notices.notice_create(case=case, by=self.editor,
                                       **{**content, "body": "女童今年7岁，" + content["body"]})
        notices.notice_submit(notice=notice, by=self.editor)
        notices.notice_review(notice=notice, by=self.reviewer, decision="return",
                              comments="第一稿写了女童年龄，属可识别信息，请删去；其余同意。")
        notices.notice_edit(notice=notice, by=self.editor, **content)
        notices.notice_submit(notice=notice, by=self.editor)
        notices.notice_review(notice=notice, by=self.reviewer2, decision="approve", comments="已删去年龄，同意发布。")
        self.flow.case_publish_debunk(case=case, by=self.publisher)
        closure = self.penalty(case, douyin.author, OffenderRole.ORIGINATOR, Measure.CLOSE_ACCOUNT,
                               "cyberviolence-accounts",
                               "编造未成年人被遗弃谣言并煽动网民攻击当事家庭，阅读量逾260万，情节特别严重。")
        ban = self.penalty(case, weibo.author, OffenderRole.AMPLIFIER, Measure.POSTING_BAN, "ecosystem-6",
                           "明知未经核实仍大量转发并带话题引流，转发逾8000次。", days=30)
        warning = self.penalty(case, redbook.author, OffenderRole.SPREADER, Measure.WARNING, "ecosystem-7",
                               "转发不实信息，首次违规。")
        beach_reports = list(case.reports.order_by("id"))
        for slug, penalties in (("douyin", [closure]), ("weibo", [ban]), ("xiaohongshu", [warning])):
            reports = [r for r in beach_reports if r.platform.slug == slug]
            self.platform_carries_out(self.order(case, slug, reports=reports, penalties=penalties,
                                                 instructions="删除相关内容，对账号执行处罚，关闭当事人信息的搜索联想。"))
        self.flow.case_complete_disposal(case=case, by=self.disposal)
        return case

    def first_bulletin(self, beach: Case, lightning: Case):
        bulletin = bulletins.bulletin_create(
            by=self.publisher, title=f"{self.today.year}年{self.today.month}月网络谣言典型案例曝光（第一批）",
            title_en="Typical online rumour cases exposed", period_start=self.today.replace(day=1),
            period_end=self.today,
            introduction="近期，本办依法处置了一批编造、传播网络谣言的账号，现将典型案例公布如下。",
        )
        bulletins.bulletin_add_entry(
            bulletin=bulletin, case=beach, by=self.publisher, headline="编造“走失女童系被继父遗弃”谣言并煽动网暴",
            rumour_summary="有账号发布视频，称本市海滩走失女童系被继父故意遗弃、警方“压消息”，煽动网民攻击当事家庭。",
            finding_summary="经公安机关核实，女童系与家人走散，约30分钟后被找到，不存在遗弃情形。",
        )
        bulletins.bulletin_add_entry(
            bulletin=bulletin, case=lightning, by=self.publisher, headline="移花接木编造“公园雷击致3人死亡”",
            rumour_summary="有账号将外省旧视频剪辑后，冒充本市公园“突遭雷击、3人死亡”发布。",
            finding_summary="经气象、应急部门核实，当日公园周边未监测到地闪，无人员伤亡。",
        )
        bulletins.bulletin_submit(bulletin=bulletin, by=self.publisher)
        bulletins.bulletin_publish(bulletin=bulletin, by=self.publisher2)
        return bulletin

    def correct_beach_notice(self, beach: Case):
        notice = beach.notices.get(status="published")
        version = notice.current_version
        content = {name: getattr(version, name) for name in notices.CONTENT_FIELDS}
        content["body"] = content["body"].replace("约40分钟后", "约30分钟后")
        content["body_en"] = content["body_en"].replace("about 40 minutes", "about 30 minutes")
        notices.notice_correct(notice=notice, by=self.supervisor, **content,
                               note="更正：原文“约40分钟后找到女童”应为“约30分钟后”，以公安机关通报为准。特此更正。")

    # closed, disposed but not exposed: an old post from the Weibo data set, presented as new

    def traffic_rules(self) -> Case:
        # Weibo CED post 1228 (2013), recirculating.
        text = ("辣手新交规！ 1 闯红灯，6分，罚100。 2 酒驾，12分、5年内不得再考取驾照。 3 不系安全带，3分，罚100。 "
                "4 副驾不系安全带，1分，罚50。 5 行驶中拨打手机，3分，罚100。 6 行驶中抽烟，1分，罚100。 "
                "7 有意遮挡号牌，12分，顶额处罚。 8 超速驾驶，6分。 9 副驾驶不满14周岁乘坐，6分，罚300。")
        weibo = self.report("weibo", "demo-wb-traffic-001", text, hours_ago=72, views=74000, reposts=966,
                            comments=153, likes=19,
                            author=AuthorInput("u58e521d9575d", "weibo_58e521", followers=114016))
        toutiao = self.report("toutiao", "demo-tt-traffic-001", text, hours_ago=70, views=12500, reposts=88,
                              source=ReportSource.AUTOMATED_DETECTION,
                              author=AuthorInput("tt-88120455", "车友圈资讯", "车友圈资讯", AccountType.SELF_MEDIA,
                                                 23000))
        case = weibo.case
        self.flow.case_start_verification(case=case, by=self.intake)
        shot = self.screenshot(case, weibo, by=self.verifier, description="微博帖截图")
        self.ask(case, Authority.TRANSPORT, "上海市公安局交通警察总队",
                 "网传“新交规”扣分清单是否为现行或即将施行的规定？",
                 answer="该清单系2013年网络流传的旧帖，部分条款与现行记分规定不符，记分规定中并无“行驶中抽烟”一项。")
        cases.finding_record(
            case=case, verdict=Verdict.MISLEADING, by=self.verifier, evidence=[shot],
            reasoning="旧帖翻炒，真假条款混杂，冒充“新交规”传播，易误导驾驶人。",
            sources=[{"title": "交通违法记分规定解读", "publisher": "上海市公安局交通警察总队"}],
        )
        self.flow.case_confirm_rumour(case=case, by=self.verifier)
        self.notice(
            case, title="网传“新交规扣分清单”系旧帖翻炒",
            claim="网传“辣手新交规”扣分清单即将施行。", verdict="misleading",
            body="经向公安交管部门核实，该清单系2013年即在网络流传的旧帖，近日被冒充“新交规”再次传播。清单中部分"
                 "条款与现行交通违法记分规定不符，例如记分规定中并无“行驶中抽烟”一项。交通违法记分以公安部发布的"
                 "规定为准，请通过公安交管部门官方渠道了解。",
            sources=[{"title": "交通违法记分规定解读", "publisher": "上海市公安局交通警察总队"}],
            title_en="Misleading: the 'new traffic rules' points list is a 2013 post",
        )
        self.flow.case_publish_debunk(case=case, by=self.publisher)
        warning = self.penalty(case, weibo.author, OffenderRole.SPREADER, Measure.WARNING, "ecosystem-7",
                               "转发旧帖冒充新规，首次违规。")
        self.platform_carries_out(self.order(case, "weibo", reports=[weibo], penalties=[warning]))
        self.platform_carries_out(self.order(case, "toutiao", reports=[toutiao], by=self.disposal2))
        self.flow.case_complete_disposal(case=case, by=self.disposal2)
        self.flow.case_close_without_exposure(case=case, by=self.supervisor,
                                             reason="旧帖翻炒、情节轻微，辟谣已覆盖，不列入曝光台。")
        return case

    # exposing, waiting in a draft bulletin

    def pork_fever(self) -> Case:
        text = "紧急通知：某菜市场猪肉查出非洲猪瘟，已经有人吃了被感染住院，这几天千万别买猪肉！"
        kuaishou = self.report("kuaishou", "demo-ks-pork-001", text, hours_ago=60, views=158000, reposts=2700,
                               content_type=ContentType.VIDEO,
                               author=AuthorInput("ks-3302117", "同城热搜君_88", "同城热搜君", AccountType.MCN, 64000))
        case = kuaishou.case
        self.flow.case_start_verification(case=case, by=self.intake)
        company = Subject.objects.create(name="某文化传媒有限公司（化名）", kind=SubjectKind.ORGANISATION,
                                         notes="MCN机构，旗下抖音“沪上夜话Vlog_88”、快手“同城热搜君_88”由其统一运营。")
        for account in (self.platforms["douyin"].accounts.get(platform_account_id="dy-70331958"), kuaishou.author):
            disposal.subject_link_account(account=account, subject=company, by=self.disposal)
        shot = self.screenshot(case, kuaishou, by=self.verifier, description="快手视频截图")
        self.ask(case, Authority.MARKET, "上海市市场监督管理局", "请核实该菜市场所售猪肉的来源与检疫情况。",
                 answer="该市场猪肉均来自定点屠宰企业，检疫合格，未发现非洲猪瘟病毒。")
        cases.finding_record(
            case=case, verdict=Verdict.FALSE, by=self.verifier, evidence=[shot],
            reasoning="市场监管部门抽检合格；非洲猪瘟不感染人，“有人感染住院”系编造。",
            sources=[{"title": "关于非洲猪瘟的科普", "publisher": "上海市农业农村委员会"}],
        )
        self.flow.case_confirm_rumour(case=case, by=self.verifier)
        self.notice(
            case, title="关于“菜市场猪肉查出非洲猪瘟致人感染”的辟谣",
            claim="网传本市某菜市场猪肉查出非洲猪瘟，已有人感染住院。", verdict="false",
            body="经市场监管部门核查，该菜市场所售猪肉均来自定点屠宰企业，检疫合格，未发现非洲猪瘟病毒。非洲猪瘟"
                 "不感染人，“有人吃了被感染住院”系编造。",
            sources=[{"title": "关于非洲猪瘟的科普", "publisher": "上海市农业农村委员会"}],
            reviewer=self.reviewer2,
        )
        self.flow.case_publish_debunk(case=case, by=self.publisher2)
        ban = self.penalty(case, kuaishou.author, OffenderRole.ORIGINATOR, Measure.POSTING_BAN, "ecosystem-6",
                           "编造疫情信息引发恐慌，以此为同城号引流。", days=30)
        self.penalty(case, kuaishou.author, OffenderRole.ORIGINATOR, Measure.REFER_POLICE, "psapl-25",
                     "编造疫情信息，扰乱公共秩序，移送公安机关依法处理。")
        self.platform_carries_out(self.order(case, "kuaishou", reports=[kuaishou], penalties=[ban]))
        self.flow.case_complete_disposal(case=case, by=self.disposal)
        bulletin = bulletins.bulletin_create(
            by=self.publisher2, title=f"{self.today.year}年{self.today.month}月网络谣言典型案例曝光（第二批）",
            period_start=self.today.replace(day=1), period_end=self.today,
        )
        bulletins.bulletin_add_entry(
            bulletin=bulletin, case=case, by=self.publisher2, headline="编造“菜市场猪肉致人感染非洲猪瘟”",
            rumour_summary="有账号发布视频，称本市某菜市场猪肉查出非洲猪瘟、已有人感染住院。",
            finding_summary="经核查，涉事猪肉检疫合格；非洲猪瘟不感染人。",
        )
        return case

    # disposing: a repeat offender, an open order, a penalty waiting for a second person

    def blood_donation(self) -> Case:
        text = ("揭秘！你无偿献的血，转手就被血站以每袋上千元卖给医院，献血车就是摇钱树！"
                "别再傻傻去献血了，转发让更多人知道！")
        douyin = self.report("douyin", "demo-dy-blood-001", text, hours_ago=20, views=734000, reposts=9800,
                             comments=5100, content_type=ContentType.VIDEO,
                             author=AuthorInput("dy-91450417", "一线爆料哥0417", "一线爆料哥", AccountType.SELF_MEDIA,
                                                98000))
        case = douyin.case
        weibo = self.report("weibo", "demo-wb-blood-001", text, hours_ago=18, views=21000, reposts=260,
                            author=AuthorInput("wb-2209931847", "今天也要早睡鸭", followers=1800))
        kuaishou = self.report("kuaishou", "demo-ks-blood-001", text, hours_ago=16, views=88000, reposts=1200,
                               content_type=ContentType.VIDEO,
                               author=AuthorInput("ks-3302117", "同城热搜君_88", "同城热搜君", AccountType.MCN, 64000))
        cases.case_tag_campaigns(case=case, campaigns=[self.campaigns["qinglang-pujiang-hostility"]], by=self.intake)
        self.flow.case_start_verification(case=case, by=self.intake)
        shot = self.screenshot(case, douyin, by=self.verifier, description="抖音视频截图")
        self.ask(case, Authority.HEALTH, "上海市卫生健康委员会", "请说明临床用血收费构成及血液是否存在买卖。",
                 answer="临床用血只收取血液采集、储存、分离、检验等成本费用，标准由价格主管部门核定；血液不得买卖。")
        cases.finding_record(
            case=case, verdict=Verdict.FALSE, by=self.verifier, evidence=[shot],
            reasoning="临床用血收费为成本费用，依法不得买卖血液；视频素材系外省血站宣传片剪辑。",
            sources=[{"title": "中华人民共和国献血法", "publisher": "全国人民代表大会常务委员会"},
                     {"title": "临床用血收费说明", "publisher": "上海市卫生健康委员会"}],
        )
        self.flow.case_confirm_rumour(case=case, by=self.verifier)
        self.notice(
            case, title="关于“无偿献血被高价倒卖”的辟谣",
            claim="网传血站把市民无偿献的血以每袋上千元卖给医院牟利。", verdict="false",
            body="经向市卫生健康委核实：公民临床用血时只缴付血液采集、储存、分离、检验等费用，收费标准由价格主管"
                 "部门核定，血站和医疗机构不得买卖血液；无偿献血者及其家属临床用血可按规定享受相关优惠。网传"
                 "“倒卖牟利”说法不实，所配视频系外省血站宣传片素材剪辑。",
            sources=[{"title": "临床用血收费说明", "publisher": "上海市卫生健康委员会"}],
            title_en="False: 'donated blood is sold on for profit'",
        )
        self.flow.case_publish_debunk(case=case, by=self.publisher)
        cases.case_assign(case=case, assignee=self.disposal2, by=self.supervisor)
        # The person behind the Douyin account also runs the Weibo account banned in the lightning case.
        person = Subject.objects.create(name="刘某（化名）", kind=SubjectKind.PERSON,
                                        notes="经平台协查，微博“吃瓜前线_0417”与抖音“一线爆料哥0417”实名信息一致。")
        lightning_account = self.platforms["weibo"].accounts.get(platform_account_id="wb-5521870417")
        disposal.subject_link_account(account=lightning_account, subject=person, by=self.disposal)
        disposal.subject_link_account(account=douyin.author, subject=person, by=self.disposal)
        cases.case_comment_add(case=case, by=self.disposal,
                               body="抖音账号与曾因“公园雷击”谣言被禁言的微博账号同属一人，属再犯，建议从重处理。")
        closure = self.penalty(case, douyin.author, OffenderRole.REPEAT_OFFENDER, Measure.CLOSE_ACCOUNT,
                               "account-info-measures",
                               "同一主体在雷击谣言被处罚后再次编造谣言，煽动公众对医疗机构的敌意，依法从重。")
        warning = self.penalty(case, weibo.author, OffenderRole.SPREADER, Measure.WARNING, "ecosystem-7",
                               "转发不实视频，首次违规。")
        self.penalty(case, kuaishou.author, OffenderRole.REPEAT_OFFENDER, Measure.POSTING_BAN, "ecosystem-6",
                     "曾因编造非洲猪瘟谣言被禁言，此次再次搬运传播，拟禁言90日，待督办审批。", days=90, approve=False)
        self.platform_carries_out(self.order(case, "weibo", reports=[weibo], penalties=[warning]))
        open_order = self.order(case, "douyin", reports=[douyin], penalties=[closure],
                                instructions="删除视频，关闭账号，24小时内回报。")
        disposal.order_acknowledge(order=open_order, platform=open_order.platform)
        return case

    # debunking, notice in review — and a duplicate merged into it

    def toothpaste(self) -> Case:
        # Weibo CED posts 137 and 396 (2013): the same rumour, worded differently.
        first = self.report(
            "weibo", "demo-wb-toothpaste-001",
            "[这个一定要让大家知道！]： 大家買牙膏請留心,买牙膏时注意牙膏管反面底部的颜色条,"
            "今天才知道，原来颜色条有含义啊！尽量选择绿色和蓝，共分4种:绿、蓝、红、黑. 绿色:纯天然； "
            "蓝色:天然+药物； 红色:天然+化学成分； 黑色:纯化学。 国内的儿童牙膏居然大多是化学的，太过分了",
            hours_ago=12, reposts=268, comments=39, likes=3,
            author=AuthorInput("ucf7035d428df", "weibo_cf7035", followers=2193))
        second = self.report(
            "weibo", "demo-wb-toothpaste-002",
            "赶紧检查一下你家里的牙膏，如果是黑色条赶紧扔掉！大家買牙膏請留心,买牙膏时注意牙膏管反面底部的颜色条,"
            "今天才知道，原来颜色条有含义的，尽量选择绿和蓝，共分4种:绿色:纯天然；蓝色:天然+药物；"
            "红色:天然+化学成分；黑色:纯化学。 国内的牙膏包括儿童牙膏居然大多都是化学的，太过分了[可怜]",
            hours_ago=11, reposts=151, author=AuthorInput("u5b3195f1b5be", "weibo_5b3195", followers=314))
        case = first.case
        # A hotline call about the same claim, opened by hand before the platform reports arrived.
        hotline = cases.case_open(by=self.supervisor, title="12377热线：牙膏颜色条代表成分",
                                  claim="来电称网传牙膏管底部颜色条代表成分，黑色为“纯化学”，要求核实。")
        cases.case_set_priority(case=case, priority=Priority.P2, by=self.supervisor,
                                reason="涉日用品消费，多渠道报送，关注度上升。")
        self.flow.case_start_verification(case=case, by=self.intake)
        self.flow.case_merge_into(case=hotline, target=case, by=self.intake, reason="同一谣言，并入平台报送的案件。")
        if second.case_id != case.pk:  # the matcher did not see the rewording as the same rumour
            self.flow.case_merge_into(case=second.case, target=case, by=self.intake, reason="同一谣言的不同表述。")
        shot = self.screenshot(case, first, by=self.verifier, description="微博帖截图")
        cases.finding_record(
            case=case, verdict=Verdict.FALSE, by=self.verifier, evidence=[shot],
            reasoning="牙膏管尾部色标是灌装封尾时供机器识别定位的光标，颜色取决于包装设计，与成分无关。",
            sources=[{"title": "牙膏管色标的用途", "publisher": "日化行业专家"}],
        )
        self.flow.case_confirm_rumour(case=case, by=self.verifier)
        self.notice(
            case, approve=False, title="牙膏管底部“颜色条”与成分无关",
            claim="网传牙膏管底部颜色条表示成分：绿色纯天然、黑色纯化学。", verdict="false",
            body="牙膏管尾部的色标是生产灌装封尾时供机器识别定位的光标，颜色取决于包装设计，与牙膏成分无关。"
                 "选购牙膏请查看包装上的成分表和生产许可信息。",
            sources=[{"title": "牙膏管色标的用途", "publisher": "日化行业专家"}],
        )
        return case

    # debunking, notice still a draft

    def watermelon(self) -> Case:
        # Weibo CED posts 1055 and 1438 (2013): the same text, so the second report joins the first's case.
        text = ("【打针西瓜】入夏，西瓜成为首选的消暑食品，但黑心商贩却把针头对准了尚未成熟的西瓜。“打针西瓜”所注射的"
                "禁用食品添加剂甜蜜素和胭脂红！打过针的西瓜瓜瓤呈红色，汁液也很“丰富”，但没有一点西瓜味。所用添加剂破坏"
                "{gap}肝脏、肾脏的功能、影响儿童智力发育等毒性！")
        first = self.report("weibo", "demo-wb-melon-001", text.format(gap="  "), hours_ago=9,
                            reposts=107, comments=62, author=AuthorInput("uf769cc6c1164", "weibo_f769cc",
                                                                         followers=901409))
        self.report("weibo", "demo-wb-melon-002", text.format(gap=" "), hours_ago=8, reposts=374,
                    comments=95, author=AuthorInput("ue31387a6120f", "weibo_e31387", followers=234850))
        case = first.case
        cases.case_assign(case=case, assignee=self.editor, by=self.supervisor)
        self.flow.case_start_verification(case=case, by=self.intake)
        shot = self.screenshot(case, first, by=self.verifier, description="微博帖截图")
        cases.finding_record(
            case=case, verdict=Verdict.FALSE, by=self.verifier, evidence=[shot],
            reasoning="西瓜注射后针眼处极易腐烂变质，“打针催红催甜”不具可操作性；市场监管抽检未发现相关问题。",
            sources=[{"title": "夏季瓜果消费提示", "publisher": "上海市市场监督管理局"}],
        )
        self.flow.case_confirm_rumour(case=case, by=self.verifier)
        self.notice(
            case, submit=False, title="“打针西瓜”不靠谱",
            claim="网传商贩给未成熟西瓜注射甜蜜素、胭脂红，使其变红变甜。", verdict="false",
            body="西瓜注射液体后，针眼处很快腐烂变质，无法正常销售；注射色素也难以均匀渗透瓜瓤。“打针西瓜”"
                 "不具可操作性。选购西瓜请到正规市场。",
        )
        return case

    # closed, not a rumour

    def metro_closure(self) -> Case:
        report = self.report(
            "weibo", "demo-wb-metro-001", "网传今早地铁某号线一车站因信号故障临时封站，乘客只能改乘公交，是真的吗？",
            hours_ago=6, views=3200, reposts=41, source=ReportSource.AUTOMATED_DETECTION,
            author=AuthorInput("wb-3381902266", "通勤打工人日记", followers=950))
        case = report.case
        self.flow.case_start_verification(case=case, by=self.intake)
        self.ask(case, Authority.TRANSPORT, "上海市交通委员会", "请核实今早该站是否因故障临时封站。",
                 answer="属实。该站今日7时50分至8时35分因信号设备故障临时封站，已恢复运营。")
        cases.finding_record(case=case, verdict=Verdict.TRUE, by=self.verifier,
                             reasoning="交通部门确认该站确因信号故障临时封站，现已恢复。",
                             sources=[{"title": "运营信息", "publisher": "上海市交通委员会"}])
        self.flow.case_clear(case=case, by=self.verifier, reason="经交通部门确认属实，不属谣言。")
        return case

    # closed, unverifiable

    def night_blast(self) -> Case:
        report = self.report(
            "douyin", "demo-dy-blast-001",
            "半夜被一声巨响吓醒，整栋楼都在晃，听说隔壁小区燃气爆炸了，有没有人知道怎么回事？",
            hours_ago=40, views=3900, reposts=12, content_type=ContentType.VIDEO,
            author=AuthorInput("dy-10293847", "夜猫子阿强", followers=420))
        case = report.case
        self.flow.case_start_verification(case=case, by=self.intake)
        self.capture(case, report, by=self.verifier, description="原视频已被发布者删除，仅留存页面文字")
        self.ask(case, Authority.EMERGENCY, "区应急管理局", "请核实当夜该区域是否发生燃气爆炸或其他事故。",
                 answer="当夜未接到燃气爆炸警情和事故报告。")
        cases.finding_record(case=case, verdict=Verdict.UNVERIFIABLE, by=self.verifier,
                             reasoning="发布者已删帖，无法取得原始视频；相关部门未接警情，巨响来源无法确认。")
        self.flow.case_close_unverifiable(case=case, by=self.supervisor,
                                         reason="原始材料灭失，相关部门无记录，现有材料不足以判定真伪。")
        return case

    # closed, out of scope

    def restaurant_review(self) -> Case:
        report = self.report(
            "dianping", "demo-dp-review-001", "这家店服务态度太差，菜里还有头发，找店长理论也不给退，大家避雷！",
            hours_ago=26, views=1500, category=Category.OTHER, source=ReportSource.USER_REPORT,
            reason="商家投诉：该评价为不实信息，要求删除",
            author=AuthorInput("dp-77120013", "爱吃辣的小周", followers=230))
        self.flow.case_dismiss(case=report.case, by=self.supervisor,
                              reason="系消费者评价与商家纠纷，不属网络谣言治理范围，已告知商家通过平台申诉渠道处理。")
        return report.case

    # verifying, with a question to the authorities still open

    def school_canteen(self) -> Case:
        report = self.report(
            "weibo", "demo-wb-canteen-001",
            "刚听家长群里说，某区一所小学中午食堂集体食物中毒，三十多个孩子被救护车拉走了！",
            hours_ago=3, views=5400, reposts=77, author=AuthorInput("wb-7710395562", "某区家长圈", followers=12800))
        case = report.case
        cases.case_assign(case=case, assignee=self.verifier, by=self.supervisor)
        cases.case_party_add(case=case, role=PartyRole.REPORTER, name="赵某某", contact="parent-0002@example.com",
                             by=self.supervisor, notes="学生家长，通过12377举报。")
        self.flow.case_start_verification(case=case, by=self.intake, reason="涉学生健康，优先核查")
        self.screenshot(case, report, by=self.verifier, description="微博帖截图，内含家长群聊天截图")
        self.ask(case, Authority.EDUCATION, "区教育局", "请核实该校当日午餐后是否有学生集体就医。")
        self.ask(case, Authority.HEALTH, "区卫生健康委员会", "请核实当日是否接报学生群体性食源性疾病。")
        return case

    # discovered: just in

    def kidney_theft(self) -> Case:
        # Weibo CED post 145 (2012), an old urban legend on the move again.
        report = self.report(
            "zhihu", "demo-zh-kidney-001",
            "四川1大学女生去参加庆祝,喝了很多酒，有个年轻帅对其百般调情挑逗，该女生终于答应与这个帅哥去酒店。房间里，"
            "该女生喝了些酒，慢慢地她开始觉得不清醒，然后就睡著了。当该女生再醒来时，发现自己全身赤裸地在满是血和冰的"
            "浴缸中，结果她发现有两条九寸长的割伤口在背部下方，原来，她的肾脏被偷了！",
            hours_ago=2, views=900, reposts=14, author=AuthorInput("zh-4410021", "知乎用户4410021", followers=35))
        return report.case

    def plate_restriction(self) -> Case:
        data = ReportInput(
            external_id="demo-wx-plates-001", content="重磅！下月起外地牌照车辆全天禁止进入外环，违者一次罚款2000元！",
            posted_at=self.now - timedelta(hours=1), url="https://wechat.example/p/demo-wx-plates-001",
            language="zh-hans", views=12000, reposts=0,
            author=AuthorInput("wx-gh-20931", "魔都车事", "魔都车事", AccountType.SELF_MEDIA, 51000),
        )
        return cases.report_submit_by_staff(by=self.intake, platform=self.platforms["wechat"], data=data).case

"""One case through the whole office in a real browser, as the people who work it would.

Each person signs in through the sign-in form in a browser context of their own; the platform
answers its disposal order over the API with its token, as a platform's systems would. Only what
has no page in the staff UI (users and roles, the platform, the legal catalogue, the API token)
is set up through the services. The UI is switched to English (the `django_language` cookie) so the
locators below keep working whatever the Chinese catalogue says; one short check looks at the
Chinese sign-in page first.
"""

import hashlib
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from rumorcases.bulletins.models import Bulletin
from rumorcases.cases.choices import CaseStatus, Resolution, Verdict
from rumorcases.cases.models import Case
from rumorcases.core import roles
from rumorcases.disposal.models import DisposalOrder, LegalProvision, Penalty
from rumorcases.notices.models import DebunkNotice
from rumorcases.platforms.models import Platform
from rumorcases.platforms.services import api_token_create
from tests.conftest import PNG, make_user

pytestmark = pytest.mark.django_db(transaction=True)

AUTHOR_HANDLE = "jiangnan_insider"
AUTHOR_NAME = "江南知情人"
REVIEW_COMMENT = "内部意见：第二段措辞可再斟酌（仅供内部）"
NOTICE_TITLE = "关于“浦江水厂被污染”的辟谣"
NOTICE_BODY = "经市水务局核实，浦江水厂水质各项指标正常，网传“水厂被污染”系谣言。"


def label(text: str) -> re.Pattern:
    """A field's label as Django renders it ("Title:"), matched whole so "Title" is not "English title"."""
    return re.compile(rf"^\s*{re.escape(text)}\s*[:：]?\s*$")


@pytest.fixture
def contexts():
    """Every browser context a test opens, closed at its end even when a step failed."""
    opened = []
    yield opened
    for context in opened:
        context.close()


def new_context(chromium, contexts):
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                   timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    contexts.append(context)
    return context


def sign_in(chromium, contexts, base_url: str, username: str):
    """A person at their own browser: English UI, signed in through the sign-in form."""
    context = new_context(chromium, contexts)
    context.add_cookies([{"name": "django_language", "value": "en", "url": base_url}])
    page = context.new_page()
    page.goto(base_url + "/staff/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-" + username)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    return page


def click_and_wait(page, locator):
    with page.expect_navigation():
        locator.click()


def expect_message(page, text):
    expect(page.get_by_role("status")).to_contain_text(text)


def fire_transition(page, name: str, reason: str = ""):
    """A transition button on the case overview: open its form, give the reason, confirm."""
    action = page.locator("details.action").filter(has=page.locator("summary", has_text=name))
    action.locator("summary").click()
    if reason:
        action.get_by_label(label("Reason")).fill(reason)
    click_and_wait(page, action.locator("form").get_by_role("button", name=name))


def open_case_tab(page, base_url: str, reference: str, tab: str):
    page.goto(f"{base_url}/staff/cases/{reference}/")
    if tab != "Overview":
        click_and_wait(page, page.get_by_role("navigation", name="Case sections").get_by_role("link", name=tab))
    expect(page.get_by_role("link", name=tab)).to_have_attribute("aria-current", "page")


def api(platform_request, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """The platform's own systems calling the API with their token (no cookies, no staff session)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    response = platform_request.fetch(path, method=method, headers=headers,
                                      data=json.dumps(body) if body is not None else None)
    return response.status, response.json()


def test_sign_in_page_is_chinese_by_default(live_server, browser_context, shots):
    page = browser_context.new_page()
    page.goto(live_server.url + "/staff/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    shots(page, "sign in in chinese")
    with translation.override("zh-hans"):
        heading = translation.gettext("Sign in")
    if heading == "Sign in":
        pytest.skip("the zh-hans catalogue has no translation of “Sign in” yet")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def test_a_case_from_discovery_to_the_public_notice(live_server, chromium, contexts, shots, tmp_path):
    base = live_server.url
    # --- set-up: what has no page in the staff UI ---
    roles.sync_roles()  # a transactional test's flush removes the groups the data migration made
    make_user("alice", roles.INTAKE_OFFICER)
    make_user("victor", roles.VERIFIER)
    make_user("nora", roles.NOTICE_EDITOR)
    make_user("rita", roles.REVIEWER)
    make_user("dora", roles.DISPOSAL_OFFICER)
    make_user("sam", roles.SUPERVISOR)
    make_user("paul", roles.PUBLISHER)
    make_user("pia", roles.PUBLISHER)
    platform = Platform.objects.create(slug="weibo", name="新浪微博", name_en="Weibo", is_key=True,
                                       webhook_url="")  # no webhook: nothing leaves the machine
    provision = LegalProvision.objects.create(code="csl-12", law="中华人民共和国网络安全法", article="第十二条")
    _token, token = api_token_create(platform=platform, name="moderation system", by=None, system=True,
                                     scopes=["orders:read", "orders:write"])
    screenshot = tmp_path / "post.png"
    screenshot.write_bytes(PNG)
    proof = tmp_path / "water-bureau-statement.png"
    proof.write_bytes(PNG)

    # --- 1. the intake officer records a post the office's monitoring found ---
    alice = sign_in(chromium, contexts, base, "alice")
    shots(alice, "alice signed in")
    click_and_wait(alice, alice.get_by_role("navigation", name="Main").get_by_role("link", name="Record a post"))
    expect(alice.get_by_role("heading", level=1)).to_have_text("Record a post found by monitoring")
    alice.get_by_label(label("Platform")).select_option(label="新浪微博")
    alice.get_by_label(label("Post URL")).fill("https://weibo.example/5012345678901234")
    alice.get_by_label(label("Post title")).fill("浦江水厂被污染")
    alice.get_by_label(label("Post text")).fill("网传浦江水厂被污染，请大家这两天不要喝自来水！")
    alice.get_by_label(label("Author account id")).fill("7788990011")
    alice.get_by_label(label("Author handle")).fill(AUTHOR_HANDLE)
    alice.get_by_label(label("Author display name")).fill(AUTHOR_NAME)
    alice.get_by_label(label("Views")).fill("1200")
    alice.get_by_label(label("Reposts")).fill("80")
    alice.get_by_label(label("Screenshots")).set_input_files(str(screenshot))
    shots(alice, "record a post filled in")
    click_and_wait(alice, alice.get_by_role("button", name="Record the post"))
    expect_message(alice, "opened a new case")
    reference = alice.locator(".case-header .ref").inner_text().strip()
    assert re.fullmatch(r"RC-\d{4}-\d{6}", reference)
    case = Case.objects.get(reference=reference)
    assert case.status == CaseStatus.DISCOVERED
    report = case.reports.get()
    assert (report.author.handle, report.views, report.reposts) == (AUTHOR_HANDLE, 1200, 80)
    assert case.evidence.count() == 1  # the screenshot, stored as evidence
    expect(alice.locator(".case-header .badge")).to_have_text("Discovered")
    expect(alice.get_by_role("table").filter(has_text=AUTHOR_HANDLE)).to_contain_text("opened this case")
    shots(alice, "new case discovered")

    # --- 2. verification ---
    fire_transition(alice, "Start verification", reason="监测发现，转核查")
    expect_message(alice, "Start verification")
    case.refresh_from_db()
    assert case.status == CaseStatus.VERIFYING
    expect(alice.locator(".case-header .badge")).to_have_text("Verifying")
    shots(alice, "verification started")

    victor = sign_in(chromium, contexts, base, "victor")
    open_case_tab(victor, base, reference, "Verification")
    upload = victor.locator("#evidence-form")
    upload.get_by_label(label("File")).set_input_files(str(proof))
    upload.get_by_label(label("Description")).fill("市水务局情况说明截图")
    shots(victor, "evidence chosen")
    click_and_wait(victor, upload.get_by_role("button", name="Upload"))
    sha256 = hashlib.sha256(PNG).hexdigest()
    expect_message(victor, sha256)
    item = case.evidence.get(original_name="water-bureau-statement.png")
    assert item.sha256 == sha256 and item.uploaded_by.username == "victor"
    expect(victor.locator(f"#evidence-{item.pk} [data-sha256]")).to_have_text(sha256)
    shots(victor, "evidence uploaded")

    finding = victor.locator("#finding-form")
    finding.get_by_label(label("Verdict")).select_option(label="False")
    finding.get_by_label(label("Reasoning")).fill("市水务局确认水质正常，未发生污染。")
    finding.get_by_label(label("Authoritative sources")).fill(
        "市水务局情况说明 | https://water.example.gov.cn/notice/1 | 市水务局")
    finding.get_by_role("checkbox", name=re.compile(r"water-bureau-statement\.png")).check()
    click_and_wait(victor, finding.get_by_role("button", name="Record finding"))
    expect_message(victor, "Finding recorded: False")
    recorded = case.findings.get()
    assert recorded.verdict == Verdict.FALSE and list(recorded.evidence.all()) == [item]
    assert recorded.sources[0]["url"] == "https://water.example.gov.cn/notice/1"
    shots(victor, "finding recorded")

    open_case_tab(victor, base, reference, "Overview")
    fire_transition(victor, "Confirm rumour")
    case.refresh_from_db()
    assert case.status == CaseStatus.DEBUNKING
    expect(victor.locator(".case-header .badge")).to_have_text("Debunking")
    shots(victor, "rumour confirmed")

    # --- 3. the debunk notice: drafted, reviewed by someone else, published ---
    nora = sign_in(chromium, contexts, base, "nora")
    open_case_tab(nora, base, reference, "Debunk notice")
    draft = nora.locator("#notice-create-form")
    expect(draft.get_by_label(label("Verdict"))).to_have_value("false")  # from the finding
    draft.get_by_label(label("Title")).fill(NOTICE_TITLE)
    draft.get_by_label(label("The facts")).fill(NOTICE_BODY)
    preview = nora.locator("#new-notice-preview")
    # The live preview (htmx) follows the typing; wait for it before saving.
    expect(preview.get_by_role("heading", name=NOTICE_TITLE, exact=True)).to_be_visible()
    expect(preview).to_contain_text(NOTICE_BODY)
    shots(nora, "notice draft with live preview")
    click_and_wait(nora, draft.get_by_role("button", name="Save draft"))
    expect_message(nora, "Draft notice saved as version 1")
    notice = DebunkNotice.objects.get(case=case)
    assert notice.status == "draft" and notice.current_version.title == NOTICE_TITLE
    click_and_wait(nora, nora.get_by_role("button", name="Submit for review"))
    expect_message(nora, "submitted for review")
    notice.refresh_from_db()
    assert notice.status == "in_review"
    shots(nora, "notice submitted for review")

    rita = sign_in(chromium, contexts, base, "rita")
    open_case_tab(rita, base, reference, "Debunk notice")
    review = rita.get_by_role("region", name="Review")
    review.get_by_label("Approve").check()
    review.get_by_label(label("Comments")).fill(REVIEW_COMMENT)
    shots(rita, "review filled in")
    click_and_wait(rita, review.get_by_role("button", name="Record decision"))
    expect_message(rita, "Notice approved")
    notice.refresh_from_db()
    assert notice.status == "approved" and notice.approved_by.username == "rita"
    expect(rita.get_by_role("region", name="Reviews")).to_contain_text(REVIEW_COMMENT)
    shots(rita, "notice approved")

    paul = sign_in(chromium, contexts, base, "paul")
    open_case_tab(paul, base, reference, "Debunk notice")
    click_and_wait(paul, paul.get_by_role("button", name="Publish debunk"))
    expect_message(paul, "published; the case moved on to disposal")
    notice.refresh_from_db()
    case.refresh_from_db()
    assert notice.status == "published" and notice.document_number
    assert case.status == CaseStatus.DISPOSING
    public_link = paul.locator("dl.facts").get_by_role("link", name=re.compile("notices"))
    public_path = f"/notices/{notice.public_id}/"
    expect(public_link).to_have_attribute("href", public_path)
    shots(paul, "notice published")

    # --- 4. disposal: penalty proposed, approved by another, order issued ---
    dora = sign_in(chromium, contexts, base, "dora")
    open_case_tab(dora, base, reference, "Disposal")
    account = report.author
    row = dora.locator(f"#account-{account.pk}")
    expect(row.get_by_role("heading", level=3)).to_contain_text("@" + AUTHOR_HANDLE)
    propose = row.locator("details.propose")
    if propose.get_attribute("open") is None:
        propose.locator("summary").click()
    propose.get_by_label(label("Measure")).select_option("posting_ban")
    propose.get_by_label(label("Duration (days)")).fill("30")
    propose.get_by_label(label("Legal provision")).select_option(str(provision.pk))
    propose.get_by_label(label("Role in the case")).select_option("originator")
    propose.get_by_label(label("Reasoning")).fill("首发谣言，造成恐慌")
    shots(dora, "penalty proposal filled in")
    click_and_wait(dora, propose.get_by_role("button", name="Propose", exact=True))
    expect_message(dora, "Penalty proposed")
    penalty = Penalty.objects.get(case=case)
    assert (penalty.status, penalty.measure, penalty.duration_days) == ("proposed", "posting_ban", 30)
    row = dora.locator(f"#penalty-{penalty.pk}")
    expect(row).to_contain_text("Awaiting approval by someone other than its proposer.")
    expect(row.get_by_role("button", name="Approve")).to_have_count(0)  # four eyes
    shots(dora, "penalty proposed")

    sam = sign_in(chromium, contexts, base, "sam")
    open_case_tab(sam, base, reference, "Disposal")
    click_and_wait(sam, sam.locator(f"#penalty-{penalty.pk}").get_by_role("button", name="Approve"))
    expect_message(sam, "Penalty approved")
    penalty.refresh_from_db()
    assert penalty.status == "approved" and penalty.approved_by.username == "sam"
    shots(sam, "penalty approved by a supervisor")

    dora.reload()
    issue = dora.locator("#issue-weibo")
    issue.locator("summary").click()
    expect(issue.get_by_role("checkbox", name=re.compile(r"5012345678901234"))).to_be_checked()
    expect(issue.get_by_role("checkbox", name=re.compile("Posting ban"))).to_be_checked()
    issue.get_by_label(label("Instructions to the platform")).fill("删除原帖并禁言30天")
    shots(dora, "order to the platform filled in")
    click_and_wait(dora, issue.get_by_role("button", name="Issue the order"))
    expect_message(dora, "issued to 新浪微博")
    order = DisposalOrder.objects.get(case=case)
    assert order.status == "issued" and order.items.count() == 2
    expect(dora.get_by_role("heading", level=2, name=re.compile(order.reference))).to_be_visible()
    shots(dora, "order issued")
    # Off the order page while the platform answers: it re-reads itself every 30 s (htmx).
    click_and_wait(dora, dora.get_by_role("link", name="Back to disposal"))

    # --- 5. the platform answers the order over the API ---
    platform_api = chromium.new_context(base_url=base)  # the platform's systems, not a browser
    contexts.append(platform_api)
    http = platform_api.request
    status, body = api(http, token, "GET", f"/api/v1/orders/{order.pk}/")
    assert status == 200 and body["reference"] == order.reference and body["status"] == "issued"
    status, body = api(http, token, "POST", f"/api/v1/orders/{order.pk}/acknowledge/")
    assert status == 200 and body["status"] == "acknowledged"
    done_at = (timezone.now() - timedelta(minutes=5)).isoformat()
    results = [{"item": item["id"], "executed": True, "at": done_at, "note": "已处理"} for item in body["items"]]
    status, body = api(http, token, "POST", f"/api/v1/orders/{order.pk}/complete/", {"results": results})
    assert status == 200 and body["status"] == "completed"
    order.refresh_from_db()
    penalty.refresh_from_db()
    assert order.status == "completed" and penalty.status == "executed"

    dora.reload()
    orders = dora.get_by_role("table").filter(has_text=order.reference)
    expect(orders.get_by_role("row", name=re.compile(order.reference)).locator(".badge")).to_have_text("Completed")
    click_and_wait(dora, orders.get_by_role("link", name=order.reference))
    status_card = dora.locator("#order-status")
    expect(status_card.locator(".badge")).to_have_text("Completed")
    expect(status_card).not_to_contain_text("not yet")  # acknowledged and completed times shown
    expect(dora.get_by_role("table").filter(has_text="Posting ban")).to_contain_text("已处理")
    shots(dora, "order completed by the platform")

    open_case_tab(dora, base, reference, "Overview")
    fire_transition(dora, "Complete disposal")
    case.refresh_from_db()
    assert case.status == CaseStatus.EXPOSING
    expect(dora.locator(".case-header .badge")).to_have_text("Exposing")
    shots(dora, "disposal completed")

    # --- 6. the exposure bulletin: assembled by one publisher, published by another ---
    click_and_wait(paul, paul.get_by_role("navigation", name="Main").get_by_role("link", name="Bulletins"))
    click_and_wait(paul, paul.get_by_role("link", name="New bulletin"))
    today = timezone.localdate().isoformat()
    paul.get_by_label(label("Title")).fill("网络谣言曝光台（第一期）")
    paul.get_by_label(label("Period start")).fill(today)
    paul.get_by_label(label("Period end")).fill(today)
    click_and_wait(paul, paul.get_by_role("button", name="Draft the bulletin"))
    expect_message(paul, "drafted")
    bulletin = Bulletin.objects.get()
    click_and_wait(paul, paul.get_by_role("link", name=f"Add {reference}"))
    expect(paul.get_by_label(label("Headline"))).to_have_value(case.title)
    paul.get_by_label(label("Headline")).fill("浦江水厂被污染？谣言！")
    shots(paul, "bulletin entry")
    click_and_wait(paul, paul.get_by_role("button", name="Add to the bulletin"))
    expect_message(paul, f"{reference} added to the bulletin")
    assert list(bulletin.entries.values_list("case__reference", flat=True)) == [reference]
    click_and_wait(paul, paul.get_by_role("button", name="Submit for review"))
    expect_message(paul, "submitted for review")
    expect(paul.get_by_role("button", name="Approve and publish")).to_have_count(0)  # not its drafter
    bulletin.refresh_from_db()
    assert bulletin.status == "in_review"
    shots(paul, "bulletin submitted")

    pia = sign_in(chromium, contexts, base, "pia")
    pia.goto(f"{base}/staff/bulletins/{bulletin.pk}/")
    click_and_wait(pia, pia.get_by_role("button", name="Approve and publish"))
    expect_message(pia, "1 case closed as exposed")
    bulletin.refresh_from_db()
    case.refresh_from_db()
    assert bulletin.status == "published" and bulletin.issue_number == 1
    assert (case.status, case.resolution) == (CaseStatus.CLOSED, Resolution.EXPOSED)
    expect(pia.locator(f"#entry-{bulletin.entries.get().pk}")).to_contain_text("Closed")
    shots(pia, "bulletin published")

    # --- 7. the public notice page, reached from the staff UI, read by anyone ---
    open_case_tab(pia, base, reference, "Debunk notice")
    public_url = pia.locator("dl.facts").get_by_role("link", name=re.compile("notices")).get_attribute("href")
    assert public_url == public_path
    reader = new_context(chromium, contexts).new_page()  # anyone: no sign-in, Chinese
    reader.goto(base + public_url)
    with translation.override("zh-hans"):
        verdict = str(Verdict.FALSE.label)
    expect(reader.get_by_role("heading", level=1)).to_have_text(NOTICE_TITLE)
    expect(reader.locator(".verdict")).to_have_text(verdict)
    expect(reader.locator("body")).to_contain_text(NOTICE_BODY)
    expect(reader.locator("body")).to_contain_text(notice.document_number)
    text = reader.locator("body").inner_text()
    for private in (REVIEW_COMMENT, AUTHOR_HANDLE, AUTHOR_NAME, "7788990011", "rita", "nora", "paul", reference):
        assert private not in text, f"the public notice page shows {private!r}"
    assert reader.get_by_role("button", name=re.compile("Sign out|退出")).count() == 0
    shots(reader, "public notice page")

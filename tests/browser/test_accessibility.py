"""Every kind of staff and public page checked by axe-core (WCAG 2 A and AA rules) in Chromium.

axe-core comes from the npm registry with the project's other front-end packages
(package-lock.json) and is injected from node_modules: nothing is fetched. The pages are those
of the demo data and the public site, in Chinese (the default) and in English, signed in as the
supervisor, who sees every form. Any violation, whatever its impact, fails the test with the rule, the page and the
offending elements.
"""

from pathlib import Path

import pytest
from django.conf import settings

from rumorcases.bulletins.models import Bulletin
from rumorcases.cases.choices import CaseStatus
from rumorcases.cases.models import Case
from rumorcases.core import demo, roles
from rumorcases.disposal.models import Account, DisposalOrder
from rumorcases.notices.choices import NoticeStatus
from rumorcases.notices.models import DebunkNotice
from rumorcases.notices.selectors import notice_public_path

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def demo_pages(settings):
    settings.DEBUG = True  # the demo refuses to run without it
    roles.sync_roles()  # a transactional test's flush removed the groups the migration made
    demo.demo_load()
    case = {status: Case.objects.filter(status=status).first() for status in CaseStatus}
    disposing = case[CaseStatus.DISPOSING]
    published = Bulletin.objects.exclude(issue_number=None).first()
    return [
        ("/staff/", "my work"),
        ("/staff/reports/new/", "record a post"),
        (f"/staff/cases/{case[CaseStatus.DISCOVERED].reference}/", "workbench"),
        (f"/staff/cases/{case[CaseStatus.VERIFYING].reference}/verification/", "verification"),
        (f"/staff/cases/{case[CaseStatus.DEBUNKING].reference}/notice/", "notice"),
        (f"/staff/cases/{disposing.reference}/disposal/", "disposal"),
        (f"/staff/cases/{disposing.reference}/disposal/orders/"
         f"{DisposalOrder.objects.filter(case=disposing).first().reference}/", "order"),
        ("/staff/bulletins/", "bulletins"),
        (f"/staff/bulletins/{Bulletin.objects.order_by('-id').first().pk}/", "bulletin"),
        ("/staff/accounts/", "accounts"),
        (f"/staff/accounts/{Account.objects.exclude(subject=None).first().pk}/", "account"),
        ("/staff/dashboard/", "dashboard"),
        ("/staff/notifications/", "notifications"),
        (notice_public_path(DebunkNotice.objects.filter(status=NoticeStatus.PUBLISHED).first()), "public notice"),
        ("/", "public home"),
        ("/search/?q=%E8%B0%A3", "public search"),
        ("/bulletins/", "public bulletins"),
        (f"/bulletins/{published.year}/{published.issue_number}/", "public bulletin"),
        (f"/bulletins/{published.year}/{published.issue_number}/accounts/", "public accounts acted on"),
    ]


def _violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const rules = {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}};
        const r = await axe.run(document, rules);
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {v['nodes']}" for v in result]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_pass_axe(language, live_server, chromium, demo_pages):
    # axe-core goes in as an inline script, which the site's own CSP rightly refuses.
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    try:
        page = context.new_page()
        page.goto(live_server.url + "/staff/login/")
        problems = [f"sign in: {v}" for v in _violations(page)]
        page.fill("#id_username", "supervisor")
        page.fill("#id_password", demo.DEFAULT_PASSWORD)
        with page.expect_navigation():
            page.locator("button[type=submit].primary").click()
        for path, name in demo_pages:
            response = page.goto(live_server.url + path)
            assert response.status < 400, (name, path, response.status)
            problems += [f"{name} ({path}): {v}" for v in _violations(page)]
    finally:
        context.close()
    assert not problems, "\n".join(problems)

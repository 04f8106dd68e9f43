"""The browser can reach the staff UI at all: sign-in page, in Chinese, keyboard first."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_page_renders_in_chinese(live_server, browser_context, shots):
    page = browser_context.new_page()
    page.goto(live_server.url + "/staff/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    # The cursor starts in the username field; the first focusable element is the skip link, so
    # keyboard users elsewhere can jump past the header.
    assert page.evaluate("document.activeElement.name") == "username"
    first = "document.querySelector('a[href], button, input:not([type=hidden]), select, textarea').className"
    assert page.evaluate(first) == "skip-link"
    shots(page, "sign in")
    assert page.get_by_label("Username").or_(page.get_by_label("用户名")).count() == 1

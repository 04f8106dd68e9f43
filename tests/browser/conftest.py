"""Browser tests: Playwright driving the Chromium of Debian's `chromium` package.

The browser is never downloaded: the tests launch the binary at RUMORCASES_CHROMIUM (default
/usr/bin/chromium) with `executable_path`. Without it the tests are skipped, and the run says so
at its end; with RUMORCASES_REQUIRE_BROWSER=1 (as `.ci/run` sets) a missing browser fails them.
Screenshots of every step land in test-artifacts/browser/<test name>/.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("RUMORCASES_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("RUMORCASES_REQUIRE_BROWSER", "0") == "1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"

# Playwright's sync API runs an event loop in the test's thread; the test's own ORM calls (set-up,
# assertions) are still plain synchronous code and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_skipped_because: list[str] = []


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (requirements-test.txt)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (Debian package `chromium`; or set RUMORCASES_CHROMIUM)"
    return None


@pytest.fixture(scope="session")
def chromium():
    problem = _missing()
    if problem:
        if REQUIRED:
            pytest.fail(f"Browser tests required (RUMORCASES_REQUIRE_BROWSER=1) but {problem}", pytrace=False)
        _skipped_because.append(problem)
        pytest.skip(f"browser tests skipped: {problem}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield browser
        browser.close()


class Shots:
    """Numbered screenshots of one test's steps."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def __call__(self, page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request):
    return Shots(ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))


@pytest.fixture
def browser_context(chromium):
    # A laptop-sized window, Chinese first as the office's browsers are, Beijing time.
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                   timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    yield context
    context.close()


def pytest_terminal_summary(terminalreporter):
    if _skipped_because:
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", yellow=True, bold=True)
        terminalreporter.write_line(f"Browser tests did not run: {_skipped_because[0]}.")
        terminalreporter.write_line("Install Debian's chromium package to run them; .ci/run does.")

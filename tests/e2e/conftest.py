"""Browser tests: Playwright driving Debian's Chromium against a live server.

No browser is downloaded: Playwright launches /usr/bin/chromium (installed by
`.ci/run`). Without it these tests are skipped locally and fail in CI
(CASETRACKER_REQUIRE_BROWSER=1).
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CASETRACKER_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; the live server
# and the ORM calls in these tests are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        if os.environ.get("CASETRACKER_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(
    params=[("phone", 390, 844), ("desktop", 1280, 900)], ids=lambda p: p[0]
)
def viewport(request):
    return request.param


@pytest.fixture
def page(browser, live_server, viewport, request):
    """A fresh browser context (no cookies) at phone or desktop width.

    Console errors and CSP violations fail the test.
    """
    name, width, height = viewport
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="zh-CN",
        base_url=live_server.url,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.viewport_name = name
    # A test that provokes an error on purpose lists the text it expects.
    page.expected_console_errors = []
    yield page
    context.close()
    unexpected = [
        p for p in problems if not any(e in p for e in page.expected_console_errors)
    ]
    assert not unexpected, f"browser console errors: {unexpected}"


@pytest.fixture
def screenshot(page, request):
    """Save a full-page screenshot under test-artifacts/ (for people to look at)."""

    def take(label: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = (
            ARTIFACTS / f"{request.node.originalname}-{page.viewport_name}-{label}.png"
        )
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

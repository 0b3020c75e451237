"""Headless Chromium (Debian's build) against pytest-django's live server.

The browser is the system's Chromium named by ZHENGTONG_CHROMIUM, never one
downloaded by Playwright: the machines that run the suite have no access to
the browser builds' download site. Playwright is started per module, so that
other modules' browser tests can start their own.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    sync_playwright,
)

from tests.browser.viewports import DESKTOP

# Playwright's sync API runs an event loop in the test's thread; Django would
# otherwise refuse the test's own database calls (creating the cast) there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


CHROMIUM = os.environ.get("ZHENGTONG_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def playwright(django_db_setup: None) -> Iterator[Playwright]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (set ZHENGTONG_CHROMIUM)")
    # Django keeps one connection per thread, but a separate one per context
    # once an event loop runs in the thread, and Playwright's sync API runs one.
    # The test database was set up (and its seeded rows, such as the built-in
    # roles, serialised for serialized_rollback) on the connection from before
    # the loop; hand that snapshot to the connection the tests will use, or the
    # second browser test would start from a flushed database without roles.
    snapshots = {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }
    with sync_playwright() as running:
        for alias, snapshot in snapshots.items():
            if snapshot is not None:
                connections[alias]._test_serialized_contents = snapshot  # type: ignore[attr-defined]
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    opened = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # Documents answered with 403/404 on purpose are logged as failed
        # loads; a failed asset is caught by on_response instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type not in ("document", "fetch"):
            problems.append(f"{response.status} for {response.url}")

    # A script error, a Content-Security-Policy refusal or a missing asset fails the test.
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on("console", on_console)
    opened.on("response", on_response)
    yield opened
    assert problems == []


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS

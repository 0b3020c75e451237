"""Pages for the portal's browser tests; the browser itself comes from
zhengtong.testing.browser (loaded by the root conftest.py)."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
)

from tests.browser.viewports import DESKTOP


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

"""Pages for the portal's browser tests; the browser itself comes from
zhengtong.testing.browser (loaded by the root conftest.py)."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
)

from tests.browser.viewports import DESKTOP
from tests.browser.watch import watch


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    yield made
    made.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    problems: list[str] = []
    yield watch(context.new_page(), problems)
    assert problems == []

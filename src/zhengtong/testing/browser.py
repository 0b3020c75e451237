"""Pytest fixtures that drive Debian's headless Chromium against the live server.

The browser is the system's Chromium named by ZHENGTONG_CHROMIUM, never one
downloaded by Playwright: the machines that run the suite cannot reach the
browser builds' download site. Loaded for the whole suite by the root
conftest.py; Playwright is started per module so modules do not collide.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, Playwright, sync_playwright

CHROMIUM = os.environ.get("ZHENGTONG_CHROMIUM") or "/usr/bin/chromium"
# Without the background-networking switches Chromium keeps trying to reach
# outside hosts, which the closed networks it runs on refuse.
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
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def playwright(django_db_setup: None) -> Iterator[Playwright]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (set ZHENGTONG_CHROMIUM)")
    # Playwright's sync API runs an event loop in the test's thread; Django
    # would otherwise refuse the test's own database calls there.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # Django keeps a separate connection once an event loop runs in the
    # thread. The test database's seeded rows (such as the built-in roles) were
    # serialised for serialized_rollback on the connection from before the
    # loop; hand that snapshot to the one the tests will use, or the second
    # browser test would start from a flushed database without roles.
    snapshots = {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }
    try:
        with sync_playwright() as running:
            for alias, snapshot in snapshots.items():
                if snapshot is not None:
                    # A private attribute of Django's test runner, hence no type.
                    connections[alias]._test_serialized_contents = snapshot  # type: ignore[attr-defined]
            yield running
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS

"""The auditor checks an entry's proof in a real browser (headless Chromium).

The page's script recomputes the leaf hash from the row, fetches the proof
and the signed tree head, and recomputes the root with WebCrypto: these tests
are the only place where that JavaScript runs.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, Route, expect
from pytest_django.live_server_helper import LiveServer

from zhengtong.core.actors import Actor
from zhengtong.ledger.actions import do_seal_ledger
from zhengtong.ledger.tests.cast import LedgerCast, append, make_cast

pytestmark = [
    pytest.mark.browser,
    # Roles are seeded by a data migration; serialized rollback restores them
    # after each test flushes the live server's database.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def auditor_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    cast: LedgerCast = make_cast()
    # Log in with a session made on the server side, not through the portal's form.
    client = Client()
    client.force_login(cast.auditor)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    # A missing script or stylesheet is a failure; the favicon is not ours.
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type in ("script", "stylesheet")
            else None
        ),
    )
    yield page
    context.close()
    # A script error or a Content-Security-Policy refusal fails the test.
    assert problems == []


def _open(page: Page, live_server: LiveServer, action: str) -> None:
    page.goto(f"{live_server.url}/audit/?action={action}")
    expect(page.get_by_role("heading", level=1)).to_have_text("审计记录")


def test_a_sealed_entry_passes_its_check_in_the_browser(
    auditor_page: Page, live_server: LiveServer, screenshots: Path
) -> None:
    append(5, action="core.browser_check")
    append(6, action="core.other")
    do_seal_ledger(actor=Actor.system("test"))
    _open(auditor_page, live_server, "core.browser_check")
    rows = auditor_page.locator("tbody tr")
    expect(rows).to_have_count(5)
    for n in (0, 3):
        rows.nth(n).get_by_role("button", name="在浏览器中验证").click()
        verdict = rows.nth(n).locator(".ledger-verdict")
        expect(verdict).to_contain_text("通过")
        expect(verdict).not_to_contain_text("不通过")
        # Chromium checks the Ed25519 signature of the tree head too.
        expect(verdict).to_contain_text("树头签名有效。")
    auditor_page.screenshot(path=screenshots / "ledger-audit.png", full_page=True)


def test_a_proof_that_does_not_lead_to_the_signed_root_fails(
    auditor_page: Page, live_server: LiveServer
) -> None:
    append(7, action="core.browser_check")
    do_seal_ledger(actor=Actor.system("test"))

    def corrupt(route: Route) -> None:
        body = route.fetch().json()
        first = body["proof"][0]
        body["proof"][0] = ("0" if first[0] != "0" else "1") + first[1:]
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    auditor_page.route("**/inclusion-proof*", corrupt)
    _open(auditor_page, live_server, "core.browser_check")
    row = auditor_page.locator("tbody tr").first
    row.get_by_role("button", name="在浏览器中验证").click()
    verdict = row.locator(".ledger-verdict")
    expect(verdict).to_contain_text("不通过")
    expect(verdict).to_contain_text("由证明重算的树根与签名树头不符。")


def test_an_entry_whose_shown_fields_differ_from_its_leaf_fails(
    auditor_page: Page, live_server: LiveServer
) -> None:
    append(3, action="core.browser_check")
    do_seal_ledger(actor=Actor.system("test"))
    _open(auditor_page, live_server, "core.browser_check")
    button = auditor_page.locator("tbody tr").first.get_by_role("button", name="在浏览器中验证")
    # What the page shows is what gets hashed: a different label is caught.
    button.evaluate("(b) => { b.dataset.actorLabel = '王五'; }")
    button.click()
    verdict = auditor_page.locator("tbody tr").first.locator(".ledger-verdict")
    expect(verdict).to_contain_text("不通过")
    expect(verdict).to_contain_text("叶子摘要")


def test_an_entry_not_yet_sealed_cannot_be_checked_yet(
    auditor_page: Page, live_server: LiveServer
) -> None:
    append(2, action="core.sealed")
    do_seal_ledger(actor=Actor.system("test"))
    append(1, action="core.unsealed")
    _open(auditor_page, live_server, "core.unsealed")
    row = auditor_page.locator("tbody tr").first
    row.get_by_role("button", name="在浏览器中验证").click()
    expect(row.locator(".ledger-verdict")).to_contain_text("该记录尚未被签名树头覆盖")


def test_a_search_swaps_in_results_that_can_be_checked(
    auditor_page: Page, live_server: LiveServer
) -> None:
    append(2, action="core.first_kind")
    append(2, action="core.second_kind")
    do_seal_ledger(actor=Actor.system("test"))
    auditor_page.goto(f"{live_server.url}/audit/")
    auditor_page.evaluate("() => { window.stillThisPage = true; }")
    auditor_page.get_by_label("操作", exact=True).fill("core.second_kind")
    auditor_page.locator("form.ledger-search").get_by_role("button", name="查询").click()
    rows = auditor_page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("core.second_kind")
    # htmx swapped the results in: the page itself was not reloaded.
    assert auditor_page.evaluate("() => window.stillThisPage === true")
    rows.first.get_by_role("button", name="在浏览器中验证").click()
    expect(rows.first.locator(".ledger-verdict")).to_contain_text("通过")

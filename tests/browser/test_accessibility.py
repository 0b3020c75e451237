"""The demo city's pages meet WCAG 2.1 A and AA as far as axe-core can tell, in both languages.

Government sites must be usable with a screen reader, a keyboard and low
vision (GB/T 37668-2019 follows WCAG 2.0's principles and levels). For a
visitor and one account of each kind in the demo city, the entry pages and
the pages they link to are checked with axe-core (the rules tagged wcag2a,
wcag2aa, wcag21a, wcag21aa) in Chinese, and the entry pages again in
English; so are pages that refuse a form sent empty. Any violation fails the
test with the rule, the page and the element.
"""

from collections.abc import Iterator
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import Browser, Page
from pytest_django.live_server_helper import LiveServer

from tests.browser.viewports import DESKTOP
from tests.browser.watch import watch
from zhengtong.demo.city import DEMO_PASSWORD
from zhengtong.demo.tests.test_bad_input import one_account_of_each_kind
from zhengtong.identity.models import User

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
# Where a visitor and each audience start; the pages these link to are checked too.
VISITOR = ["/", "/services/guides/?q=开饭店", "/hotline/new/", "/catalog/", "/login/"]
START: dict[str, list[str]] = {
    "citizen": ["/citizen/", "/services/mine/", "/hotline/mine/", "/licences/mine/"],
    "enterprise": ["/enterprise/", "/services/mine/", "/licences/mine/"],
    "staff": ["/workbench/"],
}
PAGES_PER_ACCOUNT = 15
SKIPPED = ("/static/", "/media/", "/admin/", "/api/", "/i18n/", "/logout/")
DOWNLOADS = (".pdf", ".xlsx", ".csv", ".json", ".png")


@pytest.fixture
def demo_city(live_server: LiveServer) -> str:
    call_command("load_demo", stdout=StringIO())
    return str(live_server.url)


def _pages(browser: Browser, locale: str) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale=locale)
    try:
        yield context.new_page()
    finally:
        context.close()


def _log_in(page: Page, base: str, user: User | None) -> None:
    if user is None:
        return
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _linked(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "main a[href^='/']", "links => links.map(link => link.getAttribute('href'))"
    )
    return [
        h for h in hrefs if not h.startswith(SKIPPED) and not urlsplit(h).path.endswith(DOWNLOADS)
    ]


def wcag_violations(axe: Axe, page: Page, address: str) -> list[str]:
    response: dict[str, Any] = axe.run(page, options=WCAG).response
    found = []
    for violation in response["violations"]:
        for node in violation["nodes"][:3]:
            found.append(
                f"{address}: {violation['id']} ({violation['impact']}) {node['html'][:160]}"
            )
    return found


def _sweep(browser: Browser, base: str, locale: str, *, follow: bool) -> tuple[int, list[str]]:
    axe = Axe()
    checked, problems = 0, []
    accounts = [(None, VISITOR)] + [(u, START[u.audience]) for u in one_account_of_each_kind()]
    for user, starts in accounts:
        who = user.username if user else "visitor"
        for page in _pages(browser, locale):
            console: list[str] = []
            watch(page, console)
            _log_in(page, base, user)
            queue, seen = list(starts), set[str]()
            while queue and len(seen) < PAGES_PER_ACCOUNT:
                address = queue.pop(0)
                if address in seen:
                    continue
                seen.add(address)
                answer = page.goto(f"{base}{address}")
                if answer is None or answer.status != 200:
                    continue
                if "text/html" not in answer.headers.get("content-type", ""):
                    continue  # a material shown in the browser's own viewer
                checked += 1
                problems += [f"{who} {locale} {p}" for p in wcag_violations(axe, page, address)]
                if follow:
                    queue += [a for a in _linked(page) if a not in seen]
            problems += [f"{who} {locale}: {c}" for c in console]
    return checked, problems


def test_the_demo_city_pages_have_no_wcag_violations_in_chinese(
    browser: Browser, demo_city: str
) -> None:
    checked, problems = _sweep(browser, demo_city, "zh-CN", follow=True)
    assert checked > 100  # the accounts' pages were reached and checked
    assert not problems, f"{len(problems)} violations:\n" + "\n".join(problems[:60])


def test_the_entry_pages_have_no_wcag_violations_in_english(
    browser: Browser, demo_city: str
) -> None:
    checked, problems = _sweep(browser, demo_city, "en-US", follow=False)
    assert checked > 20
    assert not problems, f"{len(problems)} violations:\n" + "\n".join(problems[:60])


# Forms sent empty or wrong: the page that refuses them must read as well as the form.
REFUSED_FORMS: list[tuple[str | None, str]] = [
    (None, "/login/"),
    (None, "/hotline/new/"),
    ("caiming", "/catalog/new/"),
    ("clerk-cs-12345", "/hotline/calls/new/"),
]


def test_refused_forms_have_no_wcag_violations(browser: Browser, demo_city: str) -> None:
    axe = Axe()
    problems: list[str] = []
    for username, address in REFUSED_FORMS:
        for page in _pages(browser, "zh-CN"):
            console: list[str] = []
            watch(page, console)
            _log_in(page, demo_city, User.objects.get(username=username) if username else None)
            page.goto(f"{demo_city}{address}")
            page.locator("main form button[type=submit]").last.click()
            page.wait_for_load_state()
            refused = page.locator("main .errorlist, main [role=alert]")
            assert refused.count() > 0, f"{address} showed no error"
            problems += [
                f"{username} {p}" for p in wcag_violations(axe, page, f"{address} (refused)")
            ]
            problems += [f"{username}: {c}" for c in console]
    assert not problems, f"{len(problems)} violations:\n" + "\n".join(problems[:60])

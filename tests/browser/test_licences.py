"""A licence is issued; its holder opens 我的证照 and shares it; whoever receives the
link sees the licence, and the verification URL in its QR code shows it as valid,
until the holder withdraws the link."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_accessibility import wcag_violations
from tests.browser.test_catalog import shoot
from tests.browser.viewports import DESKTOP, NARROW, PHONE
from tests.browser.watch import watch
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actions import do_create_staff
from zhengtong.licences.models import Licence
from zhengtong.licences.tests.cast import (
    PASSWORD,
    LicenceCast,
    issue_food_licence,
    make_licence_cast,
)

pytestmark = [
    pytest.mark.browser,
    # The roles and the licence types are seeded by data migrations; serialized
    # rollback puts them back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def cast(live_server: LiveServer) -> LicenceCast:
    return make_licence_cast()


@pytest.fixture
def licence(cast: LicenceCast) -> Licence:
    return issue_food_licence(cast)


@pytest.fixture
def stranger(browser: Browser) -> Iterator[Page]:
    """Someone else's browser: no session, no cookies."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    problems: list[str] = []
    yield watch(context.new_page(), problems)
    context.close()
    assert problems == []


def test_the_holder_shares_a_licence_and_its_qr_url_verifies(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    screenshots: Path,
    licence: Licence,
    stranger: Page,
) -> None:
    # 刘晓梅 logs in for her restaurant and opens 我的证照 from the enterprise page.
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("liuxiaomei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/enterprise/")
    page.get_by_role("link", name="电子证照").click()
    expect(page.get_by_role("heading", name="我的证照")).to_be_visible()
    row = page.locator("tr", has_text=licence.number)
    expect(row).to_contain_text("食品经营许可证")
    expect(row).to_contain_text("有效")
    shoot(page, screenshots, "licences-mine")

    row.get_by_role("link", name="食品经营许可证").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("食品经营许可证")
    expect(page.locator(".licence-qr-box svg")).to_be_visible()
    expect(page.get_by_text("热食类食品制售")).to_be_visible()
    page.get_by_label("分享有效期").select_option("7")
    page.get_by_role("button", name="生成分享链接").click()
    link = page.locator(".licence-share-link")
    expect(link).to_be_visible()
    shoot(page, screenshots, "licences-detail")
    share_url = link.get_attribute("href")
    assert share_url and "/licences/shared/" in share_url

    # Whoever receives the link sees the licence without logging in.
    stranger.goto(share_url)
    expect(stranger.get_by_role("heading", name="分享的电子证照")).to_be_visible()
    expect(stranger.get_by_text(licence.number, exact=True)).to_be_visible()
    expect(stranger.get_by_text("长沙市芙蓉区湘味小厨餐饮店")).to_be_visible()
    shoot(stranger, screenshots, "licences-shared")

    # The QR code carries the verification URL; opening it shows 有效.
    verify_url = stranger.locator(".licence-qr-box svg desc").text_content()
    assert verify_url and verify_url.startswith(f"{live_server.url}/licences/verify/")
    stranger.goto(verify_url)
    expect(stranger.locator(".licence-status")).to_have_text("有效")
    expect(stranger.get_by_text("Ed25519")).to_be_visible()
    expect(stranger.get_by_text("刘*").first).to_be_visible()
    shoot(stranger, screenshots, "licences-verify")

    # The link went to the wrong person: 刘晓梅 withdraws it from the licence's page.
    shares = page.get_by_role("table", name="仍有效的分享链接")
    expect(shares.get_by_role("row")).to_have_count(2)  # the heading row and the link
    assert wcag_violations(Axe(), page, "licence_detail_shares") == []
    shares.get_by_role("button", name="撤回").click()
    expect(page.get_by_text("持有该链接的人不能再查看这张证照", exact=False).first).to_be_visible()
    expect(page.get_by_role("table", name="仍有效的分享链接")).to_have_count(0)
    shoot(page, screenshots, "licences-share-withdrawn")

    stranger.goto(share_url)
    expect(stranger.get_by_text("分享链接已被持证人撤回", exact=False)).to_be_visible()
    expect(stranger.get_by_text(licence.number, exact=True)).to_have_count(0)
    expect(stranger.get_by_text("长沙市芙蓉区湘味小厨餐饮店")).to_have_count(0)


def test_the_printable_licence_reads_on_a_phone_in_english(
    page: Page, live_server: LiveServer, screenshots: Path, licence: Licence
) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("liuxiaomei")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/licences/mine/{licence.number}/print/")
    holder = page.get_by_text("长沙市芙蓉区湘味小厨餐饮店")
    expect(holder).to_be_visible()
    # Long English labels leave the values room: the holder's name on one or two lines.
    page.set_viewport_size(NARROW)
    box = holder.bounding_box()
    assert box is not None and box["width"] > 150, box
    shoot(page, screenshots, "licences-print-en")


def test_a_decider_revokes_a_licence_from_a_phone_and_the_qr_url_says_so(
    page: Page,
    live_server: LiveServer,
    screenshots: Path,
    cast: LicenceCast,
    licence: Licence,
    stranger: Page,
) -> None:
    do_create_staff("zhaojueding", PASSWORD, "赵决定", cast.market, ["decider"], actor=TEST_ACTOR)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("zhaojueding")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/workbench/")
    page.get_by_role("link", name="已签发证照").click()
    page.get_by_label("证照编号、持证主体名称或证件号码").fill("湘味小厨")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=licence.number).click()
    expect(page.get_by_role("heading", name="注销证照")).to_be_visible()
    assert wcag_violations(Axe(), page, "issued_detail") == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_role("button", name="注销这张证照").click()
    expect(page.get_by_role("alert")).to_have_text("注销证照须说明原因。")
    page.get_by_label("注销原因（公开显示）").fill("经营者申请注销食品经营许可")
    page.get_by_role("button", name="注销这张证照").click()
    expect(page.get_by_role("status")).to_contain_text("证照已注销")
    shoot(page, screenshots, "licences-issued-revoked")

    stranger.goto(f"{live_server.url}/licences/verify/{licence.number}/")
    expect(stranger.locator(".licence-status")).to_have_text("已注销")
    expect(stranger.locator("main")).to_contain_text("注销原因：经营者申请注销食品经营许可")

"""Each audience logs in, walks the navigation and sees its entry page, in Chinese and English.

Screenshots of every entry page at desktop and phone widths go to
test-artifacts/screenshots/ for a person to look at.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.viewports import DESKTOP, NARROW, PHONE
from zhengtong.core.masking import mask_id_number
from zhengtong.portal.offerings import PUBLIC_OFFERINGS
from zhengtong.portal.tests.cast import PASSWORD, Cast, make_cast

pytestmark = [
    pytest.mark.browser,
    # The roles are seeded by a data migration; serialized rollback puts them
    # back after each test flushes the live server's database.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NOTO_LOADED = """() => document.fonts.ready.then(() => [...document.fonts].filter(
    (face) => face.family.replace(/["']/g, "") === "Noto Sans SC" && face.status === "loaded"
).length)"""


@pytest.fixture
def cast(live_server: LiveServer) -> Cast:
    return make_cast()


def shoot(page: Page, screenshots: Path, name: str) -> None:
    """Save the page at desktop and phone widths, after its fonts have loaded.

    Also checks that nothing makes the page scroll sideways on the narrowest phone.
    """
    page.set_viewport_size(NARROW)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 360 px"
    for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.evaluate("() => document.fonts.ready.then(() => true)")
        # caret="initial": hiding the caret needs an injected inline style, which
        # the Content-Security-Policy refuses (and the page fixture reports).
        page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True, caret="initial")
    page.set_viewport_size(DESKTOP)


def log_in(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_visitor_sees_the_landing_page_in_chinese_with_the_vendored_font(
    page: Page, live_server: LiveServer, screenshots: Path
) -> None:
    page.goto(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("政务服务 一网通办")
    entries = page.get_by_role("region", name="服务入口").get_by_role("heading", level=3)
    expect(entries).to_have_text(["我要办事", "企业服务", "工作台", "开放接口", "审计"])
    public = page.get_by_role("region", name="公开服务").get_by_role("heading", level=3)
    expect(public).to_have_text([str(offering.title) for offering in PUBLIC_OFFERINGS])
    # The Chinese text is drawn with the font the platform serves, not a system font.
    assert page.evaluate(NOTO_LOADED) > 0
    shoot(page, screenshots, "home")

    # The guides are open to everyone: one click from the home page, no log-in.
    page.get_by_role("link", name="办事指南").click()
    expect(page).to_have_url(re.compile(r"/services/guides/$"))
    page.go_back()

    page.get_by_role("link", name="登录", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    shoot(page, screenshots, "login")

    # The skip link is the first thing the keyboard reaches, and it works.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()


def test_a_citizen_logs_in_walks_the_portal_and_switches_to_english(
    page: Page, live_server: LiveServer, cast: Cast, screenshots: Path
) -> None:
    log_in(page, live_server, "zhangsan")
    expect(page).to_have_url(re.compile(r"/citizen/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("我要办事")
    # Every citizen offering has its page now: 12345 is a link, not "即将开通".
    expect(page.get_by_role("link", name="12345 我要反映")).to_be_visible()
    expect(page.get_by_role("heading", name="我的数据使用记录")).to_be_visible()
    shoot(page, screenshots, "citizen")

    nav = page.locator(".primary-nav")
    expect(nav.get_by_role("link")).to_have_text(["我要办事", "开放接口"])
    nav.get_by_role("link", name="开放接口").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("开放接口")
    nav.get_by_role("link", name="我要办事").click()
    expect(page).to_have_url(re.compile(r"/citizen/$"))

    page.get_by_role("link", name="我的资料", exact=False).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的资料")
    expect(page.get_by_text(mask_id_number(cast.zhangsan_person.id_number))).to_be_visible()
    expect(page.get_by_text(cast.zhangsan_person.id_number, exact=True)).to_have_count(0)
    shoot(page, screenshots, "profile")

    # Another audience's page: the friendly 403 page, inside the portal.
    response = page.goto(f"{live_server.url}/workbench/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("无权访问此页面")
    expect(page.get_by_text("工作台仅供具有工作台权限的工作人员使用。")).to_be_visible()
    shoot(page, screenshots, "forbidden")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("You may not open this page")
    page.goto(f"{live_server.url}/citizen/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Citizen services")
    expect(page.get_by_role("heading", name="Who used my data")).to_be_visible()
    expect(page.locator(".primary-nav").get_by_role("link")).to_have_text(
        ["Citizen services", "Open APIs"]
    )
    shoot(page, screenshots, "citizen-en")

    # On a phone the header collapses into a menu that works without scripts.
    page.set_viewport_size(PHONE)
    expect(page.locator(".primary-nav")).to_be_hidden()
    page.get_by_text("Menu", exact=True).click()
    menu = page.locator(".mobile-menu-panel")
    expect(menu.get_by_role("link", name=re.compile("Open APIs"))).to_be_visible()
    page.screenshot(path=screenshots / "menu-en-phone.png", caret="initial")
    menu.get_by_role("link", name=re.compile("Open APIs")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open APIs")
    page.set_viewport_size(DESKTOP)

    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_text("您已安全退出。")).to_be_visible()
    expect(page.get_by_role("link", name="登录", exact=True)).to_be_visible()


def test_an_enterprise_user_sees_the_enterprise_they_act_for(
    page: Page, live_server: LiveServer, cast: Cast, screenshots: Path
) -> None:
    log_in(page, live_server, "zhaoliu")
    expect(page).to_have_url(re.compile(r"/enterprise/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("企业服务")
    expect(page.get_by_role("cell", name=cast.shop.name)).to_be_visible()
    shoot(page, screenshots, "enterprise")

    response = page.goto(f"{live_server.url}/citizen/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("无权访问此页面")


def test_a_clerk_sees_their_posts_on_the_workbench(
    page: Page, live_server: LiveServer, cast: Cast, screenshots: Path
) -> None:
    log_in(page, live_server, "lisi")
    expect(page).to_have_url(re.compile(r"/workbench/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
    expect(page.get_by_role("cell", name="长沙市市场监督管理局")).to_be_visible()
    expect(page.get_by_role("cell", name="窗口受理人员")).to_be_visible()
    expect(page.locator(".primary-nav").get_by_role("link", name="审计")).to_have_count(0)
    shoot(page, screenshots, "workbench")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workbench")
    shoot(page, screenshots, "workbench-en")


def test_an_auditor_reaches_the_audit_page_from_the_navigation(
    page: Page, live_server: LiveServer, cast: Cast, screenshots: Path
) -> None:
    log_in(page, live_server, "zhoujiu")
    page.locator(".primary-nav").get_by_role("link", name="审计").click()
    expect(page.locator(".primary-nav").get_by_role("link", name="审计")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shoot(page, screenshots, "audit")


def test_an_administrator_issues_rotates_and_revokes_a_credential_in_place(
    page: Page, live_server: LiveServer, cast: Cast, screenshots: Path
) -> None:
    log_in(page, live_server, "sunqi")
    page.goto(f"{live_server.url}/developer/")
    expect(page.get_by_role("heading", level=1)).to_have_text("开放接口")
    expect(page.get_by_text("本部门还没有接入系统。")).to_be_visible()
    shoot(page, screenshots, "developer")

    # Set a mark on the window: a full page load would lose it, an htmx swap keeps it.
    page.evaluate("() => { window.stillThisPage = true; }")
    # A refusal is swapped in too, with the keyboard on the field to correct.
    page.get_by_role("button", name="签发凭证").click()
    expect(page.get_by_text("这个字段是必填项。")).to_be_visible()
    expect(page.get_by_label("系统名称")).to_be_focused()
    page.get_by_label("系统名称").fill("市场监管局登记注册系统")
    page.get_by_label(re.compile("core.read_registers")).check()
    page.get_by_role("button", name="签发凭证").click()
    token = page.get_by_test_id("client-token")
    expect(token).to_have_text(re.compile(r"^[0-9a-f]{24}\.[A-Za-z0-9_-]{43}$"))
    assert page.evaluate("() => window.stillThisPage") is True
    expect(page.locator(".secret-box")).to_be_focused()
    first = token.inner_text()
    expect(page.get_by_role("cell", name="市场监管局登记注册系统", exact=True)).to_be_visible()
    shoot(page, screenshots, "developer-issued")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("^轮换")).click()
    expect(page.get_by_text("原凭证已失效", exact=False)).to_be_visible()
    second = page.get_by_test_id("client-token").inner_text()
    assert second.split(".")[0] == first.split(".")[0]
    assert second != first

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("^吊销")).click()
    expect(page.get_by_text("已吊销“市场监管局登记注册系统”的接口凭证。")).to_be_visible()
    expect(page.get_by_test_id("client-token")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^轮换"))).to_have_count(0)
    assert page.evaluate("() => window.stillThisPage") is True
    shoot(page, screenshots, "developer-revoked")


def test_a_clerk_changes_their_password_from_the_profile(
    page: Page, live_server: LiveServer, cast: Cast, screenshots: Path
) -> None:
    log_in(page, live_server, "lisi")
    page.goto(f"{live_server.url}/profile/")
    page.get_by_role("link", name="修改密码").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("修改密码")
    page.get_by_label("当前密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill("Another-Passphrase-2026")
    page.get_by_label("再次输入新密码").fill("Another-Passphrase-2027")
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_text("两次输入的新密码不一致。")).to_be_visible()
    shoot(page, screenshots, "change-password")
    page.get_by_label("当前密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill("Another-Passphrase-2026")
    page.get_by_label("再次输入新密码").fill("Another-Passphrase-2026")
    page.get_by_role("button", name="修改密码").click()
    expect(page).to_have_url(re.compile(r"/profile/$"))
    expect(page.get_by_text("密码已修改。")).to_be_visible()

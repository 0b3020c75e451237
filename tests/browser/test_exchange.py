"""A department applies for a conditional item, the provider grants it, the department's
system reads it, and the citizen whose data it is sees that read in 我的数据使用记录."""

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_catalog import log_in, shoot
from zhengtong.exchange.tests.cast import make_exchange_cast
from zhengtong.exchange.tests.sharing import BASIS, POPULATION, Sharing, make_sharing

pytestmark = [
    pytest.mark.browser,
    # The roles are seeded by data migrations; serialized rollback puts them
    # back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SLUG = POPULATION.replace("/", "-")
PURPOSE = "居住证办理中核对申请人的住址"


@pytest.fixture
def sharing(live_server: LiveServer) -> Sharing:
    return make_sharing(make_exchange_cast())


def look_up(live_server: LiveServer, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    """Call the governed look-up of the population resource as its reading system does."""
    return look_up_in(live_server, SLUG, token, body)


def look_up_in(
    live_server: LiveServer, slug: str, token: str, body: dict[str, Any]
) -> tuple[int, Any]:
    """Call the governed look-up as the department's system does: over HTTP with its token."""
    request = urllib.request.Request(  # noqa: S310 - the live test server's own address
        f"{live_server.url}/api/exchange/shared/{slug}/look-up",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_apply_grant_read_and_the_citizen_sees_the_read(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    screenshots: Path,
    sharing: Sharing,
) -> None:
    key = sharing.person.id_number
    asked = {"key": key, "purpose": PURPOSE, "fields": ["name", "address"]}
    status, refused = look_up(live_server, sharing.reader_token, asked)
    assert status == 403 and refused["code"] == "not_granted"

    # (a) 周九 of the county bureau applies for the conditional address item.
    log_in(page, live_server, "zhoujiu")
    page.goto(f"{live_server.url}/catalog/resource/{SLUG}/")
    page.get_by_role("link", name="申请使用").click()
    expect(page.get_by_role("heading", name="申请使用“人口基本信息”")).to_be_visible()
    page.get_by_label("使用系统").select_option(sharing.reader.key_id)
    page.locator("input[name=item_codes][value=name]").check()
    page.locator("input[name=item_codes][value=address]").check()
    # The address is asked for in clear; the provider will give it masked.
    page.locator("input[name=clear_codes][value=address]").check()
    page.get_by_label("使用用途").fill(PURPOSE)
    page.get_by_label("申请依据").fill(BASIS)
    shoot(page, screenshots, "exchange-apply")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("申请已提交")).to_be_visible()
    expect(page.locator(".eyebrow")).to_contain_text("待答复")

    # 吴十 of the market bureau, which provides the resource, grants it.
    context.clear_cookies()
    log_in(page, live_server, "wushi")
    page.goto(f"{live_server.url}/exchange/requests/")
    expect(page.get_by_text("剩余").first).to_be_visible()
    shoot(page, screenshots, "exchange-requests")
    page.get_by_role("link", name="人口基本信息").first.click()
    expect(page.get_by_text(PURPOSE)).to_be_visible()
    agreed_clear = page.locator("input[name=clear_codes][value=address]")
    expect(agreed_clear).to_be_checked()
    agreed_clear.uncheck()
    shoot(page, screenshots, "exchange-application")
    page.get_by_role("button", name="同意").click()
    expect(page.get_by_text("已同意该申请")).to_be_visible()
    expect(page.locator(".eyebrow")).to_contain_text("已同意")

    # The county bureau's system now reads the address, masked as personal data.
    status, record = look_up(live_server, sharing.reader_token, asked)
    assert status == 200, record
    assert set(record["values"]) == {"name", "address"}
    assert record["values"]["address"] and record["values"]["address"] != "长沙市芙蓉区文艺路1号"
    assert record["masked"] == ["name", "address"]

    # (b) 张三 sees that read in 我的数据使用记录.
    context.clear_cookies()
    log_in(page, live_server, "zhangsan")
    page.goto(f"{live_server.url}/citizen/")
    page.get_by_role("link", name="我的数据使用记录").click()
    expect(page.get_by_role("heading", name="我的数据使用记录")).to_be_visible()
    row = page.locator("tr", has_text=PURPOSE).filter(has_text="已读取")
    expect(row).to_contain_text("芙蓉区市场监督管理局")
    expect(row).to_contain_text("人口基本信息")
    expect(row).to_contain_text("姓名、住址")
    shoot(page, screenshots, "exchange-my-data-uses")
    row.get_by_role("link").click()
    expect(page.get_by_text("审计凭证")).to_be_visible()
    shoot(page, screenshots, "exchange-my-data-use")

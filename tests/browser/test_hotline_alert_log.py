"""A district leader reads and acknowledges a heat-jump alert on a phone.

孙区 leads 芙蓉区; six callers complain of one restaurant's fumes and the
hourly refresh raises an alert. On a 390 px phone the overview's alert log
shows it without sideways scrolling, with a button big enough for a thumb,
and acknowledging it leaves it in the log, marked.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.viewports import NARROW, PHONE
from tests.browser.watch import watch
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.actions import CaseInput, do_refresh_hot_issues, do_submit_case
from zhengtong.hotline.models import HotIssueAlertNotice
from zhengtong.hotline.tests.cast import PASSWORD, make_furong_leader, make_hotline_cast

pytestmark = [
    pytest.mark.browser,
    # The roles are seeded by data migrations; serialized rollback puts them
    # back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FUMES = "芙蓉区魅力之城小区楼下餐馆油烟噪音扰民，晚上吵得睡不着，第{m}次反映。"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    problems: list[str] = []
    yield watch(context.new_page(), problems)
    context.close()
    assert problems == []


def _sideways(page: Page) -> int:
    scrolled: int = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return scrolled


def test_a_district_leader_acknowledges_an_alert_on_a_phone(
    phone: Page, live_server: LiveServer, screenshots: Path
) -> None:
    cast = make_hotline_cast()
    leader = make_furong_leader(cast)
    for m in range(6):
        do_submit_case(
            CaseInput(content=FUMES.format(m=m), channel="phone", contact_phone=f"1390000100{m}"),
            actor=TEST_ACTOR,
        )
    [alert] = do_refresh_hot_issues(actor=TEST_ACTOR)

    phone.goto(f"{live_server.url}/login/")
    phone.get_by_label("用户名").fill(leader.username)
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    expect(phone).not_to_have_url(re.compile(r"/login/"))
    phone.goto(f"{live_server.url}/hotline/overview/?days=7")
    expect(phone.locator(".hotline-nav")).to_contain_text("1 条新预警")
    item = phone.locator(f"#alert-{alert.pk}")
    expect(item).to_contain_text("魅力之城")
    expect(item).to_contain_text("未确认")
    item.locator("summary").click()
    expect(item.get_by_role("link", name=alert.case_numbers[0])).to_be_visible()
    assert _sideways(phone) <= 0, "the overview scrolls sideways at 390 px"
    button = item.get_by_role("button", name="确认")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] <= PHONE["width"]
    phone.screenshot(path=screenshots / "hotline-alert-log-phone.png", full_page=True)
    phone.set_viewport_size(NARROW)
    assert _sideways(phone) <= 0, "the overview scrolls sideways at 360 px"
    phone.set_viewport_size(PHONE)

    button.click()
    expect(phone).to_have_url(re.compile(r"/hotline/overview/\?days=7#alert-log$"))
    acknowledged = phone.locator(f"#alert-{alert.pk}")
    expect(acknowledged).to_contain_text("已确认")
    expect(acknowledged.get_by_role("button", name="确认")).to_have_count(0)
    expect(phone.locator(".hotline-nav")).not_to_contain_text("新预警")
    assert HotIssueAlertNotice.objects.get(alert=alert, user=leader).acknowledged_at is not None

"""The regulator handles an over-limit alarm in the browser, then reads the point's chart.

A chemical plant in 芙蓉区 has reported every 30 seconds for four hours; its
SO2 went over the 35 mg/m³ limit forty minutes ago. 周检 of the city's environment
bureau finds 在线监控 on the workbench, sees the alarm, acknowledges it and
closes it with a note (both swapped in place by htmx), and opens the point:
its chart shows the limit as a dashed line and the excess marked.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_catalog import shoot
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.regulation.ingest import store_batch
from zhengtong.regulation.models import Alarm, AlarmKind
from zhengtong.regulation.tests.bureau import PASSWORD
from zhengtong.regulation.tests.test_pages import (
    PLANT_MN,
    RegulationCast,
    local_now,
    make_cast,
    upload,
)

pytestmark = [
    pytest.mark.browser,
    # The roles are seeded by data migrations; serialized rollback puts them
    # back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NOTE = "经现场核查，脱硫塔循环泵故障，已责令停产检修，复测达标"


@pytest.fixture
def cast(live_server: LiveServer) -> RegulationCast:
    made = make_cast()
    now = local_now().replace(second=0)
    day = []
    # Four hours of 30-second uploads (the point's interval).
    for n in range(480):
        when = now - dt.timedelta(seconds=30 * (479 - n))
        # Over the limit for three uploads, forty minutes ago.
        so2 = 48.0 + 6 * (n - 399) if 399 <= n <= 401 else 16.0 + (n % 9)
        day.append(upload(made.plant, when, {"a21026": so2, "a34013": 3.0 + (n % 5) / 2}))
    store_batch(day, [], actor=TEST_ACTOR)
    return made


def test_the_regulator_acknowledges_and_closes_an_over_limit_alarm(
    page: Page, live_server: LiveServer, screenshots: Path, cast: RegulationCast
) -> None:
    alarm = Alarm.objects.get(point=cast.plant, kind=AlarmKind.OVER_LIMIT)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(cast.regulator.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))

    # 1. The workbench leads to the 24-hour view, where the alarm waits.
    page.goto(f"{live_server.url}/workbench/")
    page.get_by_role("link", name="在线监控").click()
    expect(page.get_by_role("heading", name="在线监控", level=1)).to_be_visible()
    expect(page.locator(f"#point-{PLANT_MN}")).to_contain_text("在线")
    row = page.locator(f"#alarm-{alarm.pk}")
    expect(row).to_contain_text("超标")
    expect(row).to_contain_text("二氧化硫")
    expect(row).to_contain_text("未处理")
    shoot(page, screenshots, "regulation-monitoring")

    # 2. Acknowledged: the row is swapped in place and offers only closing.
    row.get_by_label("确认说明（选填）").fill("已电话通知企业环保负责人")
    row.get_by_role("button", name="确认", exact=True).click()
    expect(row.locator(".alarm-state")).to_have_text("已确认")
    expect(row).to_contain_text("周检 于")
    expect(row.get_by_role("button", name="确认", exact=True)).to_have_count(0)
    assert Alarm.objects.get(pk=alarm.pk).state == "acknowledged"

    # 3. Closed with what was found and done.
    row.get_by_label("处理说明（关闭时必填）").fill(NOTE)
    row.get_by_role("button", name="关闭", exact=True).click()
    expect(row.locator(".alarm-state")).to_have_text("已关闭")
    expect(row).to_contain_text(NOTE)
    expect(row.locator("form")).to_have_count(0)
    closed = Alarm.objects.get(pk=alarm.pk)
    assert (closed.state, closed.note, closed.closed_by) == ("closed", NOTE, "周检")
    shoot(page, screenshots, "regulation-alarm-closed")

    # 4. The point's page: the day's SO2 with the limit dashed and the excess marked.
    row.get_by_role("link", name=cast.plant.name).click()
    expect(page.get_by_role("heading", name=cast.plant.name, level=1)).to_be_visible()
    chart = page.locator("#chart-a21026")
    expect(chart.locator("svg.chart")).to_be_visible()
    expect(chart.locator("polyline.chart-line")).to_have_count(1)
    expect(chart.locator("line.chart-limit")).to_have_attribute("stroke-dasharray", "6 4")
    expect(chart.locator("circle.chart-over")).to_have_count(3)
    expect(chart).to_contain_text("超标 3 次")
    expect(page.locator("#chart-a34013 svg.chart")).to_be_visible()
    expect(page.locator(f"#alarm-{alarm.pk}")).to_contain_text("已关闭")
    shoot(page, screenshots, "regulation-point")

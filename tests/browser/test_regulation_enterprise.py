"""An enterprise reads its credit and alarms, asks for credit repair, and the regulator grants it.

长沙星城环保科技有限公司's waste-water outlet has reported every five minutes
for four hours; its COD went over the 50 mg/L limit forty minutes ago, so
an over-limit alarm is open. Four months ago another over-limit episode was
put on its credit file. 陈建国 ('chenjianguo') opens 信用与监管 from the
enterprise page, sees the grade explained and the open alarm, and asks for
the old record's repair. 周检 ('zhoujian') grants it in the repair queue (the
row swapped in place by htmx), and the company's page shows the higher score.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_catalog import shoot
from tests.browser.viewports import DESKTOP
from tests.browser.watch import watch
from zhengtong.core.models import Enterprise
from zhengtong.core.testing import (
    TEST_ACTOR,
    make_department,
    make_enterprise,
    make_person,
    make_region_tree,
)
from zhengtong.identity.actions import do_create_enterprise_user, do_create_staff
from zhengtong.identity.models import ScopeLevel
from zhengtong.regulation.actions import do_register_point, do_set_emission_limit
from zhengtong.regulation.credit_actions import do_record_credit
from zhengtong.regulation.credit_scorecard import DEFAULT_CONFIG, add_months
from zhengtong.regulation.credit_selectors import standing_of
from zhengtong.regulation.ingest import store_batch
from zhengtong.regulation.models import Alarm, AlarmKind, CreditRecord, CreditRepair
from zhengtong.regulation.tests.test_pages import PW, local_now, upload

pytestmark = [
    pytest.mark.browser,
    # The roles are seeded by data migrations; serialized rollback puts them
    # back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "Zhengtong-enterprise-2026"
MN = "43010300000000000000W003"
RECTIFICATION = "已更换生化池曝气风机并增设备用风机，委托第三方连续三日复测，化学需氧量均达标。"
GRANT_NOTE = "复测报告齐全，整改到位，同意修复"


@dataclass(frozen=True)
class Scene:
    company: Enterprise
    old_record: CreditRecord
    alarm: Alarm


@pytest.fixture
def scene(live_server: LiveServer) -> Scene:
    regions = make_region_tree()
    environment = make_department("长沙市生态环境局", code="cs-environment", region=regions.city)
    do_create_staff(
        "zhoujian",
        PASSWORD,
        "周检",
        environment,
        ["regulator"],
        actor=TEST_ACTOR,
        scope=ScopeLevel.REGION,
        scope_region=regions.city,
    )
    chen = make_person("陈建国")
    company = make_enterprise(
        "长沙星城环保科技有限公司", legal_representative=chen, region=regions.tianxin
    )
    do_create_enterprise_user(
        "chenjianguo", PASSWORD, chen, company, "legal_representative", actor=TEST_ACTOR
    )
    point = do_register_point(company, MN, "废水总排口", PW, actor=TEST_ACTOR, interval_s=300)
    do_set_emission_limit(point, "w01018", 50.0, actor=TEST_ACTOR, unit="mg/L")
    now = local_now().replace(second=0)
    day = []
    for n in range(48):
        when = now - dt.timedelta(minutes=5 * (47 - n))
        # Over the limit for two uploads, forty minutes ago.
        cod = 63.0 + 4 * (n - 39) if 39 <= n <= 40 else 26.0 + (n % 7)
        day.append(upload(point, when, {"w01018": cod}))
    store_batch(day, [], actor=TEST_ACTOR)
    old_record = do_record_credit(
        company,
        "over_limit_alarm",
        add_months(now.date(), -4),
        "废水总排口化学需氧量小时均值 68.4 mg/L，超过排放限值 50 mg/L",
        actor=TEST_ACTOR,
        authority="长沙市生态环境局",
    )
    alarm = Alarm.objects.get(point=point, kind=AlarmKind.OVER_LIMIT)
    return Scene(company, old_record, alarm)


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Pages in fresh contexts (one per user), each failing the test on a script or asset error."""
    contexts = []
    problems: list[str] = []

    def opened() -> Page:
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        contexts.append(context)
        return watch(context.new_page(), problems)

    yield opened
    for context in contexts:
        context.close()
    assert problems == []


def log_in(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def test_an_enterprise_asks_for_credit_repair_and_the_regulator_grants_it(
    open_page: Callable[[], Page], live_server: LiveServer, screenshots: Path, scene: Scene
) -> None:
    base = DEFAULT_CONFIG["base_score"]
    deduction = DEFAULT_CONFIG["kinds"]["over_limit_alarm"]["points"]
    owner = open_page()
    log_in(owner, live_server, "chenjianguo")

    # 1. From the enterprise page to the company's credit and monitoring.
    owner.goto(f"{live_server.url}/enterprise/")
    owner.get_by_role("link", name="信用与监管").click()
    expect(owner.get_by_role("heading", name="长沙星城环保科技有限公司", level=1)).to_be_visible()
    expect(owner.locator(".credit-score").first).to_have_text(str(base + deduction))
    record_row = owner.locator(f"#record-{scene.old_record.pk}")
    expect(record_row).to_contain_text("计分中")
    alarm_row = owner.locator(f"#alarm-{scene.alarm.pk}")
    expect(alarm_row).to_contain_text("超标")
    expect(alarm_row).to_contain_text("化学需氧量")
    expect(alarm_row).to_contain_text("未处理")
    chart = owner.locator(f"#chart-{MN}-w01018")
    expect(chart.locator("svg.chart")).to_be_visible()
    expect(chart.locator("circle.chart-over")).to_have_count(2)
    shoot(owner, screenshots, "regulation-my-credit")

    # 2. The repair request: what it changes, the rectification, the confirmed commitment.
    record_row.get_by_role("link", name="申请信用修复").click()
    expect(owner.get_by_role("heading", name="申请信用修复", level=1)).to_be_visible()
    expect(owner.locator("#repair-effect")).to_contain_text(f"{base + deduction} 分 → {base} 分")
    expect(owner.get_by_label("信用承诺", exact=True)).to_have_value(re.compile(r"^本企业郑重承诺"))
    owner.get_by_label("整改情况").fill(RECTIFICATION)
    owner.get_by_role("button", name="提交修复申请").click()
    # Not yet confirmed: the form says so and keeps what was typed.
    expect(owner.locator(".errorlist")).to_contain_text("请阅读并勾选确认信用承诺")
    expect(owner.get_by_label("整改情况")).to_have_value(RECTIFICATION)
    owner.get_by_label("我已阅读并确认以上信用承诺").check()
    shoot(owner, screenshots, "regulation-my-repair-new")
    owner.get_by_role("button", name="提交修复申请").click()
    expect(owner.locator(".messages")).to_contain_text("信用修复申请已提交")
    repair = CreditRepair.objects.get()
    expect(owner.locator(f"#repair-{repair.pk}")).to_contain_text("待审核")
    expect(owner.locator(f"#record-{scene.old_record.pk}")).to_contain_text("修复申请审核中")

    # 3. The regulator grants it in the queue; the row is swapped in place.
    regulator = open_page()
    log_in(regulator, live_server, "zhoujian")
    regulator.goto(f"{live_server.url}/regulation/repairs/")
    expect(regulator.get_by_role("heading", name="信用修复审核", level=1)).to_be_visible()
    row = regulator.locator(f"#repair-{repair.pk}")
    expect(row).to_contain_text("长沙星城环保科技有限公司")
    expect(row).to_contain_text(RECTIFICATION)
    expect(row).to_contain_text(f"修复前后：{base + deduction} 分")
    shoot(regulator, screenshots, "regulation-repairs")
    row.get_by_label("审核意见（同意时选填）").fill(GRANT_NOTE)
    row.get_by_role("button", name="同意修复").click()
    expect(row.locator(".repair-state")).to_have_text("已修复")
    expect(row).to_contain_text(GRANT_NOTE)
    expect(row.locator("form")).to_have_count(0)
    standing = standing_of(scene.company)
    assert standing is not None and standing.score == base
    assert CreditRecord.objects.get(pk=scene.old_record.pk).repaired_at is not None
    shoot(regulator, screenshots, "regulation-repair-granted")

    # 4. The company sees the decision and its new score.
    owner.goto(f"{live_server.url}/regulation/my/")
    expect(owner.locator(".credit-score").first).to_have_text(str(base))
    expect(owner.locator(f"#repair-{repair.pk}")).to_contain_text(GRANT_NOTE)
    expect(owner.locator(f"#record-{scene.old_record.pk}")).to_contain_text("已修复")

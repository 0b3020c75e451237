"""A regulator records a penalty and lists an enterprise; the public sees the list and the rules.

周检 ('zhoujian') opens a chemical plant's credit file, records a 较重
administrative penalty (the grade's explanation gains the line and the
score falls by the scorecard's points), then puts the plant on the
serious-dishonesty list; anyone can read the list (信用公示) and the public
scorecard page that explains every rule.
"""

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_catalog import shoot
from tests.browser.viewports import DESKTOP
from zhengtong.core.models import Enterprise
from zhengtong.core.testing import (
    TEST_ACTOR,
    make_department,
    make_enterprise,
    make_person,
    make_region_tree,
)
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import ScopeLevel
from zhengtong.regulation.credit_scorecard import DEFAULT_CONFIG
from zhengtong.regulation.models import DishonestyListing

pytestmark = [
    pytest.mark.browser,
    # The roles are seeded by data migrations; serialized rollback puts them
    # back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "Zhengtong-credit-2026"
PENALTY = "超标排放大气污染物，罚款二十万元"
REASON = "拒不履行生效法律文书确定的义务"


@pytest.fixture
def plant(live_server: LiveServer) -> Enterprise:
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
    return make_enterprise(
        "长沙市某化工有限公司", legal_representative=make_person("钱老板"), region=regions.furong
    )


def assert_unique_ids(page: Page) -> None:
    """Labels point at fields by id: two forms on one page must not share one."""
    repeated = page.evaluate(
        """() => {
            const seen = new Map();
            for (const el of document.querySelectorAll('[id]')) {
                seen.set(el.id, (seen.get(el.id) || 0) + 1);
            }
            return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
        }"""
    )
    assert repeated == []


def test_a_regulator_records_a_penalty_and_lists_the_enterprise_for_all_to_see(
    browser: Browser, page: Page, live_server: LiveServer, screenshots: Path, plant: Enterprise
) -> None:
    base = DEFAULT_CONFIG["base_score"]
    major = DEFAULT_CONFIG["kinds"]["penalty"]["points"]["major"]
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("zhoujian")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))

    # 1. The plant's file, then a penalty recorded on it.
    page.goto(f"{live_server.url}/regulation/credit/{plant.credit_code}/")
    expect(page.get_by_role("heading", name=plant.name, level=1)).to_be_visible()
    expect(page.locator(".credit-score").first).to_have_text(str(base))
    assert_unique_ids(page)
    form = page.locator("#record-form")
    form.get_by_label("类型").select_option("penalty")
    form.get_by_label("情节").select_option("major")
    form.get_by_label("发生日期").fill(timezone.localdate().isoformat())
    form.get_by_label("内容").fill(PENALTY)
    form.get_by_label("认定部门").fill("长沙市生态环境局")
    form.get_by_label("来源").fill("长环罚〔2026〕12号")
    form.get_by_role("button", name="登记").click()
    expect(page.locator(".credit-score").first).to_have_text(str(base + major))
    expect(page.locator(".credit-lines")).to_contain_text(str(major))
    expect(page.locator("main")).to_contain_text(PENALTY)
    shoot(page, screenshots, "regulation-credit-detail")

    # 2. Listed as seriously dishonest: the grade falls to D whatever the score.
    listing = page.locator("#listing-form")
    listing.get_by_label("列入事由").fill(REASON)
    listing.get_by_label("认定依据").fill(
        "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条"
    )
    listing.get_by_label("认定部门").fill("长沙市中级人民法院")
    listing.get_by_role("button", name="列入严重失信主体名单").click()
    expect(page.locator("#current-listing")).to_contain_text(REASON)
    expect(page.locator(".credit-grade").first).to_have_text("D 级")
    assert_unique_ids(page)
    assert DishonestyListing.objects.filter(enterprise=plant, removed_at=None).exists()

    # 3. The public list and the public rules, without logging in.
    public = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    public.goto(f"{live_server.url}/regulation/credit/dishonesty-list/")
    row = public.locator("tr", has_text=plant.name)
    expect(row).to_contain_text(plant.credit_code)
    expect(row).to_contain_text(REASON)
    shoot(public, screenshots, "regulation-dishonesty-list")
    public.goto(f"{live_server.url}/regulation/credit/scorecard/")
    expect(public.get_by_role("heading", level=1)).to_contain_text("信用评分标准")
    expect(public.locator("main")).to_contain_text(str(major))
    shoot(public, screenshots, "regulation-credit-scorecard")
    public.context.close()

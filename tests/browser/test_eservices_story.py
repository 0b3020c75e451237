"""The whole story of an application, through the pages only.

赵六 looks for what he needs to open his restaurant in his own words, applies
online with the prefilled form, the window clerk asks for 补正, he corrects
it, the clock shows the pause, the market bureau accepts, reviews and approves,
the licence's QR URL verifies for anyone, and he rates the service. A small
shop selling packaged food is approved by the 秒批 table with no human step.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_catalog import shoot
from tests.browser.viewports import DESKTOP
from tests.browser.watch import watch
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.eservices.actions import do_create_service_item, do_publish_service_item
from zhengtong.eservices.demo import HYGIENE, INDIVIDUAL
from zhengtong.eservices.models import WorkTask
from zhengtong.eservices.tests.test_applications_cast import (
    PASSWORD,
    PDF,
    ApplicationsCast,
    make_cast,
    promise_day,
)

pytestmark = [
    pytest.mark.browser,
    # The roles and the licence types are seeded by data migrations; serialized
    # rollback puts them back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CORRECTION_NOTE = "请在经营布局图中标注粗加工、烹饪和餐用具清洗消毒各功能区"


@pytest.fixture
def cast(live_server: LiveServer) -> ApplicationsCast:
    made = make_cast()
    # Other published items, so the search has something to rank against.
    for department, data in ((made.market, INDIVIDUAL), (made.health, HYGIENE)):
        item = do_create_service_item(department, data, actor=TEST_ACTOR)
        do_publish_service_item(item, actor=TEST_ACTOR)
    return made


@pytest.fixture
def staff(browser: Browser) -> Iterator[Page]:
    """The market bureau's browser, apart from the applicant's."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    errors: list[str] = []
    yield watch(context.new_page(), errors)
    context.close()
    assert errors == []


@pytest.fixture
def stranger(browser: Browser) -> Iterator[Page]:
    """Whoever scans the QR code: no session, no cookies."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    errors: list[str] = []
    yield watch(context.new_page(), errors)
    context.close()
    assert errors == []


def log_in(page: Page, live_server: LiveServer, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def open_task(page: Page, live_server: LiveServer, number: str) -> None:
    page.goto(f"{live_server.url}/services/work/")
    page.locator("tr", has_text=number).get_by_role("link", name=number).click()
    expect(page.locator(".page-head code")).to_have_text(number)


def handle(page: Page, choice: str, opinion: str) -> None:
    page.get_by_label(choice).check()
    page.get_by_label("办理意见").fill(opinion)
    page.get_by_role("button", name="提交办理结果").click()
    expect(page.get_by_text("环节。").first).to_be_visible()


def apply_from_the_guides(page: Page, live_server: LiveServer, phrase: str) -> None:
    """Search the guides in one's own words, open the top hit and start the form."""
    page.goto(f"{live_server.url}/services/guides/")
    page.get_by_label("您想办什么事？").fill(phrase)
    page.get_by_role("button", name="搜索").click()
    top = page.locator("#guide-results .card-link").first
    expect(top).to_have_text("食品经营许可证核发")
    page.get_by_role("link", name="食品经营许可证核发").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("食品经营许可证核发")
    page.get_by_role("link", name="在线办理").first.click()
    page.get_by_role("button", name="开始填写").click()


def upload(page: Page, material: str, filename: str) -> None:
    card = page.locator("li.card", has_text=material)
    card.locator('input[type="file"]').set_input_files(
        {"name": filename, "mimeType": "application/pdf", "buffer": PDF}
    )
    card.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_text("材料已上传。")).to_be_visible()


def provide_materials(page: Page) -> None:
    """The layout uploaded, the rules promised (容缺): the application waits for people."""
    upload(page, "设备设施", "布局图.pdf")
    rules = page.locator("li.card", has_text="规章制度")
    rules.get_by_label("容缺受理：承诺补交日期").fill(promise_day().isoformat())
    rules.get_by_role("button", name="作出容缺承诺").click()
    expect(page.get_by_text("已作出容缺承诺。")).to_be_visible()


def test_from_a_colloquial_search_to_a_verified_licence_and_a_rating(
    page: Page,
    staff: Page,
    stranger: Page,
    live_server: LiveServer,
    screenshots: Path,
    cast: ApplicationsCast,
) -> None:
    # 1. 赵六 says what he wants in his own words and opens the top guide.
    log_in(page, live_server, cast.applicant.username)
    apply_from_the_guides(page, live_server, "开饭店")

    # 2. The form comes prefilled from the enterprise register, marked 已核验.
    expect(page.get_by_text("已核验").first).to_be_visible()
    for title, value in (("主体名称", cast.enterprise.name), ("法定代表人（负责人）", "赵六")):
        field = page.locator(".field").filter(has=page.get_by_text(title, exact=True))
        expect(field).to_contain_text(value)
        expect(field).to_contain_text("已核验")
    page.get_by_role("radio", name="餐饮服务").check()
    page.get_by_label("经营项目").fill("热食类食品制售")
    page.get_by_label("经营面积（平方米）").fill("120")
    page.get_by_label("联系电话").fill("13812345678")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已保存。")).to_be_visible()
    provide_materials(page)
    shoot(page, screenshots, "story-apply")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("申请已提交，请等待受理。")).to_be_visible()
    number = page.locator(".page-head .eyebrow").inner_text().split("·")[-1].strip()
    assert number
    application_url = page.url

    # 3. 李四, the window clerk, asks for 补正 once, with the reason.
    log_in(staff, live_server, cast.clerk.username)
    open_task(staff, live_server, number)
    staff.get_by_label("需要补正的内容（一次性告知）").fill(CORRECTION_NOTE)
    staff.get_by_role("button", name="告知补正（暂停计时）").click()
    expect(staff.get_by_text("已告知申请人补正，办理时限暂停计算。")).to_be_visible()
    expect(staff.get_by_text("办件正在补正，暂停办理。")).to_be_visible()

    # 4. 赵六 sees the request and the stopped clock, uploads the new layout and resubmits.
    page.goto(application_url)
    expect(page.locator(".page-head .tag").first).to_have_text("待补正")
    expect(page.get_by_role("heading", name="补正告知")).to_be_visible()
    expect(page.locator(".notice", has_text=CORRECTION_NOTE)).to_be_visible()
    expect(page.get_by_text("办理时限暂停计算中。")).to_be_visible()
    expect(page.locator("#limit-suspensions li")).to_contain_text("进行中")
    shoot(page, screenshots, "story-correction")
    # The note typed before the upload is still there after it.
    page.get_by_label("补正说明").fill("已在布局图中标注各功能区")
    layout = page.locator("li.card", has_text="设备设施")
    layout.locator('input[type="file"]').set_input_files(
        {"name": "布局图（标注功能区）.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    layout.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_text("材料已上传。")).to_be_visible()
    expect(page.get_by_text("布局图（标注功能区）.pdf")).to_be_visible()
    expect(page.get_by_label("补正说明")).to_have_value("已在布局图中标注各功能区")
    page.get_by_role("button", name="提交补正").click()

    # 5. The clock runs again; the 补正 span is kept as a pause left out of the limit.
    expect(page.get_by_text("补正材料已提交，办理时限恢复计算。")).to_be_visible()
    expect(page.locator(".page-head .tag").first).to_have_text("已提交，待受理")
    expect(page.get_by_text("办理时限暂停计算中。")).to_have_count(0)
    pause = page.locator("#limit-suspensions li")
    expect(pause).to_have_count(1)
    expect(pause).to_contain_text("补正")
    expect(pause).to_contain_text("不计入办理时限")
    expect(pause).not_to_contain_text("进行中")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("状态变为“待补正”")
    expect(timeline).to_contain_text(CORRECTION_NOTE)
    expect(timeline).to_contain_text("已在布局图中标注各功能区")
    shoot(page, screenshots, "story-corrected")

    # 6. The clerk accepts, 赵审 reviews and 钱决 approves, each on the workbench.
    open_task(staff, live_server, number)
    handle(staff, "予以受理", "补正后材料齐全，予以受理")
    log_in(staff, live_server, cast.reviewer.username)
    open_task(staff, live_server, number)
    expect(staff.get_by_text("补正 ·").first).to_be_visible()
    handle(staff, "审查通过", "符合许可条件")
    log_in(staff, live_server, cast.leader.username)
    open_task(staff, live_server, number)
    handle(staff, "准予许可", "准予许可")
    expect(staff.get_by_text("已准予并签发电子证照")).to_be_visible()

    # 7. 赵六 sees the application finished and his licence.
    page.goto(application_url)
    expect(page.locator(".page-head .tag").first).to_have_text("准予")
    expect(page.get_by_text("办结时间", exact=True)).to_be_visible()
    expect(page.get_by_text("已准予，电子证照已发放。")).to_be_visible()
    page.get_by_role("link", name="查看电子证照").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("食品经营许可证")
    expect(page.get_by_text("热食类食品制售")).to_be_visible()
    shoot(page, screenshots, "story-licence")
    # The QR code carries the verification URL as its description.
    verify_url = page.locator(".licence-qr-box svg desc").text_content()
    assert verify_url and verify_url.startswith(f"{live_server.url}/licences/verify/")

    # Whoever scans it sees the licence valid, with the personal data masked.
    stranger.goto(verify_url)
    expect(stranger.locator(".licence-status")).to_have_text("有效")
    expect(stranger.get_by_text(cast.enterprise.name).first).to_be_visible()
    expect(stranger.get_by_text("赵*").first).to_be_visible()
    expect(stranger.get_by_text("赵六")).to_have_count(0)
    shoot(stranger, screenshots, "story-verify")

    # 8. 赵六 rates the service and sees his rating.
    page.goto(application_url)
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("办事便捷").check()
    page.get_by_label("评价内容").fill("网上提交，补正一次说清楚，很方便")
    page.get_by_role("button", name="提交评价").click()
    rating = page.locator("section[aria-labelledby=rating-head]")
    expect(rating).to_contain_text("满意")
    expect(rating).to_contain_text("办事便捷")
    expect(rating).to_contain_text("网上提交，补正一次说清楚，很方便")
    expect(page.get_by_role("button", name="提交评价")).to_have_count(0)
    shoot(page, screenshots, "story-rated")


def test_a_small_shop_is_approved_by_the_table_at_once(
    page: Page,
    staff: Page,
    live_server: LiveServer,
    screenshots: Path,
    cast: ApplicationsCast,
) -> None:
    log_in(page, live_server, cast.applicant.username)
    apply_from_the_guides(page, live_server, "卖吃的要办什么证")
    page.get_by_role("radio", name="食品销售").check()
    page.get_by_label("经营项目").fill("预包装食品销售")
    page.get_by_label("经营面积（平方米）").fill("40")
    page.get_by_label("联系电话").fill("13812345678")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已保存。")).to_be_visible()
    # Every material in hand: a promise (容缺) would keep it for people to review.
    upload(page, "设备设施", "布局图.pdf")
    upload(page, "规章制度", "规章制度目录.pdf")
    page.get_by_role("button", name="提交申请").click()

    expect(page.get_by_text("申请已提交，系统已自动准予（秒批）。")).to_be_visible()
    expect(page.locator(".page-head .tag").first).to_have_text("准予")
    expect(page.get_by_text("已准予，电子证照已发放。")).to_be_visible()
    expect(page.locator("ol.timeline")).to_contain_text("发放电子证照")
    expect(page.locator("ol.timeline")).not_to_contain_text("受理环节办结")
    number = page.locator(".page-head .eyebrow").inner_text().split("·")[-1].strip()
    shoot(page, screenshots, "story-instant-approval")
    page.get_by_role("link", name="查看电子证照").click()
    expect(page.get_by_text("预包装食品销售")).to_be_visible()
    expect(page.locator(".licence-qr-box svg")).to_be_visible()

    # No one at the market bureau ever had a task for it.
    for user in (cast.clerk, cast.reviewer, cast.leader):
        log_in(staff, live_server, user.username)
        staff.goto(f"{live_server.url}/services/work/")
        expect(staff.get_by_role("heading", name="待办任务")).to_be_visible()
        expect(staff.get_by_text(number)).to_have_count(0)
    assert not WorkTask.objects.filter(application__number=number).exists()

"""An enterprise applies online from the guide: prefilled form, materials, submission,
and follows the application on its page (at desktop and phone widths)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_catalog import shoot
from tests.browser.viewports import PHONE
from tests.browser.watch import watch
from zhengtong.eservices.tests.test_applications_cast import (
    PASSWORD,
    PDF,
    ApplicationsCast,
    make_cast,
    promise_day,
)

pytestmark = [
    pytest.mark.browser,
    # The roles are seeded by data migrations; serialized rollback puts them
    # back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def applications(live_server: LiveServer) -> ApplicationsCast:
    return make_cast()


def test_apply_online_and_follow_the_application(
    page: Page, live_server: LiveServer, screenshots: Path, applications: ApplicationsCast
) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(applications.applicant.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.goto(f"{live_server.url}/services/guides/{applications.food.code}/")
    page.get_by_role("link", name="在线办理").first.click()
    page.get_by_role("button", name="开始填写").click()
    expect(page.get_by_text("已核验").first).to_be_visible()
    expect(page.get_by_text(applications.enterprise.name).first).to_be_visible()

    page.get_by_role("radio", name="餐饮服务").check()
    page.get_by_label("经营项目").fill("热食类食品制售")
    page.get_by_label("经营面积（平方米）").fill("一百")
    page.get_by_label("联系电话").fill("13812345678")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("应为数字。")).to_be_visible()
    shoot(page, screenshots, "eservices-apply-errors")

    page.get_by_label("经营面积（平方米）").fill("120")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_text("草稿已保存。")).to_be_visible()

    layout = page.locator("li.card", has_text="设备设施")
    layout.locator('input[type="file"]').set_input_files(
        {"name": "布局图.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    layout.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_text("材料已上传。")).to_be_visible()
    rules = page.locator("li.card", has_text="规章制度")
    rules.get_by_label("容缺受理：承诺补交日期").fill(promise_day().isoformat())
    rules.get_by_role("button", name="作出容缺承诺").click()
    expect(page.get_by_text("已作出容缺承诺。")).to_be_visible()
    shoot(page, screenshots, "eservices-apply")

    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("申请已提交，请等待受理。")).to_be_visible()
    expect(page.locator(".page-head .tag").first).to_have_text("已提交，待受理")
    shoot(page, screenshots, "eservices-application")

    page.get_by_role("link", name="我的办件").first.click()
    expect(page.get_by_role("cell", name=applications.food.name)).to_be_visible()
    shoot(page, screenshots, "eservices-my-applications")


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    problems: list[str] = []
    yield watch(context.new_page(), problems)
    context.close()
    assert problems == []


def test_an_upload_on_a_phone_keeps_what_was_typed(
    phone: Page, live_server: LiveServer, applications: ApplicationsCast
) -> None:
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(applications.applicant.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/services/apply/?item={applications.food.code}")
    page.get_by_role("button", name="开始填写").click()

    # Typed, not saved, then a material uploaded: nothing typed is lost, and the
    # mistake in 面积 waits beside the field.
    page.get_by_role("radio", name="餐饮服务").check()
    page.get_by_label("经营面积（平方米）").fill("abc")
    page.get_by_label("联系电话").fill("13812345678")
    layout = page.locator("li.card", has_text="设备设施")
    layout.locator('input[type="file"]').set_input_files(
        {"name": "布局图.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    layout.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_text("材料已上传。")).to_be_visible()
    expect(page.get_by_role("radio", name="餐饮服务")).to_be_checked()
    expect(page.get_by_label("经营面积（平方米）")).to_have_value("abc")
    expect(page.get_by_label("联系电话")).to_have_value("13812345678")
    expect(page.get_by_text("应为数字。")).to_be_visible()
    expect(page.locator("li.card", has_text="设备设施")).to_contain_text("布局图.pdf")

    # Corrected and promised: the reloaded page shows the form as saved.
    page.get_by_label("经营面积（平方米）").fill("120")
    rules = page.locator("li.card", has_text="规章制度")
    rules.get_by_label("容缺受理：承诺补交日期").fill(promise_day().isoformat())
    rules.get_by_role("button", name="作出容缺承诺").click()
    expect(page.get_by_text("已作出容缺承诺。")).to_be_visible()
    expect(page.get_by_label("经营面积（平方米）")).to_have_value("120")
    expect(page.get_by_label("联系电话")).to_have_value("13812345678")

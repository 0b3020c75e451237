"""A data officer uploads the catalog workbook, submits it, and the data bureau publishes it."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.viewports import DESKTOP, NARROW, PHONE
from zhengtong.catalog.actions import (
    do_create_resource,
    do_publish_resource,
    do_review_resource,
    do_submit_resource,
)
from zhengtong.catalog.models import InformationItem, Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, PASSWORD, CatalogCast, make_cast
from zhengtong.catalog.xlsx import export_workbook
from zhengtong.core.testing import TEST_ACTOR

pytestmark = [
    pytest.mark.browser,
    # The roles and their catalog permissions are seeded by data migrations;
    # serialized rollback puts them back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def cast(live_server: LiveServer) -> CatalogCast:
    return make_cast()


@pytest.fixture
def workbook(cast: CatalogCast, tmp_path: Path) -> Path:
    """The officer's filled-in workbook: the layout of the export."""
    resource = do_create_resource(cast.data_bureau, ENTERPRISE, actor=TEST_ACTOR)
    path = tmp_path / "企业登记信息.xlsx"
    path.write_bytes(export_workbook([resource]))
    Resource.objects.filter(pk=resource.pk).delete()
    return path


def log_in(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def shoot(page: Page, screenshots: Path, name: str) -> None:
    page.set_viewport_size(NARROW)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at 360 px"
    for width, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.evaluate("() => document.fonts.ready.then(() => true)")
        page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True, caret="initial")
    page.set_viewport_size(DESKTOP)


def test_upload_submit_review_publish_and_find(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    screenshots: Path,
    workbook: Path,
) -> None:
    log_in(page, live_server, "wushi")
    page.goto(f"{live_server.url}/catalog/upload/")
    page.get_by_label("XLSX 文件").set_input_files(workbook)
    page.get_by_role("button", name="上传并导入").click()
    expect(page.get_by_role("heading", name="已导入 1 条草稿")).to_be_visible()
    shoot(page, screenshots, "catalog-upload")
    page.get_by_role("link", name="企业登记信息").click()
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("操作已完成。")).to_be_visible()

    context.clear_cookies()
    log_in(page, live_server, "sunba")
    page.goto(f"{live_server.url}/catalog/mine/")
    page.get_by_role("link", name="企业登记信息").click()
    page.get_by_role("button", name="审核通过").click()
    page.get_by_role("button", name="发布").click()
    expect(page.locator(".eyebrow")).to_contain_text("已发布")
    shoot(page, screenshots, "catalog-detail")

    context.clear_cookies()
    page.goto(f"{live_server.url}/catalog/")
    page.get_by_label("关键词").fill("营业执照")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("link", name="企业登记信息")).to_be_visible()
    shoot(page, screenshots, "catalog-search")
    page.goto(f"{live_server.url}/catalog/negative-list/")
    expect(page.get_by_text("法定代表人身份证件号码")).to_be_visible()
    shoot(page, screenshots, "catalog-negative-list")


def test_the_data_bureau_reviews_a_negative_list_line_that_has_fallen_due(
    page: Page, live_server: LiveServer, screenshots: Path, cast: CatalogCast
) -> None:
    resource = do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    for step in (do_submit_resource, do_review_resource, do_publish_resource):
        resource = step(resource, actor=TEST_ACTOR)
    today = timezone.localdate()
    InformationItem.objects.filter(resource=resource, code="legal_rep_id").update(review_date=today)

    log_in(page, live_server, "sunba")
    page.goto(f"{live_server.url}/catalog/mine/")
    expect(page.get_by_text("复核已到期")).to_be_visible()
    page.get_by_role("link", name="复核", exact=True).click()
    expect(page.get_by_role("heading", name="负面清单复核")).to_be_visible()
    page.get_by_label("下次复核日期").fill((today + timedelta(days=365)).isoformat())
    page.get_by_label("复核意见").fill("仍仅向登记机关提供")
    shoot(page, screenshots, "catalog-negative-review")
    page.get_by_role("button", name="记录复核").click()
    expect(page.get_by_text("负面清单复核已记录。")).to_be_visible()
    expect(page.get_by_text("复核已到期")).to_have_count(0)

    page.goto(f"{live_server.url}/catalog/resource/{resource.slug}/")
    expect(page.get_by_text("仍仅向登记机关提供")).to_be_visible()


def test_a_published_entry_is_changed_and_the_data_bureau_applies_the_change(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    screenshots: Path,
    cast: CatalogCast,
) -> None:
    resource = do_create_resource(cast.market, ENTERPRISE, actor=TEST_ACTOR)
    for step in (do_submit_resource, do_review_resource, do_publish_resource):
        resource = step(resource, actor=TEST_ACTOR)

    log_in(page, live_server, "wushi")
    page.goto(f"{live_server.url}/catalog/resource/{resource.slug}/")
    page.get_by_role("button", name="申请变更").click()
    expect(page.get_by_text("尚未修改任何内容。")).to_be_visible()
    page.get_by_label("摘要").fill("本市企业和个体工商户的登记信息。")
    items = page.get_by_label("信息项", exact=True)
    items.fill(items.input_value() + "\nreg_date|成立日期|日期型D")
    page.get_by_role("button", name="保存变更草稿").click()
    expect(page.get_by_text("变更草稿已保存。")).to_be_visible()
    expect(page.get_by_role("cell", name="本市企业和个体工商户的登记信息。")).to_be_visible()
    page.get_by_role("button", name="提交变更").click()
    expect(page.locator(".eyebrow")).to_contain_text("变更待审核")

    context.clear_cookies()
    log_in(page, live_server, "sunba")
    page.goto(f"{live_server.url}/catalog/mine/")
    page.get_by_role("link", name="企业登记信息").click()
    expect(page.get_by_role("cell", name="信息项 reg_date")).to_be_visible()
    shoot(page, screenshots, "catalog-revision")
    page.get_by_role("button", name="审核通过，变更生效").click()
    expect(page.get_by_text("操作已完成。")).to_be_visible()
    expect(page.get_by_text("本市企业和个体工商户的登记信息。")).to_be_visible()
    expect(page.get_by_role("cell", name="成立日期")).to_be_visible()

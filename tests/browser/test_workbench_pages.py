"""Staff handle an application on the workbench: claim it, see the credit flag, accept,
review and decide, and the licence is issued; in 并联审批, two departments
ask for one 补正 together."""

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_catalog import shoot
from zhengtong.eservices import application_selectors
from zhengtong.eservices.models import Application
from zhengtong.eservices.tests.test_applications_cast import (
    AUTOMATIC_FORM,
    MANUAL_FORM,
    PASSWORD,
    ApplicationsCast,
    logged_in,
    make_cast,
)
from zhengtong.eservices.tests.test_applications_flow import submitted
from zhengtong.eservices.tests.test_licence_mapping import (
    RESTAURANT_FORM,
    MappingCast,
    complete,
    make_mapping_cast,
    submit,
    tasks_of,
)

pytestmark = [
    pytest.mark.browser,
    # The roles are seeded by data migrations; serialized rollback puts them
    # back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def cast(live_server: LiveServer) -> ApplicationsCast:
    return make_cast()


def log_in(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def handle(page: Page, choice: str, opinion: str) -> None:
    page.get_by_label(choice).check()
    page.get_by_label("办理意见").fill(opinion)
    page.get_by_role("button", name="提交办理结果").click()
    expect(page.get_by_text("环节。").first).to_be_visible()


def test_claim_accept_review_and_decide_on_the_workbench(
    page: Page,
    context: BrowserContext,
    live_server: LiveServer,
    screenshots: Path,
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.flagged_applicant)
    number = submitted(applicant, cast, AUTOMATIC_FORM, scanned_licence=True)["number"]

    log_in(page, live_server, "lisi")
    page.goto(f"{live_server.url}/services/work/")
    row = page.locator("tr", has_text=number)
    expect(row).to_contain_text("失信餐饮")
    shoot(page, screenshots, "workbench-worklist")
    row.get_by_role("button", name="认领").click()
    expect(row).to_contain_text("我已认领")
    row.get_by_role("link", name="办理").click()
    expect(page.locator("#credit-flag")).to_contain_text("严重失信主体")
    handle(page, "予以受理", "材料齐全，予以受理")

    context.clear_cookies()
    log_in(page, live_server, "zhaoshen")
    page.goto(f"{live_server.url}/services/work/")
    page.locator("tr", has_text=number).get_by_role("link", name=number).click()
    expect(page.locator("#credit-flag")).to_contain_text("拒不履行法院生效判决")
    shoot(page, screenshots, "workbench-item")
    handle(page, "审查通过", "符合许可条件")

    context.clear_cookies()
    log_in(page, live_server, "qianjue")
    page.goto(f"{live_server.url}/services/work/")
    page.locator("tr", has_text=number).get_by_role("link", name=number).click()
    page.get_by_label("不予许可").check()
    page.get_by_role("button", name="提交办理结果").click()
    expect(page.get_by_text("不予决定须写明理由和法律依据")).to_be_visible()
    shoot(page, screenshots, "workbench-refusal-errors")
    handle(page, "准予许可", "准予许可")
    expect(page.get_by_text("已准予并签发电子证照")).to_be_visible()
    assert Application.objects.get(number=number).state == "approved"


def test_the_worklist_pages_through_a_long_queue(
    page: Page,
    live_server: LiveServer,
    screenshots: Path,
    cast: ApplicationsCast,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two a page instead of fifty, so that three applications make two pages.
    monkeypatch.setattr(application_selectors, "WORKLIST_PAGE_SIZE", 2)
    applicant = logged_in(cast.applicant)
    numbers = [submitted(applicant, cast, MANUAL_FORM)["number"] for _ in range(3)]

    log_in(page, live_server, "lisi")
    page.goto(f"{live_server.url}/services/work/")
    expect(page.get_by_text("第 1 页，共 2 页")).to_be_visible()
    first = [n for n in numbers if page.locator("tr", has_text=n).count()]
    assert len(first) == 2
    shoot(page, screenshots, "workbench-worklist-pages")
    page.get_by_role("link", name="下一页").click()
    expect(page.get_by_text("第 2 页，共 2 页")).to_be_visible()
    assert "page=2" in page.url
    second = [n for n in numbers if page.locator("tr", has_text=n).count()]
    assert sorted(first + second) == sorted(numbers)
    page.get_by_role("link", name="上一页").click()
    expect(page.get_by_text("第 1 页，共 2 页")).to_be_visible()


@pytest.fixture
def parallel(live_server: LiveServer) -> MappingCast:
    return make_mapping_cast()


def test_two_departments_ask_for_one_correction_and_the_applicant_answers_once(
    page: Page, live_server: LiveServer, screenshots: Path, parallel: MappingCast
) -> None:
    citizen = logged_in(parallel.base.citizen)
    number = submit(citizen, parallel.restaurant, RESTAURANT_FORM)["number"]
    clerk = logged_in(parallel.base.clerk)
    complete(clerk, tasks_of(clerk, number)[0], "受理")
    (fire_task,) = tasks_of(logged_in(parallel.fire_reviewer), number)
    (environment_task,) = tasks_of(logged_in(parallel.environment_reviewer), number)

    # The fire brigade asks first: the clock stops.
    log_in(page, live_server, parallel.fire_reviewer.username)
    page.goto(f"{live_server.url}/services/work/{fire_task['id']}/")
    page.get_by_label("需要补正的内容（一次性告知）").fill("请补充消防设施平面图")
    page.get_by_role("button", name="告知补正（暂停计时）").click()
    expect(page.get_by_text("已告知申请人补正，办理时限暂停计算。")).to_be_visible()

    # The environment bureau, reviewing beside it, adds to the same request.
    page.context.clear_cookies()
    log_in(page, live_server, parallel.environment_reviewer.username)
    page.goto(f"{live_server.url}/services/work/{environment_task['id']}/")
    expect(page.get_by_role("heading", name="补充补正要求")).to_be_visible()
    shoot(page, screenshots, "parallel-work-item")
    page.get_by_label("需要补正的内容（一次性告知）").fill("请补充油烟净化设施说明")
    page.get_by_role("button", name="补充到本次补正").click()
    expect(page.get_by_text("已补充到本次补正，申请人将一次补齐。")).to_be_visible()

    # The applicant reads one request with both and answers once.
    page.context.clear_cookies()
    log_in(page, live_server, parallel.base.citizen.username)
    page.goto(f"{live_server.url}/services/mine/")
    inbox = page.locator("section[aria-labelledby='inbox-head']")
    expect(inbox.locator(".notification-unread", has_text="补正要求已补充")).to_have_count(1)
    expect(inbox.locator(".notification-unread", has_text="需要补正")).to_have_count(1)
    shoot(page, screenshots, "parallel-messages")
    inbox.get_by_role("button", name="全部标为已读").click()
    expect(page.locator(".notification-unread")).to_have_count(0)
    page.goto(f"{live_server.url}/services/mine/{number}/")
    request = page.locator("#correction-head + .notice")
    expect(request).to_contain_text("请补充消防设施平面图")
    expect(request).to_contain_text(f"{parallel.environment.name}：请补充油烟净化设施说明")
    shoot(page, screenshots, "parallel-correction")
    page.get_by_label("补正说明").fill("已补充平面图和油烟净化设施说明")
    page.get_by_role("button", name="提交补正").click()
    expect(page.get_by_text("补正材料已提交，办理时限恢复计算。")).to_be_visible()
    assert Application.objects.get(number=number).state == "accepted"

"""Random inspections in the browser: the regulator draws a task, the public checks it.

周检 of the city's environment bureau opens an announced task that is due,
draws it and records one result in place (htmx). Anyone then opens the
task's public page (一公开) without logging in: it shows the seed, the drawn
enterprises with their inspectors, the recorded result and that the
transcript recomputes (已验证), with the files and the command to check it.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_catalog import shoot
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.regulation.inspection_actions import do_register_inspector
from zhengtong.regulation.models import Inspection, InspectionTask
from zhengtong.regulation.tests.bureau import PASSWORD
from zhengtong.regulation.tests.test_inspection_supplementary import short_task
from zhengtong.regulation.tests.test_inspection_tasks import (
    LAW,
    InspectionCast,
    announce,
    make_inspection_cast,
)

pytestmark = [
    pytest.mark.browser,
    # The roles and the scorecard are seeded by data migrations; serialized
    # rollback puts them back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FINDINGS = "在线监测设备未按规定校准，责令五日内整改"


@pytest.fixture
def cast(live_server: LiveServer) -> InspectionCast:
    return make_inspection_cast()


def log_in(page: Page, live_server: LiveServer, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def test_the_regulator_draws_a_task_and_the_public_page_verifies_it(
    page: Page, live_server: LiveServer, screenshots: Path, cast: InspectionCast
) -> None:
    task = announce(cast, base_ratio="1/2")
    log_in(page, live_server, cast.regulator.username)

    # 1. The task list leads to the announced task, whose draw is due.
    page.goto(f"{live_server.url}/regulation/inspections/")
    expect(page.get_by_role("heading", name="双随机抽查", level=1)).to_be_visible()
    page.locator(f"#task-{task.code}").get_by_role("link", name=task.title).click()
    expect(page.get_by_role("heading", name=task.title, level=1)).to_be_visible()
    expect(page.locator("#task-state")).to_have_text("已公告，待抽取")
    expect(page.locator("#commitment")).to_have_text(task.commitment)
    expect(page.locator("#seed-hidden")).to_be_visible()
    shoot(page, screenshots, "regulation-inspection-announced")

    # 2. Drawn: the targets with their inspectors, one result form each.
    page.get_by_role("button", name="立即抽取").click()
    expect(page.locator("#task-state")).to_have_text("已抽取")
    drawn = InspectionTask.objects.get(pk=task.pk)
    expect(page.locator("#seed")).to_have_text(drawn.seed_hex)
    inspections = list(Inspection.objects.filter(task=task).select_related("enterprise"))
    assert inspections
    for inspection in inspections:
        expect(page.locator(f"#inspection-{inspection.pk}")).to_contain_text(
            inspection.enterprise.name
        )
    expect(page.locator("#verified")).to_be_visible()
    shoot(page, screenshots, "regulation-inspection-drawn")

    # 3. One result, recorded in place.
    first = inspections[0]
    row = page.locator(f"#inspection-{first.pk}")
    row.get_by_label("检查结果").select_option("problems")
    row.get_by_label("检查情况").fill(FINDINGS)
    row.get_by_role("button", name="录入结果").click()
    expect(row).to_contain_text("发现问题，责令整改")
    expect(row).to_contain_text(FINDINGS)
    expect(row.locator("form")).to_have_count(0)
    assert Inspection.objects.get(pk=first.pk).outcome == "problems"

    # 4. The public page, without logging in.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/regulation/public/inspections/")
    page.locator(f"#task-{task.code}").get_by_role("link", name=task.title).click()
    expect(page.get_by_role("heading", name=task.title, level=1)).to_be_visible()
    expect(page.locator("#verified")).to_contain_text("已验证")
    expect(page.locator("#seed")).to_have_text(drawn.seed_hex)
    public_row = page.locator(f"#inspection-{first.pk}")
    expect(public_row).to_contain_text(first.enterprise.name)
    expect(public_row).to_contain_text(FINDINGS)
    for inspector in first.inspectors.all():
        expect(public_row).to_contain_text(inspector.name)
    expect(page.get_by_role("link", name="下载抽取记录 transcript.json")).to_be_visible()
    expect(page.locator("#verify-command")).to_contain_text("inspection_draw verify")
    shoot(page, screenshots, "regulation-inspection-public")


def test_an_inspection_short_of_inspectors_is_filled_by_a_supplementary_draw(
    page: Page, live_server: LiveServer, screenshots: Path, cast: InspectionCast
) -> None:
    task = short_task(cast)
    short = Inspection.objects.get(task=task, enterprise=cast.worst)
    log_in(page, live_server, cast.regulator.username)
    page.goto(f"{live_server.url}/regulation/inspections/{task.code}/")
    row = page.locator(f"#inspection-{short.pk}")
    expect(row).to_contain_text("缺 1 名（需补充抽取）")
    expect(row).to_contain_text("补充抽取后才能录入检查结果")
    expect(row.get_by_label("检查结果")).to_have_count(0)
    shoot(page, screenshots, "regulation-inspection-short")

    # An inspector joins the register; the supplementary draw is announced, then drawn.
    do_register_inspector("HB034", "刘十", cast.branch, [LAW], actor=TEST_ACTOR)
    page.locator(f"#supplement-{short.pk}").click()
    expect(page.get_by_text("第 1 次补充抽取已公告")).to_be_visible()
    shoot(page, screenshots, "regulation-supplementary-announced")

    # Announced by mistake: cancelled with its reason (after a confirmation), then announced anew.
    page.get_by_text("撤销本次补充抽取").click()
    page.get_by_label("撤销原因").fill("公告有误，重新公告")
    questions: list[str] = []

    def accept(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.locator("#supplementary-cancel-button").click()
    expect(page.get_by_text("第 1 次补充抽取已撤销")).to_be_visible()
    assert questions and "确定撤销吗" in questions[0]
    expect(page.locator("#supplementary-1-cancelled")).to_contain_text("公告有误，重新公告")
    shoot(page, screenshots, "regulation-supplementary-cancelled")
    page.locator(f"#supplement-{short.pk}").click()
    expect(page.get_by_text("第 2 次补充抽取已公告")).to_be_visible()

    page.get_by_role("button", name="立即补充抽取").click()
    expect(page.get_by_text("检查人员已全部补足")).to_be_visible()
    expect(page.locator("#supplementary-2-verified")).to_be_visible()
    row = page.locator(f"#inspection-{short.pk}")
    expect(row).to_contain_text("刘十")
    expect(row.get_by_label("检查结果")).to_be_visible()
    shoot(page, screenshots, "regulation-supplementary-drawn")

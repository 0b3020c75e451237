"""In a real browser (headless Chromium): a file chosen for a material is handed
in by the form's own button (提交补正, 提交申请), without pressing the
material's 上传 button."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from zhengtong.eservices.models import Application, ApplicationMaterial
from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
    PASSWORD,
    PDF,
    ApplicationsCast,
    logged_in,
    make_cast,
    material,
)
from zhengtong.eservices.tests.test_applications_flow import (
    ask_for_correction,
    do_step,
    draft,
    submitted,
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


def log_in(page: Page, live_server: LiveServer, applications: ApplicationsCast) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill(applications.applicant.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    made = context.new_page()
    problems: list[str] = []
    made.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield made
    context.close()
    assert problems == []


def test_a_file_chosen_for_a_correction_is_handed_in_with_it(
    page: Page, live_server: LiveServer, applications: ApplicationsCast, tmp_path: Path
) -> None:
    number = submitted(logged_in(applications.applicant), applications, MANUAL_FORM)["number"]
    do_step(logged_in(applications.clerk), number, passed=True, opinion="予以受理")
    ask_for_correction(logged_in(applications.reviewer), number, "请重新提交设备设施布局图")
    layout = material(applications.food, "设备设施")
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(PDF + b"% the corrected plan\n")

    log_in(page, live_server, applications)
    page.goto(f"{live_server.url}/services/mine/{number}/")
    expect(page.get_by_role("heading", name="补正告知")).to_be_visible()

    page.locator(f"#file-{layout.pk}").set_input_files(plan)
    page.get_by_label("补正说明").fill("已重新提交布局图")
    page.get_by_role("button", name="提交补正").click()
    expect(page.get_by_text("补正材料已提交，办理时限恢复计算。")).to_be_visible()

    application = Application.objects.get(number=number)
    assert application.state == "accepted"
    stored = ApplicationMaterial.objects.get(application=application, material=layout)
    assert stored.file_name == "plan.pdf"
    assert stored.file.read() == plan.read_bytes()


def test_files_chosen_on_the_apply_page_are_submitted_with_it(
    page: Page, live_server: LiveServer, applications: ApplicationsCast, tmp_path: Path
) -> None:
    food = applications.food
    number = draft(logged_in(applications.applicant), applications, MANUAL_FORM)["number"]
    layout = material(food, "设备设施")
    rules = material(food, "规章制度")
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(PDF)
    rulebook = tmp_path / "rules.pdf"
    rulebook.write_bytes(PDF + b"% rules\n")

    log_in(page, live_server, applications)
    page.goto(f"{live_server.url}/services/apply/?item={food.code}&number={number}")
    page.locator(f"#file-{layout.pk}").set_input_files(plan)
    page.locator(f"#file-{rules.pk}").set_input_files(rulebook)
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("申请已提交，请等待受理。")).to_be_visible()

    application = Application.objects.get(number=number)
    assert application.state == "submitted"
    names = dict(
        ApplicationMaterial.objects.filter(application=application, kind="upload").values_list(
            "material_id", "file_name"
        )
    )
    assert names[layout.pk] == "plan.pdf" and names[rules.pk] == "rules.pdf"

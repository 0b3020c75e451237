"""A visitor with only a keyboard sends a 12345 message, from the skip link to the case number.

No mouse: Tab moves, keys type, Space ticks, Enter sends. Every stop of the
keyboard must show where it is (an outline or a ring), the stops follow the
form's order, and a refused form names its error in the field's accessible
description, as a screen reader reads it.
"""

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from zhengtong.hotline.models import Case

pytestmark = [
    pytest.mark.browser,
    # The roles are seeded by data migrations; serialized rollback puts them
    # back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Where the keyboard is, and whether the page shows it there.
FOCUSED = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
  return {
    tag: e.tagName.toLowerCase(),
    id: e.id,
    text: (e.innerText || "").trim().slice(0, 40),
    shown: outline || s.boxShadow !== "none",
  };
}"""


def tab(page: Page) -> dict[str, Any]:
    page.keyboard.press("Tab")
    stop: dict[str, Any] = page.evaluate(FOCUSED)
    assert stop["shown"], f"the keyboard's place is not shown on {stop}"
    return stop


def tab_until(page: Page, reached: Callable[[dict[str, Any]], bool], limit: int = 40) -> None:
    """Tab until ``reached`` holds for the element that has the keyboard."""
    stops = []
    for _ in range(limit):
        stops.append(tab(page))
        if reached(stops[-1]):
            return
    raise AssertionError(f"Tab never reached it: {stops}")


def test_a_visitor_sends_a_message_with_the_keyboard_alone(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(f"{live_server.url}/hotline/new/")
    # The first stop skips the navigation; the next one is the form's first field.
    assert tab(page)["text"] == "跳到主要内容"
    page.keyboard.press("Enter")
    assert tab(page)["id"] == "id_title"
    page.keyboard.type("楼下烧烤油烟扰民")
    # The fields come in the order they are read.
    for element_id, text in (
        ("id_content", "芙蓉区文艺路街道锦绣小区楼下的烧烤店每晚油烟很大，家里不能开窗"),
        ("id_location_text", "芙蓉区文艺路街道锦绣小区"),
        ("id_contact_name", "王先生"),
        ("id_contact_phone", "12345"),  # a number too short to call back
    ):
        assert tab(page)["id"] == element_id
        page.keyboard.type(text)
    assert tab(page)["id"] == "id_anonymous"
    assert tab(page)["id"] == "id_photos"
    assert tab(page)["text"] == "提交诉求"
    page.keyboard.press("Enter")

    # Refused: what was typed is kept, and the phone field carries its error.
    phone = page.get_by_label("联系电话")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(re.compile("联系电话格式不正确"))
    expect(page.get_by_label("诉求内容")).to_have_value(re.compile("锦绣小区楼下的烧烤店"))
    assert not Case.objects.exists()

    # The keyboard goes back to the phone, puts it right and sends again.
    tab_until(page, lambda stop: stop["id"] == "id_contact_phone")
    page.keyboard.press("Control+A")
    page.keyboard.type("13812345678")
    assert tab(page)["id"] == "id_anonymous"
    page.keyboard.press("Space")
    expect(page.get_by_label("匿名反映")).to_be_checked()
    page.keyboard.press("Space")  # a phone is given after all: not anonymous
    expect(page.get_by_label("匿名反映")).not_to_be_checked()
    tab_until(page, lambda stop: stop["text"] == "提交诉求")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="诉求已提交")).to_be_visible()
    case = Case.objects.get()
    assert case.contact_phone == "13812345678" and "锦绣小区" in case.location_text

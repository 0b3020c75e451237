"""A 附议数 written with thousands separators is the number it shows.

Message boards and spreadsheets write 1,234, a Chinese input method 1，234
(a full-width comma), and some exports 1 234: each is 1234. A negative, a
decimal or text is still refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, workbook
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def test_supporters_with_separators_are_read_and_bad_ones_refused(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    counts = [
        "1,234",
        "1，234",
        " 1 234 ",
        "12,345,678",
        "1\u00a0234",
        "-1,234",
        "1.5",
        "很多",
        "12,34",
    ]
    buffer = workbook(
        ["内容", "联系电话", "附议数"],
        *(
            [f"第{n}号路口的红绿灯坏了好几天，车辆行人都很危险，请尽快修复。", f"1390000{n:04d}", c]
            for n, c in enumerate(counts)
        ),
    )
    http = as_user(cast.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        queued = ok(http.post(f"{URL}/imports", {"file": buffer}), 202)
    report = ok(http.get(f"{URL}/imports/{queued['id']}"))
    by_phone = dict(
        Case.objects.filter(number__in=report["created"] + report["merged"]).values_list(
            "contact_phone", "supporters"
        )
    )
    assert by_phone == {
        "13900000000": 1234,
        "13900000001": 1234,
        "13900000002": 1234,
        "13900000003": 12345678,
        "13900000004": 1234,
    }
    assert [(e["row"], e["code"]) for e in report["errors"]] == [
        (7, "invalid_supporters"),
        (8, "invalid_supporters"),
        (9, "invalid_supporters"),
        (10, "invalid_supporters"),
    ]
    messages = {e["row"]: e["message"] for e in report["errors"]}
    assert messages[7] == "附议数不能为负数。"
    assert messages[8] == "附议数“1.5”不是整数。"

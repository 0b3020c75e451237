"""A workbook's cells are read as spreadsheets and other systems write them.

Exported from another system or typed by hand, a 受理时间 is often text, not
a date cell: 2026/12/1 9:30 (Excel's own way of showing it in a Chinese
setting), or 2026年12月1日 9时30分. A landline typed into a number cell,
073188881234, is kept by Excel as the number 73188881234. Such rows were
refused one by one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, workbook
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def test_times_written_without_padding_or_in_chinese_are_read(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    # Early in a month and a morning hour, so nothing is padded with zeros.
    day = (timezone.localtime() - dt.timedelta(days=40)).replace(day=3)
    buffer = workbook(
        ["内容", "受理时间", "联系电话"],
        [
            "小区门口的路灯坏了一个多月，晚上出行很不方便。",
            f"{day.year}/{day.month}/{day.day} 9:05",
            "13900004444",
        ],
        [
            "工地夜间施工噪音扰民，影响附近居民休息。",
            f"{day.year}年{day.month}月{day.day}日 8时30分",
            "13900006666",
        ],
        [
            "菜市场门口占道经营，车辆无法通行。",
            f"{day.year}-{day.month}-{day.day}",
            "13900007777",
        ],
    )
    http = as_user(cast.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        queued = ok(http.post(f"{URL}/imports", {"file": buffer}), 202)
    report = ok(http.get(f"{URL}/imports/{queued['id']}"))
    assert report["errors"] == []
    received = sorted(
        timezone.localtime(c.received_at).strftime("%H:%M")
        for c in Case.objects.filter(number__in=report["created"])
    )
    assert received == ["00:00", "08:30", "09:05"]
    assert {timezone.localtime(c.received_at).date() for c in Case.objects.all()} == {day.date()}


def test_a_time_that_is_no_date_is_still_refused_by_row(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    buffer = workbook(
        ["内容", "受理时间", "联系电话"],
        ["小区门口的路灯坏了一个多月，晚上出行很不方便。", "2026/13/1 9:05", "13900004444"],
    )
    http = as_user(cast.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        queued = ok(http.post(f"{URL}/imports", {"file": buffer}), 202)
    report = ok(http.get(f"{URL}/imports/{queued['id']}"))
    assert [(e["row"], e["code"]) for e in report["errors"]] == [(2, "invalid_received_at")]


def test_a_landline_in_a_number_cell_keeps_its_area_codes_zero(
    cast: HotlineCast, django_capture_on_commit_callbacks: Any
) -> None:
    buffer = workbook(
        ["内容", "联系电话"],
        ["小区门口的路灯坏了一个多月，晚上出行很不方便。", 73188881234],
        ["菜市场门口占道经营，车辆无法通行，希望尽快处理。", 13900004444],
        ["工地夜间施工噪音扰民，影响附近居民休息。", 8881234],
        # An enterprise's 400 number has no area code: no 0 is made up for it.
        ["快递网点拒不派送，客服电话无人接听。", 4008123123],
    )
    http = as_user(cast.dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        queued = ok(http.post(f"{URL}/imports", {"file": buffer}), 202)
    report = ok(http.get(f"{URL}/imports/{queued['id']}"))
    # A local landline without its area code takes the city's; the 400
    # number is kept as its ten digits.
    assert report["errors"] == []
    phones = sorted(Case.objects.values_list("contact_phone", flat=True))
    assert phones == ["07318881234", "073188881234", "13900004444", "4008123123"]

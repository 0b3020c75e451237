"""Odd files given to the bulk import and the classifying command.

A workbook damaged inside (a sheet cut short in transfer) is refused as not a
workbook, not answered with a server error; one with messages on a second
sheet is refused, since only the first sheet is imported; a CSV whose messages hold
characters Unicode counts as line breaks (a form feed, U+2028 pasted from a
web page) keeps one output row per message; a path that is not a readable
file is reported as such.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from zhengtong.hotline.models import CaseImport
from zhengtong.hotline.tests.api_calls import POLLUTION, URL, as_user, ok, workbook
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model


@pytest.fixture
def cast(db: Any) -> HotlineCast:
    return make_hotline_cast()


def _cut_sheet(data: bytes) -> io.BytesIO:
    """The workbook with its first sheet's XML cut in half, as a broken transfer leaves it."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body[: len(body) // 2]
            target.writestr(item, body)
    out.seek(0)
    out.name = "calls.xlsx"
    return out


def test_a_workbook_with_a_damaged_sheet_is_refused_as_not_a_workbook(cast: HotlineCast) -> None:
    rows = [["内容", "联系电话"]] + [[f"{POLLUTION}{n}", "13900004444"] for n in range(40)]
    damaged = _cut_sheet(workbook(*rows).getvalue())
    http = as_user(cast.dispatcher)
    refused = ok(http.post(f"{URL}/imports", {"file": damaged}), 400)
    assert refused["code"] == "not_xlsx"
    assert not CaseImport.objects.exists()
    # The call page says so too.
    page = http.post("/hotline/imports/", {"file": _cut_sheet(workbook(*rows).getvalue())})
    assert page.status_code == 400
    assert "文件不是有效的 XLSX 工作簿。" in page.content.decode()


@pytest.fixture
def active_model(cast: HotlineCast) -> None:
    train_active_model()


@pytest.mark.parametrize("separator", ["\x0c", "\x1c", "\x1e", "\x85", "\u2028", "\u2029", "\x0b"])
def test_classifying_keeps_one_row_per_message_whatever_characters_it_holds(
    active_model: None, tmp_path: Path, separator: str
) -> None:
    source = tmp_path / "messages.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "body"])
        writer.writerow(["1", "", f"幼儿园违规收取补课费{separator}家长意见很大。"])
        writer.writerow(["2", "", "化工厂每天晚上排放刺鼻废气。"])
    result = tmp_path / "out.csv"
    call_command("hotline_classify", str(source), str(result), stderr=io.StringIO())
    with result.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["id"] for row in rows] == ["1", "2"]
    assert rows[0]["body"] == f"幼儿园违规收取补课费{separator}家长意见很大。"


def test_classifying_a_folder_or_into_a_missing_folder_is_refused_with_a_message(
    active_model: None, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="不是文件"):
        call_command("hotline_classify", str(tmp_path), str(tmp_path / "out.csv"))
    source = tmp_path / "messages.csv"
    source.write_text("title,body\n,化工厂每天晚上排放刺鼻废气。\n", encoding="utf-8")
    with pytest.raises(CommandError, match="无法写入"):
        call_command("hotline_classify", str(source), str(tmp_path / "missing" / "out.csv"))


def _two_sheets(second: list[list[object]]) -> io.BytesIO:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "一月"
    first.append(["内容", "联系电话"])
    first.append([POLLUTION, "13900004444"])
    other = book.create_sheet("二月")
    for row in second:
        other.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "calls.xlsx"
    return buffer


def test_a_workbook_with_messages_on_a_second_sheet_is_refused_rather_than_half_imported(
    cast: HotlineCast,
) -> None:
    http = as_user(cast.dispatcher)
    months = _two_sheets(
        [["内容", "联系电话"], ["小区路灯损坏没人修，晚上出行很不方便。", "13900006666"]]
    )
    refused = ok(http.post(f"{URL}/imports", {"file": months}), 400)
    assert refused["code"] == "messages_in_other_sheets"
    assert "二月" in refused["message"]
    assert not CaseImport.objects.exists()
    # A sheet of something else (the urgency words, say) is no message sheet.
    lookup = _two_sheets([["紧急程度", "说明"], ["特急", "一小时内派单"]])
    assert ok(http.post(f"{URL}/imports", {"file": lookup}), 202)["total_rows"] == 1

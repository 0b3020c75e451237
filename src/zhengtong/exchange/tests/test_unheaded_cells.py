"""Values in a column without a header are reported, not dropped.

吴十, data officer of the market bureau, uploads the enterprise registry. A
value under a blank header cell, or beyond the header row's last cell, names
no item: its row is reported (``no_header``) and left out, the good rows are
kept; empty cells there, which spreadsheets carry, change nothing.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from zhengtong.core.testing import make_credit_code
from zhengtong.exchange.models import Record
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import ENTERPRISES, Sharing, logged_in, make_sharing

SLUG = ENTERPRISES.replace("/", "-")
HEADER = ["uscc", "name", "", "phone"]


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _lines() -> list[list[str]]:
    return [
        HEADER,
        # Row 2: good, with empty cells under the blank header and past the end.
        [make_credit_code(seq=901), "甲餐馆", "", "13800000001", "", "  "],
        # Row 3: a value under the blank header.
        [make_credit_code(seq=902), "乙餐馆", "备注", "13800000002"],
        # Row 4: values beyond the header row's last cell.
        [make_credit_code(seq=903), "丙餐馆", "", "13800000003", "", "多出的值", "又一个"],
        # Row 5: only a value beyond the header: no blank row to skip.
        ["", "", "", "", "孤零零的值"],
        # Row 6: good, shorter than the header.
        [make_credit_code(seq=904), "丁餐馆"],
    ]


def _csv() -> bytes:
    return "\n".join(",".join(line) for line in _lines()).encode()


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in _lines():
        # A workbook's empty cell is no value at all, not an empty text.
        sheet.append([cell if cell.strip() else None for cell in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("name", "content"), [("firms.csv", _csv), ("firms.xlsx", _xlsx)])
def test_a_value_in_a_column_without_a_header_is_reported_by_row(
    sharing: Sharing, name: str, content: object
) -> None:
    assert callable(content)
    upload = SimpleUploadedFile(name, content())
    answer = logged_in(sharing.officer).post(
        f"/api/exchange/datasets/{SLUG}/uploads", {"file": upload}
    )
    assert answer.status_code == 200, answer.content
    report = answer.json()
    assert [(p["row"], p["code"]) for p in report["problems"]] == [
        (3, "no_header"),
        (4, "no_header"),
        (5, "no_header"),
    ]
    reasons = [p["reason"] for p in report["problems"]]
    assert "3" in reasons[0] and "6、7" in reasons[1] and "5" in reasons[2]
    assert report["version"]["accepted"] == 2 and report["version"]["rejected"] == 3
    kept = set(
        Record.objects.filter(dataset__resource=sharing.enterprises).values_list("key", flat=True)
    )
    assert {make_credit_code(seq=901), make_credit_code(seq=904)} <= kept
    assert make_credit_code(seq=902) not in kept and make_credit_code(seq=903) not in kept


def test_the_page_lists_a_row_with_a_value_without_a_header(sharing: Sharing) -> None:
    upload = SimpleUploadedFile("firms.csv", _csv())
    page = logged_in(sharing.officer).post(f"/exchange/datasets/{SLUG}/", {"file": upload})
    assert page.status_code == 200
    problems = page.context["report"].problems
    assert [(p.row, p.code) for p in problems] == [
        (3, "no_header"),
        (4, "no_header"),
        (5, "no_header"),
    ]
    assert "第3列有值，但表头中没有对应的信息项。" in page.content.decode()


def test_every_reported_row_has_a_stable_code(sharing: Sharing) -> None:
    rows = [
        {"uscc": make_credit_code(seq=911), "colour": "红"},
        {"name": "乙"},
        {"uscc": make_credit_code(seq=912), "name": "长" * 300},
        {"uscc": make_credit_code(seq=913), "name": "丙"},
        {"uscc": make_credit_code(seq=913), "name": "丁"},
        {"uscc": "", "name": ""},
        {"uscc": "9" * 101},
    ]
    answer = sharing.api(sharing.pusher_token).post(
        f"/api/exchange/shared/{SLUG}/records", {"rows": rows}, "application/json"
    )
    assert answer.status_code == 200, answer.content
    assert [(p["row"], p["code"]) for p in answer.json()["problems"]] == [
        (1, "unknown_item"),
        (2, "key_required"),
        (3, "invalid_value"),
        (5, "duplicate_key"),
        (6, "blank_row"),
        (7, "invalid_value"),
    ]

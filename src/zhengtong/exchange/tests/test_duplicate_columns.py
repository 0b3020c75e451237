"""A file whose header names one item twice is refused as a whole; a pushed row, by itself.

A header that repeats a column, or names an item both by its code and by its
name (``name`` and 企业名称), gives two values for one item in every row, and
which of them is meant cannot be known: keeping either would lose the other
without a word. 吴十 of the market bureau uploads such files; the bureau's
system pushes such a row.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from zhengtong.core.testing import make_credit_code
from zhengtong.exchange.models import DatasetVersion, HostedDataset, Record
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import ENTERPRISES, Sharing, logged_in, make_sharing
from zhengtong.ledger.models import LedgerEntry

SLUG = ENTERPRISES.replace("/", "-")
FIRST, SECOND = make_credit_code(seq=901), make_credit_code(seq=902)


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _csv(header: str) -> bytes:
    return f"{header}\n{FIRST},甲餐馆,乙餐馆\n{SECOND},丙餐馆,丙餐馆\n".encode()


def _xlsx(header: list[str]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    sheet.append([FIRST, "甲餐馆", "乙餐馆"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _kept(sharing: Sharing) -> tuple[int, int, int]:
    dataset = HostedDataset.objects.get(resource=sharing.enterprises)
    return (
        DatasetVersion.objects.filter(dataset=dataset).count(),
        Record.objects.filter(dataset=dataset).count(),
        LedgerEntry.objects.count(),
    )


AMBIGUOUS = pytest.mark.parametrize(
    ("name", "content", "columns", "positions"),
    [
        ("企业.csv", _csv("uscc,name,企业名称"), ["name", "企业名称"], [2, 3]),
        ("企业.csv", _csv("uscc,企业名称, 企业名称 "), ["企业名称", "企业名称"], [2, 3]),
        ("企业.xlsx", _xlsx(["uscc", "name", "name"]), ["name", "name"], [2, 3]),
    ],
    ids=["code-and-name", "repeated-name", "repeated-code-xlsx"],
)


@AMBIGUOUS
def test_the_api_refuses_a_file_that_names_an_item_twice_and_keeps_nothing(
    sharing: Sharing, name: str, content: bytes, columns: list[str], positions: list[int]
) -> None:
    before = _kept(sharing)
    answer = logged_in(sharing.officer).post(
        f"/api/exchange/datasets/{SLUG}/uploads", {"file": SimpleUploadedFile(name, content)}
    )
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["code"] == "duplicate_column"
    assert body["detail"]["duplicates"] == [
        {"item": "name", "columns": columns, "positions": positions}
    ]
    assert "企业名称" in body["message"] and "整个文件未载入" in body["message"]
    assert _kept(sharing) == before


def test_the_page_says_which_columns_name_one_item_and_keeps_nothing(sharing: Sharing) -> None:
    before = _kept(sharing)
    page = logged_in(sharing.officer).post(
        f"/exchange/datasets/{sharing.enterprises.slug}/",
        {"file": SimpleUploadedFile("企业.csv", _csv("uscc,name,企业名称"))},
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "表头第2、3列（“name”、“企业名称”）都是信息项“企业名称”" in text
    assert _kept(sharing) == before


def test_a_repeated_column_that_names_no_item_is_refused_as_well(sharing: Sharing) -> None:
    before = _kept(sharing)
    answer = logged_in(sharing.officer).post(
        f"/api/exchange/datasets/{SLUG}/uploads",
        {"file": SimpleUploadedFile("企业.csv", "uscc,name,备注,备注\n".encode() + b"x,y,1,2\n")},
    )
    assert answer.status_code == 400 and answer.json()["code"] == "duplicate_column"
    assert answer.json()["detail"]["duplicates"] == [
        {"item": "", "columns": ["备注", "备注"], "positions": [3, 4]}
    ]
    assert _kept(sharing) == before


def test_a_pushed_row_that_names_an_item_twice_is_reported_and_the_rest_kept(
    sharing: Sharing,
) -> None:
    http: Client = sharing.api(sharing.pusher_token)
    answer = http.post(
        f"/api/exchange/shared/{SLUG}/records",
        {
            "rows": [
                {"uscc": FIRST, "name": "甲餐馆", "企业名称": "乙餐馆"},
                {"uscc": SECOND, "name": "丙餐馆"},
            ]
        },
        "application/json",
    )
    assert answer.status_code == 200, answer.content
    report = answer.json()
    assert [(p["row"], p["code"], p["item"]) for p in report["problems"]] == [
        (1, "duplicate_column", "name")
    ]
    assert "“name”、“企业名称”" in report["problems"][0]["reason"]
    assert report["version"]["accepted"] == 1
    dataset = HostedDataset.objects.get(resource=sharing.enterprises)
    assert not Record.objects.filter(dataset=dataset, key=FIRST).exists()
    assert Record.objects.get(dataset=dataset, key=SECOND).values["name"] == "丙餐馆"

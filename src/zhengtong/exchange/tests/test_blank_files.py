"""Loads and withdrawals that would make a version of nothing, or name it invisibly, make none.

Excel saves a sheet's empty but formatted rows: as lines of bare commas in a
CSV, as rows of empty cells in a workbook. 吴十, data officer of the market
bureau, uploads such a file holding its header only; the market bureau's
system asks to withdraw no key at all, or only keys with no live record, and
names a push with a control character in it.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from openpyxl.styles import Font

from zhengtong.core.testing import make_credit_code
from zhengtong.exchange.models import DatasetVersion, HostedDataset
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import ENTERPRISES, Sharing, logged_in, make_sharing
from zhengtong.ledger.models import LedgerEntry

SLUG = ENTERPRISES.replace("/", "-")


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _kept(sharing: Sharing) -> tuple[int, int]:
    dataset = HostedDataset.objects.get(resource=sharing.enterprises)
    return DatasetVersion.objects.filter(dataset=dataset).count(), LedgerEntry.objects.count()


def _workbook_with_empty_rows() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["uscc", "name"])
    # Formatted cells with no value: saved, and read back as rows of empty cells.
    for row in (2, 3, 4):
        for column in (1, 2):
            sheet.cell(row=row, column=column).font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


BLANK = pytest.mark.parametrize(
    ("name", "content"),
    [
        ("企业.csv", b"uscc,name\r\n,\r\n,\r\n , \r\n"),
        ("企业.csv", b"\n\n\n"),
        ("企业.xlsx", _workbook_with_empty_rows()),
    ],
    ids=["csv-bare-commas", "csv-blank-lines", "xlsx-formatted-empty-rows"],
)


@BLANK
def test_the_api_refuses_a_file_of_blank_rows_and_keeps_no_version(
    sharing: Sharing, name: str, content: bytes
) -> None:
    before = _kept(sharing)
    answer = logged_in(sharing.officer).post(
        f"/api/exchange/datasets/{SLUG}/uploads", {"file": SimpleUploadedFile(name, content)}
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "no_rows"
    assert _kept(sharing) == before


@BLANK
def test_the_page_says_a_file_of_blank_rows_has_nothing_to_load(
    sharing: Sharing, name: str, content: bytes
) -> None:
    before = _kept(sharing)
    page = logged_in(sharing.officer).post(
        f"/exchange/datasets/{sharing.enterprises.slug}/",
        {"file": SimpleUploadedFile(name, content)},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "没有可载入的记录行。" in html and "版已导入" not in html
    assert _kept(sharing) == before


def test_a_withdrawal_of_no_keys_is_refused_and_keeps_no_version(sharing: Sharing) -> None:
    before = _kept(sharing)
    answer = sharing.api(sharing.pusher_token).post(
        f"/api/exchange/shared/{SLUG}/records:delete", {"keys": []}, "application/json"
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "no_keys"
    assert _kept(sharing) == before


def test_a_withdrawal_of_only_unknown_or_deleted_keys_is_refused_key_by_key(
    sharing: Sharing,
) -> None:
    http = sharing.api(sharing.pusher_token)
    path = f"/api/exchange/shared/{SLUG}/records:delete"
    first = http.post(path, {"keys": [sharing.uscc]}, "application/json")
    assert first.status_code == 200, first.content
    before = _kept(sharing)
    unknown = make_credit_code(seq=4343)
    # Sent again, as a retried nightly sync would: the record is gone already.
    again = http.post(path, {"keys": [sharing.uscc, unknown, "不是代码"]}, "application/json")
    assert again.status_code == 400, again.content
    assert again.json()["code"] == "nothing_to_delete"
    assert [(p["key"], p["code"]) for p in again.json()["detail"]["problems"]] == [
        (sharing.uscc, "already_deleted"),
        (unknown, "unknown_key"),
        ("不是代码", "unknown_key"),
    ]
    assert _kept(sharing) == before


@pytest.mark.parametrize("path", ["records", "records:delete"])
def test_a_source_name_holding_a_control_character_is_refused(sharing: Sharing, path: str) -> None:
    # Shown as 来源 in the dataset's versions and kept in the ledger: an
    # escape sequence there would be invisible, or rewrite what a terminal shows.
    body = (
        {"rows": [{"uscc": sharing.uscc, "name": "长沙某某餐饮"}]}
        if path == "records"
        else {"keys": [sharing.uscc]}
    )
    before = _kept(sharing)
    answer = sharing.api(sharing.pusher_token).post(
        f"/api/exchange/shared/{SLUG}/{path}",
        body | {"source_name": "夜间同步\u001b[2J"},
        "application/json",
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "control_character"
    assert answer.json()["detail"] == {"field": "source_name", "char": "U+001B"}
    assert _kept(sharing) == before

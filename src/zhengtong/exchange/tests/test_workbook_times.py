"""A date-time cell of a workbook loads to the nearest second, whatever fraction it holds.

Excel keeps a date-time as a fraction of a day, so a time typed with =NOW()
and pasted as a value, or one computed from others, carries milliseconds
the cell does not show. 吴十, data officer of the market bureau, uploads
such a workbook.
"""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from zhengtong.core.testing import make_credit_code
from zhengtong.exchange.models import Record
from zhengtong.exchange.tests.cast import ExchangeCast

SLUG = "102000000-000001"


def _officer(cast: ExchangeCast) -> Client:
    http = Client()
    http.force_login(cast.catalog.officer)
    registered = http.post(
        "/api/exchange/datasets",
        {"resource_code": "102000000/000001", "key_item_code": "uscc"},
        "application/json",
    )
    assert registered.status_code == 201
    return http


@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        (dt.datetime(2024, 5, 1, 8, 30, 15, 400_000), "2024-05-01 08:30:15"),
        (dt.datetime(2024, 5, 1, 8, 30, 15, 667_000), "2024-05-01 08:30:16"),
        (dt.datetime(2024, 5, 1, 23, 59, 59, 999_000), "2024-05-02 00:00:00"),
    ],
)
def test_a_date_time_cell_with_a_fraction_of_a_second_loads_as_whole_seconds(
    cast: ExchangeCast, cell: dt.datetime, stored: str
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["uscc", "checked_at"])
    sheet.append([make_credit_code(seq=5), cell])
    out = io.BytesIO()
    book.save(out)
    answer = _officer(cast).post(
        f"/api/exchange/datasets/{SLUG}/uploads",
        {"file": SimpleUploadedFile("企业.xlsx", out.getvalue())},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["problems"] == []
    record = Record.objects.get(key=make_credit_code(seq=5))
    assert record.values["checked_at"] == stored

"""A workbook whose recorded used range is wrong loads every row and column it holds.

A sheet records its used range (``<dimension ref="A1:B4"/>``); some programs
that write XLSX files record a wrong one, often just "A1". 吴十, data officer
of the market bureau, uploads such a workbook of three enterprises.
"""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from zhengtong.core.testing import make_credit_code
from zhengtong.exchange.models import Record
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import ENTERPRISES, Sharing, logged_in, make_sharing

SLUG = ENTERPRISES.replace("/", "-")
FIRMS = [(make_credit_code(seq=900 + n), f"长沙第{n}餐馆") for n in range(3)]


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _workbook(recorded_range: str) -> bytes:
    """Three enterprises under a header; the sheet records ``recorded_range`` as its used range."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["uscc", "name"])
    for firm in FIRMS:
        sheet.append(list(firm))
    whole = io.BytesIO()
    book.save(whole)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(whole.getvalue())) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("worksheets/sheet1.xml"):
                data, found = re.subn(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="{recorded_range}"'.encode(), data
                )
                assert found == 1
            target.writestr(info, data)
    return out.getvalue()


def _stored(sharing: Sharing) -> dict[str, str]:
    records = Record.objects.filter(
        dataset__resource=sharing.enterprises, key__in=[key for key, _name in FIRMS]
    )
    return {r.key: r.values.get("name", "") for r in records}


RANGES = pytest.mark.parametrize("recorded_range", ["A1", "A1:B2", "A1:A4"])


@RANGES
def test_the_api_loads_every_row_and_column_of_a_workbook(
    sharing: Sharing, recorded_range: str
) -> None:
    answer = logged_in(sharing.officer).post(
        f"/api/exchange/datasets/{SLUG}/uploads",
        {"file": SimpleUploadedFile("企业.xlsx", _workbook(recorded_range))},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["version"]["accepted"] == len(FIRMS)
    assert _stored(sharing) == dict(FIRMS)


@RANGES
def test_the_page_loads_every_row_and_column_of_a_workbook(
    sharing: Sharing, recorded_range: str
) -> None:
    page = logged_in(sharing.officer).post(
        f"/exchange/datasets/{sharing.enterprises.slug}/",
        {"file": SimpleUploadedFile("企业.xlsx", _workbook(recorded_range))},
    )
    assert page.status_code == 200
    assert f"接受 {len(FIRMS)} 行，退回 0 行" in page.content.decode()
    assert _stored(sharing) == dict(FIRMS)

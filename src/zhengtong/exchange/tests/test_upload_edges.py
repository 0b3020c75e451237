"""Uploads that break only when their rows are read: a truncated sheet, an overlong CSV cell.

吴十, data officer of the market bureau, loads the enterprise registry through
the API and on the page; a file that cannot be read keeps nothing.
"""

import csv
import io
import zipfile
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from zhengtong.core.testing import make_credit_code
from zhengtong.exchange.models import DatasetVersion, HostedDataset
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import ENTERPRISES, Sharing, logged_in, make_sharing
from zhengtong.ledger.models import LedgerEntry

SLUG = ENTERPRISES.replace("/", "-")


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _truncated_workbook() -> bytes:
    """A workbook whose container is sound but whose sheet's XML stops half-way."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["uscc", "name"])
    for seq in range(50):
        sheet.append([make_credit_code(seq=700 + seq), f"长沙第{seq}餐馆"])
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
                data = data[: len(data) // 2]
            target.writestr(info.filename, data)
    return out.getvalue()


def _overlong_cell_csv() -> bytes:
    cell = "长" * (csv.field_size_limit() + 1)
    return f'uscc,name\n{make_credit_code(seq=801)},"{cell}"\n'.encode()


BROKEN = pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("企业.xlsx", _truncated_workbook, "无法读取该Excel文件。"),
        ("企业.csv", _overlong_cell_csv, "无法读取该CSV文件。"),
    ],
    ids=["truncated-sheet", "overlong-csv-cell"],
)


def _kept(sharing: Sharing) -> tuple[int, int]:
    dataset = HostedDataset.objects.get(resource=sharing.enterprises)
    return DatasetVersion.objects.filter(dataset=dataset).count(), LedgerEntry.objects.count()


@BROKEN
def test_the_api_refuses_a_file_whose_rows_cannot_be_read_and_keeps_nothing(
    sharing: Sharing, name: str, content: Callable[[], bytes], message: str
) -> None:
    before = _kept(sharing)
    answer = logged_in(sharing.officer).post(
        f"/api/exchange/datasets/{SLUG}/uploads", {"file": SimpleUploadedFile(name, content())}
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "unreadable_file"
    assert answer.json()["message"] == message
    assert _kept(sharing) == before


@BROKEN
def test_the_page_says_a_file_cannot_be_read_and_keeps_nothing(
    sharing: Sharing, name: str, content: Callable[[], bytes], message: str
) -> None:
    before = _kept(sharing)
    page = logged_in(sharing.officer).post(
        f"/exchange/datasets/{sharing.enterprises.slug}/",
        {"file": SimpleUploadedFile(name, content())},
    )
    assert page.status_code == 200
    assert message in page.content.decode()
    assert _kept(sharing) == before


def test_the_page_says_so_in_the_users_language(sharing: Sharing) -> None:
    http: Client = logged_in(sharing.officer)
    page = http.post(
        f"/exchange/datasets/{sharing.enterprises.slug}/",
        {"file": SimpleUploadedFile("firms.xlsx", _truncated_workbook())},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200
    assert "The Excel file cannot be read." in page.content.decode()


def test_the_rows_an_upload_left_out_can_be_read_again_from_its_version(
    sharing: Sharing,
) -> None:
    """Shown once after the upload, the rejected rows were lost when the officer left the page."""
    http = logged_in(sharing.officer)
    good = make_credit_code(seq=902)
    bad = "uscc,name\n" + f"{good},长沙丙公司\n" + "NOT-A-CODE,长沙丁公司\n" + f"{good},重复\n"
    uploaded = http.post(
        f"/exchange/datasets/{SLUG}/",
        {"file": SimpleUploadedFile("企业.csv", bad.encode(), "text/csv")},
    )
    assert uploaded.status_code == 200
    number = (
        DatasetVersion.objects.filter(dataset__resource__code=ENTERPRISES).latest("number").number
    )
    # Back on the page later: the version links to its report.
    later = http.get(f"/exchange/datasets/{SLUG}/").content.decode()
    assert "未导入的行" not in later
    assert f'href="?version={number}#dataset-report"' in later
    report = http.get(f"/exchange/datasets/{SLUG}/?version={number}").content.decode()
    problems = report.split("未导入的行")[1].split("</table>")[0]
    assert '<td data-label="行">3</td>' in problems and '<td data-label="行">4</td>' in problems
    assert "主键与前面的行重复" in problems
    assert "接受 1 行，退回 2 行" in report
    # A file loaded through the API keeps them alike.
    api = http.post(
        f"/api/exchange/datasets/{SLUG}/uploads",
        {"file": SimpleUploadedFile("企业2.csv", bad.encode(), "text/csv")},
    )
    assert api.status_code == 200, api.json()
    number = api.json()["version"]["number"]
    report = http.get(f"/exchange/datasets/{SLUG}/?version={number}").content.decode()
    assert '<td data-label="行">3</td>' in report.split("未导入的行")[1]


def test_a_file_with_a_column_that_is_no_item_is_refused_whole(sharing: Sharing) -> None:
    """Every row was rejected for the same column, and a version keeping nothing stood."""
    http = logged_in(sharing.officer)
    rows = "".join(f"{make_credit_code(seq=960 + n)},长沙第{n}餐馆,\n" for n in range(3))
    before = DatasetVersion.objects.count()
    page = http.post(
        f"/exchange/datasets/{SLUG}/",
        {"file": SimpleUploadedFile("导出.csv", f"uscc,name,备注\n{rows}".encode(), "text/csv")},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "表头第3列（“备注”）不是该目录的信息项，整个文件未载入" in html
    assert "未导入的行" not in html
    api = http.post(
        f"/api/exchange/datasets/{SLUG}/uploads",
        {"file": SimpleUploadedFile("导出.csv", f"uscc,备注,name\n{rows}".encode(), "text/csv")},
    )
    assert api.status_code == 400
    assert api.json()["code"] == "unknown_column"
    assert api.json()["detail"] == {"columns": ["备注"], "positions": [2]}
    assert DatasetVersion.objects.count() == before

"""Review dates (复核日期) as spreadsheets hold them: date cells, date serials, nonsense."""

import io
import re
from datetime import date

from openpyxl import Workbook

from zhengtong.catalog.models import InformationItem, Resource
from zhengtong.catalog.tests.cast import CatalogCast
from zhengtong.catalog.tests.test_untrusted_input import _patched
from zhengtong.catalog.tests.test_xlsx import GOOD, item_row, upload, workbook
from zhengtong.catalog.xlsx import ITEM_COLUMNS, ITEM_SHEET, RESOURCE_COLUMNS, RESOURCE_SHEET

BASIS = "《中华人民共和国个人信息保护法》第二十八条"
# 2099-06-30 as Excel counts days (from 1899-12-30).
SERIAL = 72866


def refused(code: str, review_date: object) -> list[object]:
    """A 不予共享 resource row, whose line of the negative list needs a review date."""
    row: list[object] = [code, "婚姻登记信息", "婚姻登记。", "", "数据库", "不予共享", "", ""]
    return [*row, "不予开放", "", "每日", BASIS, "全部信息项", review_date, ""]


def refused_item(resource: str, review_date: object) -> list[object]:
    """An item refused on its own in a shared resource."""
    return [
        resource,
        "id_no",
        "身份证件号码",
        "C",
        18,
        "是",
        "敏感",
        "不予共享",
        BASIS,
        "仅登记机关",
        review_date,
    ]


def test_a_review_date_given_as_a_date_serial_is_read_as_that_date(cast: CatalogCast) -> None:
    shared = GOOD[0]
    assert isinstance(shared, str)
    problems = upload(
        cast,
        workbook(
            [refused("304000000/000010", SERIAL), refused("304000000/000011", float(SERIAL)), GOOD],
            [
                item_row("304000000/000010", "a", "甲"),
                item_row("304000000/000011", "a", "甲"),
                item_row(shared, "a", "甲"),
                refused_item(shared, SERIAL),
            ],
        ),
    )
    assert problems == {}
    for code in ("304000000/000010", "304000000/000011"):
        assert Resource.objects.get(code=code).review_date == date(2099, 6, 30)
    item = InformationItem.objects.get(resource__code=shared, code="id_no")
    assert item.review_date == date(2099, 6, 30)


def _with_chinese_date_format(file: io.BytesIO) -> io.BytesIO:
    """The workbook as Chinese Excel saves a date cell formatted 2099年6月30日: with the
    built-in format 31, which the file names but does not define."""

    def builtin(styles: str) -> str:
        styles = re.sub(r"<numFmts.*?</numFmts>", "", styles)
        return re.sub(r'numFmtId="16\d"', 'numFmtId="31"', styles)

    return _patched(file, "xl/styles.xml", builtin)


def test_a_date_cell_in_a_chinese_date_format_is_read_as_the_date(cast: CatalogCast) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = RESOURCE_SHEET
    sheet.append(RESOURCE_COLUMNS)
    sheet.append(refused("304000000/000012", date(2099, 6, 30)))
    sheet["N2"].number_format = 'yyyy"年"m"月"d"日"'
    items = book.create_sheet(ITEM_SHEET)
    items.append(ITEM_COLUMNS)
    items.append(item_row("304000000/000012", "a", "甲"))
    plain = io.BytesIO()
    book.save(plain)
    plain.seek(0)
    assert upload(cast, _with_chinese_date_format(plain)) == {}
    assert Resource.objects.get(code="304000000/000012").review_date == date(2099, 6, 30)


def test_a_nonsense_review_date_is_reported_at_its_row_and_the_good_rows_are_kept(
    cast: CatalogCast,
) -> None:
    rows = [
        refused("304000000/000013", date(2099, 6, 30)),
        refused("304000000/000014", -1),
        refused("304000000/000015", 10**9),
        refused("304000000/000016", "明年六月"),
        refused("304000000/000017", True),
    ]
    items = [item_row(str(row[0]), "a", "甲") for row in rows]
    problems = upload(cast, workbook(rows, items))
    assert set(problems) == {(RESOURCE_SHEET, n) for n in (3, 4, 5, 6)}
    for reason in problems.values():
        assert "“复核日期”：应为日期" in reason
    assert list(Resource.objects.values_list("code", flat=True)) == ["304000000/000013"]

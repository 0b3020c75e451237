"""Workbooks laid out otherwise than the export: columns added or missing, no rows,
no header, a declared size smaller than the sheet."""

import io
import re
from collections.abc import Sequence

from openpyxl import Workbook

from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import CatalogCast
from zhengtong.catalog.tests.test_untrusted_input import _patched
from zhengtong.catalog.tests.test_xlsx import GOOD, item_row, upload, workbook
from zhengtong.catalog.xlsx import ITEM_COLUMNS, ITEM_SHEET, RESOURCE_COLUMNS, RESOURCE_SHEET


def _book(resources: Sequence[Sequence[object]], items: Sequence[Sequence[object]]) -> io.BytesIO:
    """A workbook whose rows, the header included, are as given."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = RESOURCE_SHEET
    for row in resources:
        sheet.append(row)
    item_sheet = book.create_sheet(ITEM_SHEET)
    for row in items:
        item_sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_a_column_added_before_the_others_is_passed_over(cast: CatalogCast) -> None:
    # A 序号 column in front, a 备注 column in the middle of the items sheet.
    items = ["资源代码", "信息项代码", "备注", *ITEM_COLUMNS[2:]]
    item = item_row(str(GOOD[0]), "licence_no", "许可证编号")
    problems = upload(
        cast,
        _book(
            [["序号", *RESOURCE_COLUMNS], [1, *GOOD]],
            [items, [*item[:2], "核对过", *item[2:]]],
        ),
    )
    assert problems == {}
    made = Resource.objects.get(code=GOOD[0])
    assert made.name == GOOD[1] and made.update_cycle == "daily"
    assert list(made.items.values_list("code", "name")) == [("licence_no", "许可证编号")]


def test_a_layout_without_the_later_columns_is_read_with_them_empty(cast: CatalogCast) -> None:
    problems = upload(
        cast,
        _book(
            [list(RESOURCE_COLUMNS[:14]), GOOD[:14]],
            [list(ITEM_COLUMNS), item_row(str(GOOD[0]), "a", "甲")],
        ),
    )
    assert problems == {}
    assert Resource.objects.get(code=GOOD[0]).extension == {}


def test_a_sheet_without_its_header_is_reported_not_read_from_row_two(cast: CatalogCast) -> None:
    second = ["304000000/000003", "食品生产许可信息", *GOOD[2:]]
    problems = upload(
        cast,
        _book([GOOD, second], [list(ITEM_COLUMNS), item_row(str(GOOD[0]), "a", "甲")]),
    )
    assert list(problems) == [(RESOURCE_SHEET, 1)]
    assert "第1行应为表头" in problems[(RESOURCE_SHEET, 1)]
    assert not Resource.objects.exists()


def test_a_workbook_with_headers_only_says_that_it_holds_no_resources(
    cast: CatalogCast,
) -> None:
    problems = upload(cast, workbook([], []))
    assert list(problems) == [(RESOURCE_SHEET, 0)]
    assert "没有资源" in problems[(RESOURCE_SHEET, 0)]


def test_rows_beyond_the_size_a_workbook_declares_are_read(cast: CatalogCast) -> None:
    second = ["304000000/000003", "食品生产许可信息", *GOOD[2:]]
    file = workbook(
        [GOOD, second],
        [item_row(str(GOOD[0]), "a", "甲"), item_row(str(second[0]), "a", "甲")],
    )
    # As some programs write it: the size of the header row alone.
    understated = _patched(
        file,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:N1"', xml),
    )
    assert upload(cast, understated) == {}
    assert Resource.objects.count() == 2


def test_a_resource_code_merged_over_its_item_rows_holds_for_each_of_them(
    cast: CatalogCast,
) -> None:
    code = str(GOOD[0])
    other = "304000000/000003"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = RESOURCE_SHEET
    sheet.append(RESOURCE_COLUMNS)
    sheet.append(GOOD)
    sheet.append([other, "食品生产许可信息", *GOOD[2:]])
    items = book.create_sheet(ITEM_SHEET)
    items.append(ITEM_COLUMNS)
    for n, resource in enumerate([code, None, None, other, None], start=1):
        items.append([resource, *item_row("", f"i{n}", f"项{n}")[1:]])
    items.merge_cells("A2:A4")
    items.merge_cells("A5:A6")
    file = io.BytesIO()
    book.save(file)
    file.seek(0)
    assert upload(cast, file) == {}
    made = Resource.objects.get(code=code)
    assert list(made.items.values_list("code", flat=True)) == ["i1", "i2", "i3"]
    assert list(Resource.objects.get(code=other).items.values_list("code", flat=True)) == [
        "i4",
        "i5",
    ]

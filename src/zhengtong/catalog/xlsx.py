"""The workbook data officers fill in: one sheet of resources, one of items.

Cells hold the Chinese labels of the dictionaries (有条件共享, 每日 ...); the
codes (conditional, daily ...) are accepted too. Each problem is reported at
the sheet and row where it is, naming the column by its heading; a resource
with a bad row of its own or of its items is left out, the good ones are kept.
"""

import io
import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import IO, Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import from_excel
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from zhengtong.catalog.actions import (
    CELL_CAPACITY,
    ItemInput,
    ResourceInput,
    item_length,
    item_problems,
    item_share_problem,
    resource_problems,
    review_date_passed,
    unknown_related_message,
)
from zhengtong.catalog.labels import (
    ITEM_HEADINGS,
    NO,
    RESOURCE_HEADINGS,
    YES,
    label,
    labels,
    split_codes,
    value_of,
    yes_no,
)
from zhengtong.catalog.models import (
    DataType,
    OpenAttribute,
    Resource,
    ResourceFormat,
    Sensitivity,
    ShareAttribute,
    ShareMethod,
    UpdateCycle,
)
from zhengtong.core.punctuation import listed

RESOURCE_SHEET = "资源"
ITEM_SHEET = "信息项"
RESOURCE_COLUMNS = tuple(RESOURCE_HEADINGS.values())
ITEM_COLUMNS = ("资源代码", *ITEM_HEADINGS.values())


@dataclass(frozen=True, slots=True)
class RowProblem:
    sheet: str
    row: int
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedWorkbook:
    resources: list[ResourceInput]
    problems: list[RowProblem]
    # The row of each good resource on the resources sheet, for what is found wrong later.
    rows: dict[str, int] = field(default_factory=dict)


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _all_related(resource: Resource) -> list[Resource]:
    return list(resource.related.order_by("code"))


# What a sheet cannot hold: the control characters openpyxl refuses, and the
# lone surrogates and non-characters that XML (and so lxml) refuses.
_UNWRITABLE_RE = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|[\ud800-\udfff\ufffe\uffff]")


def _append(sheet: Any, values: Sequence[Any]) -> None:
    """Add a row, every text as text.

    openpyxl writes a text beginning with "=" as a formula, which a
    spreadsheet would run (=HYPERLINK(...) in the public export) and which
    comes back as something else on import; a cell typed "s" is written as an
    inline string whatever it begins with. The actions refuse the characters
    no sheet can hold; an entry stored before they did loses them here rather
    than failing the whole export.
    """
    cleaned = [_UNWRITABLE_RE.sub("", v) if isinstance(v, str) else v for v in values]
    sheet.append(cleaned)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def export_workbook(
    resources: Sequence[Resource],
    related: Callable[[Resource], Sequence[Resource]] = _all_related,
) -> bytes:
    """The entries in the data officers' layout; ``related`` gives the links a reader may see."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = RESOURCE_SHEET
    _append(sheet, RESOURCE_COLUMNS)
    items = book.create_sheet(ITEM_SHEET)
    _append(items, ITEM_COLUMNS)
    for r in resources:
        _append(
            sheet,
            [
                r.code,
                r.name,
                r.abstract,
                r.keywords,
                label(ResourceFormat, r.format),
                label(ShareAttribute, r.share_attribute),
                r.share_conditions,
                label(ShareMethod, r.share_method),
                label(OpenAttribute, r.open_attribute),
                r.open_conditions,
                label(UpdateCycle, r.update_cycle),
                r.legal_basis,
                r.negative_scope,
                r.review_date,
                json.dumps(r.extension, ensure_ascii=False) if r.extension else "",
                ",".join(linked.code for linked in related(r)),
            ],
        )
        for i in r.items.order_by("position"):
            _append(
                items,
                [
                    r.code,
                    i.code,
                    i.name,
                    i.data_type,
                    i.length,
                    YES if i.is_personal else NO,
                    label(Sensitivity, i.sensitivity),
                    label(ShareAttribute, i.share_attribute),
                    i.legal_basis,
                    i.negative_scope,
                    i.review_date,
                ],
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _unreadable() -> ParsedWorkbook:
    return ParsedWorkbook([], [RowProblem("", 0, _("文件不是有效的 XLSX 工作簿。"))])


def parse_workbook(
    file: IO[bytes],
    *,
    taken: Callable[[list[str]], Collection[str]] | None = None,
    visible: Callable[[list[str]], Collection[str]] | None = None,
    own: Callable[[list[str]], Mapping[str, str]] | None = None,
) -> ParsedWorkbook:
    """Read both sheets; rows are 1-based as the spreadsheet shows them (the header is row 1).

    ``taken`` answers which of the given resource codes the catalog already
    uses, so that a clash is reported at its row with the row's other problems.
    ``visible`` answers which of the given codes name entries the uploader may
    see; a row naming as related any other code that is not imported with it
    is reported. Without ``visible`` such codes are left to the action.
    ``own`` answers which of the taken codes are the uploader's own entries,
    with their state: a workbook uploaded again (after its bad rows were
    put right, or by a second click) says that those rows are in already.
    """
    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return _unreadable()
    try:
        problems: list[RowProblem] = []
        for name in (RESOURCE_SHEET, ITEM_SHEET):
            if name not in book.sheetnames:
                problems.append(RowProblem(name, 0, _("缺少工作表“%(name)s”。") % {"name": name}))
        if problems:
            return ParsedWorkbook([], problems)
        # A read-only workbook reads its sheets only now, row by row: a broken
        # sheet (cut-off XML, "abc" in a number cell, a chart sheet in place
        # of a worksheet) fails here, and is as unreadable as a broken file.
        item_rows = _rows(book[ITEM_SHEET], ITEM_COLUMNS)
        resource_rows = _rows(book[RESOURCE_SHEET], RESOURCE_COLUMNS)
    except Exception:  # openpyxl and the XML parser raise many kinds, as above
        return _unreadable()
    finally:
        book.close()
    for name, rows in ((RESOURCE_SHEET, resource_rows), (ITEM_SHEET, item_rows)):
        if rows is None:
            problems.append(RowProblem(name, 1, _headings_missing(name)))
    if resource_rows is None or item_rows is None:
        return ParsedWorkbook([], problems)
    if not resource_rows:
        # Nothing imported and nothing wrong would leave the uploader guessing.
        empty = _("工作表“%(name)s”中没有资源，第2行起每行填写一条资源。") % {
            "name": RESOURCE_SHEET
        }
        problems.append(RowProblem(RESOURCE_SHEET, 0, empty))
    items, item_problems_by_row = _read_items(item_rows)
    codes = [_text(row[0]) for _n, row in resource_rows]
    used = set(taken([c for c in codes if c])) if taken is not None else set()
    mine = own([c for c in codes if c in used]) if own is not None and used else {}
    resources: list[ResourceInput] = []
    first_row: dict[str, int] = {}
    good_rows: dict[str, int] = {}
    for row_number, row in resource_rows:
        cells = _Cells()
        data = _read_resource(row, cells)
        found = dict(cells.problems)
        earlier = first_row.get(data.code) if data.code else None
        own_items = items.pop(data.code, []) if earlier is None else []
        # Whether an item's share attribute fits its resource's is known only
        # now; it is reported at the item's row, as its other problems are.
        for n, item in own_items:
            reason = item_share_problem(item, data.share_attribute)
            if reason is not None:
                item_problems_by_row.setdefault(n, []).append(
                    _heading_message(ITEM_HEADINGS, "share_attribute", reason)
                )
        bad_item_rows = [n for n, _item in own_items if n in item_problems_by_row]
        data = replace(data, items=[item for n, item in own_items if n not in bad_item_rows])
        for field_name, reason in resource_problems(data).items():
            # An item's problems are reported at its own row; a repeated row's
            # items went to the first row of its code.
            if field_name.startswith("items.") or (
                field_name == "items" and (bad_item_rows or earlier is not None)
            ):
                continue
            found.setdefault(field_name, reason)
        if review_date_passed(data.review_date):
            found.setdefault("review_date", _("复核日期不能早于今天。"))
        messages = [_heading_message(RESOURCE_HEADINGS, f, r) for f, r in found.items()]
        if earlier is not None:
            messages.append(
                _("资源代码“%(code)s”在工作簿中重复（第%(row)d行已有）。")
                % {"code": data.code, "row": earlier}
            )
        if data.code in mine:
            messages.append(
                _(
                    "资源代码“%(code)s”已是您部门的目录（%(state)s），本次未重复导入；"
                    "如需修改，请在该目录的页面上修改。"
                )
                % {"code": data.code, "state": mine[data.code]}
            )
        elif data.code in used:
            messages.append(_("资源代码“%(code)s”已被使用。") % {"code": data.code})
        if bad_item_rows:
            messages.append(
                ngettext(
                    "信息项有误（“%(sheet)s”表第%(rows)s行），该资源未导入。",
                    "信息项有误（“%(sheet)s”表第%(rows)s行），该资源未导入。",
                    len(bad_item_rows),
                )
                % {"sheet": ITEM_SHEET, "rows": listed(str(n) for n in bad_item_rows)}
            )
        if data.code and earlier is None:
            first_row[data.code] = row_number
        if messages:
            problems.append(RowProblem(RESOURCE_SHEET, row_number, joined_reasons(messages)))
            continue
        good_rows[data.code] = row_number
        resources.append(data)
    if visible is not None:
        problems += _drop_unknown_related(resources, good_rows, visible, first_row)
    for code, orphans in items.items():
        for row_number, _item in orphans:
            item_problems_by_row.setdefault(row_number, []).append(
                _("资源代码“%(code)s”不在资源表中。") % {"code": code}
            )
    problems += [
        RowProblem(ITEM_SHEET, n, joined_reasons(reasons))
        for n, reasons in item_problems_by_row.items()
    ]
    problems.sort(key=lambda p: (p.sheet != RESOURCE_SHEET, p.row))
    return ParsedWorkbook(resources, problems, good_rows)


def _drop_unknown_related(
    resources: list[ResourceInput],
    rows: dict[str, int],
    visible: Callable[[list[str]], Collection[str]],
    written: dict[str, int],
) -> list[RowProblem]:
    """Take out the resources naming as related a code neither visible nor imported with them.

    A code the uploader may not see (another department's draft) is reported
    as not in the catalog, as the entry form does. A code of the workbook
    whose own row is not imported (``written`` gives its first row) is
    reported as such: "not in the catalog" would send the uploader looking
    for a typing error in a code that is right. Taking a row out may leave
    another row naming it, so this repeats until every remaining row is good.
    """
    seen = set(visible([code for data in resources for code in data.related]))
    problems: list[RowProblem] = []
    while True:
        known = seen | {data.code for data in resources}
        unknown = {
            data.code: [c for c in dict.fromkeys(data.related) if c not in known]
            for data in resources
        }
        bad = {code for code, codes in unknown.items() if codes}
        if not bad:
            return problems
        for code in sorted(bad, key=rows.__getitem__):
            missing = [c for c in unknown[code] if c not in written]
            failed = [c for c in unknown[code] if c in written]
            reasons = [unknown_related_message(missing)] if missing else []
            if failed:
                reasons.append(
                    _("%(codes)s所在的行（本工作簿第%(rows)s行）有误，未能导入，请先改正。")
                    % {
                        "codes": listed(failed),
                        "rows": listed(str(written[c]) for c in failed),
                    }
                )
            messages = [_heading_message(RESOURCE_HEADINGS, "related", r) for r in reasons]
            problems.append(RowProblem(RESOURCE_SHEET, rows.pop(code), joined_reasons(messages)))
        resources[:] = [data for data in resources if data.code not in bad]


class _Cells:
    """Reads the cells of one row, noting each cell that cannot be read by its field."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def choice(self, choices: type[models.TextChoices], cell: Any, field_name: str) -> str:
        text = _text(cell)
        if not text:
            return ""
        value = value_of(choices, text)
        if value is None:
            self.problems[field_name] = _("值“%(value)s”不在字典中，应为 %(accepted)s。") % {
                "value": text,
                "accepted": listed(labels(choices)),
            }
            return ""
        return value

    def note_full(self, row: Sequence[Any], field_names: Sequence[str]) -> None:
        """Note each text as long as a cell holds: most likely cut off there.

        A spreadsheet keeps no more of a longer text (openpyxl, writing the
        export, cuts it off too), so what is left would be imported as if it
        were all, without a word.
        """
        for cell, field_name in zip(row, field_names, strict=False):
            if field_name and isinstance(cell, str) and len(cell) >= CELL_CAPACITY:
                self.problems[field_name] = _(
                    "单元格最多容纳%(most)d个字符，这一格已满，内容可能已被截断。"
                ) % {"most": CELL_CAPACITY}

    def date(self, cell: Any, field_name: str) -> date | None:
        if cell is None or cell == "":
            return None
        if isinstance(cell, datetime):
            return cell.date()
        if isinstance(cell, date):
            return cell
        if isinstance(cell, int | float) and not isinstance(cell, bool):
            # A date as Excel stores it, days since 1899-12-30: a date typed
            # into a cell formatted as a number, or one whose format is a
            # built-in Chinese date format (numFmtId 31, 57, 58 ...) that
            # openpyxl does not know as a date and so reads as a number.
            if _FIRST_SERIAL <= cell <= _LAST_SERIAL:
                serial = from_excel(cell)
                assert isinstance(serial, datetime)
                return serial.date()
            self.problems[field_name] = _("应为日期，如 2027-06-30。")
            return None
        try:
            return date.fromisoformat(_text(cell))
        except ValueError:
            self.problems[field_name] = _("应为日期，如 2027-06-30。")
            return None


# The serials of 1900-01-01 and 9999-12-31, the first and the last date a sheet holds.
_FIRST_SERIAL = 1
_LAST_SERIAL = 2_958_465


# What ends a sentence in either of the platform's languages. A reason ends
# in its own language's: a translated one in ".", one not (yet) translated in "。".
_SENTENCE_ENDS = "。！？.!?"


def joined_reasons(reasons: Sequence[str]) -> str:
    """One sentence per row, in the reader's language: the reasons separated as a
    list's items ("；" in Chinese, "; " in English), one full stop at the end."""
    texts = [text for text in (str(reason).strip() for reason in reasons) if text]
    if not texts:
        return ""
    last = texts[-1]
    # The last reason's own full stop ends the row, in the language the reason
    # is written in; only a reason without one is given the reader's.
    end = last[-1] if last[-1] in _SENTENCE_ENDS else pgettext("end of a sentence", "。")
    separator = pgettext("between items of a list", "；")
    return separator.join(text.rstrip(_SENTENCE_ENDS) for text in texts) + end


def _heading_message(headings: dict[str, str], field_name: str, reason: str) -> str:
    heading = headings.get(field_name)
    if heading is None:
        return reason
    return _("“%(column)s”：%(reason)s") % {"column": heading, "reason": reason}


def _read_items(
    rows: list[tuple[int, list[Any]]],
) -> tuple[dict[str, list[tuple[int, ItemInput]]], dict[int, list[str]]]:
    """Each resource code's items with their rows, and the reasons of each bad item row."""
    items: dict[str, list[tuple[int, ItemInput]]] = {}
    bad: dict[int, list[str]] = {}
    for row_number, row in rows:
        cells = _Cells()
        code = _text(row[0])
        length_text = _text(row[4])
        if length_text and not length_text.isdecimal():
            cells.problems["length"] = _("应为整数。")
        personal_text = _text(row[5])
        personal = yes_no(personal_text) if personal_text else False
        if personal is None:
            cells.problems["is_personal"] = _("应填“是”或“否”。")
        item = ItemInput(
            code=_text(row[1]),
            name=_text(row[2]),
            data_type=cells.choice(DataType, row[3], "data_type"),
            length=item_length(length_text) if length_text.isdecimal() else None,
            is_personal=bool(personal),
            sensitivity=cells.choice(Sensitivity, row[6], "sensitivity") or Sensitivity.INTERNAL,
            share_attribute=cells.choice(ShareAttribute, row[7], "share_attribute"),
            legal_basis=_text(row[8]),
            negative_scope=_text(row[9]),
            review_date=cells.date(row[10], "review_date"),
        )
        cells.note_full(row, ("", *ITEM_HEADINGS))
        found = dict(cells.problems)
        for field_name, reason in item_problems(item).items():
            found.setdefault(field_name, reason)
        # An import makes new entries: every review date in it is one being set.
        if review_date_passed(item.review_date):
            found.setdefault("review_date", _("复核日期不能早于今天。"))
        siblings = items.setdefault(code, [])
        twin = next((n for n, other in siblings if other.code == item.code), None)
        if twin is not None and "code" not in found:
            found["code"] = _("信息项代码“%(code)s”重复（第%(row)d行已有）。") % {
                "code": item.code,
                "row": twin,
            }
        siblings.append((row_number, item))
        if found:
            bad[row_number] = [_heading_message(ITEM_HEADINGS, f, r) for f, r in found.items()]
    return items, bad


def _read_resource(row: list[Any], cells: _Cells) -> ResourceInput:
    extension: Any = {}
    extension_text = _text(row[14])
    if extension_text:
        try:
            extension = json.loads(extension_text)
        except json.JSONDecodeError:
            extension = None
        except (ValueError, RecursionError):
            # JSON, but not what Python reads: an integer of over 4,300
            # digits, or nesting deeper than the interpreter's stack.
            cells.problems["extension"] = _("数字过长或嵌套过深，无法按 JSON 读取。")
            extension = {}
        if not isinstance(extension, dict):
            cells.problems["extension"] = _('应为 JSON 对象，如 {"联系人": "吴十"}。')
            extension = {}
    data = ResourceInput(
        code=_text(row[0]),
        name=_text(row[1]),
        abstract=_text(row[2]),
        keywords=_text(row[3]),
        format=cells.choice(ResourceFormat, row[4], "format"),
        share_attribute=cells.choice(ShareAttribute, row[5], "share_attribute"),
        share_conditions=_text(row[6]),
        share_method=cells.choice(ShareMethod, row[7], "share_method"),
        open_attribute=cells.choice(OpenAttribute, row[8], "open_attribute"),
        open_conditions=_text(row[9]),
        update_cycle=cells.choice(UpdateCycle, row[10], "update_cycle"),
        legal_basis=_text(row[11]),
        negative_scope=_text(row[12]),
        review_date=cells.date(row[13], "review_date"),
        extension=extension,
        related=split_codes(_text(row[15])),
    )
    cells.note_full(row, tuple(RESOURCE_HEADINGS))
    return data


def _headings_missing(sheet: str) -> str:
    columns = RESOURCE_COLUMNS if sheet == RESOURCE_SHEET else ITEM_COLUMNS
    return _("第1行应为表头，含“%(first)s”等列：%(columns)s。") % {
        "first": columns[0],
        "columns": listed(columns),
    }


def _rows(sheet: Any, columns: Sequence[str]) -> list[tuple[int, list[Any]]] | None:
    """The sheet's rows below the header, each cell in the place of its column in
    ``columns``; None when row 1 is no header.

    Columns are found by their headings, so that a column added to the sheet
    (序号, 备注), wherever it is, is passed over instead of shifting the
    others; a column whose heading is missing (a layout from before the
    column was added) reads as empty.
    """
    # The size a workbook declares may be smaller than what it holds (some
    # programs write it wrongly); read-only openpyxl would stop there and drop
    # the rest of the rows and columns without a word.
    sheet.reset_dimensions()
    read = [list(row) for row in sheet.iter_rows(values_only=True)]
    _fill_merged_down(read, _merged_ranges(sheet))
    rows: list[tuple[int, list[Any]]] = []
    places: list[int | None] | None = None
    for number, row in enumerate(read, start=1):
        if number == 1:
            headings: dict[str, int] = {}
            for place, cell in enumerate(row):
                headings.setdefault(_text(cell), place)
            if columns[0] not in headings:
                return None
            places = [headings.get(column) for column in columns]
            continue
        assert places is not None
        cells = [row[place] if place is not None and place < len(row) else None for place in places]
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        rows.append((number, cells))
    if places is None:
        # An empty sheet, not even a header.
        return None
    return rows


_MERGE_CELL = f"{{{SHEET_MAIN_NS}}}mergeCell"


def _merged_ranges(sheet: Any) -> list[tuple[int, int, int, int]]:
    """The sheet's merged cells as (first column, first row, last column, last row).

    Read-only openpyxl reads a merged range's value in its first cell only and
    does not say which cells are merged, so they are read from the sheet's XML.
    """
    ranges: list[tuple[int, int, int, int]] = []
    with sheet._get_source() as source:
        for _event, element in iterparse(source):
            if element.tag == _MERGE_CELL:
                bounds = range_boundaries(element.get("ref", ""))
                if None not in bounds:
                    ranges.append(bounds)
            element.clear()
    return ranges


def _fill_merged_down(rows: list[list[Any]], ranges: list[tuple[int, int, int, int]]) -> None:
    """Give the rows of each range merged down a column the value of its first cell.

    A data officer merges the 资源代码 of a resource's item rows into one cell;
    each of those rows belongs to that resource. Across columns a merge only
    widens a cell: the next column's value is not the merged one.
    """
    # Merged ranges do not overlap, so filling them writes no more cells than
    # the sheet has; a crafted file naming overlapping ones is held to that.
    budget = sum(len(row) for row in rows) + len(rows)
    for first_column, first_row, _last_column, last_row in ranges:
        if first_row > len(rows):
            continue
        budget -= max(0, min(last_row, len(rows)) - first_row)
        if budget < 0:
            return
        column = first_column - 1
        anchor = rows[first_row - 1]
        value = anchor[column] if column < len(anchor) else None
        for row in rows[first_row : min(last_row, len(rows))]:
            if column >= len(row):
                row.extend([None] * (column + 1 - len(row)))
            row[column] = value

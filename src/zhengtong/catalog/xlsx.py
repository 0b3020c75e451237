"""The workbook data officers fill in: one sheet of resources, one of items.

Cells hold the Chinese labels of the dictionaries (有条件共享, 每日 ...); the
codes (conditional, daily ...) are accepted too. A bad row is reported by
sheet, row number and reason and left out; the good rows are kept.
"""

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import IO, Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import override
from openpyxl import Workbook, load_workbook

from zhengtong.catalog.actions import ItemInput, ResourceInput, resource_problems
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

RESOURCE_SHEET = "资源"
ITEM_SHEET = "信息项"
RESOURCE_COLUMNS = (
    "资源代码",
    "资源名称",
    "摘要",
    "关键字",
    "资源格式",
    "共享属性",
    "共享条件",
    "共享方式",
    "开放属性",
    "开放条件",
    "更新周期",
    "法律法规依据",
    "不予共享范围",
    "复核日期",
    "扩展字段",
    "关联资源",
)
ITEM_COLUMNS = (
    "资源代码",
    "信息项代码",
    "信息项名称",
    "数据类型",
    "数据长度",
    "个人信息",
    "敏感级别",
    "共享属性",
    "法律法规依据",
    "不予共享范围",
    "复核日期",
)
YES, NO = "是", "否"


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


class _BadCell(ValueError):
    pass


def _label(choices: type[models.TextChoices], value: str) -> str:
    if not value:
        return ""
    with override("zh-hans"):
        return str(choices(value).label)


def _value(choices: type[models.TextChoices], cell: Any, column: str) -> str:
    text = _text(cell)
    if not text:
        return ""
    if text in choices.values:
        return text
    with override("zh-hans"):
        for value, label in choices.choices:
            if str(label) == text:
                return str(value)
    raise _BadCell(_("“%(column)s”的值“%(value)s”不在字典中") % {"column": column, "value": text})


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _date(cell: Any, column: str) -> date | None:
    if cell is None or cell == "":
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    try:
        return date.fromisoformat(_text(cell))
    except ValueError:
        raise _BadCell(_("“%(column)s”应为日期，如 2026-12-31") % {"column": column}) from None


def _all_related(resource: Resource) -> list[Resource]:
    return list(resource.related.order_by("code"))


def export_workbook(
    resources: Sequence[Resource],
    related: Callable[[Resource], Sequence[Resource]] = _all_related,
) -> bytes:
    """The entries in the data officers' layout; ``related`` gives the links a reader may see."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = RESOURCE_SHEET
    sheet.append(RESOURCE_COLUMNS)
    items = book.create_sheet(ITEM_SHEET)
    items.append(ITEM_COLUMNS)
    for r in resources:
        sheet.append(
            [
                r.code,
                r.name,
                r.abstract,
                r.keywords,
                _label(ResourceFormat, r.format),
                _label(ShareAttribute, r.share_attribute),
                r.share_conditions,
                _label(ShareMethod, r.share_method),
                _label(OpenAttribute, r.open_attribute),
                r.open_conditions,
                _label(UpdateCycle, r.update_cycle),
                r.legal_basis,
                r.negative_scope,
                r.review_date,
                json.dumps(r.extension, ensure_ascii=False) if r.extension else "",
                ",".join(linked.code for linked in related(r)),
            ]
        )
        for i in r.items.order_by("position"):
            items.append(
                [
                    r.code,
                    i.code,
                    i.name,
                    i.data_type,
                    i.length,
                    YES if i.is_personal else NO,
                    _label(Sensitivity, i.sensitivity),
                    _label(ShareAttribute, i.share_attribute),
                    i.legal_basis,
                    i.negative_scope,
                    i.review_date,
                ]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parse_workbook(file: IO[bytes]) -> ParsedWorkbook:
    """Read both sheets; rows are 1-based as the spreadsheet shows them (the header is row 1)."""
    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        return ParsedWorkbook([], [RowProblem("", 0, _("文件不是有效的 XLSX 工作簿。"))])
    problems: list[RowProblem] = []
    for name in (RESOURCE_SHEET, ITEM_SHEET):
        if name not in book.sheetnames:
            problems.append(RowProblem(name, 0, _("缺少工作表“%(name)s”。") % {"name": name}))
    if problems:
        return ParsedWorkbook([], problems)
    items: dict[str, list[tuple[int, ItemInput]]] = {}
    for row_number, row in _rows(book[ITEM_SHEET], len(ITEM_COLUMNS)):
        try:
            code = _text(row[0])
            length_text = _text(row[4])
            personal = _text(row[5])
            if personal not in ("", YES, NO):
                raise _BadCell(_("“个人信息”应填“是”或“否”"))
            item = ItemInput(
                code=_text(row[1]),
                name=_text(row[2]),
                data_type=_value(DataType, row[3], "数据类型"),
                length=int(length_text) if length_text.isdigit() else None,
                is_personal=personal == YES,
                sensitivity=_value(Sensitivity, row[6], "敏感级别") or Sensitivity.INTERNAL,
                share_attribute=_value(ShareAttribute, row[7], "共享属性"),
                legal_basis=_text(row[8]),
                negative_scope=_text(row[9]),
                review_date=_date(row[10], "复核日期"),
            )
            if length_text and not length_text.isdigit():
                raise _BadCell(_("“数据长度”应为整数"))
        except _BadCell as error:
            problems.append(RowProblem(ITEM_SHEET, row_number, str(error)))
            continue
        items.setdefault(code, []).append((row_number, item))
    resources: list[ResourceInput] = []
    seen: dict[str, int] = {}
    for row_number, row in _rows(book[RESOURCE_SHEET], len(RESOURCE_COLUMNS)):
        try:
            extension_text = _text(row[14])
            try:
                extension = json.loads(extension_text) if extension_text else {}
            except json.JSONDecodeError:
                raise _BadCell(_("“扩展字段”应为 JSON 对象")) from None
            if not isinstance(extension, dict):
                raise _BadCell(_("“扩展字段”应为 JSON 对象"))
            data = ResourceInput(
                code=_text(row[0]),
                name=_text(row[1]),
                abstract=_text(row[2]),
                keywords=_text(row[3]),
                format=_value(ResourceFormat, row[4], "资源格式"),
                share_attribute=_value(ShareAttribute, row[5], "共享属性"),
                share_conditions=_text(row[6]),
                share_method=_value(ShareMethod, row[7], "共享方式"),
                open_attribute=_value(OpenAttribute, row[8], "开放属性"),
                open_conditions=_text(row[9]),
                update_cycle=_value(UpdateCycle, row[10], "更新周期"),
                legal_basis=_text(row[11]),
                negative_scope=_text(row[12]),
                review_date=_date(row[13], "复核日期"),
                extension=extension,
                related=[c.strip() for c in _text(row[15]).split(",") if c.strip()],
            )
        except _BadCell as error:
            problems.append(RowProblem(RESOURCE_SHEET, row_number, str(error)))
            continue
        data = replace(data, items=[item for _n, item in items.pop(data.code, [])])
        found = resource_problems(data)
        if data.code in seen:
            found["code"] = _("资源代码在工作簿中重复。")
        if found:
            reason = "；".join(f"{field}: {text}" for field, text in found.items())
            problems.append(RowProblem(RESOURCE_SHEET, row_number, reason))
            continue
        seen[data.code] = row_number
        resources.append(data)
    for code, orphans in items.items():
        for row_number, _item in orphans:
            problems.append(
                RowProblem(
                    ITEM_SHEET,
                    row_number,
                    _("资源代码“%(code)s”不在资源表中或该资源有误。") % {"code": code},
                )
            )
    problems.sort(key=lambda p: (p.sheet != RESOURCE_SHEET, p.row))
    return ParsedWorkbook(resources, problems, seen)


def _rows(sheet: Any, width: int) -> list[tuple[int, list[Any]]]:
    rows: list[tuple[int, list[Any]]] = []
    for number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        cells = list(row)[:width]
        cells += [None] * (width - len(cells))
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        rows.append((number, cells))
    return rows

"""Reading uploaded files into rows, and checking each value against its information item.

Files have a header row of item codes (or item names) and one record per row;
rows are numbered as a spreadsheet shows them, so the first record is row 2.
A value in a column that has no header (a blank header cell, or a cell
beyond the header row's last one) names no item: the row keeps the columns
it is in (``SheetRow.unheaded``) so that the load reports it rather than
losing the value. Empty cells there, which spreadsheets often carry, are
nothing to report. The rows come as a ``Sheet``, which keeps the header row as
written, so that a header naming one item twice is seen before any row is read.

Values are checked against the catalog's data-type dictionary:

* ``C`` text, at most ``length`` characters when the item has a length;
* ``N`` a decimal number of at most ``length`` digits (38 without a length);
* ``D`` a date ``YYYY-MM-DD``;
* ``T`` a date and time ``YYYY-MM-DD HH:MM[:SS]`` (or with ``T``); a bare date
  means midnight, since spreadsheets drop a midnight time;
* ``B`` ``true``/``false``, ``1``/``0`` or ``是``/``否``, stored as ``true``/``false``;
* ``BY`` binary content is not carried in a table, so it must be left empty.

No value may hold a control character other than a line break or a tab.

Identity numbers are also checked digit by digit: an item whose name contains
身份证 or 公民身份号码, or whose code ends in ``id_number``, holds a 身份证号;
an item whose name contains 统一社会信用代码, or whose code is ``uscc`` or ends
in ``_uscc`` or ``credit_code``, holds a 统一社会信用代码. Both are stored
normalised (half-width, upper case).
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook, load_workbook

from zhengtong.catalog.models import DataType, InformationItem
from zhengtong.core.errors import InvalidInput
from zhengtong.core.i18n import message_of, shown_text, stored_text
from zhengtong.core.validators import (
    first_control_character,
    normalise,
    validate_credit_code,
    validate_id_number,
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)(E[+-]?\d+)?$")
# Digits of a number whose item gives no length (as many as PostgreSQL's
# numeric and most databases' decimal columns are asked to keep exactly).
MAX_NUMBER_DIGITS = 38
_TRUE = frozenset({"true", "1", "是", "y", "yes"})
_FALSE = frozenset({"false", "0", "否", "n", "no"})


class BadValue(ValueError):
    """A value its item does not accept; the message says why, in the request's language.

    ``kept`` says the same as a stored text (``core.i18n``): a load keeps it
    with its version, and it is read later in each reader's own language.
    """

    def __init__(self, reason: str, kept: str) -> None:
        super().__init__(reason)
        self.kept = kept

    @classmethod
    def said(cls, message: str, **values: object) -> "BadValue":
        """A refusal from a ``gettext_noop``-marked message and the values it is filled in with."""
        kept = stored_text(message, **values)
        return cls(shown_text(kept, message_of(kept)), kept)


class SheetRow(dict[str, str]):
    """One row of a file: its values by header, and the columns holding a value under no header.

    ``unheaded`` numbers the columns as a spreadsheet letters them, from 1 (A).
    """

    __slots__ = ("unheaded",)

    def __init__(self, values: dict[str, str], unheaded: tuple[int, ...] = ()) -> None:
        super().__init__(values)
        self.unheaded = unheaded


class Sheet(list[dict[str, str]]):
    """The rows of a file, with its header row's cells, trimmed, in their columns' order.

    The rows are keyed by header, so a header that repeats a name shows only
    here: each row kept one of the repeated columns' values.
    """

    __slots__ = ("header",)

    def __init__(self, rows: Iterable[dict[str, str]], header: Iterable[str]) -> None:
        super().__init__(rows)
        self.header = tuple(header)


class NumericCell(str):
    """The text of a spreadsheet cell that held a number rather than text."""

    __slots__ = ()


def holds_id_number(item: InformationItem) -> bool:
    return "身份证" in item.name or "公民身份号码" in item.name or item.code.endswith("id_number")


def holds_credit_code(item: InformationItem) -> bool:
    code = item.code.lower()
    return (
        "统一社会信用代码" in item.name
        or code == "uscc"
        or code.endswith("_uscc")
        or code.endswith("credit_code")
    )


def clean_value(item: InformationItem, raw: str) -> str:
    """Return the value as stored, or raise BadValue."""
    # A CSV file may carry any character: NUL, which PostgreSQL cannot store
    # (the load failed as a server error), and other control characters,
    # which would be served invisibly to every reader. Line breaks and tabs,
    # which a spreadsheet cell may hold, are kept.
    # Lone surrogates, which no file decodes to, are left to the callers that
    # refuse a request's text as not Unicode.
    char = first_control_character(raw)
    if char is not None:
        raise BadValue.said(gettext_noop("不能含有控制字符等不可见字符（%(char)s）。"), char=char)
    value = raw.strip()
    if item.data_type == DataType.CHAR:
        if holds_id_number(item):
            value = _identity(validate_id_number, value, numeric=isinstance(raw, NumericCell))
        elif holds_credit_code(item):
            value = _identity(validate_credit_code, value, numeric=isinstance(raw, NumericCell))
        if item.length is not None and len(value) > item.length:
            raise BadValue.said(gettext_noop("超过%(length)d个字符。"), length=item.length)
        return value
    if item.data_type == DataType.NUMBER:
        text = normalise(value)
        # Decimal alone would also take 1_000, NaN and Infinity.
        if not _NUMBER.fullmatch(text):
            raise BadValue.said(gettext_noop("应为数值。"))
        number = Decimal(text)
        # Counted before the number is written out: 1e999999999 is twelve
        # characters that plain notation would make a gigabyte.
        digits = max(number.adjusted() + 1, 1) + max(-int(number.as_tuple().exponent), 0)
        most = item.length or MAX_NUMBER_DIGITS
        if digits > most:
            raise BadValue.said(gettext_noop("超过%(length)d位数字。"), length=most)
        # Plain decimal notation: 1e3 is stored and served as 1000, not 1E+3.
        return format(number, "f")
    if item.data_type == DataType.DATE:
        return _date(value).isoformat()
    if item.data_type == DataType.DATETIME:
        # Made only when refused: every cell of a date-time column comes here.
        bad = gettext_noop("应为日期时间，格式为YYYY-MM-DD HH:MM:SS。")
        if _DATE.fullmatch(value):
            try:
                return datetime.combine(_date(value), time()).isoformat(sep=" ")
            except BadValue:
                raise BadValue.said(bad) from None
        if not _DATETIME.fullmatch(value):
            raise BadValue.said(bad)
        try:
            return datetime.fromisoformat(value).isoformat(sep=" ")
        except ValueError:
            raise BadValue.said(bad) from None
    if item.data_type == DataType.BOOLEAN:
        if value.lower() in _TRUE:
            return "true"
        if value.lower() in _FALSE:
            return "false"
        raise BadValue.said(gettext_noop("应为true或false（是或否）。"))
    raise BadValue.said(gettext_noop("二进制信息项不能通过表格上传。"))


def _date(value: str) -> date:
    if _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise BadValue.said(gettext_noop("应为日期，格式为YYYY-MM-DD。"))


def _identity(check: Any, value: str, *, numeric: bool = False) -> str:
    try:
        check(value)
    except InvalidInput as error:
        if numeric:
            # Excel keeps 15 significant digits of a number, so an 18-character
            # code typed as a number has lost its last digits: say so, not
            # which check digit no longer fits.
            raise BadValue.said(
                gettext_noop(
                    "该单元格是数值格式；Excel数值只保留15位有效数字，请将单元格设为文本格式后重新填写。"
                )
            ) from None
        reason = str(error.message)
        # The checks' refusals carry what they were made from (``stored``),
        # so that a kept reason reads in each reader's language with its
        # values (length, position, check digit); one without it is kept as
        # the text the uploader read.
        raise BadValue(reason, error.stored or reason) from None
    return normalise(value)


def read_csv(data: bytes) -> Sheet:
    """Rows of a CSV file: UTF-8 (with or without BOM), or GB18030 as Excel saves it in China."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise InvalidInput(_("无法识别文件的字符编码。"), code="unreadable_file") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    # A cell longer than the csv module's field limit fails only when its row is read.
    return _rows(_readable(reader, (csv.Error,), _("无法读取该CSV文件。")))


def read_xlsx(data: bytes) -> Sheet:
    """Rows of the first sheet of a workbook."""
    unreadable = _("无法读取该Excel文件。")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is no workbook
        raise InvalidInput(unreadable, code="unreadable_file") from None
    try:
        # A read-only workbook parses its sheet only as rows are asked for, so a
        # truncated or corrupt sheet (ParseError, BadZipFile ...) fails in the loop.
        return _rows(_readable(_sheet_lines(workbook), (Exception,), unreadable))
    finally:
        workbook.close()


def _sheet_lines(workbook: Workbook) -> Iterator[list[str]]:
    sheet = workbook.worksheets[0]
    # A read-only sheet reads only the used range the file records for it, and
    # some programs record a wrong one (often just "A1"): the rows and columns
    # beyond it were dropped without a word. Every row the sheet holds is read.
    sheet.reset_dimensions()
    for row in sheet.iter_rows(values_only=True):
        yield [_cell_text(value) for value in row]


def _readable(
    lines: Iterable[list[str]], errors: tuple[type[Exception], ...], message: str
) -> Iterator[list[str]]:
    """The lines of a file, a failure to read one of them refused as ``unreadable_file``."""
    try:
        yield from lines
    except errors:
        raise InvalidInput(message, code="unreadable_file") from None


def _rows(lines: Iterator[list[str]]) -> Sheet:
    header = next(lines, None)
    if header is None:
        raise InvalidInput(_("文件是空的。"), code="empty_file")
    names = [name.strip() for name in header]
    rows: list[dict[str, str]] = []
    for line in lines:
        # Keep blank lines as empty rows so that row numbers match the file.
        values: dict[str, str] = {}
        unheaded: list[int] = []
        for column, value in enumerate(line, start=1):
            name = names[column - 1] if column <= len(names) else ""
            if name:
                values[name] = value
            elif value.strip():
                unheaded.append(column)
        rows.append(SheetRow(values, tuple(unheaded)))
    return Sheet(rows, names)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        # Excel keeps a date-time as a fraction of a day, so a time from =NOW()
        # or a calculation carries milliseconds the cell does not show, and a
        # date-time item holds whole seconds (each such cell was refused): the
        # cell is read to the nearest second.
        if value.microsecond:
            value = (value + timedelta(microseconds=500_000)).replace(microsecond=0)
        if value.time() == time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return NumericCell(int(value))
    if isinstance(value, int | float):
        return NumericCell(value)
    return str(value)

"""Server-side validation of application forms: the subset of JSON Schema the items use.

An item's ``form_schema`` is an object schema whose ``properties`` are flat
fields. Supported keywords: ``type`` (string, number, integer, boolean),
``required``, ``enum``, ``pattern``, ``minLength``, ``maxLength``,
``minimum``, ``maximum`` and ``format`` (``id_number`` 公民身份号码,
``credit_code`` 统一社会信用代码, ``date`` YYYY-MM-DD, ``phone``). Keywords
starting with ``x-`` are hints for pages and prefill and are ignored here;
other keywords are ignored too, so a schema written for a richer validator
still works, but only the keywords above are checked on the server.

Every problem is reported per field, in the applicant's language, so a page
can show it next to the field. A code (a field with a ``format`` or a
``pattern``) typed in full-width digits or letters is checked and stored as
the ASCII it stands for.
"""

import datetime as dt
import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _

from zhengtong.core.errors import InvalidInput
from zhengtong.core.validators import validate_credit_code, validate_id_number, validate_phone

MAX_TEXT = 5000
MAX_PATTERN = 500
# What a ``date`` field asks for. Python reads other ISO 8601 forms as dates
# too ("20260301", "2026-W09-7"), which would be stored and printed as typed.
DATE_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Formats whose letters are upper case as issued (the check letter X, the
# credit code's letters).
UPPER_FORMATS = ("id_number", "credit_code")
# A Chinese input method in full-width mode types １３８ for 138 and Ｘ for X.
# Codes, numbers and dates are stored as the ASCII they stand for, so that a
# pattern such as ^1\d{10}$ accepts them and look-ups find them. Only digits,
# Latin letters, "+" and "-" change: full-width brackets, which a pattern may
# ask for, and other text (names, addresses) stay as typed.
HALF_WIDTH = {
    ord(wide): ord(narrow)
    for wide, narrow in zip(
        "０１２３４５６７８９＋－"
        "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
        "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ",
        "0123456789+-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        strict=True,
    )
}


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    if len(pattern) > MAX_PATTERN:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None


def fields_of(schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the schema's fields (name -> field schema)."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return {}
    return {str(name): field for name, field in properties.items() if isinstance(field, dict)}


def required_fields(schema: Mapping[str, Any]) -> list[str]:
    required = schema.get("required")
    return [str(name) for name in required] if isinstance(required, list) else []


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_code(field: Mapping[str, Any]) -> bool:
    return isinstance(field.get("pattern"), str) or field.get("format") in (
        "id_number",
        "credit_code",
        "phone",
        "date",
    )


def normalised_value(field: Mapping[str, Any], value: Any) -> Any:
    """Return a typed code (a field with a format or a pattern) in ASCII, as it is stored."""
    if not isinstance(value, str) or not _is_code(field):
        return value
    value = value.translate(HALF_WIDTH)
    return value.upper() if field.get("format") in UPPER_FORMATS else value


def _type_problem(kind: Any, value: Any) -> str | None:
    # JSON bodies may carry NaN and Infinity, which no column stores as JSON.
    if isinstance(value, float) and not math.isfinite(value):
        return _("应为有效的数字。")
    if kind == "string" and not isinstance(value, str):
        return _("应为文本。")
    if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
        return _("应为整数。")
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        return _("应为数字。")
    if kind == "boolean" and not isinstance(value, bool):
        return _("应为是或否。")
    if kind not in ("string", "integer", "number", "boolean") and not isinstance(
        value, str | int | float | bool
    ):
        return _("取值格式不正确。")
    return None


def _format_problem(fmt: Any, value: str) -> str | None:
    try:
        if fmt == "id_number":
            validate_id_number(value)
        elif fmt == "credit_code":
            validate_credit_code(value)
        elif fmt == "phone":
            validate_phone(value)
        elif fmt == "date":
            if not DATE_FORMAT.fullmatch(value):
                raise ValueError(value)
            dt.date.fromisoformat(value)
    except InvalidInput as error:
        return str(error.message)
    except ValueError:
        return _("日期格式应为 YYYY-MM-DD。")
    return None


def _text_problem(field: Mapping[str, Any], value: str) -> str | None:
    if len(value) > MAX_TEXT:
        return _("内容过长。")
    min_length = field.get("minLength")
    if isinstance(min_length, int) and len(value) < min_length:
        return _("至少填写 %(n)d 个字。") % {"n": min_length}
    max_length = field.get("maxLength")
    if isinstance(max_length, int) and len(value) > max_length:
        return _("最多填写 %(n)d 个字。") % {"n": max_length}
    pattern = field.get("pattern")
    if isinstance(pattern, str):
        compiled = _compiled(pattern)
        if compiled is None or not compiled.search(value):
            return _("格式不正确。")
    return _format_problem(field.get("format"), value)


def _number_problem(field: Mapping[str, Any], value: float) -> str | None:
    minimum = field.get("minimum")
    if isinstance(minimum, int | float) and value < minimum:
        return _("不能小于 %(n)s。") % {"n": minimum}
    maximum = field.get("maximum")
    if isinstance(maximum, int | float) and value > maximum:
        return _("不能大于 %(n)s。") % {"n": maximum}
    return None


def field_problem(field: Mapping[str, Any], value: Any) -> str | None:
    """Return what is wrong with one filled-in value, or None."""
    problem = _type_problem(field.get("type", "string"), value)
    if problem:
        return problem
    enum = field.get("enum")
    if isinstance(enum, list) and value not in enum:
        return _("请从给定选项中选择。")
    if isinstance(value, str):
        return _text_problem(field, value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_problem(field, value)
    return None


def form_problems(
    schema: Mapping[str, Any], data: Mapping[str, Any], *, complete: bool
) -> dict[str, str]:
    """Return field -> problem for the data; ``complete`` also checks required fields."""
    fields = fields_of(schema)
    problems: dict[str, str] = {}
    for name in data:
        if name not in fields:
            problems[name] = _("表单中没有这一项。")
    for name, field in fields.items():
        value = normalised_value(field, data.get(name))
        if _is_empty(value):
            if complete and name in required_fields(schema):
                problems[name] = _("请填写“%(title)s”。") % {"title": field.get("title", name)}
            continue
        problem = field_problem(field, value)
        if problem:
            problems[name] = problem
    return problems


def _trimmed(schema: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """Return the data with codes in ASCII, text trimmed and empty values dropped."""
    fields = fields_of(schema)
    cleaned: dict[str, Any] = {}
    for name, value in data.items():
        value = normalised_value(fields.get(str(name), {}), value)
        if isinstance(value, str):
            value = value.strip()
        if not _is_empty(value):
            cleaned[str(name)] = value
    return cleaned


def check_form(
    schema: Mapping[str, Any], data: Mapping[str, Any], *, complete: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the trimmed values that pass, and field -> problem for all the others at once."""
    cleaned = _trimmed(schema, data)
    problems = form_problems(schema, cleaned, complete=complete)
    return {k: v for k, v in cleaned.items() if k not in problems}, problems


def clean_form(
    schema: Mapping[str, Any], data: Mapping[str, Any], *, complete: bool
) -> dict[str, Any]:
    """Return the form data with text trimmed and empty values dropped, or raise InvalidInput."""
    cleaned, problems = check_form(schema, data, complete=complete)
    if problems:
        raise InvalidInput(
            _("申请表填写有误，请按提示修改。"), code="invalid_form", detail={"fields": problems}
        )
    return cleaned

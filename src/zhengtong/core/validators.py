"""Checking 公民身份号码 (GB 11643) and 统一社会信用代码 (GB 32100).

Both functions normalise what people actually type (surrounding spaces,
full-width digits from a Chinese input method, a lowercase ``x``) and then
refuse the number with a message that tells the person what to fix: the
length, the position of a bad character, an impossible birth date, or the
check digit that was expected.

The check digits themselves come from python-stdnum, so that the arithmetic
is shared with a widely used implementation rather than written again here.

Fifteen-digit identity numbers (first-generation cards) are refused rather
than converted: they carry no check digit, so a converted number could not be
verified, and first-generation cards stopped being valid on 1 January 2013.

The address code (the first six digits) is only checked for a known province:
a number keeps the county code in force when it was issued, and counties are
renamed, merged and abolished, so checking against today's list of divisions
would refuse genuine numbers.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from stdnum.cn import ric, uscc

from zhengtong.core.errors import InvalidInput
from zhengtong.core.i18n import stored_text

SHANGHAI = ZoneInfo("Asia/Shanghai")

ID_NUMBER_LENGTH = 18
CREDIT_CODE_LENGTH = 18

# The two-digit province codes of GB/T 2260, plus 81/82/83 used by the
# residence permits of Hong Kong, Macao and Taiwan residents.
# fmt: off
PROVINCE_PREFIXES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
    "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
    "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83",
})
# fmt: on

# GB 32100 uses the digits and the capital letters except I, O, Z, S and V,
# which are too easily read as 1, 0, 2, 5 and U.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# The first character of a credit code names the registering authority.
CREDIT_CODE_AUTHORITIES: dict[str, str | Promise] = {
    "1": gettext_lazy("机构编制"),
    "2": gettext_lazy("外交"),
    "3": gettext_lazy("司法行政"),
    "4": gettext_lazy("文化"),
    "5": gettext_lazy("民政"),
    "6": gettext_lazy("旅游"),
    "7": gettext_lazy("宗教"),
    "8": gettext_lazy("工会"),
    "9": gettext_lazy("市场监督管理"),
    "A": gettext_lazy("中央军委改革和编制办公室"),
    "N": gettext_lazy("农业农村"),
    "Y": gettext_lazy("其他"),
}

EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class IdNumberFacts:
    """What a valid identity number says about its holder."""

    number: str
    birth_date: dt.date
    sex: Literal["M", "F"]
    region_code: str


def normalise(value: str) -> str:
    """Return the number as it should be stored: no surrounding spaces, ASCII, upper case."""
    # NFKC turns full-width digits and letters (１２３Ｘ) into ASCII ones.
    return unicodedata.normalize("NFKC", value).strip().upper()


def has_visible_text(value: str) -> bool:
    """Whether the text holds anything but white space and invisible characters.

    Zero-width spaces (U+200B), byte-order marks (U+FEFF) and other format or
    control characters pasted from a web page show nothing: a reason or a
    reply of them alone says nothing.
    """
    return any(unicodedata.category(char)[0] not in "CZ" for char in value)


def first_control_character(text: str) -> str | None:
    """The first control character other than a line break or a tab, as U+XXXX, or None."""
    for char in text:
        if char not in "\t\n\r" and unicodedata.category(char) == "Cc":
            return f"U+{ord(char):04X}"
    return None


def _refuse(
    code: str,
    field: str,
    message: str,
    values: Mapping[str, object] | None = None,
    *,
    reason: str,
    position: int | None = None,
    expected: str | None = None,
    actual: str | None = None,
) -> InvalidInput:
    """The refusal of a ``gettext_noop``-marked message, filled in with ``values``.

    The message is said in the active language; the refusal also carries it
    as a stored text, so that a refusal kept with an upload's rejected rows
    is read later in each reader's own language.
    """
    filled = dict(values or {})
    said = _(message) % filled if filled else _(message)
    detail: dict[str, Any] = {
        "field": field,
        "reason": reason,
        "position": position,
        "expected": expected,
    }
    if actual is not None:
        detail["actual"] = actual
    return InvalidInput(said, code=code, detail=detail, stored=stored_text(message, **filled))


def _id_error(
    message: str, values: Mapping[str, object] | None = None, **facts: Any
) -> InvalidInput:
    return _refuse("invalid_id_number", "id_number", message, values, **facts)


def _credit_error(
    message: str, values: Mapping[str, object] | None = None, **facts: Any
) -> InvalidInput:
    return _refuse("invalid_credit_code", "credit_code", message, values, **facts)


def validate_id_number(value: str) -> IdNumberFacts:
    """Check a 公民身份号码 and return the facts it carries; raise InvalidInput if it is wrong."""
    if not isinstance(value, str):
        raise _id_error(gettext_noop("公民身份号码应为文本。"), reason="type")
    number = normalise(value)
    if not number:
        raise _id_error(gettext_noop("请填写公民身份号码。"), reason="empty")
    if len(number) == 15 and number.isdigit():
        raise _id_error(
            gettext_noop("这是15位的第一代身份证号码，已停止使用，请填写18位公民身份号码。"),
            reason="old_format",
        )
    if len(number) != ID_NUMBER_LENGTH:
        raise _id_error(
            gettext_noop("公民身份号码应为18位，实为%(length)d位。"),
            {"length": len(number)},
            reason="length",
            expected=str(ID_NUMBER_LENGTH),
            actual=str(len(number)),
        )
    for index, char in enumerate(number[:17]):
        if not ("0" <= char <= "9"):
            raise _id_error(
                gettext_noop("第%(position)d位“%(char)s”无效：前17位只能是数字。"),
                {"position": index + 1, "char": char},
                reason="character",
                position=index + 1,
                actual=char,
            )
    last = number[17]
    if not ("0" <= last <= "9" or last == "X"):
        raise _id_error(
            gettext_noop("第18位“%(char)s”无效：校验位只能是数字或X。"),
            {"char": last},
            reason="character",
            position=18,
            actual=last,
        )
    birth_date = _birth_date(number)
    if number[:2] not in PROVINCE_PREFIXES:
        raise _id_error(
            gettext_noop("第1至2位“%(prefix)s”不是有效的省级行政区划代码。"),
            {"prefix": number[:2]},
            reason="region",
            position=1,
            actual=number[:2],
        )
    expected = ric.calc_check_digit(number)
    if last != expected:
        raise _id_error(
            gettext_noop("校验位不符：应为 %(expected)s，实为 %(actual)s。"),
            {"expected": expected, "actual": last},
            reason="check_digit",
            position=18,
            expected=expected,
            actual=last,
        )
    # The order code (positions 15-17) is odd for men and even for women.
    sex: Literal["M", "F"] = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumberFacts(number=number, birth_date=birth_date, sex=sex, region_code=number[:6])


def _birth_date(number: str) -> dt.date:
    digits = number[6:14]
    try:
        born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise _id_error(
            gettext_noop("第7至14位的出生日期“%(digits)s”不存在。"),
            {"digits": digits},
            reason="birth_date",
            position=7,
            actual=digits,
        ) from None
    today = timezone.localtime(timezone.now(), SHANGHAI).date()
    if born > today:
        raise _id_error(
            gettext_noop("第7至14位的出生日期%(date)s晚于今天。"),
            {"date": born.isoformat()},
            reason="birth_date",
            position=7,
            actual=digits,
        )
    if born < EARLIEST_BIRTH_DATE:
        raise _id_error(
            gettext_noop("第7至14位的出生日期%(date)s早于1900年，不可能是有效号码。"),
            {"date": born.isoformat()},
            reason="birth_date",
            position=7,
            actual=digits,
        )
    return born


def validate_credit_code(value: str) -> str:
    """Check a 统一社会信用代码 and return it normalised; raise InvalidInput if it is wrong."""
    if not isinstance(value, str):
        raise _credit_error(gettext_noop("统一社会信用代码应为文本。"), reason="type")
    code = normalise(value)
    if not code:
        raise _credit_error(gettext_noop("请填写统一社会信用代码。"), reason="empty")
    if len(code) != CREDIT_CODE_LENGTH:
        values: dict[str, object] = {}
        if len(code) == 15 and code.isdigit():
            message = gettext_noop(
                "这像是15位的旧工商注册号，请填写18位统一社会信用代码（见营业执照）。"
            )
        elif len(code) in (9, 10):
            message = gettext_noop("这像是旧的组织机构代码，请填写18位统一社会信用代码。")
        else:
            message = gettext_noop("统一社会信用代码应为18位，实为%(length)d位。")
            values = {"length": len(code)}
        raise _credit_error(
            message,
            values,
            reason="length",
            expected=str(CREDIT_CODE_LENGTH),
            actual=str(len(code)),
        )
    for index, char in enumerate(code):
        position = index + 1
        if 3 <= position <= 8:
            if not ("0" <= char <= "9"):
                raise _credit_error(
                    gettext_noop(
                        "第%(position)d位“%(char)s”无效：第3至8位是行政区划码，只能是数字。"
                    ),
                    {"position": position, "char": char},
                    reason="character",
                    position=position,
                    actual=char,
                )
        elif char not in CREDIT_CODE_ALPHABET:
            if char in "IOZSV":
                message = gettext_noop(
                    "第%(position)d位“%(char)s”无效：统一社会信用代码不使用字母I、O、Z、S、V。"
                )
            else:
                message = gettext_noop(
                    "第%(position)d位“%(char)s”无效：只能是数字或除I、O、Z、S、V以外的大写字母。"
                )
            raise _credit_error(
                message,
                {"position": position, "char": char},
                reason="character",
                position=position,
                actual=char,
            )
    if code[0] == "0":
        raise _credit_error(
            gettext_noop("第1位“0”不是有效的登记管理部门代码。"),
            reason="character",
            position=1,
            actual="0",
        )
    expected = uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        raise _credit_error(
            gettext_noop("校验位不符：应为 %(expected)s，实为 %(actual)s。"),
            {"expected": expected, "actual": code[17]},
            reason="check_digit",
            position=18,
            expected=expected,
            actual=code[17],
        )
    return code


_PHONE = re.compile(r"^\+?[0-9][0-9-]{4,19}$")


def validate_phone(value: str) -> str:
    """Check a telephone number loosely and return it without spaces; raise InvalidInput."""
    phone = re.sub(r"\s", "", unicodedata.normalize("NFKC", value))
    if phone and not _PHONE.fullmatch(phone):
        raise InvalidInput(
            _("电话号码格式不正确。"), code="invalid_phone", detail={"field": "phone"}
        )
    return phone


def credit_code_authority(code: str) -> str:
    """Return the registering authority named by a valid credit code's first character."""
    return str(CREDIT_CODE_AUTHORITIES.get(code[:1], ""))


# Django validators: the same checks for model fields and forms, so that the
# admin and every ModelForm refuse what the actions would refuse.


def id_number_validator(value: str) -> None:
    """Django validator for a 公民身份号码 field."""
    try:
        validate_id_number(value)
    except InvalidInput as error:
        raise ValidationError(str(error.message), code=error.code) from None


def credit_code_validator(value: str) -> None:
    """Django validator for a 统一社会信用代码 field."""
    try:
        validate_credit_code(value)
    except InvalidInput as error:
        raise ValidationError(str(error.message), code=error.code) from None

"""Refusals of a 身份证号 or 统一社会信用代码 also carry themselves as a stored text.

A refusal is said in the language of the request that was refused, as it
always was; what it was made from comes with it, so that a refusal kept with
an upload's rejected rows reads later in each reader's own language, with the
length, position, character or check digit it named.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from zhengtong.core.errors import InvalidInput
from zhengtong.core.i18n import message_of, shown_text
from zhengtong.core.testing import make_credit_code, make_id_number
from zhengtong.core.validators import validate_credit_code, validate_id_number

GOOD_ID = make_id_number()  # 430102199001010016
GOOD_CODE = make_credit_code(seq=7)  # 91430102000000078W

# (check, value, said in Chinese, said in English, detail)
REFUSALS: list[tuple[Callable[[str], Any], str, str, str, dict[str, Any]]] = [
    (
        validate_id_number,
        GOOD_ID[:17],
        "公民身份号码应为18位，实为17位。",
        "A citizen identity number has 18 characters; this one has 17.",
        {"reason": "length", "position": None, "expected": "18", "actual": "17"},
    ),
    (
        validate_id_number,
        "4301021990010112X3",
        "第17位“X”无效：前17位只能是数字。",
        "Character 17 (“X”) is not valid: the first 17 characters must be digits.",
        {"reason": "character", "position": 17, "expected": None, "actual": "X"},
    ),
    (
        validate_id_number,
        "43010219900101001A",
        "第18位“A”无效：校验位只能是数字或X。",
        "Character 18 (“A”) is not valid: the check character must be a digit or X.",
        {"reason": "character", "position": 18, "expected": None, "actual": "A"},
    ),
    (
        validate_id_number,
        "001002199001011234",
        "第1至2位“00”不是有效的省级行政区划代码。",
        "Characters 1-2 (“00”) are not a valid province code.",
        {"reason": "region", "position": 1, "expected": None, "actual": "00"},
    ),
    (
        validate_id_number,
        "430102199002301234",
        "第7至14位的出生日期“19900230”不存在。",
        "The date of birth in characters 7-14 (“19900230”) does not exist.",
        {"reason": "birth_date", "position": 7, "expected": None, "actual": "19900230"},
    ),
    (
        validate_id_number,
        GOOD_ID[:17] + "0",
        "校验位不符：应为 6，实为 0。",
        "The check digit fails: expected 6, got 0.",
        {"reason": "check_digit", "position": 18, "expected": "6", "actual": "0"},
    ),
    (
        validate_credit_code,
        GOOD_CODE[:17],
        "统一社会信用代码应为18位，实为17位。",
        "A unified social credit code has 18 characters; this one has 17.",
        {"reason": "length", "position": None, "expected": "18", "actual": "17"},
    ),
    (
        validate_credit_code,
        "430102199001011",
        "这像是15位的旧工商注册号，请填写18位统一社会信用代码（见营业执照）。",
        "This looks like an old 15-digit business registration number; enter the"
        " 18-character unified social credit code (shown on the business licence).",
        {"reason": "length", "position": None, "expected": "18", "actual": "15"},
    ),
    (
        validate_credit_code,
        "9143A102000000078W",
        "第5位“A”无效：第3至8位是行政区划码，只能是数字。",
        "Character 5 (“A”) is not valid: characters 3-8 are a region code and must be digits.",
        {"reason": "character", "position": 5, "expected": None, "actual": "A"},
    ),
    (
        validate_credit_code,
        "914301020O0000078W",
        "第10位“O”无效：统一社会信用代码不使用字母I、O、Z、S、V。",
        "Character 10 (“O”) is not valid: credit codes do not use the letters I, O, Z, S and V.",
        {"reason": "character", "position": 10, "expected": None, "actual": "O"},
    ),
    (
        validate_credit_code,
        "914301020*0000078W",
        "第10位“*”无效：只能是数字或除I、O、Z、S、V以外的大写字母。",
        "Character 10 (“*”) is not valid: only digits and capital letters"
        " other than I, O, Z, S and V are allowed.",
        {"reason": "character", "position": 10, "expected": None, "actual": "*"},
    ),
    (
        validate_credit_code,
        "01430102000000078W",
        "第1位“0”不是有效的登记管理部门代码。",
        "Character 1 (“0”) is not a valid registering-authority code.",
        {"reason": "character", "position": 1, "expected": None, "actual": "0"},
    ),
    (
        validate_credit_code,
        GOOD_CODE[:17] + "0",
        "校验位不符：应为 W，实为 0。",
        "The check digit fails: expected W, got 0.",
        {"reason": "check_digit", "position": 18, "expected": "W", "actual": "0"},
    ),
]


def _refusal(check: Callable[[str], Any], value: str, language: str) -> InvalidInput:
    with translation.override(language), pytest.raises(InvalidInput) as refused:
        check(value)
    return refused.value


@pytest.mark.parametrize(("check", "value", "chinese", "english", "facts"), REFUSALS)
def test_a_refusal_says_what_it_said_and_keeps_a_form_any_reader_can_read(
    check: Callable[[str], Any],
    value: str,
    chinese: str,
    english: str,
    facts: dict[str, Any],
) -> None:
    field = "id_number" if check is validate_id_number else "credit_code"
    for language, said in (("zh-hans", chinese), ("en", english)):
        refusal = _refusal(check, value, language)
        # What pages and APIs show is what it always was.
        assert refusal.message == said and str(refusal) == said
        assert refusal.code == f"invalid_{field}"
        assert refusal.detail == {"field": field, **facts}
        assert refusal.as_dict()["message"] == said
        # Kept in the platform's language whoever was refused ...
        assert refusal.stored == chinese
        record = message_of(refusal.stored)
        assert record is not None
        # ... and read in each reader's language, with the values it named.
        for reader, read in (("en", english), ("zh-hans", chinese)):
            with translation.override(reader):
                assert shown_text(refusal.stored, record) == read


def test_the_kept_form_holds_the_message_id_and_its_values() -> None:
    refusal = _refusal(validate_id_number, GOOD_ID[:17] + "0", "en")
    assert refusal.stored is not None
    assert message_of(refusal.stored) == {
        "id": "校验位不符：应为 %(expected)s，实为 %(actual)s。",
        "values": {"expected": "6", "actual": "0"},
    }
    short = _refusal(validate_credit_code, GOOD_CODE[:17], "en")
    assert short.stored is not None
    assert message_of(short.stored) == {
        "id": "统一社会信用代码应为18位，实为%(length)d位。",
        "values": {"length": 17},
    }


def test_a_refusal_made_elsewhere_keeps_no_stored_form() -> None:
    assert InvalidInput("输入有误。").stored is None

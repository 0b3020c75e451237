import datetime as dt

import pytest
from django import forms

from zhengtong.core.errors import InvalidInput
from zhengtong.core.models import Person
from zhengtong.core.testing import make_credit_code, make_id_number
from zhengtong.core.validators import (
    IdNumberFacts,
    validate_credit_code,
    validate_id_number,
)

# 张三, born 1 January 1990 in 芙蓉区: a valid number built with stdnum's check digit.
VALID = make_id_number("430102", dt.date(1990, 1, 1), 1, "M")


def _id_error(value: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        validate_id_number(value)
    assert caught.value.code == "invalid_id_number"
    assert caught.value.detail["field"] == "id_number"
    return caught.value


def _credit_error(value: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        validate_credit_code(value)
    assert caught.value.code == "invalid_credit_code"
    assert caught.value.detail["field"] == "credit_code"
    return caught.value


def _with_check_digit_x() -> str:
    for seq in range(1, 400):
        number = make_id_number("430102", dt.date(1990, 1, 1), seq, "F")
        if number.endswith("X"):
            return number
    raise AssertionError("no number with check digit X in range")


class TestIdNumbers:
    def test_it_accepts_a_valid_number_and_derives_the_facts(self) -> None:
        facts = validate_id_number(VALID)
        assert facts == IdNumberFacts(
            number=VALID, birth_date=dt.date(1990, 1, 1), sex="M", region_code="430102"
        )

    def test_it_knows_a_woman_by_the_even_order_code(self) -> None:
        number = make_id_number("110101", dt.date(1985, 6, 30), 3, "F")
        facts = validate_id_number(number)
        assert facts.sex == "F"
        assert facts.birth_date == dt.date(1985, 6, 30)

    def test_it_accepts_the_published_example_from_stdnum(self) -> None:
        assert validate_id_number("360426199101010071").number == "360426199101010071"

    def test_it_normalises_a_lowercase_x_and_surrounding_spaces(self) -> None:
        number = _with_check_digit_x()
        assert validate_id_number(f"  {number[:-1]}x \t").number == number

    def test_it_normalises_full_width_digits(self) -> None:
        full_width = VALID.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
        assert validate_id_number(full_width).number == VALID

    def test_it_refuses_an_id_number_with_a_wrong_check_digit(self) -> None:
        expected = VALID[-1]
        wrong = "0" if expected != "0" else "1"
        error = _id_error(VALID[:-1] + wrong)
        assert error.detail["reason"] == "check_digit"
        assert error.detail["position"] == 18
        assert error.detail["expected"] == expected
        assert f"应为 {expected}，实为 {wrong}" in str(error.message)

    def test_it_refuses_a_wrong_length_and_says_how_long_it_was(self) -> None:
        error = _id_error(VALID[:-2])
        assert error.detail["reason"] == "length"
        assert "16" in str(error.message)

    def test_it_refuses_a_fifteen_digit_first_generation_number(self) -> None:
        error = _id_error("430102900101123")
        assert error.detail["reason"] == "old_format"
        assert "15" in str(error.message)

    @pytest.mark.parametrize("position", [1, 9, 17])
    def test_it_says_which_position_holds_a_letter(self, position: int) -> None:
        value = VALID[: position - 1] + "A" + VALID[position:]
        error = _id_error(value)
        assert error.detail["reason"] == "character"
        assert error.detail["position"] == position
        assert f"第{position}位" in str(error.message)

    def test_it_refuses_a_check_character_other_than_a_digit_or_x(self) -> None:
        error = _id_error(VALID[:-1] + "Y")
        assert error.detail["position"] == 18

    def test_it_refuses_an_impossible_birth_date(self) -> None:
        body = "430102" + "19900230" + "001"
        error = _id_error(body + "0")
        assert error.detail["reason"] == "birth_date"
        assert "19900230" in str(error.message)

    def test_it_refuses_a_birth_date_in_the_future(self) -> None:
        future = dt.date.today().replace(year=dt.date.today().year + 2, month=1, day=1)
        error = _id_error(make_id_number("430102", future, 1, "M"))
        assert error.detail["reason"] == "birth_date"

    def test_it_refuses_an_unknown_province(self) -> None:
        error = _id_error(make_id_number("990102", dt.date(1990, 1, 1), 1, "M"))
        assert error.detail["reason"] == "region"

    def test_it_refuses_an_empty_value(self) -> None:
        assert _id_error("   ").detail["reason"] == "empty"


class TestCreditCodes:
    def test_it_accepts_the_published_example(self) -> None:
        assert validate_credit_code("91110000600037341L") == "91110000600037341L"

    def test_it_accepts_generated_codes_of_enterprises_and_government_bodies(self) -> None:
        for code in (make_credit_code(), make_credit_code("430100", 7, authority="1")):
            assert validate_credit_code(code) == code

    def test_it_normalises_lowercase_and_spaces(self) -> None:
        assert validate_credit_code(" 91110000600037341l ") == "91110000600037341L"

    def test_it_refuses_a_credit_code_with_a_wrong_check_digit(self) -> None:
        error = _credit_error("91110000600037341M")
        assert error.detail == {
            "field": "credit_code",
            "reason": "check_digit",
            "position": 18,
            "expected": "L",
            "actual": "M",
        }
        assert "应为 L，实为 M" in str(error.message)

    def test_it_says_a_letter_the_standard_excludes_is_not_allowed(self) -> None:
        error = _credit_error("9111000060003734OL")
        assert error.detail["position"] == 17
        assert "I、O、Z、S、V" in str(error.message)

    def test_it_refuses_a_letter_in_the_region_code(self) -> None:
        error = _credit_error("9111A000600037341L")
        assert error.detail["position"] == 5
        assert "第5位" in str(error.message)

    def test_it_recognises_an_old_registration_number(self) -> None:
        error = _credit_error("430102000012345")
        assert error.detail["reason"] == "length"
        assert "注册号" in str(error.message)

    def test_it_refuses_a_wrong_length(self) -> None:
        assert "17" in str(_credit_error("91110000600037341").message)


class _PersonForm(forms.ModelForm[Person]):
    class Meta:
        model = Person
        fields = ("id_number", "name")


@pytest.mark.django_db
def test_model_forms_refuse_a_bad_number_with_the_same_message() -> None:
    form = _PersonForm(
        data={"id_number": VALID[:-1] + ("0" if VALID[-1] != "0" else "1"), "name": "张三"}
    )
    assert not form.is_valid()
    assert "校验位不符" in form.errors["id_number"][0]


@pytest.mark.django_db
def test_model_forms_accept_a_valid_number() -> None:
    form = _PersonForm(data={"id_number": VALID, "name": "张三"})
    assert form.is_valid(), form.errors

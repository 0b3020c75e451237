import threading
import time

import pytest
from django.template import Context, Template

from zhengtong.core.divisions import names_by_level
from zhengtong.core.masking import (
    mask,
    mask_address,
    mask_bank_card,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("张三", "张*"),
        ("李小龙", "李**"),
        ("欧阳娜娜", "欧阳**"),
        ("诸葛亮", "诸葛*"),
        # Two characters cannot be a compound surname with a given name.
        ("欧阳", "欧*"),
        ("张", "张"),
        ("阿依古丽·买买提", "阿***·***"),
        (" 张三 ", "张*"),
    ],
)
def test_it_masks_names_keeping_the_surname(value: str, masked: str) -> None:
    assert mask_name(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("430102199001011234", "430102********1234"),
        ("43010219900101123x", "430102********123X"),
        ("430102900101123", "430102*****1123"),
        ("1234567890", "**********"),
    ],
)
def test_it_masks_id_numbers_keeping_the_address_code_and_last_four(
    value: str, masked: str
) -> None:
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("0731-88888888", "073*****8888"),
        ("88888888", "****8888"),
        ("1234", "****"),
    ],
)
def test_it_masks_phone_numbers(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("6222021234567890123", "622202*********0123"),
        ("6222 0212 3456 7890", "622202******7890"),
        ("123456", "**3456"),
    ],
)
def test_it_masks_bank_cards_keeping_the_first_six_and_last_four(value: str, masked: str) -> None:
    assert mask_bank_card(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("湖南省长沙市芙蓉区文艺路街道五一大道389号", "湖南省长沙市芙蓉区文艺路街道***"),
        ("湖南省长沙市芙蓉区五一大道389号", "湖南省长沙市芙蓉区***"),
        ("湖南长沙市天心区城南西路1号", "湖南长沙市天心区***"),
        ("北京市朝阳区建国路88号", "北京市朝阳区***"),
        ("五一大道389号", "***"),
        ("湖南省长沙市", "湖南省长沙市"),
    ],
)
def test_it_masks_addresses_below_the_township(value: str, masked: str) -> None:
    assert mask_address(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("zhangsan@example.com", "z***@example.com"),
        ("z@example.com", "z***@example.com"),
        ("@example.com", "***@example.com"),
        ("not an address", "***"),
    ],
)
def test_it_masks_email_addresses(value: str, masked: str) -> None:
    assert mask_email(value) == masked


KINDS_AND_VALUES = [
    ("name", "欧阳娜娜"),
    ("name", "张三"),
    ("id_number", "430102199001011234"),
    ("id_number", "43010"),
    ("phone", "+86 138 1234 5678"),
    ("phone", "12"),
    ("bank_card", "6222021234567890123"),
    ("address", "湖南省长沙市芙蓉区文艺路街道五一大道389号"),
    ("address", "某小区3栋"),
    ("email", "zhangsan@example.com"),
]


@pytest.mark.parametrize(("kind", "value"), KINDS_AND_VALUES)
def test_masking_twice_changes_nothing(kind: str, value: str) -> None:
    once = mask(kind, value)
    assert mask(kind, once) == once


@pytest.mark.parametrize(("kind", "value"), KINDS_AND_VALUES)
def test_masking_never_returns_the_clear_value(kind: str, value: str) -> None:
    if kind == "name" and len(value) == 1:
        pytest.skip("a one-character name is its own surname")
    assert mask(kind, value) != value


@pytest.mark.parametrize("kind", ["name", "id_number", "phone", "bank_card", "address", "email"])
@pytest.mark.parametrize("value", ["", "   "])
def test_it_is_safe_on_empty_input(kind: str, value: str) -> None:
    assert mask(kind, value) == ""


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="passport"):
        mask("passport", "E12345678")


def test_templates_mask_with_the_filter() -> None:
    template = Template(
        "{% load masking %}"
        '{{ id|mask:"id_number" }} {{ name|mask:"name" }} [{{ none|mask:"phone" }}]'
    )
    rendered = template.render(
        Context({"id": "430102199001011234", "name": "欧阳娜娜", "none": None})
    )
    assert rendered == "430102********1234 欧阳** []"


def test_a_road_named_after_a_province_is_not_a_division() -> None:
    assert mask_address("北京路123号") == "***"
    assert mask_address("湖南路5号") == "***"


def test_threads_arriving_together_wait_for_one_build_of_the_division_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from zhengtong.core import masking

    monkeypatch.setattr(masking, "_division_index", None)
    built: list[int] = []
    index_names = masking._indexed

    def slow_index(names: frozenset[str]) -> tuple[frozenset[str], dict[str, tuple[int, ...]]]:
        built.append(len(names))
        time.sleep(0.01)  # lets the other threads in, as the real 0.2 s build does
        return index_names(names)

    monkeypatch.setattr(masking, "_indexed", slow_index)
    start = threading.Barrier(4)
    masked: list[str] = []

    def first_request() -> None:
        start.wait()
        masked.append(mask_address("湖南省长沙市芙蓉区五一大道100号"))

    threads = [threading.Thread(target=first_request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert masked == ["湖南省长沙市芙蓉区***"] * 4
    # One index per division level and one of the provinces' short names: one build.
    assert len(built) == len(names_by_level()) + 1

"""Values that grow without bound are stopped, whether built in one expression or over a script."""

import shutil
from pathlib import Path

import pytest

from zhengtong.eservices import process
from zhengtong.eservices.process import ProcessError, definitions, sandbox
from zhengtong.eservices.process.errors import SandboxViolation
from zhengtong.eservices.tests.process_cases import AUTOMATIC

DATA = {
    "area": 40,
    "name": "张三",
    "materials": ["营业执照", "身份证"],
    "text": "x" * 9000,
    # As long as a form text may be.
    "long": "x" * 100_000,
}


@pytest.mark.parametrize(
    "expression",
    [
        # Short lists of lists whose text repeats every inner item.
        'len(str([["x" * 9999] * 100] * 100))',
        "len(str([[[[0] * 10] * 10] * 10] * 10))",
        "len(str([[0] * 100] * 100))",
        "[[[[0] * 10] * 10] * 10] * 10 == [[[[0] * 10] * 10] * 10] * 10",
        # Summing lists copies the running total at every step.
        "len(sum([[0] * 100] * 100, []))",
        # A form text repeated inside a list, then written out.
        "len(str([text] * 1000))",
        "len(str([long, long, long, long, long, long, long, long, long, long, long, long]))",
    ],
)
def test_it_stops_values_that_repeat_their_items_without_bound(expression: str) -> None:
    with pytest.raises(SandboxViolation):
        sandbox.evaluate(expression, DATA)


@pytest.mark.parametrize(
    "script",
    [
        'a = "ab"\n' + "a = a + a\n" * 22,
        "a = 2 ** 2000\n" + "a = a * a\n" * 10,
        'a = ["x"]\n' + "a = [a, a]\n" * 21,
    ],
)
def test_it_stops_scripts_that_double_a_value_line_by_line(script: str) -> None:
    with pytest.raises(SandboxViolation):
        sandbox.execute(script, dict(DATA))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('"-" * 3', "---"),
        ('len("x" * 9999)', 9999),
        ("len([0] * 10000)", 10000),
        ("len(text + text)", 18000),
        ("len(str(long))", 100_000),
        ("len(long + long)", 200_000),
        ('str(materials) + "份"', "['营业执照', '身份证']份"),
        ("sum([1, 2.5, True])", 4.5),
        ("2 ** 2000 * 2 ** 2000 > 2 ** 2000", True),
        ("materials + [name]", ["营业执照", "身份证", "张三"]),
    ],
)
def test_ordinary_expressions_stay_allowed(expression: str, expected: object) -> None:
    assert sandbox.evaluate(expression, DATA) == expected


def test_it_stops_an_integer_too_long_to_be_saved_as_json() -> None:
    data = dict(DATA)
    with pytest.raises(SandboxViolation):
        sandbox.execute('total = int("9" * 4300) + int("9" * 4300)', data)
    assert "total" not in data


def test_a_process_whose_script_doubles_a_value_stops_with_a_clear_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in definitions.PROCESS_DIRECTORY.glob("food_business_licence*"):
        shutil.copy(path, tmp_path / path.name)
    bpmn = tmp_path / "food_business_licence.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    old = 'delivery_method = "electronic"</bpmn:script>'
    assert old in text
    doubling = 'delivery_method = "electronic"\nnote = "ab"\n' + "note = note + note\n" * 22
    bpmn.write_text(text.replace(old, doubling + "</bpmn:script>"), encoding="utf-8")
    monkeypatch.setattr(definitions, "PROCESS_DIRECTORY", tmp_path)

    with pytest.raises(ProcessError) as caught:
        process.start("food_business_licence", AUTOMATIC["food_business_licence"])
    assert caught.value.code == "evaluation_failed"

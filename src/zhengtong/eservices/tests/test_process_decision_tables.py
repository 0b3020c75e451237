"""Decision tables are run only with the hit policy they are written for, and always decide."""

import re
import shutil
from pathlib import Path

import pytest

from zhengtong.eservices.process import PROCESS_DIRECTORY, ProcessError, parse_process

TABLE = "food_business_licence.auto_approval.dmn"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for path in PROCESS_DIRECTORY.glob("food_business_licence*"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refusal(files: Path) -> ProcessError:
    with pytest.raises(ProcessError) as caught:
        parse_process("food_business_licence", files)
    return caught.value


@pytest.mark.parametrize(
    ("written", "policy"),
    [
        ('hitPolicy="COLLECT"', "COLLECT"),
        ('hitPolicy="UNIQUE"', "UNIQUE"),
        ('hitPolicy="ANY"', "ANY"),
        ('hitPolicy="PRIORITY"', "PRIORITY"),
        ('hitPolicy="RULE ORDER"', "RULE ORDER"),
        ("", "UNIQUE"),
    ],
)
def test_it_refuses_a_hit_policy_the_engine_would_not_honour(
    files: Path, written: str, policy: str
) -> None:
    edit(files / TABLE, 'hitPolicy="FIRST"', written)
    error = refusal(files)
    assert error.code == "invalid_dmn"
    assert error.detail["hit_policy"] == policy


def test_it_refuses_a_table_without_a_catch_all_last_rule(files: Path) -> None:
    path = files / TABLE
    text = path.read_text(encoding="utf-8")
    # Narrow the last rule's first column, so that some applications match no rule.
    last = text.rindex('<inputEntry id="InputEntry_2_1">')
    narrowed = re.sub(r"<text>-</text>", '<text>"食品销售"</text>', text[last:], count=1)
    path.write_text(text[:last] + narrowed, encoding="utf-8")
    error = refusal(files)
    assert error.code == "invalid_dmn"
    assert error.detail["decision"] == "auto_approval"


def test_it_refuses_a_table_without_rules(files: Path) -> None:
    path = files / TABLE
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<rule id=.*?</rule>", "", text, flags=re.DOTALL)
    path.write_text(text, encoding="utf-8")
    assert refusal(files).code == "invalid_dmn"

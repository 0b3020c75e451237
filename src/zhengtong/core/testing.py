"""Test helpers for every app: valid numbers, a small real region tree, and factories.

The factories go through the actions, so that what tests build is what the
platform would have built (validated numbers, derived birth dates, ledger
entries). Numbers are made valid by computing their check digits with
python-stdnum, never by copying real people's numbers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from stdnum.cn import ric, uscc

from zhengtong.core import calendar
from zhengtong.core.actions import (
    ArrangedDay,
    do_record_holiday_arrangement,
    do_register_department,
    do_register_enterprise,
    do_register_person,
)
from zhengtong.core.actors import Actor
from zhengtong.core.models import (
    Department,
    DepartmentKind,
    Enterprise,
    Person,
    Region,
    RegionLevel,
)

TEST_ACTOR = Actor.system("test")

_sequence = itertools.count(1)

# GB 11714 organisation-code weights and character values (digits, then A=10 ... Z=35).
_ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORGANISATION_VALUES = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def make_id_number(
    region_code: str = "430102",
    birth: dt.date = dt.date(1990, 1, 1),
    seq: int = 1,
    sex: str = "M",
) -> str:
    """Return a valid 18-digit 身份证号; the seq-th number of that sex, place and birth date."""
    if sex not in ("M", "F"):
        raise ValueError("sex is 'M' or 'F'")
    # The order code is odd for men and even for women.
    order = 2 * seq - 1 if sex == "M" else 2 * seq
    if not (1 <= order <= 999):
        raise ValueError("seq is out of range for a three-digit order code")
    body = f"{region_code}{birth:%Y%m%d}{order:03d}"
    # calc_check_digit reads everything but the last character.
    return body + ric.calc_check_digit(body + "0")


def make_credit_code(
    region_code: str = "430102",
    seq: int = 1,
    *,
    authority: str = "9",
    entity_type: str = "1",
) -> str:
    """Return a valid 统一社会信用代码 (an enterprise's by default; "1", "1" for a 机关)."""
    if not (0 <= seq < 10**8):
        raise ValueError("seq is out of range for an organisation code")
    organisation = f"{seq:08d}"
    total = sum(
        _ORGANISATION_VALUES.index(char) * weight
        for char, weight in zip(organisation, _ORGANISATION_WEIGHTS, strict=True)
    )
    remainder = 11 - total % 11
    organisation += {10: "X", 11: "0"}.get(remainder, str(remainder))
    body = f"{authority}{entity_type}{region_code}{organisation}"
    return body + uscc.calc_check_digit(body)


@dataclass(frozen=True, slots=True)
class RegionTree:
    """湖南省 / 长沙市 / 芙蓉区 (with 文艺路街道) and 天心区."""

    province: Region
    city: Region
    furong: Region
    tianxin: Region
    wenyilu: Region


def make_region_tree() -> RegionTree:
    """Create (or reuse) a small slice of the real GB/T 2260 tree around 长沙市."""

    def region(code: str, name: str, level: int, parent: Region | None) -> Region:
        path = f"{parent.path}/{code}" if parent else code
        made, _ = Region.objects.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": parent, "path": path}
        )
        return made

    province = region("430000", "湖南省", RegionLevel.PROVINCE, None)
    city = region("430100", "长沙市", RegionLevel.CITY, province)
    furong = region("430102", "芙蓉区", RegionLevel.COUNTY, city)
    tianxin = region("430103", "天心区", RegionLevel.COUNTY, city)
    wenyilu = region("430102001", "文艺路街道", RegionLevel.TOWNSHIP, furong)
    return RegionTree(province, city, furong, tianxin, wenyilu)


def make_department(
    name: str = "长沙市市场监督管理局",
    *,
    code: str | None = None,
    region: Region | None = None,
    kind: str = DepartmentKind.GOVERNMENT,
    parent: Department | None = None,
    credit_code: str | None = None,
    short_name: str = "",
) -> Department:
    """Register a department through the action (in 长沙市 unless told otherwise)."""
    n = next(_sequence)
    region = region or make_region_tree().city
    return do_register_department(
        code or f"dept-{n}",
        name,
        credit_code or make_credit_code(region.code[:6], n, authority="1", entity_type="1"),
        region,
        kind,
        actor=TEST_ACTOR,
        parent=parent,
        short_name=short_name,
    )


def make_person(
    name: str = "张三",
    *,
    id_number: str | None = None,
    birth: dt.date | None = None,
    sex: str = "M",
    phone: str = "",
    address: str = "",
    region: Region | None = None,
) -> Person:
    """Register a person through the action, with a fresh valid 身份证号 unless one is given."""
    n = next(_sequence)
    if id_number is None:
        # Spread people over birth dates so that the order codes never run out.
        born = birth or dt.date(1990, 1, 1) + dt.timedelta(days=n // 499)
        id_number = make_id_number("430102", born, n % 499 + 1, sex)
    return do_register_person(
        id_number, name, actor=TEST_ACTOR, phone=phone, address=address, region=region
    )


def make_enterprise(
    name: str = "长沙市芙蓉区好味道餐饮店",
    *,
    credit_code: str | None = None,
    legal_representative: Person | None = None,
    address: str = "湖南省长沙市芙蓉区文艺路街道五一大道100号",
    region: Region | None = None,
    industry_code: str = "",
    industry: str = "",
    established_on: dt.date | None = None,
) -> Enterprise:
    """Register an enterprise through the action (in 芙蓉区 unless told otherwise)."""
    n = next(_sequence)
    region = region or make_region_tree().furong
    return do_register_enterprise(
        credit_code or make_credit_code(region.code[:6], n),
        name,
        legal_representative or make_person(),
        address,
        region,
        actor=TEST_ACTOR,
        industry_code=industry_code,
        industry=industry,
        established_on=established_on,
    )


def make_holiday(day: dt.date) -> None:
    """Record a holiday notice for the day's year that makes the day a holiday.

    The test's transaction never commits, so this process is told at once
    instead of when the notice commits, as production is.
    """
    do_record_holiday_arrangement(
        day.year,
        "国办发明电（测试）",
        [ArrangedDay(day, is_working_day=False, name="测试假日")],
        actor=TEST_ACTOR,
    )
    calendar.forget_recorded_arrangements()


def documented_statuses(method: str, path: str) -> set[int]:
    """The statuses the API's OpenAPI document lists for an operation.

    ``path`` as the document writes it (``/api/exchange/shared/{slug}/look-up``).
    """
    from zhengtong.api import api

    operation = api.get_openapi_schema()["paths"][path][method.lower()]
    return {int(status) for status in operation["responses"]}


def run_zhengtong(
    arguments: list[str], environment: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m zhengtong ARGUMENTS`` in a process of its own, its output captured."""
    return subprocess.run(  # noqa: S603 - this interpreter, arguments the tests write
        [sys.executable, "-m", "zhengtong", *arguments],
        env=dict(environment),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

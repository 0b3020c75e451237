"""The cast of the item and guide tests (no tests here).

李四 administers the city market bureau and manages its items; 王五 is a
clerk of the health commission without that permission; 张三 is a citizen.
"""

from dataclasses import dataclass, replace

import pytest

from zhengtong.core.models import Department
from zhengtong.core.testing import TEST_ACTOR, make_department, make_person, make_region_tree
from zhengtong.eservices.actions import ServiceItemInput
from zhengtong.eservices.demo import FOOD
from zhengtong.identity.actions import do_create_citizen, do_create_staff
from zhengtong.identity.models import User

PASSWORD = "Zhengtong-eservices-2026"


@dataclass(frozen=True)
class ItemsCast:
    market: Department
    hrss: Department
    health: Department
    environment: Department
    manager: User
    clerk: User
    citizen: User


def make_cast() -> ItemsCast:
    city = make_region_tree().city
    market = make_department("长沙市市场监督管理局", code="cs-market", region=city)
    hrss = make_department("长沙市人力资源和社会保障局", code="cs-hrss", region=city)
    health = make_department("长沙市卫生健康委员会", code="cs-health", region=city)
    environment = make_department("长沙市生态环境局", code="cs-environment", region=city)
    return ItemsCast(
        market=market,
        hrss=hrss,
        health=health,
        environment=environment,
        manager=do_create_staff(
            "lisi", PASSWORD, "李四", market, ["administrator"], actor=TEST_ACTOR
        ),
        clerk=do_create_staff("wangwu", PASSWORD, "王五", health, ["clerk"], actor=TEST_ACTOR),
        citizen=do_create_citizen("zhangsan", PASSWORD, make_person("张三"), actor=TEST_ACTOR),
    )


@pytest.fixture
def cast(db: None) -> ItemsCast:
    return make_cast()


def item_input(code: str = "010099900100", **changes: object) -> ServiceItemInput:
    """The demo food licence under another code, with changes."""
    return replace(FOOD, code=code, **changes)  # type: ignore[arg-type]

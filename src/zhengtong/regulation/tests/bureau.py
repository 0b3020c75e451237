"""The environment bureau the regulation tests share, and their test-client helpers.

长沙市生态环境局 (``cs-environment``) covers the city; its 芙蓉分局
(``fr-environment``) the 芙蓉区. 周检 (``zhoujian``) regulates for the whole
city; 陈芙 (``chenfu``) for the branch, a department post covering 芙蓉区
only; 王五 (``wangwu``) reviews one-stop applications at the city bureau and
has no regulation work; 管理员 (``guanli``) administers the platform at the
data bureau. 张三 (``zhangsan``) is a citizen. Each test module adds its own
enterprises, points and people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.test import Client

from zhengtong.core.models import Department
from zhengtong.core.testing import (
    TEST_ACTOR,
    RegionTree,
    make_department,
    make_person,
    make_region_tree,
)
from zhengtong.identity.actions import do_create_citizen, do_create_staff
from zhengtong.identity.models import ScopeLevel, User

PASSWORD = "Zhengtong-regulation-2026"


@dataclass(frozen=True)
class Bureau:
    regions: RegionTree
    city_environment: Department
    furong_environment: Department
    data_bureau: Department
    regulator: User
    district_regulator: User
    reviewer: User
    admin: User
    citizen: User


def make_bureau() -> Bureau:
    regions = make_region_tree()
    city_environment = make_department(
        "长沙市生态环境局", code="cs-environment", region=regions.city
    )
    furong_environment = make_department(
        "长沙市生态环境局芙蓉分局",
        code="fr-environment",
        region=regions.furong,
        parent=city_environment,
    )
    data_bureau = make_department("长沙市数据资源管理局", code="cs-data", region=regions.city)

    def staff(username: str, name: str, department: Department, role: str, **post: Any) -> User:
        return do_create_staff(
            username, PASSWORD, name, department, [role], actor=TEST_ACTOR, **post
        )

    return Bureau(
        regions=regions,
        city_environment=city_environment,
        furong_environment=furong_environment,
        data_bureau=data_bureau,
        regulator=staff(
            "zhoujian",
            "周检",
            city_environment,
            "regulator",
            scope=ScopeLevel.REGION,
            scope_region=regions.city,
        ),
        district_regulator=staff("chenfu", "陈芙", furong_environment, "regulator"),
        reviewer=staff("wangwu", "王五", city_environment, "reviewer"),
        admin=staff("guanli", "管理员", data_bureau, "administrator"),
        citizen=do_create_citizen("zhangsan", PASSWORD, make_person("张三"), actor=TEST_ACTOR),
    )


def logged_in(user: User) -> Client:
    http = Client()
    http.force_login(user)
    return http


def text_of(response: Any) -> str:
    return str(response.content.decode())

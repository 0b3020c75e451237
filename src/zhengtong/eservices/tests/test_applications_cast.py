"""The cast of the application tests (no tests here).

The market bureau (cs-market) runs 食品经营许可证核发: 李四 is its window clerk
(受理), 赵审 its reviewer (审查) and 钱决 its leader (决定, answers bad
ratings). 王五 is a clerk of the health commission and has no say over it.
赵六 is the legal representative of 好味道餐饮 and applies for it with an
enterprise account; 孙七 does the same for 失信餐饮, which is on the
serious-dishonesty list. 张三 is a citizen. The data bureau hosts the
enterprise register and the dishonesty list and holds the platform's client.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from zhengtong.catalog import actions as catalog
from zhengtong.catalog.demo import DEMO as CATALOG_DEMO
from zhengtong.core.models import Department, Enterprise
from zhengtong.core.testing import (
    TEST_ACTOR,
    make_credit_code,
    make_department,
    make_enterprise,
    make_person,
    make_region_tree,
)
from zhengtong.eservices.actions import do_create_service_item, do_publish_service_item
from zhengtong.eservices.demo import FOOD
from zhengtong.eservices.models import Material, ServiceItem
from zhengtong.eservices.prefill import ensure_platform_client
from zhengtong.exchange import actions as exchange
from zhengtong.identity.actions import (
    do_create_citizen,
    do_create_enterprise_user,
    do_create_staff,
)
from zhengtong.identity.models import User
from zhengtong.licences.actions import Holder, do_issue_licence
from zhengtong.licences.selectors import get_licence_type

PASSWORD = "Zhengtong-applications-2026"
ENTERPRISES = "102000000/000001"
DISHONEST = "104000000/000002"
PDF = b"%PDF-1.4\n% test material\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass(frozen=True)
class ApplicationsCast:
    market: Department
    health: Department
    data: Department
    food: ServiceItem
    clerk: User
    reviewer: User
    leader: User
    outsider: User
    applicant: User
    enterprise: Enterprise
    flagged_applicant: User
    flagged: Enterprise
    citizen: User


def _resource(code: str, department: Department) -> None:
    data = next(d for _, _, d in CATALOG_DEMO if d.code == code)
    resource = catalog.do_create_resource(department, data, actor=TEST_ACTOR)
    resource = catalog.do_submit_resource(resource, actor=TEST_ACTOR)
    resource = catalog.do_review_resource(resource, actor=TEST_ACTOR)
    catalog.do_publish_resource(resource, actor=TEST_ACTOR)


def _host(code: str, key: str, rows: list[dict[str, str]]) -> None:
    from zhengtong.catalog.models import Resource

    resource = Resource.objects.get(code=code)
    dataset = exchange.do_register_hosted_dataset(resource, key, actor=TEST_ACTOR)
    if rows:  # a register may start empty: nothing to load is refused
        exchange.do_load_dataset_rows(dataset, rows, actor=TEST_ACTOR, source_name="test.csv")


def _business_licence(enterprise: Enterprise, market: Department) -> None:
    licence_type = get_licence_type("business_licence")
    assert licence_type is not None
    do_issue_licence(
        licence_type,
        Holder.of(enterprise),
        {
            "enterprise_type": "有限责任公司",
            "legal_representative": "赵六",
            "established_on": "2020-01-01",
            "residence": enterprise.address,
            "business_scope": "餐饮服务",
        },
        market,
        actor=TEST_ACTOR,
    )


def make_cast() -> ApplicationsCast:
    city = make_region_tree().city
    market = make_department("长沙市市场监督管理局", code="cs-market", region=city)
    health = make_department("长沙市卫生健康委员会", code="cs-health", region=city)
    data = make_department("长沙市数据资源管理局", code="cs-data", region=city)
    development = make_department("长沙市发展和改革委员会", code="cs-development", region=city)
    owner = make_person("赵六")
    enterprise = make_enterprise(
        "长沙市芙蓉区好味道餐饮有限公司",
        credit_code=make_credit_code(seq=101),
        legal_representative=owner,
    )
    bad_owner = make_person("孙七")
    flagged = make_enterprise(
        "长沙市失信餐饮有限公司",
        credit_code=make_credit_code(seq=202),
        legal_representative=bad_owner,
    )
    _resource(ENTERPRISES, market)
    _resource(DISHONEST, development)
    _host(
        ENTERPRISES,
        "uscc",
        [
            {
                "uscc": e.credit_code,
                "name": e.name,
                "legal_rep": name,
                "address": "湖南省长沙市芙蓉区五一大道100号",
            }
            for e, name in ((enterprise, "赵六"), (flagged, "孙七"))
        ],
    )
    _host(
        DISHONEST,
        "uscc",
        [
            {
                "uscc": flagged.credit_code,
                "name": flagged.name,
                "reason": "拒不履行法院生效判决",
                "authority": "长沙市中级人民法院",
            }
        ],
    )
    ensure_platform_client(data, actor=TEST_ACTOR)
    _business_licence(enterprise, market)
    food = do_create_service_item(market, FOOD, actor=TEST_ACTOR)
    food = do_publish_service_item(food, actor=TEST_ACTOR)
    return ApplicationsCast(
        market=market,
        health=health,
        data=data,
        food=food,
        clerk=do_create_staff("lisi", PASSWORD, "李四", market, ["acceptor"], actor=TEST_ACTOR),
        reviewer=do_create_staff(
            "zhaoshen", PASSWORD, "赵审", market, ["reviewer"], actor=TEST_ACTOR
        ),
        leader=do_create_staff("qianjue", PASSWORD, "钱决", market, ["leader"], actor=TEST_ACTOR),
        outsider=do_create_staff(
            "wangwu", PASSWORD, "王五", health, ["acceptor"], actor=TEST_ACTOR
        ),
        applicant=do_create_enterprise_user(
            "zhaoliu", PASSWORD, owner, enterprise, "legal_representative", actor=TEST_ACTOR
        ),
        enterprise=enterprise,
        flagged_applicant=do_create_enterprise_user(
            "sunqi", PASSWORD, bad_owner, flagged, "legal_representative", actor=TEST_ACTOR
        ),
        flagged=flagged,
        citizen=do_create_citizen("zhangsan", PASSWORD, make_person("张三"), actor=TEST_ACTOR),
    )


@pytest.fixture
def cast(db: None) -> ApplicationsCast:
    return make_cast()


def logged_in(user: User) -> Client:
    http = Client()
    http.force_login(user)
    return http


# A restaurant: the 秒批 table refuses 餐饮服务, so staff handle it.
MANUAL_FORM: dict[str, Any] = {
    "business_type": "餐饮服务",
    "business_items": "热食类食品制售",
    "area": 120,
    "phone": "13812345678",
}
# A small shop selling food: approved at once by the 秒批 table.
AUTOMATIC_FORM: dict[str, Any] = {
    "business_type": "食品销售",
    "business_items": "预包装食品销售",
    "area": 40,
    "phone": "13812345678",
}


def material(item: ServiceItem, name_part: str) -> Material:
    return item.materials.get(name__contains=name_part)


def pdf(name: str = "布局图.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def promise_day() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=10)


PEOPLE = "101000000/000001"
SOCIAL_INSURANCE = "303000000/000001"


def host_people_and_insurance(
    provider: Department,
    people: list[dict[str, str]],
    insured: list[dict[str, str]],
) -> None:
    """Publish the population and social-insurance registers and grant the platform its reads."""
    from zhengtong.eservices.demo import load_demo_platform_access

    _resource(PEOPLE, provider)
    _resource(SOCIAL_INSURANCE, provider)
    _host(PEOPLE, "id_number", people)
    _host(SOCIAL_INSURANCE, "id_number", insured)
    load_demo_platform_access(actor=TEST_ACTOR)

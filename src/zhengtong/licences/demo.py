"""The demo city's electronic licences (idempotent).

Every demo enterprise holds a 营业执照 from its district's market regulation
bureau; the demo restaurant 湘味小厨餐饮店 also holds a 食品经营许可证; the
citizen 张三 holds a 城乡居民基本养老保险参保证明, so that 我的证照 shows a
person's licence too. Run after the city's people and enterprises exist.
"""

from typing import Any

from zhengtong.core.actors import Actor
from zhengtong.core.models import Department
from zhengtong.core.selectors import (
    find_enterprise_by_credit_code,
    find_person_by_id_number,
    get_department,
)
from zhengtong.core.testing import make_credit_code, make_id_number
from zhengtong.demo import city
from zhengtong.licences.actions import Holder, do_issue_licence
from zhengtong.licences.models import LicenceType
from zhengtong.licences.selectors import get_licence_type, licences_of_holder

SOURCE = "demo"
# The market regulation bureau that registers enterprises of each district.
DISTRICT_MARKET = {city.FURONG_CODE: "fr-market", city.TIANXIN_CODE: "tx-market"}
RESTAURANT = "长沙市芙蓉区湘味小厨餐饮店"
COMPANY = "有限责任公司（自然人投资或控股）"
ENTERPRISE_TYPES = {RESTAURANT: "个人独资企业"}


def _held(holder_id: str, licence_type: LicenceType) -> bool:
    return licences_of_holder(holder_id).filter(licence_type=licence_type).exists()


def _issue(
    type_code: str, holder: Holder, data: dict[str, Any], issuer: Department, actor: Actor
) -> int:
    licence_type = get_licence_type(type_code)
    if licence_type is None or _held(holder.id_number, licence_type):
        return 0
    do_issue_licence(licence_type, holder, data, issuer, actor=actor, source=SOURCE)
    return 1


def load_demo_licences(*, actor: Actor) -> int:
    """Issue the demo city's licences that are missing; return how many were issued."""
    issued = 0
    for item in city.ENTERPRISES:
        enterprise = find_enterprise_by_credit_code(make_credit_code(item.region_code, item.seq))
        if enterprise is None:
            continue
        issuer = get_department(DISTRICT_MARKET.get(item.region_code, "cs-market"))
        representative = enterprise.legal_representative.name
        issued += _issue(
            "business_licence",
            Holder.of(enterprise),
            {
                "enterprise_type": ENTERPRISE_TYPES.get(
                    item.name, "有限责任公司（自然人投资或控股）"
                ),
                "legal_representative": representative,
                "established_on": item.established_on.isoformat(),
                "business_term": "长期",
                "residence": item.address,
                "business_scope": item.industry,
            },
            issuer,
            actor,
        )
        if item.name == RESTAURANT:
            issued += _issue(
                "food_business_licence",
                Holder.of(enterprise),
                {
                    "legal_representative": representative,
                    "residence": item.address,
                    "business_premises": item.address,
                    "main_business_form": "餐饮服务经营者（小型餐馆）",
                    "business_items": "热食类食品制售；冷食类食品制售",
                    "daily_supervisor": "文艺路市场监督管理所",
                    "complaint_phone": "12345",
                },
                issuer,
                actor,
            )
    for person_item in city.PEOPLE:
        if person_item.username != "zhangsan":
            continue
        number = make_id_number(
            person_item.region_code, person_item.birth, person_item.seq, person_item.sex
        )
        person = find_person_by_id_number(number)
        if person is None:
            continue
        issued += _issue(
            "pension_insurance_certificate",
            Holder.of(person),
            {
                "insured_region": "长沙市芙蓉区",
                "insured_on": "2015-01-01",
                "contribution_grade": "每年1000元",
                "address": person.address,
            },
            get_department("cs-hrss"),
            actor,
        )
    return issued

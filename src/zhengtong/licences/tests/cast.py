"""The licences tests' cast.

张三 is a citizen who holds a 参保证明; 刘晓梅 is the legal representative of the
restaurant 湘味小厨, which holds a 食品经营许可证; 王五 is another citizen, who
holds nothing; 李四 is a clerk of the district market bureau, which issues.
"""

from dataclasses import dataclass
from typing import Any

from zhengtong.core.models import Department, Enterprise, Person
from zhengtong.core.testing import (
    TEST_ACTOR,
    make_department,
    make_enterprise,
    make_person,
    make_region_tree,
)
from zhengtong.identity.actions import (
    do_create_citizen,
    do_create_enterprise_user,
    do_create_staff,
)
from zhengtong.identity.models import EnterpriseRelation, User
from zhengtong.licences.actions import Holder, do_issue_licence
from zhengtong.licences.models import Licence
from zhengtong.licences.selectors import get_licence_type

PASSWORD = "Zhengtong-licences-2026"

FOOD_DATA: dict[str, Any] = {
    "legal_representative": "刘晓梅",
    "residence": "湖南省长沙市芙蓉区文艺路街道八一路18号",
    "business_premises": "湖南省长沙市芙蓉区文艺路街道八一路18号",
    "main_business_form": "餐饮服务经营者（小型餐馆）",
    "business_items": "热食类食品制售",
}
PENSION_DATA: dict[str, Any] = {
    "insured_region": "长沙市芙蓉区",
    "insured_on": "2015-01-01",
    "address": "湖南省长沙市芙蓉区文艺路街道八一路12号",
}


@dataclass(frozen=True)
class LicenceCast:
    market: Department
    hrss: Department
    zhangsan: Person
    wangwu: Person
    owner: Person
    shop: Enterprise
    citizen: User
    other_citizen: User
    owner_user: User
    clerk: User


def make_licence_cast() -> LicenceCast:
    tree = make_region_tree()
    market = make_department("长沙市芙蓉区市场监督管理局", code="fr-market", region=tree.furong)
    hrss = make_department("长沙市人力资源和社会保障局", code="cs-hrss", region=tree.city)
    zhangsan = make_person("张三", address="湖南省长沙市芙蓉区文艺路街道八一路12号")
    wangwu = make_person("王五")
    owner = make_person("刘晓梅", sex="F")
    shop = make_enterprise("长沙市芙蓉区湘味小厨餐饮店", legal_representative=owner)
    return LicenceCast(
        market=market,
        hrss=hrss,
        zhangsan=zhangsan,
        wangwu=wangwu,
        owner=owner,
        shop=shop,
        citizen=do_create_citizen("zhangsan", PASSWORD, zhangsan, actor=TEST_ACTOR),
        other_citizen=do_create_citizen("wangwu", PASSWORD, wangwu, actor=TEST_ACTOR),
        owner_user=do_create_enterprise_user(
            "liuxiaomei",
            PASSWORD,
            owner,
            shop,
            EnterpriseRelation.LEGAL_REPRESENTATIVE,
            actor=TEST_ACTOR,
        ),
        clerk=do_create_staff("lisi", PASSWORD, "李四", market, ["clerk"], actor=TEST_ACTOR),
    )


def issue_food_licence(cast: LicenceCast, **changes: Any) -> Licence:
    licence_type = get_licence_type("food_business_licence")
    assert licence_type is not None
    return do_issue_licence(
        licence_type,
        Holder.of(cast.shop),
        {**FOOD_DATA, **changes},
        cast.market,
        actor=TEST_ACTOR,
        source="application:1",
    )


def issue_pension_certificate(cast: LicenceCast, person: Person | None = None) -> Licence:
    licence_type = get_licence_type("pension_insurance_certificate")
    assert licence_type is not None
    return do_issue_licence(
        licence_type,
        Holder.of(person or cast.zhangsan),
        PENSION_DATA,
        cast.hrss,
        actor=TEST_ACTOR,
    )

"""The portal tests' cast: one account of each audience, made through the actions.

Shared by the page tests here and the browser tests under tests/browser.
"""

from dataclasses import dataclass

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
from zhengtong.identity.models import User

PASSWORD = "Zhengtong-portal-2025"


@dataclass(frozen=True)
class Cast:
    bureau: Department
    other_bureau: Department
    zhangsan_person: Person
    shop: Enterprise
    # 张三, a citizen.
    citizen: User
    # 赵六, the shop's legal representative.
    owner: User
    # 李四, a clerk of the market bureau.
    clerk: User
    # 孙七, the market bureau's system administrator.
    admin: User
    # 钱八, administrator of another bureau.
    other_admin: User
    # 周九, an auditor.
    auditor: User


def make_cast() -> Cast:
    tree = make_region_tree()
    bureau = make_department("长沙市市场监督管理局", region=tree.city, short_name="市场监管局")
    other_bureau = make_department("长沙市生态环境局", region=tree.city, short_name="生态环境局")
    zhangsan = make_person(
        "张三",
        phone="13812345678",
        address="湖南省长沙市芙蓉区文艺路街道五一大道100号",
        region=tree.wenyilu,
    )
    zhaoliu = make_person("赵六")
    shop = make_enterprise("长沙市芙蓉区好味道餐饮店", legal_representative=zhaoliu)
    return Cast(
        bureau=bureau,
        other_bureau=other_bureau,
        zhangsan_person=zhangsan,
        shop=shop,
        citizen=do_create_citizen("zhangsan", PASSWORD, zhangsan, actor=TEST_ACTOR),
        owner=do_create_enterprise_user(
            "zhaoliu", PASSWORD, zhaoliu, shop, "legal_representative", actor=TEST_ACTOR
        ),
        clerk=do_create_staff("lisi", PASSWORD, "李四", bureau, ["clerk"], actor=TEST_ACTOR),
        admin=do_create_staff(
            "sunqi", PASSWORD, "孙七", bureau, ["administrator"], actor=TEST_ACTOR
        ),
        other_admin=do_create_staff(
            "qianba", PASSWORD, "钱八", other_bureau, ["administrator"], actor=TEST_ACTOR
        ),
        auditor=do_create_staff("zhoujiu", PASSWORD, "周九", bureau, ["auditor"], actor=TEST_ACTOR),
    )

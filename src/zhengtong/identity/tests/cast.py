"""The identity tests' cast, made through the actions.

张三 is a citizen; 李四 is a clerk of the county market bureau (芙蓉区);
王五 is an inspector of the 天心区 bureau, who holds a clerk's role there but
has no access to anything of 芙蓉区; 赵六 leads the city (长沙市) and sees
every department in it; 孙七 audits; 周八 administers the county bureau's
accounts and G2G clients; 钱老板 is the shop's legal representative and 小陈
its authorised agent; the county bureau's licence system is a G2G client.
"""

from dataclasses import dataclass

from zhengtong.core.models import Department, Enterprise, Person
from zhengtong.core.testing import (
    TEST_ACTOR,
    RegionTree,
    make_department,
    make_enterprise,
    make_person,
    make_region_tree,
)
from zhengtong.identity.actions import (
    do_create_citizen,
    do_create_enterprise_user,
    do_create_staff,
    do_issue_client,
)
from zhengtong.identity.models import SystemClient, User

PASSWORD = "Zhengtong-identity-2025"


@dataclass(frozen=True)
class Cast:
    tree: RegionTree
    county_bureau: Department
    tianxin_bureau: Department
    city_office: Department
    zhangsan_person: Person
    shop: Enterprise
    zhangsan: User
    lisi: User
    wangwu: User
    leader: User
    auditor: User
    admin: User
    owner: User
    agent: User
    client: SystemClient
    client_secret: str

    @property
    def client_token(self) -> str:
        return f"{self.client.key_id}.{self.client_secret}"


def make_cast() -> Cast:
    tree = make_region_tree()
    county_bureau = make_department(
        "芙蓉区市场监督管理局", code="furong-amr", region=tree.furong, short_name="芙蓉区市场监管局"
    )
    tianxin_bureau = make_department(
        "天心区市场监督管理局",
        code="tianxin-amr",
        region=tree.tianxin,
        short_name="天心区市场监管局",
    )
    city_office = make_department(
        "长沙市人民政府办公厅", code="changsha-office", region=tree.city, short_name="市政府办"
    )
    zhangsan_person = make_person(
        "张三", phone="13812345678", address="湖南省长沙市芙蓉区文艺路街道五一大道100号"
    )
    boss = make_person("钱多多")
    shop = make_enterprise("长沙市芙蓉区好味道餐饮店", legal_representative=boss)
    client, secret = do_issue_client(
        county_bureau, "食品经营许可系统", ["core.read_registers"], actor=TEST_ACTOR
    )
    return Cast(
        tree=tree,
        county_bureau=county_bureau,
        tianxin_bureau=tianxin_bureau,
        city_office=city_office,
        zhangsan_person=zhangsan_person,
        shop=shop,
        zhangsan=do_create_citizen("zhangsan", PASSWORD, zhangsan_person, actor=TEST_ACTOR),
        lisi=do_create_staff("lisi", PASSWORD, "李四", county_bureau, ["clerk"], actor=TEST_ACTOR),
        wangwu=do_create_staff(
            "wangwu", PASSWORD, "王五", tianxin_bureau, ["clerk"], actor=TEST_ACTOR
        ),
        leader=do_create_staff(
            "zhaoliu",
            PASSWORD,
            "赵六",
            city_office,
            ["leader"],
            actor=TEST_ACTOR,
            scope="region",
        ),
        auditor=do_create_staff(
            "sunqi", PASSWORD, "孙七", city_office, ["auditor"], actor=TEST_ACTOR, scope="region"
        ),
        admin=do_create_staff(
            "zhouba", PASSWORD, "周八", county_bureau, ["administrator"], actor=TEST_ACTOR
        ),
        owner=do_create_enterprise_user(
            "qianduoduo", PASSWORD, boss, shop, "legal_representative", actor=TEST_ACTOR
        ),
        agent=do_create_enterprise_user(
            "xiaochen", PASSWORD, make_person("陈小明"), shop, "agent", actor=TEST_ACTOR
        ),
        client=client,
        client_secret=secret,
    )

"""The hotline tests' cast and a small routing model trained on invented messages.

张三 is a citizen; 刘派 dispatches at the city's 12345 centre; 陈环 handles cases
for the 芙蓉区 environment branch, 李环 for the city environment bureau and 王住
for the city housing bureau; 赵六 leads the city; 周八 administers routing for
the city. The city routes 环境保护 to the city environment bureau, and to the
芙蓉区 branch for messages about 芙蓉区.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from dataclasses import dataclass

from django.utils import timezone

from zhengtong.core.models import Department
from zhengtong.core.testing import (
    TEST_ACTOR,
    RegionTree,
    make_department,
    make_person,
    make_region_tree,
)
from zhengtong.core.tests.races import require_postgresql
from zhengtong.hotline.classifier_actions import (
    do_activate_classifier,
    do_queue_training,
    run_training,
)
from zhengtong.hotline.models import ClassifierVersion, LabelledExample, RoutingRule
from zhengtong.hotline.routing_model import Example
from zhengtong.identity.actions import do_create_citizen, do_create_staff, do_issue_client
from zhengtong.identity.models import SystemClient, User

PASSWORD = "Zhengtong-hotline-2026"

# Invented messages in the style of a city message board, per category.
TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "环境保护": (
        ["化工厂", "搅拌站", "餐馆", "养殖场", "工地"],
        [
            "排放刺鼻废气",
            "偷排污水到河里",
            "油烟直排扰民",
            "夜间噪音污染严重",
            "露天焚烧垃圾冒黑烟",
        ],
    ),
    "城乡建设": (
        ["小区", "安置房项目", "老旧小区", "商品房楼盘", "市政道路"],
        [
            "物业乱收费",
            "房屋墙体开裂漏水",
            "开发商延期交房",
            "路灯损坏没人修",
            "违章搭建占用公共通道",
        ],
    ),
    "交通运输": (
        ["公交线路", "出租车", "长途客运站", "高速路口", "网约车"],
        ["公交车班次太少", "司机拒载绕路", "客车超载严重", "收费站拥堵", "驾驶员不按站点停靠"],
    ),
    "教育文体": (
        ["小学", "幼儿园", "中学", "培训机构", "体育馆"],
        [
            "学位不足孩子无法入学",
            "违规收取补课费",
            "校车安全隐患",
            "老师体罚学生",
            "招生政策不透明",
        ],
    ),
    "劳动和社会保障": (
        ["公司", "建筑工地", "工厂", "物流企业", "单位"],
        [
            "拖欠农民工工资",
            "不给员工缴纳社保",
            "退休养老金待遇计算错误",
            "医保转移办不了",
            "违法解除劳动合同",
        ],
    ),
    "卫生计生": (
        ["医院", "卫生院", "诊所", "社区卫生服务中心", "药店"],
        [
            "医生态度恶劣误诊",
            "乱收检查费",
            "疫苗接种排队太久",
            "二胎生育登记办不了",
            "过期药品仍在销售",
        ],
    ),
    "商贸旅游": (
        ["超市", "景区", "商场", "农贸市场", "旅行社"],
        [
            "销售假冒伪劣商品",
            "门票价格乱涨",
            "强制消费欺骗游客",
            "缺斤少两",
            "预付卡商家跑路不退款",
        ],
    ),
}


def invented_examples() -> list[Example]:
    """Return labelled messages made by combining each category's places and problems."""
    examples = []
    for label, (places, problems) in TOPICS.items():
        for n, (place, problem) in enumerate(itertools.product(places, problems)):
            title = f"{place}{problem}" if n % 2 else ""
            body = (
                f"我要反映，我家附近的{place}{problem}，已经持续很长时间了，希望有关部门尽快处理。"
            )
            examples.append(Example(title, body, label))
    return examples


def store_invented_decisions(
    *, labelled_by: str = "刘派", only: Collection[str] | None = None
) -> None:
    """Store the invented messages (of the categories ``only`` names) as dispatchers' decisions."""
    LabelledExample.objects.bulk_create(
        LabelledExample(
            title=example.title,
            body=example.body,
            label=example.label,
            labelled_by=labelled_by,
            labelled_at=timezone.now(),
        )
        for example in invented_examples()
        if only is None or example.label in only
    )


def train_active_model() -> ClassifierVersion:
    """Train a version on the invented messages (as the dispatchers' decisions) and activate it."""
    store_invented_decisions(labelled_by="fixture")
    version = do_queue_training(actor=TEST_ACTOR, data_path=None, include_corrections=True)
    version = run_training(version, actor=TEST_ACTOR, folds=0)
    assert version.state == "ready", version.error
    return do_activate_classifier(version, actor=TEST_ACTOR, confirm_unmapped=True)


@dataclass(frozen=True)
class HotlineCast:
    tree: RegionTree
    centre: Department
    city_environment: Department
    furong_environment: Department
    city_housing: Department
    zhangsan: User
    dispatcher: User
    chenhuan: User
    lihuan: User
    wangzhu: User
    leader: User
    admin: User
    call_centre: SystemClient
    call_centre_secret: str

    @property
    def call_centre_token(self) -> str:
        return f"{self.call_centre.key_id}.{self.call_centre_secret}"


def make_hotline_cast() -> HotlineCast:
    tree = make_region_tree()
    centre = make_department("长沙市12345政务服务便民热线中心", code="cs-12345", region=tree.city)
    city_environment = make_department("长沙市生态环境局", code="cs-env", region=tree.city)
    furong_environment = make_department(
        "长沙市生态环境局芙蓉分局", code="fr-env", region=tree.furong, parent=city_environment
    )
    city_housing = make_department("长沙市住房和城乡建设局", code="cs-housing", region=tree.city)
    for region, category, department in (
        (tree.city, "环境保护", city_environment),
        (tree.furong, "环境保护", furong_environment),
        (tree.city, "城乡建设", city_housing),
    ):
        RoutingRule.objects.create(region=region, category=category, department=department)
    client, secret = do_issue_client(centre, "12345话务系统", ["hotline.intake"], actor=TEST_ACTOR)
    return HotlineCast(
        tree=tree,
        centre=centre,
        city_environment=city_environment,
        furong_environment=furong_environment,
        city_housing=city_housing,
        zhangsan=do_create_citizen(
            "zhangsan", PASSWORD, make_person("张三", phone="13812345678"), actor=TEST_ACTOR
        ),
        dispatcher=do_create_staff(
            "liupai", PASSWORD, "刘派", centre, ["hotline_dispatcher"], actor=TEST_ACTOR
        ),
        chenhuan=do_create_staff(
            "chenhuan", PASSWORD, "陈环", furong_environment, ["hotline_handler"], actor=TEST_ACTOR
        ),
        lihuan=do_create_staff(
            "lihuan", PASSWORD, "李环", city_environment, ["hotline_handler"], actor=TEST_ACTOR
        ),
        wangzhu=do_create_staff(
            "wangzhu", PASSWORD, "王住", city_housing, ["hotline_handler"], actor=TEST_ACTOR
        ),
        leader=do_create_staff(
            "zhaoliu", PASSWORD, "赵六", centre, ["leader"], actor=TEST_ACTOR, scope="region"
        ),
        # The routing model routes the whole city: its administrator's post covers the city.
        admin=do_create_staff(
            "zhouba", PASSWORD, "周八", centre, ["administrator"], actor=TEST_ACTOR, scope="region"
        ),
        call_centre=client,
        call_centre_secret=secret,
    )


def make_furong_leader(cast: HotlineCast) -> User:
    """孙区, who leads the Furong district: a leader's post over the district."""
    return do_create_staff(
        "sunqu",
        PASSWORD,
        "孙区",
        cast.furong_environment,
        ["leader"],
        actor=TEST_ACTOR,
        scope="region",
    )


def make_race_cast(*, trained: bool = True) -> HotlineCast:
    """The cast of a race test, which runs on PostgreSQL only: SQLite serialises every write.

    ``trained``: with an active model, so that cases are routed as they come in.
    """
    require_postgresql()
    made = make_hotline_cast()
    if trained:
        train_active_model()
    return made

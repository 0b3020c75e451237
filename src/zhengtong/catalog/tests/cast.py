"""The catalog tests' cast.

吴十 is a data officer (administrator) of the city market bureau; 孙八 is the
data bureau's administrator with a city-wide post; 周九 administers a county
bureau and is a data officer there only.
"""

from dataclasses import dataclass, replace
from datetime import date

from zhengtong.catalog.actions import (
    ItemInput,
    ResourceInput,
    do_publish_resource,
    do_review_resource,
    do_submit_resource,
)
from zhengtong.catalog.models import Resource
from zhengtong.core.models import Department
from zhengtong.core.testing import TEST_ACTOR, make_department, make_region_tree
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import User

PASSWORD = "Zhengtong-catalog-2026"


@dataclass(frozen=True)
class CatalogCast:
    market: Department
    county: Department
    data_bureau: Department
    officer: User
    bureau: User
    county_officer: User


def make_cast() -> CatalogCast:
    tree = make_region_tree()
    market = make_department("长沙市市场监督管理局", code="cs-market", region=tree.city)
    county = make_department("芙蓉区市场监督管理局", code="fr-market", region=tree.furong)
    data_bureau = make_department("长沙市数据资源管理局", code="cs-data", region=tree.city)
    return CatalogCast(
        market=market,
        county=county,
        data_bureau=data_bureau,
        officer=do_create_staff(
            "wushi", PASSWORD, "吴十", market, ["administrator"], actor=TEST_ACTOR
        ),
        bureau=do_create_staff(
            "sunba",
            PASSWORD,
            "孙八",
            data_bureau,
            ["administrator", "data_reviewer"],
            actor=TEST_ACTOR,
            scope="region",
        ),
        county_officer=do_create_staff(
            "zhoujiu", PASSWORD, "周九", county, ["administrator"], actor=TEST_ACTOR
        ),
    )


# Far ahead: a review date before today is refused when it is set.
REVIEW_DATE = date(2099, 6, 30)

ENTERPRISE = ResourceInput(
    code="102000000/000001",
    name="企业登记信息",
    abstract="本市企业的登记信息。",
    keywords="企业登记",
    format="database",
    share_attribute="unconditional",
    share_method="api",
    open_attribute="unconditional",
    update_cycle="realtime",
    items=[
        ItemInput("uscc", "统一社会信用代码", "C", 18),
        ItemInput("name", "企业名称", "C", 200),
        ItemInput("licence", "营业执照", "BY"),
        ItemInput(
            "legal_rep_id",
            "法定代表人身份证件号码",
            "C",
            18,
            is_personal=True,
            sensitivity="sensitive",
            share_attribute="none",
            legal_basis="《中华人民共和国个人信息保护法》第二十八条",
            negative_scope="仅登记机关",
            review_date=REVIEW_DATE,
        ),
        ItemInput(
            "phone",
            "联系电话",
            "C",
            20,
            is_personal=True,
            share_attribute="conditional",
            legal_basis="《中华人民共和国个人信息保护法》第十三条",
        ),
    ],
)


def resource_input(code: str = "304000000/000001", **changes: object) -> ResourceInput:
    """ENTERPRISE under another code, changed.

    A resource not shared is not opened either, has a scope and a review date
    for the negative list, and shares none of ENTERPRISE's items, unless these
    are given.
    """
    if changes.get("share_attribute") == "none":
        changes.setdefault("open_attribute", "none")
        changes.setdefault("negative_scope", "全部信息项")
        changes.setdefault("review_date", REVIEW_DATE)
        changes.setdefault(
            "items",
            [
                item if item.share_attribute == "none" else replace(item, share_attribute="")
                for item in ENTERPRISE.items
            ],
        )
    return replace(ENTERPRISE, code=code, **changes)  # type: ignore[arg-type]


def publish(resource: Resource) -> Resource:
    """Take a draft through submission and review to publication, as the platform."""
    for step in (do_submit_resource, do_review_resource, do_publish_resource):
        resource = step(resource, actor=TEST_ACTOR)
    return resource

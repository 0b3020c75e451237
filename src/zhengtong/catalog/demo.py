"""The demo city's catalog: a dozen resources of 长沙市's departments (idempotent)."""

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from zhengtong.catalog.actions import (
    ItemInput,
    ResourceInput,
    do_create_resource,
    do_publish_resource,
    do_review_resource,
    do_submit_resource,
)
from zhengtong.catalog.models import Resource
from zhengtong.catalog.states import ResourceState
from zhengtong.core.actors import Actor
from zhengtong.core.errors import NotFound
from zhengtong.core.selectors import get_department


def _i(
    code: str,
    name: str,
    data_type: str = "C",
    length: int | None = 50,
    *,
    is_personal: bool = False,
    sensitivity: str = "internal",
    share_attribute: str = "",
    legal_basis: str = "",
    negative_scope: str = "",
    review_date: date | None = None,
) -> ItemInput:
    return ItemInput(
        code,
        name,
        data_type,
        length,
        is_personal,
        sensitivity,
        share_attribute,
        legal_basis,
        negative_scope,
        review_date,
    )


def _p(code: str, name: str, data_type: str = "C", length: int | None = 50) -> ItemInput:
    """A personal, sensitive item."""
    return _i(code, name, data_type, length, is_personal=True, sensitivity="sensitive")


REVIEW = date(2027, 6, 30)

# (department code, target state, resource)
DEMO: list[tuple[str, str, ResourceInput]] = [
    (
        "cs-market",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="102000000/000001",
            name="企业登记信息",
            abstract="本市登记注册的各类企业的基本登记信息及营业执照信息。",
            keywords="营业执照,企业登记,市场主体",
            format="database",
            share_attribute="unconditional",
            share_method="api",
            open_attribute="unconditional",
            update_cycle="realtime",
            items=[
                _i("uscc", "统一社会信用代码", length=18),
                _i("name", "企业名称", length=200),
                _i("legal_rep", "法定代表人", length=50),
                _i("address", "住所", length=200),
                _i("founded", "成立日期", "D", None),
                _i("licence", "营业执照", "BY", None),
                _i(
                    "legal_rep_id",
                    "法定代表人身份证件号码",
                    length=18,
                    is_personal=True,
                    sensitivity="sensitive",
                    share_attribute="none",
                    legal_basis="《中华人民共和国个人信息保护法》第二十八条",
                    negative_scope="不向登记机关以外的部门提供",
                    review_date=REVIEW,
                ),
            ],
        ),
    ),
    (
        "cs-market",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="304000000/000001",
            name="食品经营许可信息",
            abstract="食品经营许可证的核发、变更、注销信息。",
            keywords="食品经营许可证",
            related=["102000000/000001"],
            format="database",
            share_attribute="unconditional",
            share_method="api",
            open_attribute="unconditional",
            update_cycle="daily",
            items=[
                _i("licence_no", "许可证编号", length=30),
                _i("uscc", "统一社会信用代码", length=18),
                _i("valid_until", "有效期至", "D", None),
            ],
        ),
    ),
    (
        "cs-police",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="101000000/000001",
            name="人口基本信息",
            abstract="户籍人口的姓名、身份证件号码、性别、出生日期和户籍地址。",
            keywords="户籍,身份证,人口",
            format="database",
            share_attribute="conditional",
            share_conditions="仅向依法履职需要核验身份的部门提供，按事项申请授权。",
            share_method="api",
            open_attribute="none",
            update_cycle="daily",
            legal_basis="《中华人民共和国居民身份证法》第十三条",
            items=[
                _p("name", "姓名"),
                _p("id_number", "公民身份号码", length=18),
                _i("gender", "性别", length=1, is_personal=True),
                _i("birth", "出生日期", "D", None, is_personal=True),
                _p("address", "户籍地址", length=200),
            ],
        ),
    ),
    (
        "cs-hrss",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="303000000/000001",
            name="社会保险参保信息",
            abstract="职工和城乡居民的养老、医疗、工伤、失业保险参保状态。",
            keywords="社保,参保证明",
            format="database",
            share_attribute="conditional",
            share_conditions="办理涉及参保状态核验的事项时使用。",
            share_method="api",
            open_attribute="none",
            update_cycle="monthly",
            legal_basis="《中华人民共和国社会保险法》第七十四条",
            items=[
                _p("id_number", "公民身份号码", length=18),
                _i("insurance", "险种", length=20),
                _i("status", "参保状态", length=10),
                _i("since", "参保日期", "D", None),
            ],
        ),
    ),
    (
        "cs-environment",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="305000000/000001",
            name="排污许可信息",
            abstract="排污单位的排污许可证核发、主要污染物和排放标准。",
            keywords="排污许可证,环境",
            format="database",
            share_attribute="unconditional",
            share_method="table",
            open_attribute="unconditional",
            update_cycle="weekly",
            items=[
                _i("permit_no", "许可证编号", length=30),
                _i("uscc", "统一社会信用代码", length=18),
                _i("pollutants", "主要污染物", length=200),
                _i("valid_until", "有效期至", "D", None),
            ],
        ),
    ),
    (
        "cs-resources",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="103000000/000001",
            name="国土空间规划信息",
            abstract="国土空间总体规划和详细规划的图件和文本。",
            keywords="规划,用地",
            format="image",
            share_attribute="unconditional",
            share_method="file",
            open_attribute="conditional",
            open_conditions="申请后提供非涉密版本。",
            update_cycle="yearly",
            items=[_i("plan_no", "规划编号", length=30), _i("map", "规划图件", "BY", None)],
        ),
    ),
    (
        "cs-civil",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="306000000/000001",
            name="婚姻登记信息",
            abstract="结婚、离婚登记信息。",
            keywords="婚姻登记,结婚证",
            format="database",
            share_attribute="none",
            open_attribute="none",
            update_cycle="daily",
            legal_basis="《婚姻登记条例》第二十条",
            negative_scope="不向任何部门批量提供，个人可凭本人身份自行查询",
            review_date=REVIEW,
            items=[_i("cert_no", "结婚证字号", length=30), _i("reg_date", "登记日期", "D", None)],
        ),
    ),
    (
        "cs-transport",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="203000000/000001",
            name="公交线路和站点信息",
            abstract="全市公交线路、站点位置和首末班时间。",
            keywords="公交,交通出行",
            format="self_describing",
            share_attribute="unconditional",
            share_method="api",
            open_attribute="unconditional",
            update_cycle="monthly",
            items=[
                _i("line", "线路名称", length=50),
                _i("stop", "站点名称", length=50),
                _i("lng", "经度", "N", 12),
                _i("lat", "纬度", "N", 12),
            ],
        ),
    ),
    (
        "cs-health",
        ResourceState.SUBMITTED,
        ResourceInput(
            code="307000000/000001",
            name="医疗机构执业登记信息",
            abstract="医疗机构执业许可证及诊疗科目。",
            keywords="医疗机构执业许可证",
            format="database",
            share_attribute="unconditional",
            share_method="api",
            open_attribute="unconditional",
            update_cycle="monthly",
            items=[_i("licence_no", "登记号", length=30), _i("name", "机构名称", length=200)],
        ),
    ),
    (
        "cs-housing",
        ResourceState.DRAFT,
        ResourceInput(
            code="308000000/000001",
            name="商品房预售许可信息",
            abstract="商品房预售许可证的核发信息。",
            keywords="预售许可证",
            format="spreadsheet",
            share_attribute="unconditional",
            share_method="file",
            open_attribute="unconditional",
            update_cycle="weekly",
            items=[_i("permit_no", "预售许可证号", length=30), _i("project", "项目名称")],
        ),
    ),
    (
        "cs-education",
        ResourceState.DRAFT,
        ResourceInput(
            code="309000000/000001",
            name="学校基本信息",
            abstract="中小学校的名称、地址、办学性质。",
            keywords="学校,学区",
            format="spreadsheet",
            share_attribute="unconditional",
            share_method="file",
            open_attribute="unconditional",
            update_cycle="yearly",
            items=[_i("school", "学校名称", length=100), _i("address", "地址", length=200)],
        ),
    ),
    (
        "cs-market",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="104000000/000001",
            name="市场主体信用信息",
            abstract="行政处罚、经营异常名录和严重违法失信名单。",
            keywords="信用,经营异常",
            related=["102000000/000001"],
            format="database",
            share_attribute="unconditional",
            share_method="api",
            open_attribute="unconditional",
            update_cycle="daily",
            items=[_i("uscc", "统一社会信用代码", length=18), _i("record", "信用记录", length=500)],
        ),
    ),
]

_STEPS: dict[str, tuple[Callable[..., Resource], ...]] = {
    ResourceState.SUBMITTED: (do_submit_resource,),
    ResourceState.PUBLISHED: (do_submit_resource, do_review_resource, do_publish_resource),
}


def load_demo_catalog(*, actor: Actor) -> int:
    """Create the demo resources that are missing; return how many were created."""
    created = 0
    for department_code, target, data in DEMO:
        if Resource.objects.filter(code=data.code).exists():
            continue
        try:
            department = get_department(department_code)
        except NotFound:
            continue
        resource = do_create_resource(department, replace(data), actor=actor)
        for step in _STEPS.get(target, ()):
            resource = step(resource, actor=actor)
        created += 1
    return created

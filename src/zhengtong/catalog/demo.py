"""The demo city's catalog: about twenty resources of 长沙市's departments (idempotent).

Sixteen are published; of those, thirteen hold data on the exchange (see
``exchange/demo.py``). The negative list gets the whole 婚姻登记信息, the item
法定代表人身份证件号码 of 企业登记信息 and the item 门诊慢特病病种 of
基本医疗保险参保信息.
"""

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


# Review dates are refused when set in the past: the demo's lie a year or two
# ahead of whenever it is loaded.
REVIEW = date(date.today().year + 2, 6, 30)

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
                # A person's name, so personal information; but the law has it
                # published for every enterprise (《企业信息公示暂行条例》第六条),
                # hence 公开 and not masked when shared (docs/exchange-access.md).
                _i("legal_rep", "法定代表人", length=50, is_personal=True, sensitivity="public"),
                _i("address", "住所", length=200),
                _i("founded", "成立日期", "D", None),
                _i("type", "企业类型", length=50),
                _i("capital", "注册资本（万元）", "N", 16),
                _i("industry", "所属行业", length=100),
                _i("status", "登记状态", length=10),
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
                _i("employer", "参保单位", length=200),
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
    (
        "cs-resources",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="103000000/000002",
            name="不动产登记信息",
            abstract="个人名下房屋等不动产的权属登记信息：不动产权证书号、坐落、面积、用途和登记日期。",
            keywords="不动产权证书,房产证,房屋登记,住房状况",
            format="database",
            share_attribute="conditional",
            share_conditions="用于住房保障、公积金贷款、入学资格等事项的住房状况核查，按事项申请授权。",
            share_method="api",
            open_attribute="none",
            update_cycle="daily",
            legal_basis="《不动产登记暂行条例》第二十四条",
            items=[
                _p("id_number", "权利人公民身份号码", length=18),
                _p("owner_name", "权利人姓名"),
                _i("cert_no", "不动产权证书号", length=40),
                _p("location", "坐落", length=200),
                _i("area", "建筑面积（平方米）", "N", 12),
                _i("use", "规划用途", length=20),
                _i("right_type", "权利类型", length=50),
                _i("registered", "登记日期", "D", None),
                _i("count", "名下房屋套数", "N", 4, is_personal=True),
            ],
        ),
    ),
    (
        "cs-development",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="104000000/000002",
            name="严重失信主体名单",
            abstract="依法依规认定的严重失信主体名单，供各部门实施联合惩戒和信用审查。",
            keywords="失信,黑名单,联合惩戒,信用审查",
            related=["104000000/000001", "102000000/000001"],
            format="database",
            share_attribute="unconditional",
            share_method="api",
            open_attribute="unconditional",
            update_cycle="daily",
            items=[
                _i("uscc", "统一社会信用代码", length=18),
                _i("name", "主体名称", length=200),
                _i("reason", "列入事由", length=500),
                _i("authority", "认定部门", length=100),
                _i("listed_on", "列入日期", "D", None),
                _i("expires_on", "有效期至", "D", None),
            ],
        ),
    ),
    (
        "cs-education",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="309000000/000002",
            name="中小学生学籍信息",
            abstract="本市中小学在校学生的学籍信息：就读学校、年级、入学日期和学籍状态。",
            keywords="学籍,在读证明,入学",
            format="database",
            share_attribute="conditional",
            share_conditions="用于教育资助、入学资格和随迁子女服务等事项，按事项申请授权。",
            share_method="api",
            open_attribute="none",
            update_cycle="monthly",
            legal_basis="《中华人民共和国个人信息保护法》第三十四条",
            items=[
                _p("id_number", "学生公民身份号码", length=18),
                _p("name", "学生姓名"),
                _i("school", "就读学校", length=100),
                _i("grade", "年级", length=10),
                _i("enrolled", "入学日期", "D", None),
                _i("status", "学籍状态", length=10),
            ],
        ),
    ),
    (
        "cs-medical",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="310000000/000001",
            name="基本医疗保险参保信息",
            abstract="职工基本医疗保险和城乡居民基本医疗保险的参保、缴费状态。",
            keywords="医保,参保,医疗保险",
            format="database",
            share_attribute="conditional",
            share_conditions="用于医疗救助、社会救助和参保状态核验，按事项申请授权。",
            share_method="api",
            open_attribute="none",
            update_cycle="monthly",
            legal_basis="《中华人民共和国社会保险法》第七十四条",
            items=[
                _p("id_number", "公民身份号码", length=18),
                _p("name", "姓名"),
                _i("scheme", "险种", length=30),
                _i("status", "参保状态", length=10),
                _i("since", "参保日期", "D", None),
                _i(
                    "chronic",
                    "门诊慢特病病种",
                    length=100,
                    is_personal=True,
                    sensitivity="core",
                    share_attribute="none",
                    legal_basis="《中华人民共和国个人信息保护法》第二十八条",
                    negative_scope="医疗健康信息不向医疗保障部门以外的部门提供",
                    review_date=REVIEW,
                ),
            ],
        ),
    ),
    (
        "cs-housing-fund",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="311000000/000001",
            name="住房公积金缴存信息",
            abstract="职工住房公积金账户的缴存单位、缴存基数、月缴存额、余额和账户状态。",
            keywords="公积金,缴存证明",
            format="database",
            share_attribute="conditional",
            share_conditions="用于住房保障、社会救助家庭经济状况核对等事项，按事项申请授权。",
            share_method="api",
            open_attribute="none",
            update_cycle="monthly",
            legal_basis="《中华人民共和国个人信息保护法》第三十四条",
            items=[
                _p("id_number", "公民身份号码", length=18),
                _p("name", "姓名"),
                _i("account", "个人账号", length=20, is_personal=True),
                _i("employer", "缴存单位", length=200),
                _i("base", "缴存基数（元）", "N", 12),
                _i("monthly", "月缴存额（元）", "N", 12),
                _p("balance", "账户余额（元）", "N", 14),
                _i("status", "账户状态", length=10),
                _i("since", "开户日期", "D", None),
            ],
        ),
    ),
    (
        "cs-police",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="312000000/000001",
            name="机动车登记信息",
            abstract="本市登记的机动车号牌、车辆类型、品牌型号、所有人和登记状态。",
            keywords="机动车,行驶证,车辆登记",
            format="database",
            share_attribute="conditional",
            share_conditions="用于社会救助家庭经济状况核对、交通执法等事项，按事项申请授权。",
            share_method="api",
            open_attribute="none",
            update_cycle="daily",
            legal_basis="《中华人民共和国道路交通安全法》第八条",
            items=[
                _i("plate", "号牌号码", length=10),
                _i("vehicle_type", "车辆类型", length=20),
                _i("model", "品牌型号", length=50),
                _p("owner_name", "所有人姓名"),
                _p("owner_id_number", "所有人公民身份号码", length=18),
                _i("registered", "初次登记日期", "D", None),
                _i("status", "机动车状态", length=10),
            ],
        ),
    ),
    (
        "cs-civil",
        ResourceState.PUBLISHED,
        ResourceInput(
            code="306000000/000002",
            name="最低生活保障对象信息",
            abstract="城乡最低生活保障家庭的户主、保障人数、月保障金额和所属街道。",
            keywords="低保,社会救助",
            format="database",
            share_attribute="conditional",
            share_conditions="用于社会救助、医疗救助、教育资助等事项的对象核验，按事项申请授权。",
            share_method="api",
            open_attribute="none",
            update_cycle="monthly",
            legal_basis="《社会救助暂行办法》第十一条",
            items=[
                _p("id_number", "户主公民身份号码", length=18),
                _p("name", "户主姓名"),
                _i("members", "保障人数", "N", 3, is_personal=True),
                _i("amount", "月保障金额（元）", "N", 10, is_personal=True),
                _i("street", "所属街道（乡镇）", length=50),
                _i("since", "保障起始日期", "D", None),
            ],
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

"""The demo city's service items and guides (长沙市), idempotent.

Six published items: 食品经营许可证核发, 个体工商户设立登记, 城乡居民基本养老保险
参保登记 and 待遇领取, 公共场所卫生许可, and the parallel 开办餐饮店“一件事”
(market regulation with the environment bureau and the fire brigade; fire
safety by 告知承诺).
Materials marked 免提交 name resources of the demo catalog (``catalog/demo.py``);
each item names its BPMN file under ``eservices/processes/`` and carries its
application form as JSON Schema with ``x-prefill`` hints.
"""

import logging
from typing import Any

from django.conf import settings

from zhengtong.catalog.models import Resource
from zhengtong.catalog.selectors import Verdict, share_decision
from zhengtong.catalog.states import ResourceState
from zhengtong.core.actors import Actor
from zhengtong.core.errors import NotFound
from zhengtong.core.selectors import get_department
from zhengtong.eservices.actions import (
    FaqInput,
    MaterialInput,
    ServiceItemInput,
    SpecialProcedureInput,
    StepInput,
    do_create_service_item,
    do_publish_service_item,
)
from zhengtong.eservices.forms_engine import fields_of
from zhengtong.eservices.models import ServiceItem
from zhengtong.eservices.prefill import ensure_platform_client
from zhengtong.exchange.actions import ApplicationInput, do_apply_for_access, do_grant_application
from zhengtong.exchange.models import AccessApplication

logger = logging.getLogger(__name__)

ENTERPRISES = "102000000/000001"  # 企业登记信息
PEOPLE = "101000000/000001"  # 人口基本信息
SOCIAL_INSURANCE = "303000000/000001"  # 社会保险参保信息
REAL_ESTATE = "103000000/000002"  # 不动产登记信息

HOURS = "工作日上午9:00—12:00，下午13:30—17:00（法定节假日除外）；网上办理7×24小时"
CITY_HALL = "长沙市政务服务中心相关综合窗口，或经营场所所在区县（市）政务服务中心"
HOTLINE = "0731-12345"


def _prefill(resource: str, item: str, by: str) -> dict[str, str]:
    return {"resource": resource, "item": item, "by": by}


# What a field of the demo's forms holds at most: a name or an address on one
# line, a description in a text area, an area or a head count.
LINE_CHARS = 100
AREA_CHARS = 1000
MOST_UNITS = 100_000


def _text(title: str, **extra: Any) -> dict[str, Any]:
    area = extra.get("x-ui", {}).get("widget") == "textarea"
    return {
        "type": "string",
        "title": title,
        "maxLength": AREA_CHARS if area else LINE_CHARS,
        **extra,
    }


def _number(title: str, minimum: int, kind: str = "number") -> dict[str, Any]:
    return {"type": kind, "title": title, "minimum": minimum, "maximum": MOST_UNITS}


def _schema(
    title: str, properties: dict[str, Any], required: list[str], **extra: Any
) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": title,
        "properties": properties,
        "required": required,
        "x-ui-order": list(properties),
        **extra,
    }


# The applicant enterprise, looked up by its 统一社会信用代码.
ENTERPRISE_FIELDS: dict[str, Any] = {
    "uscc": _text(
        "统一社会信用代码",
        pattern="^[0-9A-HJ-NPQRTUWXY]{2}\\d{6}[0-9A-HJ-NPQRTUWXY]{10}$",
        **{"x-prefill": {"source": "applicant", "item": "credit_code"}},
    ),
    "enterprise_name": _text("主体名称", **{"x-prefill": _prefill(ENTERPRISES, "name", "uscc")}),
    "legal_rep": _text(
        "法定代表人（负责人）", **{"x-prefill": _prefill(ENTERPRISES, "legal_rep", "uscc")}
    ),
    "address": _text("住所", **{"x-prefill": _prefill(ENTERPRISES, "address", "uscc")}),
}

# The applicant person, looked up by 公民身份号码.
PERSON_FIELDS: dict[str, Any] = {
    "id_number": _text(
        "公民身份号码",
        pattern="^\\d{17}[0-9X]$",
        **{"x-prefill": {"source": "applicant", "item": "id_number"}},
    ),
    "name": _text("姓名", **{"x-prefill": _prefill(PEOPLE, "name", "id_number")}),
    "household_address": _text(
        "户籍地址", **{"x-prefill": _prefill(PEOPLE, "address", "id_number")}
    ),
}

PHONE = _text("联系电话", pattern="^1\\d{10}$", **{"x-ui": {"widget": "tel"}})


FOOD = ServiceItemInput(
    code="010011700100",
    name="食品经营许可证核发",
    item_type="licensing",
    summary="在长沙市从事食品销售、餐饮服务的，应当取得食品经营许可证。仅销售预包装食品的，办理备案即可。",
    setting_basis=(
        "《中华人民共和国食品安全法》第三十五条：国家对食品生产经营实行许可制度。"
        "从事食品生产、食品销售、餐饮服务，应当依法取得许可。"
    ),
    implementing_basis=(
        "《中华人民共和国食品安全法》第三十五条；"
        "《食品经营许可和备案管理办法》（国家市场监督管理总局令第78号）"
    ),
    target="both",
    handling_kind="promised",
    statutory_limit_days=10,
    committed_limit_days=5,
    onsite_visits=0,
    online_depth="full",
    acceptance_conditions=(
        "1. 已取得营业执照等合法主体资格；\n"
        "2. 具有与经营的食品品种、数量相适应的食品原料处理和食品加工、销售、贮存等场所，"
        "保持场所环境整洁，并与有毒、有害场所以及其他污染源保持规定的距离；\n"
        "3. 具有与经营的食品品种、数量相适应的经营设备或者设施；\n"
        "4. 有专职或者兼职的食品安全管理人员和保证食品安全的规章制度；\n"
        "5. 具有合理的设备布局和工艺流程。"
    ),
    place=CITY_HALL,
    hours=HOURS,
    enquiry_phone=HOTLINE,
    complaint_phone="12315",
    result_name="食品经营许可证（电子证照，有效期5年）",
    keywords="食品经营许可证,餐饮服务,食品销售,食品许可",
    phrasings=["开饭店", "开餐馆", "开小吃店", "卖吃的要办什么证", "开奶茶店", "食品许可证"],
    materials=[
        MaterialInput("食品经营许可申请书", notes="在线填写，系统自动生成，无需另行上传。"),
        MaterialInput(
            "营业执照",
            source="licence",
            licence_type="business_licence",
            notes="调用申请人的电子营业执照，无需提交。",
        ),
        MaterialInput(
            "主体登记信息",
            source="exchange",
            resource_code=ENTERPRISES,
            item_codes=["uscc", "name", "legal_rep", "address"],
            notes="由市场主体登记库共享获取。",
        ),
        MaterialInput(
            "法定代表人（负责人）身份证明",
            source="exchange",
            resource_code=PEOPLE,
            item_codes=["name", "id_number"],
            notes="按身份证号核验，无需提交身份证复印件。",
        ),
        MaterialInput(
            "与食品经营相适应的主要设备设施、经营布局、操作流程等文件",
            medium="electronic",
            notes="含经营场所平面布局图，标明各功能区、设备设施位置。",
        ),
        MaterialInput(
            "食品安全自查、从业人员健康管理、进货查验记录、食品安全事故处置等保证食品安全的规章制度目录清单",
            requirement="deferrable",
            notes="可容缺受理，须在承诺期限内补交。",
        ),
        MaterialInput(
            "委托书及被委托人身份证明",
            requirement="optional",
            notes="委托他人办理的提交。",
        ),
    ],
    special_procedures=[
        SpecialProcedureInput(
            "现场核查",
            max_days=5,
            counted_in_limit=True,
            notes="申请材料不能确认许可条件的，进行现场核查。",
        ),
        SpecialProcedureInput(
            "听证",
            max_days=20,
            notes="依《中华人民共和国行政许可法》第四十五条，听证时间不计入许可期限。",
        ),
    ],
    steps=[
        StepInput("网上申请", "登录一网通办平台填写申请书，已有信息自动带入。"),
        StepInput("受理", "材料齐全、符合法定形式的当场受理；不齐全的一次性告知补正。", 1),
        StepInput("审查", "审查申请材料，必要时进行现场核查。", 3),
        StepInput("决定", "作出准予或不予许可的决定。", 1),
        StepInput("送达", "准予许可的签发电子许可证，可下载、出示和扫码核验。"),
    ],
    faqs=[
        FaqInput(
            "只卖包装好的零食饮料，也要办许可证吗？",
            "仅销售预包装食品的，不需要取得许可，向所在地市场监管部门备案即可。",
        ),
        FaqInput(
            "许可证有效期多长？到期怎么办？",
            "食品经营许可证有效期为5年。需要延续的，应在有效期届满前90个工作日至15个工作日期间提出申请。",
        ),
        FaqInput(
            "在家开网店卖自制食品可以办许可证吗？",
            "经营场所须符合食品安全要求，住宅一般不符合餐饮服务场所条件，具体请咨询当地市场监管部门。",
        ),
    ],
    process_id="food_business_licence",
    form_schema=_schema(
        "食品经营许可申请表",
        {
            **ENTERPRISE_FIELDS,
            "business_type": _text(
                "经营业态",
                enum=["食品销售", "餐饮服务", "单位食堂"],
                **{"x-ui": {"widget": "radio"}},
            ),
            "business_items": _text(
                "经营项目", **{"x-ui": {"widget": "textarea", "placeholder": "如：热食类食品制售"}}
            ),
            "premises": _text(
                "经营场所", **{"x-prefill": _prefill(ENTERPRISES, "address", "uscc")}
            ),
            "area": _number("经营面积（平方米）", 1),
            "food_safety_officer": _text("食品安全管理人员"),
            "phone": PHONE,
        },
        ["uscc", "enterprise_name", "business_type", "premises", "area", "phone"],
    ),
)

INDIVIDUAL = ServiceItemInput(
    code="010010300100",
    name="个体工商户设立登记",
    item_type="licensing",
    summary="有经营能力的公民从事工商业经营，申请登记为个体工商户，领取营业执照。",
    setting_basis=(
        "《中华人民共和国市场主体登记管理条例》第三条：市场主体应当依照本条例办理登记。"
        "未经登记，不得以市场主体名义从事经营活动。"
    ),
    implementing_basis=(
        "《中华人民共和国市场主体登记管理条例》第十九条；"
        "《促进个体工商户发展条例》（原《个体工商户条例》已由其废止）；"
        "《中华人民共和国市场主体登记管理条例实施细则》"
    ),
    target="person",
    handling_kind="immediate",
    statutory_limit_days=3,
    committed_limit_days=0,
    onsite_visits=0,
    online_depth="full",
    acceptance_conditions=(
        "1. 申请人为有经营能力的公民；\n"
        "2. 名称（如有）已通过自主申报；\n"
        "3. 经营场所真实、合法；\n"
        "4. 申请材料齐全、符合法定形式。"
    ),
    place=CITY_HALL,
    hours=HOURS,
    enquiry_phone=HOTLINE,
    complaint_phone="12315",
    result_name="营业执照（电子营业执照同步发放）",
    keywords="营业执照,个体登记,个体经营",
    phrasings=["开店", "办个体户", "摆摊办执照", "开小卖部", "办营业执照"],
    materials=[
        MaterialInput("个体工商户登记（备案）申请书", notes="在线填写，经营者电子签名。"),
        MaterialInput(
            "经营者身份证明",
            source="exchange",
            resource_code=PEOPLE,
            item_codes=["name", "id_number", "address"],
            notes="按身份证号从人口基本信息核验，无需提交。",
        ),
        MaterialInput(
            "经营场所使用证明",
            requirement="deferrable",
            notes="自有房产的由不动产登记信息核验；租赁的上传租赁合同，也可作出住所（经营场所）申报承诺。",
        ),
        MaterialInput(
            "委托代理人身份证明和授权委托书",
            requirement="optional",
            notes="委托他人办理的提交。",
        ),
    ],
    steps=[
        StepInput("网上申请", "名称自主申报，填写登记申请书，电子签名。"),
        StepInput("审核登记", "申请材料齐全、符合法定形式的，当场登记。"),
        StepInput("领取执照", "电子营业执照即时发放；需要纸质执照的可邮寄或到窗口领取。"),
    ],
    faqs=[
        FaqInput(
            "摆摊卖东西需要办营业执照吗？",
            "在县级以上地方人民政府指定的场所和时间内销售农副产品、日常生活用品，"
            "或者个人利用自己的技能从事依法无须取得许可的便民劳务活动的，不需要办理登记。",
        ),
        FaqInput(
            "个体工商户可以起字号吗？",
            "可以使用名称，也可以不使用名称；使用名称的须通过名称自主申报。",
        ),
        FaqInput(
            "办好执照后卖食品还要办什么？",
            "从事食品销售、餐饮服务的，还需办理食品经营许可；仅销售预包装食品的办理备案。",
        ),
    ],
    process_id="individual_business_registration",
    form_schema=_schema(
        "个体工商户设立登记申请表",
        {
            **PERSON_FIELDS,
            "business_name": _text("个体工商户名称（可不填）"),
            "premises": _text("经营场所"),
            "scope": _text("经营范围", **{"x-ui": {"widget": "textarea"}}),
            "scope_requires_licence": {
                "type": "boolean",
                "title": "经营范围含须经许可的项目",
                "default": False,
            },
            "form_of_organisation": _text(
                "组成形式", enum=["个人经营", "家庭经营"], **{"x-ui": {"widget": "radio"}}
            ),
            "phone": PHONE,
        },
        ["id_number", "name", "premises", "scope", "form_of_organisation", "phone"],
    ),
)

_PENSION_POLICY = "《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）"

PENSION_ENROLMENT = ServiceItemInput(
    code="200030100100",
    name="城乡居民基本养老保险参保登记",
    item_type="public_service",
    summary="年满16周岁、未参加职工基本养老保险的长沙户籍城乡居民，可在户籍地参加城乡居民基本养老保险。",
    setting_basis="《中华人民共和国社会保险法》第二十条、第二十二条",
    implementing_basis=_PENSION_POLICY,
    target="person",
    handling_kind="immediate",
    statutory_limit_days=5,
    committed_limit_days=0,
    onsite_visits=0,
    online_depth="full",
    acceptance_conditions=(
        "年满16周岁（不含在校学生），非国家机关和事业单位工作人员及不属于职工基本养老保险"
        "制度覆盖范围的城乡居民，可以在户籍地参加城乡居民养老保险。"
    ),
    place="长沙市人力资源和社会保障局社会保险经办窗口，或户籍所在地乡镇（街道）便民服务中心",
    hours=HOURS,
    enquiry_phone="12333",
    complaint_phone=HOTLINE,
    result_name="参保登记信息（可在线打印参保证明）",
    keywords="城乡居民养老保险,居民养老,社保,参保",
    phrasings=["交养老保险", "农村养老保险", "买社保", "交社保", "以后领养老金"],
    materials=[
        MaterialInput(
            "居民身份证",
            source="exchange",
            resource_code=PEOPLE,
            item_codes=["name", "id_number", "address"],
            notes="按身份证号核验身份和户籍，无需提交。",
        ),
        MaterialInput(
            "参保状态核验",
            source="exchange",
            resource_code=SOCIAL_INSURANCE,
            item_codes=["insurance", "status"],
            notes="系统核验是否已参加职工基本养老保险，无需提交。",
        ),
        MaterialInput("城乡居民基本养老保险参保登记表", notes="在线填写并确认。"),
    ],
    steps=[
        StepInput("网上申请", "身份和户籍信息自动带入，选择缴费档次。"),
        StepInput("核验登记", "符合条件的即时登记；年满60周岁需补缴的转人工办理。"),
        StepInput("缴费", "按年度在缴费期内通过银行或线上渠道缴费。"),
    ],
    faqs=[
        FaqInput(
            "缴费档次有哪些？",
            "国家设为每年100元至2000元的12个档次，省级人民政府可以增设档次；"
            "本市具体档次和政府补贴标准以当年公布为准，多缴多得。",
        ),
        FaqInput(
            "已经参加了职工养老保险还能参加吗？",
            "不能同时参加。参加职工基本养老保险的，不再参加城乡居民养老保险。",
        ),
        FaqInput(
            "交满多少年可以领养老金？",
            "年满60周岁、累计缴费满15年，且未领取国家规定的基本养老保障待遇的，可以按月领取养老金。",
        ),
    ],
    process_id="rural_urban_pension_enrolment",
    form_schema=_schema(
        "城乡居民基本养老保险参保登记表",
        {
            **PERSON_FIELDS,
            "contribution_level": {
                "type": "integer",
                "title": "缴费档次（元/年）",
                "enum": [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1500, 2000],
                "x-ui": {"widget": "select"},
            },
            "phone": PHONE,
        },
        ["id_number", "name", "contribution_level", "phone"],
        **{
            "x-checks": [
                {
                    "resource": SOCIAL_INSURANCE,
                    "items": ["insurance", "status"],
                    "by": "id_number",
                    # Insured (职工 or 城乡居民) and not ended: 不得重复参保.
                    "sets": "enrolled_elsewhere",
                    "when": {"status": ["正常参保", "暂停缴费"]},
                }
            ]
        },
    ),
)

PENSION_PAYMENT = ServiceItemInput(
    code="050030200100",
    name="城乡居民基本养老保险待遇领取",
    item_type="payment",
    summary="参加城乡居民基本养老保险、年满60周岁且累计缴费满15年的，按月领取养老金。",
    setting_basis="《中华人民共和国社会保险法》第二十条、第二十二条",
    implementing_basis=_PENSION_POLICY,
    target="person",
    handling_kind="promised",
    statutory_limit_days=20,
    committed_limit_days=5,
    onsite_visits=0,
    online_depth="full",
    acceptance_conditions=(
        "参加城乡居民养老保险的个人，年满60周岁、累计缴费满15年，"
        "且未领取国家规定的基本养老保障待遇的，可以按月领取城乡居民养老保险待遇。"
    ),
    place="长沙市人力资源和社会保障局社会保险经办窗口，或户籍所在地乡镇（街道）便民服务中心",
    hours=HOURS,
    enquiry_phone="12333",
    complaint_phone=HOTLINE,
    result_name="养老金按月发放至本人社会保障卡",
    keywords="养老金,待遇领取,城乡居民养老保险",
    phrasings=["退休领养老金", "领养老钱", "满60岁领钱", "办退休"],
    materials=[
        MaterialInput(
            "居民身份证",
            source="exchange",
            resource_code=PEOPLE,
            item_codes=["name", "id_number", "birth"],
            notes="按身份证号核验年龄，无需提交。",
        ),
        MaterialInput(
            "参保缴费记录",
            source="exchange",
            resource_code=SOCIAL_INSURANCE,
            item_codes=["insurance", "status", "since"],
            notes="系统核验缴费年限，无需提交。",
        ),
        MaterialInput("城乡居民基本养老保险待遇领取申请表", notes="在线填写并确认。"),
    ],
    steps=[
        StepInput("网上申请", "年满60周岁前后均可提出。"),
        StepInput("审核", "核验年龄、缴费年限和是否已领取其他基本养老保障待遇。", 3),
        StepInput("核定发放", "核定待遇标准，次月起按月发放。", 2),
    ],
    faqs=[
        FaqInput(
            "缴费不满15年怎么办？",
            "可按规定逐年缴费或补缴，累计缴费满15年后领取；具体补缴政策请咨询12333。",
        ),
    ],
    # No approval process yet: the guide is published, online application follows.
    form_schema=_schema(
        "城乡居民基本养老保险待遇领取申请表",
        {**PERSON_FIELDS, "phone": PHONE},
        ["id_number", "name", "phone"],
    ),
)

HYGIENE = ServiceItemInput(
    code="010020500100",
    name="公共场所卫生许可",
    item_type="licensing",
    summary="宾馆、旅店、公共浴室、理发店、美容店、游泳场（馆）等公共场所，经营前应取得卫生许可证。",
    setting_basis="《公共场所卫生管理条例》第八条",
    implementing_basis="《公共场所卫生管理条例》；《公共场所卫生管理条例实施细则》第二十二条至第二十五条",
    target="legal",
    handling_kind="promised",
    statutory_limit_days=20,
    committed_limit_days=5,
    onsite_visits=0,
    online_depth="full",
    acceptance_conditions=(
        "1. 已取得营业执照；\n"
        "2. 经营场所的选址、设计、装修符合卫生标准和要求；\n"
        "3. 具有与经营项目相适应的卫生设施和卫生管理制度；\n"
        "4. 从业人员已取得有效健康合格证明。"
    ),
    place="长沙市政务服务中心卫生健康窗口，或经营场所所在区县（市）政务服务中心",
    hours=HOURS,
    enquiry_phone=HOTLINE,
    complaint_phone="12320",
    result_name="公共场所卫生许可证（电子证照，有效期4年）",
    keywords="卫生许可证,公共场所,理发,美容,住宿,游泳",
    phrasings=["开理发店", "开美容院", "开宾馆", "开游泳馆", "开足浴店"],
    materials=[
        MaterialInput("卫生许可证申请表", notes="在线填写。"),
        MaterialInput(
            "营业执照",
            source="licence",
            licence_type="business_licence",
            notes="调用电子营业执照，无需提交。",
        ),
        MaterialInput(
            "法定代表人或者负责人身份证明",
            source="exchange",
            resource_code=ENTERPRISES,
            item_codes=["uscc", "name", "legal_rep"],
            notes="由市场主体登记库共享获取。",
        ),
        MaterialInput("公共场所地址方位示意图、平面图和卫生设施平面布局图"),
        MaterialInput(
            "公共场所卫生检测或者评价报告",
            requirement="deferrable",
            notes="可容缺受理，须在承诺期限内补交。",
        ),
        MaterialInput("公共场所卫生管理制度"),
    ],
    special_procedures=[
        SpecialProcedureInput("现场审核", max_days=5, counted_in_limit=True),
        SpecialProcedureInput(
            "卫生检测",
            max_days=15,
            notes="依《中华人民共和国行政许可法》第四十五条，检测时间不计入许可期限。",
        ),
    ],
    steps=[
        StepInput("网上申请", "填写申请表，上传平面布局图等材料。"),
        StepInput("受理", "材料齐全的受理；不齐全的一次性告知补正。", 1),
        StepInput("审查和现场审核", "审查材料，对经营场所进行现场审核。", 3),
        StepInput("决定", "作出准予或不予许可的决定，签发电子许可证。", 1),
    ],
    faqs=[
        FaqInput(
            "开饭馆、咖啡馆需要办公共场所卫生许可吗？",
            "不需要。饭馆、咖啡馆、酒吧、茶座等已不再办理公共场所卫生许可，应办理食品经营许可。",
        ),
        FaqInput(
            "卫生许可证有效期多长？",
            "公共场所卫生许可证有效期限为四年，每两年复核一次。",
        ),
    ],
    process_id="public_place_hygiene_licence",
    form_schema=_schema(
        "公共场所卫生许可申请表",
        {
            **ENTERPRISE_FIELDS,
            "place_type": _text(
                "场所类别",
                enum=["理发店", "美容店", "宾馆", "旅店", "公共浴室", "游泳场（馆）", "其他"],
                **{"x-ui": {"widget": "select"}},
            ),
            "premises": _text("经营场所"),
            "area": _number("营业面积（平方米）", 1),
            "staff_count": _number("从业人员人数", 1, "integer"),
            "phone": PHONE,
        },
        ["uscc", "enterprise_name", "place_type", "premises", "area", "phone"],
    ),
)

RESTAURANT = ServiceItemInput(
    code="200090100100",
    name="开办餐饮店“一件事”",
    item_type="public_service",
    summary=(
        "开一家餐饮店，一次申请、一套材料、一窗受理：营业执照、食品经营许可并联审批，"
        "生态环境和消防安全同步办理，办结后证照一并送达。"
    ),
    setting_basis=(
        "《国务院关于进一步优化政务服务提升行政效能推动“高效办成一件事”的指导意见》"
        "（国发〔2024〕3号）"
    ),
    implementing_basis=(
        "《中华人民共和国市场主体登记管理条例》第三条；"
        "《中华人民共和国食品安全法》第三十五条；"
        "《中华人民共和国消防法》第十五条；"
        "《中华人民共和国环境影响评价法》第十六条"
    ),
    target="both",
    handling_kind="promised",
    statutory_limit_days=20,
    committed_limit_days=5,
    onsite_visits=0,
    online_depth="full",
    acceptance_conditions=(
        "1. 经营场所为合法建筑，用途可用于餐饮经营；\n"
        "2. 具有与经营规模相适应的食品加工、贮存场所和设备设施；\n"
        "3. 油烟、污水、噪声等污染防治设施符合要求；\n"
        "4. 营业面积较大的公众聚集场所，符合消防技术标准和管理规定。"
    ),
    place="长沙市政务服务中心“高效办成一件事”综合窗口",
    hours=HOURS,
    enquiry_phone=HOTLINE,
    complaint_phone=HOTLINE,
    result_name="营业执照、食品经营许可证（电子证照）；环境和消防办理结果",
    keywords="餐饮店开办,一件事,并联审批,餐饮",
    phrasings=["开餐饮店一件事", "开饭店一次办", "餐饮店开业"],
    materials=[
        MaterialInput("开办餐饮店“一件事”申请表", notes="一张表单，各部门共用。"),
        MaterialInput(
            "经营者身份证明",
            source="exchange",
            resource_code=PEOPLE,
            item_codes=["name", "id_number"],
            notes="按身份证号核验，无需提交。",
        ),
        MaterialInput(
            "经营场所使用证明",
            source="exchange",
            resource_code=REAL_ESTATE,
            item_codes=["cert_no", "location", "use"],
            notes="自有房产的由不动产登记信息核验；租赁的另行上传租赁合同。",
        ),
        MaterialInput("经营场所平面布局图和设备设施清单"),
        MaterialInput(
            "餐饮油烟净化设施说明",
            requirement="deferrable",
            notes="可容缺受理，须在开业前补交。",
        ),
        MaterialInput(
            "公众聚集场所投入使用、营业前消防安全检查告知承诺书",
            requirement="optional",
            notes="营业面积达到公众聚集场所标准的签署。",
        ),
    ],
    special_procedures=[
        SpecialProcedureInput("现场核查", max_days=5, counted_in_limit=True),
    ],
    steps=[
        StepInput("一表申请", "填写一张申请表，信息自动带入各部门。"),
        StepInput("综合受理", "综合窗口一次受理，分送各部门。", 1),
        StepInput(
            "并联审批",
            "市场监管部门办理营业执照和食品经营许可；生态环境部门审查污染防治；"
            "消防救援机构对公众聚集场所实行告知承诺管理。",
            3,
        ),
        StepInput("联合决定", "各部门均审查通过的，作出准予决定。", 1),
        StepInput("统一送达", "电子证照和办理结果一并送达。"),
    ],
    faqs=[
        FaqInput(
            "小餐馆也要办消防手续吗？",
            "公众聚集场所投入使用、营业前实行消防安全检查告知承诺管理；"
            "未达到公众聚集场所标准的小餐馆，按规定落实消防安全措施即可。",
        ),
        FaqInput(
            "已经有营业执照了，还能用“一件事”办理吗？",
            "可以。已有营业执照的，系统调用电子营业执照，只办理其余事项。",
        ),
    ],
    process_id="restaurant_opening",
    form_schema=_schema(
        "开办餐饮店“一件事”申请表",
        {
            **PERSON_FIELDS,
            "business_name": _text("店铺名称"),
            "premises": _text("经营场所"),
            "area": _number("营业面积（平方米）", 1),
            "seats": _number("就餐座位数", 0, "integer"),
            "kitchen_fuel": _text(
                "厨房能源", enum=["电", "燃气", "其他"], **{"x-ui": {"widget": "radio"}}
            ),
            "business_items": _text("经营项目", **{"x-ui": {"widget": "textarea"}}),
            "phone": PHONE,
        },
        ["id_number", "name", "business_name", "premises", "area", "kitchen_fuel", "phone"],
    ),
    # The BPMN's ``environment.reviewer`` and ``fire.reviewer`` lanes go to these
    # departments (``<prefix>`` or ``*-<prefix>``), its ``market.reviewer`` lane
    # to the implementing department (cs-market); an item where a lane fits no
    # department is refused (eservices.lanes).
    co_department_codes=["cs-environment", "cs-fire"],
)

# The department whose system the platform reads the exchange with.
PLATFORM_DEPARTMENT = "cs-data"

# (implementing department, item)
DEMO: list[tuple[str, ServiceItemInput]] = [
    ("cs-market", FOOD),
    ("cs-market", INDIVIDUAL),
    ("cs-hrss", PENSION_ENROLMENT),
    ("cs-hrss", PENSION_PAYMENT),
    ("cs-health", HYGIENE),
    ("cs-market", RESTAURANT),
]


def load_demo_service_items(*, actor: Actor) -> int:
    """Create and publish the demo items that are missing; return how many were created."""
    created = 0
    for department_code, data in DEMO:
        if ServiceItem.objects.filter(code=data.code).exists():
            continue
        try:
            department = get_department(department_code)
        except NotFound:
            continue
        # A city without one of the co-departments does not get the item: its
        # lane would have nobody with the power to review, and the item's
        # configuration is refused (``invalid_item``) rather than misrouted.
        if not all(_exists(code) for code in data.co_department_codes):
            logger.warning(
                "Demo item %s left out: co-department missing among %s",
                data.code,
                ", ".join(data.co_department_codes),
            )
            continue
        item = do_create_service_item(department, data, actor=actor)
        do_publish_service_item(item, actor=actor)
        created += 1
    return created


def _exists(department_code: str) -> bool:
    try:
        get_department(department_code)
    except NotFound:
        return False
    return True


def load_demo_platform_access(*, actor: Actor) -> int:
    """Give the platform's own exchange client what prefill and credit checks read.

    The client belongs to the data bureau. For each resource the demo items'
    ``x-prefill`` hints name, and the serious-dishonesty list, a conditionally
    shared resource gets an application answered by its provider, with the
    personal items the form needs granted unmasked. Returns the grants made.
    """
    bureau = get_department(PLATFORM_DEPARTMENT)
    client = ensure_platform_client(bureau, actor=actor)
    wanted: dict[str, set[str]] = {settings.ESERVICES_CREDIT_RESOURCE: set()}
    for item in ServiceItem.objects.all():
        for field in fields_of(item.form_schema).values():
            hint = field.get("x-prefill")
            if isinstance(hint, dict) and hint.get("resource"):
                codes = wanted.setdefault(str(hint["resource"]), set())
                codes.update(str(hint[k]) for k in ("item", "by") if hint.get(k))
        # The form's x-checks read their items by the key item (the field ``by`` names).
        for check in item.form_schema.get("x-checks") or []:
            if isinstance(check, dict) and check.get("resource"):
                codes = wanted.setdefault(str(check["resource"]), set())
                codes.update(str(i) for i in check.get("items") or [])
                codes.add(str(check.get("by") or ""))
    made = 0
    for code, item_codes in sorted(wanted.items()):
        resource = Resource.objects.filter(code=code, state=ResourceState.PUBLISHED).first()
        if resource is None or resource.provider_id == client.department_id:
            continue
        items = {i.code: i for i in resource.items.all()}
        fields = sorted(c for c in item_codes if c in items) or sorted(items)
        decision = share_decision(resource, fields)
        fields = [c for c in fields if decision.items.get(c) in (Verdict.OPEN, Verdict.GRANT)]
        if Verdict.GRANT not in {decision.items[c] for c in fields}:
            continue  # open to every registered system already
        if AccessApplication.objects.filter(resource=resource, client=client).exists():
            continue
        application = do_apply_for_access(
            resource,
            client,
            ApplicationInput(
                purpose="一网通办申请表预填和信用核查（免提交）",
                legal_basis="《国务院关于加快推进全国一体化在线政务服务平台建设的指导意见》（国发〔2018〕27号）",
                fields=fields,
                clear_fields=[c for c in fields if items[c].is_personal],
                duration_days=366,
                expected_per_day=2000,
            ),
            actor=actor,
        )
        do_grant_application(application, actor=actor, rate_per_minute=6000)
        made += 1
    return made

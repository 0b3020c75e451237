"""Seed the licence types the demo city's service items issue.

The field lists follow the printed licences: 食品经营许可证 (《食品经营许可和备案
管理办法》), 营业执照 and 个体工商户营业执照 (《市场主体登记管理条例》),
公共场所卫生许可证 (《公共场所卫生管理条例实施细则》) and the 参保证明 of
城乡居民基本养老保险. ``mask`` marks personal data masked on the public
verification page. The lists are frozen here; later changes are new migrations.
"""

from typing import Any

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def _f(code: str, label: str, *, required: bool = True, mask: str = "") -> dict[str, Any]:
    return {"code": code, "label": label, "required": required, "mask": mask}


TYPES: list[dict[str, Any]] = [
    {
        "code": "food_business_licence",
        "name": "食品经营许可证",
        "issuer_kind": "market_regulation",
        "holder_kinds": ["enterprise"],
        "validity_years": 5,
        "number_prefix": "JY",
        "fields": [
            _f("legal_representative", "法定代表人（负责人）", mask="name"),
            _f("residence", "住所"),
            _f("business_premises", "经营场所"),
            _f("main_business_form", "主体业态"),
            _f("business_items", "经营项目"),
            _f("daily_supervisor", "日常监督管理机构", required=False),
            _f("complaint_phone", "投诉举报电话", required=False),
        ],
    },
    {
        "code": "business_licence",
        "name": "营业执照",
        "issuer_kind": "market_regulation",
        "holder_kinds": ["enterprise"],
        "validity_years": None,
        "number_prefix": "YZ",
        "fields": [
            _f("enterprise_type", "类型"),
            _f("legal_representative", "法定代表人", mask="name"),
            _f("registered_capital", "注册资本", required=False),
            _f("established_on", "成立日期"),
            _f("business_term", "营业期限", required=False),
            _f("residence", "住所"),
            _f("business_scope", "经营范围"),
        ],
    },
    {
        "code": "individual_business_licence",
        "name": "个体工商户营业执照",
        "issuer_kind": "market_regulation",
        "holder_kinds": ["enterprise"],
        "validity_years": None,
        "number_prefix": "GT",
        "fields": [
            _f("operator", "经营者", mask="name"),
            _f("organisation_form", "组成形式"),
            _f("registered_on", "注册日期"),
            _f("business_premises", "经营场所"),
            _f("business_scope", "经营范围"),
        ],
    },
    {
        "code": "public_place_hygiene_licence",
        "name": "公共场所卫生许可证",
        "issuer_kind": "health",
        "holder_kinds": ["enterprise"],
        "validity_years": 4,
        "number_prefix": "WG",
        "fields": [
            _f("legal_representative", "法定代表人（负责人）", mask="name"),
            _f("address", "地址"),
            _f("licensed_items", "许可项目"),
            _f("floor_area", "营业面积", required=False),
        ],
    },
    {
        "code": "pension_insurance_certificate",
        "name": "城乡居民基本养老保险参保证明",
        "issuer_kind": "human_resources",
        "holder_kinds": ["person"],
        "validity_years": 1,
        "number_prefix": "YB",
        "fields": [
            _f("insured_region", "参保地"),
            _f("insured_on", "参保日期"),
            _f("contribution_grade", "缴费档次", required=False),
            _f("address", "户籍地址", required=False, mask="address"),
        ],
    },
]


def seed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    LicenceType = apps.get_model("licences", "LicenceType")
    for item in TYPES:
        values = dict(item)
        code = values.pop("code")
        LicenceType.objects.update_or_create(code=code, defaults=values)


def unseed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    LicenceType = apps.get_model("licences", "LicenceType")
    LicenceType.objects.filter(code__in=[t["code"] for t in TYPES], licences=None).delete()


class Migration(migrations.Migration):
    dependencies = [("licences", "0001_licence_types_licences_keys")]

    operations = [migrations.RunPython(seed, unseed)]

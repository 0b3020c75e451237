"""The demo city's credit files (长沙市), idempotent.

Three demo enterprises get credit records so that their grades differ: the
cement-products maker a 较重 penalty from the environment bureau and an
upheld 12345 complaint, the waste treatment company a commendation. The
media company is put on the serious-dishonesty list by the human-resources
bureau for unpaid wages, and the list is published through the exchange, so
an online application by its legal representative 黄丽 (G2B login huangli)
reaches the reviewer flagged (联合惩戒). The food shop of the main demo story
keeps a clean file. Records carry fixed source references and the listing
is made once, so loading again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from zhengtong.core.actors import Actor
from zhengtong.core.models import Enterprise
from zhengtong.core.selectors import find_enterprise_by_credit_code
from zhengtong.core.testing import make_credit_code
from zhengtong.demo import city
from zhengtong.regulation.credit_actions import do_record_credit
from zhengtong.regulation.credit_scorecard import add_months
from zhengtong.regulation.listing_actions import do_list_serious_dishonesty, do_publish_listings
from zhengtong.regulation.models import CreditRecord, DishonestyListing

ENVIRONMENT = "长沙市生态环境局"


@dataclass(frozen=True, slots=True)
class DemoRecord:
    enterprise: str
    kind: str
    severity: str
    days_ago: int
    description: str
    authority: str
    source_ref: str


RECORDS: tuple[DemoRecord, ...] = (
    DemoRecord(
        "长沙麓山建材有限公司",
        "penalty",
        "较重",
        120,
        "1号废气排放口颗粒物超标排放，责令改正并处罚款十二万元",
        ENVIRONMENT,
        "长环罚〔2026〕15号",
    ),
    DemoRecord(
        "长沙麓山建材有限公司",
        "complaint_upheld",
        "",
        45,
        "群众反映夜间装卸作业扬尘、噪声扰民，经现场核查属实",
        "长沙市芙蓉区人民政府东湖街道办事处",
        "12345:demo-lushan-dust",
    ),
    DemoRecord(
        "长沙星城环保科技有限公司",
        "commendation",
        "",
        90,
        "评为长沙市环保诚信企业",
        ENVIRONMENT,
        "长环函〔2026〕32号",
    ),
)


@dataclass(frozen=True, slots=True)
class DemoListing:
    enterprise: str
    reason: str
    legal_basis: str
    authority: str
    days_ago: int
    years: int


LISTINGS: tuple[DemoListing, ...] = (
    DemoListing(
        "长沙橘洲文化传媒有限公司",
        "拖欠农民工工资，情节严重",
        "《保障农民工工资支付条例》第四十八条；《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第五条",
        "长沙市人力资源和社会保障局",
        20,
        3,
    ),
)


def _enterprise(name: str) -> Enterprise | None:
    item = next((e for e in city.ENTERPRISES if e.name == name), None)
    if item is None:
        return None
    return find_enterprise_by_credit_code(make_credit_code(item.region_code, item.seq))


def load_demo_credit(*, actor: Actor) -> str:
    """Record the demo credit facts and list the demo enterprise once; publish the list."""
    today = timezone.localdate()
    recorded = 0
    for fact in RECORDS:
        enterprise = _enterprise(fact.enterprise)
        if enterprise is None:
            continue
        if CreditRecord.objects.filter(enterprise=enterprise, source_ref=fact.source_ref).exists():
            continue
        do_record_credit(
            enterprise,
            fact.kind,
            today - dt.timedelta(days=fact.days_ago),
            fact.description,
            actor=actor,
            severity=fact.severity,
            authority=fact.authority,
            source_ref=fact.source_ref,
        )
        recorded += 1
    listed = 0
    for entry in LISTINGS:
        enterprise = _enterprise(entry.enterprise)
        if enterprise is None:
            continue
        if DishonestyListing.objects.filter(enterprise=enterprise, reason=entry.reason).exists():
            continue
        listed_on = today - dt.timedelta(days=entry.days_ago)
        do_list_serious_dishonesty(
            enterprise,
            entry.reason,
            entry.legal_basis,
            entry.authority,
            listed_on,
            add_months(listed_on, 12 * entry.years),
            actor=actor,
        )
        listed += 1
    result = do_publish_listings(actor=actor)
    published = (
        f"{result.published} published"
        if not result.problem
        else f"not published ({result.problem}: {result.message})"
    )
    return f"credit: {recorded} records, {listed} listings, dishonesty list {published}"

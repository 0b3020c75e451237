"""The exchange tests' cast: the catalog cast plus a published enterprise resource.

吴十 is a data officer of the market bureau, which provides the resource; 周九
is a data officer of a county bureau and has no say over it.
"""

from dataclasses import dataclass, replace

from zhengtong.catalog import actions as catalog
from zhengtong.catalog.actions import ItemInput
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import ENTERPRISE, CatalogCast, make_cast
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.identity.actors import actor_of

ITEMS = [
    ItemInput("uscc", "统一社会信用代码", "C", 18),
    ItemInput("name", "企业名称", "C", 20),
    ItemInput("capital", "注册资本", "N"),
    ItemInput("founded", "成立日期", "D"),
    ItemInput("checked_at", "核查时间", "T"),
    ItemInput("active", "是否存续", "B"),
    ItemInput("legal_rep_id", "法定代表人身份证件号码", "C", 18),
    ItemInput("licence", "营业执照", "BY"),
]


@dataclass(frozen=True)
class ExchangeCast:
    catalog: CatalogCast
    resource: Resource


def make_exchange_cast() -> ExchangeCast:
    people = make_cast()
    resource = catalog.do_create_resource(
        people.market, replace(ENTERPRISE, items=ITEMS), actor=actor_of(people.officer)
    )
    resource = catalog.do_submit_resource(resource, actor=actor_of(people.officer))
    resource = catalog.do_review_resource(resource, actor=TEST_ACTOR)
    resource = catalog.do_publish_resource(resource, actor=TEST_ACTOR)
    return ExchangeCast(catalog=people, resource=resource)

"""The access matrix: share attribute × caller × item kind × endpoint.

For every combination one call goes through the G2G API and the test checks
that an item leaves only when the catalog and the caller's grant allow it,
that a personal item leaves in clear only under an active grant that names it
so, that each refusal carries its stable code, and that every call, refused
or not, is exactly one ledger entry and one access-log row.

The callers are another department's systems in each grant state, and the
provider department's own system (``owner``), which holds no grant: it reads
every item of its own 无条件共享 and 有条件共享 resources, personal items in
clear, and is refused the negative list like every other system.

Grants on the 不予共享 resource cannot be made through the actions; they are
written directly here, as a forged or legacy grant would be, to prove that the
exchange refuses at request time whatever the grant table holds.
"""

import datetime as dt
import itertools
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.catalog.actions import ItemInput
from zhengtong.catalog.models import Resource
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.testing import TEST_ACTOR, make_credit_code
from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessLog, Grant
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import govstack_http
from zhengtong.exchange.tests.test_governed import publish
from zhengtong.identity.actions import do_issue_client
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import SystemClient
from zhengtong.ledger.models import LedgerEntry

SHARE_ATTRIBUTES = ("unconditional", "conditional", "none")
GRANT_STATES = ("none", "active", "expired", "revoked")
# Who calls: another department's system in one of the grant states, or the provider's own.
CALLERS = (*GRANT_STATES, "owner")
ITEM_KINDS = ("plain", "personal")
# The native API's four operations, and the GovStack Data API's read over the same exchange.
ENDPOINTS = ("look-up", "batch-look-up", "verify", "changes", "govstack-read")

KEY = make_credit_code(seq=42)
PLAIN_VALUE = "长沙某某餐饮有限公司"
PERSONAL_VALUE = "13812345678"
MASKED_VALUE = "138****5678"
ITEM_OF_KIND = {"plain": "name", "personal": "phone"}
VALUE_OF_KIND = {"plain": PLAIN_VALUE, "personal": PERSONAL_VALUE}
BASIS = "《政务数据共享条例》第十五条"
CODES = {"unconditional": "102000000/000021", "conditional": "102000000/000022"}
CODES["none"] = "102000000/000023"
REFUSAL_FOR_GRANT = {"none": "not_granted", "expired": "grant_expired", "revoked": "grant_revoked"}


def _items() -> list[ItemInput]:
    # Items follow the resource's share attribute, so the attribute under test
    # is the only thing that differs between the three resources.
    return [
        ItemInput("uscc", "统一社会信用代码", "C", 18),
        ItemInput("name", "企业名称", "C", 50),
        ItemInput("phone", "联系电话", "C", 20, is_personal=True, sensitivity="sensitive"),
    ]


@dataclass(frozen=True)
class World:
    resources: dict[str, Resource]
    clients: dict[str, Client]


def _resource(cast: ExchangeCast, share: str) -> Resource:
    extra: dict[str, Any] = {}
    if share != "unconditional":
        extra = {"legal_basis": BASIS, "share_conditions": "仅限审批用途"}
    if share == "none":
        # Not shared is not opened either.
        extra |= {
            "negative_scope": "全部字段",
            "review_date": dt.date(2099, 6, 30),
            "open_attribute": "none",
        }
    data = replace(
        resource_input(CODES[share]), share_attribute=share, items=_items(), related=[], **extra
    )
    resource = publish(cast, data)
    officer = actor_of(cast.catalog.officer)
    dataset = actions.do_register_hosted_dataset(resource, "uscc", actor=officer)
    actions.do_load_dataset_rows(
        dataset,
        [{"uscc": KEY, "name": PLAIN_VALUE, "phone": PERSONAL_VALUE}],
        actor=officer,
        source_name="matrix.csv",
    )
    return resource


def _grant(cast: ExchangeCast, resource: Resource, client: SystemClient, state: str) -> None:
    if state == "none":
        return
    fields, clear = ["uscc", "name", "phone"], ["phone"]
    if resource.share_attribute == "none":
        now = timezone.now()
        Grant.objects.create(
            resource=resource,
            client=client,
            fields=fields,
            clear_fields=clear,
            purpose="伪造的授权",
            starts_at=now - dt.timedelta(days=1),
            expires_at=now + dt.timedelta(days=1),
            rate_per_minute=1000,
        )
        return
    application = actions.do_apply_for_access(
        resource,
        client,
        actions.ApplicationInput(
            purpose="行政审批中核对申请人信息",
            legal_basis=BASIS,
            fields=fields,
            clear_fields=clear,
            duration_days=30,
            expected_per_day=100,
        ),
        actor=actor_of(cast.catalog.county_officer),
    )
    grant = actions.do_grant_application(application, actor=actor_of(cast.catalog.officer))
    if state == "expired":
        Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))
    elif state == "revoked":
        actions.do_revoke_grant(grant, actor=actor_of(cast.catalog.officer), reason="项目结束")


@pytest.fixture
def world(cast: ExchangeCast) -> World:
    resources = {share: _resource(cast, share) for share in SHARE_ATTRIBUTES}
    clients: dict[str, Client] = {}
    for state in GRANT_STATES:
        client, secret = do_issue_client(
            cast.catalog.county, f"审批系统-{state}", ["exchange.read_shared"], actor=TEST_ACTOR
        )
        for resource in resources.values():
            _grant(cast, resource, client, state)
        clients[state] = govstack_http(client, f"{client.key_id}.{secret}")
    owner, secret = do_issue_client(
        cast.catalog.market, "市场主体登记系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    clients["owner"] = govstack_http(owner, f"{owner.key_id}.{secret}")
    return World(resources, clients)


def _call(http: Client, endpoint: str, slug: str, item: str, value: str) -> tuple[int, Any]:
    base = f"/api/exchange/shared/{slug}"
    purpose = "行政审批中核对申请人信息"
    if endpoint == "changes":
        answer = http.get(f"{base}/changes", {"purpose": purpose})
    elif endpoint == "govstack-read":
        answer = http.post(
            f"/api/govstack/data/{slug}/1.0/read",
            {"query": {"content": {"uscc": KEY}}},
            "application/json",
            HTTP_ZHENGTONG_PURPOSE=quote(purpose),
        )
    else:
        body: dict[str, Any] = {"purpose": purpose}
        if endpoint == "look-up":
            body |= {"key": KEY, "fields": [item]}
        elif endpoint == "batch-look-up":
            body |= {"keys": [KEY], "fields": [item]}
        else:
            body |= {"key": KEY, "claims": {item: value}}
        answer = http.post(f"{base}/{endpoint}", body, "application/json")
    return answer.status_code, answer.json()


def _returned(endpoint: str, body: Any, item: str) -> str | None:
    """The value of ``item`` the call let out, or None."""
    if endpoint == "look-up":
        return body["values"].get(item)  # type: ignore[no-any-return]
    if endpoint == "batch-look-up":
        return body["records"][0]["values"].get(item)  # type: ignore[no-any-return]
    if endpoint == "changes":
        values = body["changes"][0]["values"]
        return values.get(item)  # type: ignore[no-any-return]
    if endpoint == "govstack-read":
        return body["content"].get(item)  # type: ignore[no-any-return]
    return None


def _expected(share: str, state: str, kind: str) -> tuple[str | None, str | None]:
    """(refusal code, value that may leave) for one combination."""
    if share == "none":
        return "negative_list", None
    value = VALUE_OF_KIND[kind]
    if state == "owner":
        return None, value
    if share == "conditional" and state != "active":
        return REFUSAL_FOR_GRANT[state], None
    if kind == "personal" and state != "active":
        return None, MASKED_VALUE
    return None, value


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_combination_is_governed_and_logged(world: World, endpoint: str) -> None:
    for share, state, kind in itertools.product(SHARE_ATTRIBUTES, CALLERS, ITEM_KINDS):
        case = f"{share}/{state}/{kind}/{endpoint}"
        item = ITEM_OF_KIND[kind]
        entries, logs = LedgerEntry.objects.count(), AccessLog.objects.count()
        status, body = _call(
            world.clients[state], endpoint, world.resources[share].slug, item, VALUE_OF_KIND[kind]
        )
        refusal, value = _expected(share, state, kind)
        if refusal is not None:
            assert status == 403, (case, body)
            assert body["code"] == refusal, case
        else:
            assert status == 200, (case, body)
            if endpoint == "verify":
                assert body["results"] == {item: "match"}, case
                assert set(body) == {"results", "all_match"}, case
            else:
                assert _returned(endpoint, body, item) == value, case
        assert LedgerEntry.objects.count() == entries + 1, case
        assert AccessLog.objects.count() == logs + 1, case
        log = AccessLog.objects.order_by("-ledger_seq").first()
        assert log is not None
        assert log.result == (refusal or "ok"), case
        assert LedgerEntry.objects.filter(seq=log.ledger_seq).exists(), case
        # The owner's reads say so in the log, and no grant stands behind them.
        assert log.data.get("own_resource", False) is (state == "owner"), case
        if state == "owner":
            assert log.grant_id is None, case


def test_a_call_without_named_items_gets_only_what_it_may_read(world: World) -> None:
    for share, state in itertools.product(SHARE_ATTRIBUTES, CALLERS):
        status, body = _look_up_all(world.clients[state], world.resources[share].slug)
        case = f"{share}/{state}"
        if share == "none":
            assert (status, body["code"]) == (403, "negative_list"), case
            continue
        if share == "conditional" and state not in {"active", "owner"}:
            assert status == 403 and body["code"] == REFUSAL_FOR_GRANT[state], case
            continue
        assert status == 200, case
        in_clear = state in {"active", "owner"}
        expected_phone = PERSONAL_VALUE if in_clear else MASKED_VALUE
        assert body["values"] == {"uscc": KEY, "name": PLAIN_VALUE, "phone": expected_phone}
        assert body["masked"] == ([] if in_clear else ["phone"]), case


def _look_up_all(http: Client, slug: str) -> tuple[int, Any]:
    answer = http.post(
        f"/api/exchange/shared/{slug}/look-up",
        {"key": KEY, "purpose": "行政审批中核对申请人信息"},
        "application/json",
    )
    return answer.status_code, answer.json()


@pytest.mark.parametrize("endpoint", ["look-up", "batch-look-up"])
def test_an_empty_list_of_items_is_refused_before_any_record_is_read(
    world: World, endpoint: str
) -> None:
    # An empty list once slipped past the grant check and told any system
    # whether a key was in a conditional dataset.
    for share, state in itertools.product(SHARE_ATTRIBUTES, CALLERS):
        case = f"{share}/{state}/{endpoint}"
        body: dict[str, Any] = {"purpose": "行政审批中核对申请人信息", "fields": []}
        body |= {"key": KEY} if endpoint == "look-up" else {"keys": [KEY]}
        entries = LedgerEntry.objects.count()
        answer = world.clients[state].post(
            f"/api/exchange/shared/{world.resources[share].slug}/{endpoint}",
            body,
            "application/json",
        )
        assert answer.status_code == 400, (case, answer.json())
        assert answer.json()["code"] == "no_fields", case
        assert "records" not in answer.json() and "values" not in answer.json(), case
        assert LedgerEntry.objects.count() == entries + 1, case
        log = AccessLog.objects.order_by("-ledger_seq").first()
        assert log is not None
        assert log.result == "no_fields", case
        assert not log.subjects.exists(), case

"""Service items: the lifecycle table, validation, one ledger entry per action, and the API."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.eservices import actions
from zhengtong.eservices.actions import MaterialInput, SpecialProcedureInput, StepInput
from zhengtong.eservices.models import ItemTransition, ServiceItem
from zhengtong.eservices.states import ALLOWED_TRANSITIONS, ItemState, check_transition
from zhengtong.eservices.tests.test_items_cast import ItemsCast, cast, item_input
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import Role
from zhengtong.ledger.models import LedgerEntry

__all__ = ["cast"]


def test_the_table_allows_only_its_steps() -> None:
    for current in ItemState:
        for target in ItemState:
            if (current, target) in ALLOWED_TRANSITIONS:
                assert check_transition(current, target) == ALLOWED_TRANSITIONS[(current, target)]
            else:
                with pytest.raises(Conflict) as caught:
                    check_transition(current, target)
                assert caught.value.code == "invalid_transition"


def test_each_action_writes_one_ledger_entry_and_the_history(cast: ItemsCast) -> None:
    actor = actor_of(cast.manager)
    before = LedgerEntry.objects.count()
    item = actions.do_create_service_item(cast.market, item_input(), actor=actor)
    assert item.state == ItemState.DRAFT
    assert LedgerEntry.objects.count() == before + 1
    last = LedgerEntry.objects.order_by("-seq").first()
    assert last is not None and last.action == "eservices.create_service_item"
    steps: list[tuple[Callable[[ServiceItem], ServiceItem], str]] = [
        (
            lambda i: actions.do_update_service_item(
                i, item_input(name="食品经营许可"), actor=actor
            ),
            "eservices.update_service_item",
        ),
        (
            lambda i: actions.do_publish_service_item(i, actor=actor),
            "eservices.publish_service_item",
        ),
        (
            lambda i: actions.do_suspend_service_item(i, "系统升级", actor=actor),
            "eservices.suspend_service_item",
        ),
        (
            lambda i: actions.do_publish_service_item(i, actor=actor),
            "eservices.publish_service_item",
        ),
    ]
    for n, (step, name) in enumerate(steps, start=1):
        item = step(item)
        assert LedgerEntry.objects.count() == before + 1 + n
        entry = LedgerEntry.objects.order_by("-seq").first()
        assert entry is not None and entry.action == name
        assert entry.subject_type == "eservices.ServiceItem"
    assert item.state == ItemState.PUBLISHED and item.published_at is not None
    assert item.name == "食品经营许可"
    history = ItemTransition.objects.filter(item=item).order_by("pk")
    assert [(t.to_state, t.reason) for t in history] == [
        ("draft", ""),
        ("published", ""),
        ("suspended", "系统升级"),
        ("published", ""),
    ]
    assert {t.actor_label for t in history} == {"李四"}


def test_the_item_keeps_its_guide(cast: ItemsCast) -> None:
    item = actions.do_create_service_item(
        cast.market,
        item_input(co_department_codes=["cs-environment"]),
        actor=TEST_ACTOR,
    )
    materials = list(item.materials.order_by("position"))
    assert materials[1].source == "licence" and materials[1].licence_type == "business_licence"
    assert materials[2].source == "exchange" and materials[2].resource_code == "102000000/000001"
    assert materials[2].item_codes == ["uscc", "name", "legal_rep", "address"]
    assert [m.requirement for m in materials].count("deferrable") == 1
    assert [(p.name, p.counted_in_limit) for p in item.special_procedures.all()] == [
        ("现场核查", True),
        ("听证", False),
    ]
    assert item.is_free and item.is_parallel
    assert item.form_schema["type"] == "object"
    assert item.process_id == "food_business_licence"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "01-0099-900"}, "code"),
        ({"code": "070099900100"}, "code"),  # 07 is 行政确认, the item is 行政许可
        ({"item_type": "punishment"}, "item_type"),
        ({"setting_basis": "食品安全法"}, "setting_basis"),
        ({"handling_kind": "immediate"}, "committed_limit_days"),
        ({"committed_limit_days": 12}, "committed_limit_days"),
        ({"online_depth": "level2"}, "online_depth"),  # zero visits needs full online service
        ({"form_schema": ["not", "an", "object"]}, "form_schema"),
        ({"process_id": "Food Licence"}, "process_id"),
        ({"target": "everyone"}, "target"),
        ({"co_department_codes": ["nowhere"]}, "co_department_codes"),
        ({"materials": [MaterialInput("营业执照", source="exchange")]}, "materials.0"),
        ({"materials": [MaterialInput("营业执照", source="licence")]}, "materials.0"),
        ({"materials": [MaterialInput("申请书"), MaterialInput("申请书")]}, "materials.1"),
        (
            {"materials": [MaterialInput("申请书", licence_type="business_licence")]},
            "materials.0",
        ),
        ({"special_procedures": [SpecialProcedureInput("听证", 0)]}, "special_procedures.0"),
        # A mistyped number far beyond any real guide.
        ({"statutory_limit_days": 100_000}, "statutory_limit_days"),
        ({"onsite_visits": 1_000, "online_depth": "level2"}, "onsite_visits"),
        ({"materials": [MaterialInput("申请书", copies=10_000)]}, "materials.0"),
        ({"special_procedures": [SpecialProcedureInput("听证", 100_000)]}, "special_procedures.0"),
        ({"steps": [StepInput("受理", days=-1)]}, "steps.0"),
        ({"steps": [StepInput("受理", days=100_000)]}, "steps.0"),
    ],
)
def test_it_refuses_an_incomplete_or_inconsistent_item(
    cast: ItemsCast, changes: dict[str, Any], field: str
) -> None:
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput) as caught:
        actions.do_create_service_item(cast.market, item_input(**changes), actor=TEST_ACTOR)
    assert caught.value.code == "invalid_item"
    assert field in caught.value.detail["fields"]
    assert LedgerEntry.objects.count() == before
    assert not ServiceItem.objects.exists()


def test_it_refuses_a_taken_code_and_a_suspension_without_reason(cast: ItemsCast) -> None:
    item = actions.do_create_service_item(cast.market, item_input(), actor=TEST_ACTOR)
    with pytest.raises(Conflict) as taken:
        actions.do_create_service_item(cast.hrss, item_input(), actor=TEST_ACTOR)
    assert taken.value.code == "code_taken"
    with pytest.raises(Conflict) as early:
        actions.do_suspend_service_item(item, "维护", actor=TEST_ACTOR)
    assert early.value.code == "invalid_transition"
    item = actions.do_publish_service_item(item, actor=TEST_ACTOR)
    with pytest.raises(InvalidInput) as reason:
        actions.do_suspend_service_item(item, " ", actor=TEST_ACTOR)
    assert reason.value.code == "reason_required"
    with pytest.raises(Conflict):
        actions.do_publish_service_item(item, actor=TEST_ACTOR)


def test_the_administrator_role_manages_items(db: None) -> None:
    assert "eservices.manage_items" in Role.objects.get(code="administrator").permissions
    assert "eservices.manage_items" not in Role.objects.get(code="clerk").permissions


def _payload(**changes: Any) -> dict[str, Any]:
    data = item_input()
    payload: dict[str, Any] = {
        "department_code": "cs-market",
        "code": data.code,
        "name": data.name,
        "item_type": data.item_type,
        "setting_basis": data.setting_basis,
        "implementing_basis": data.implementing_basis,
        "target": data.target,
        "handling_kind": data.handling_kind,
        "statutory_limit_days": data.statutory_limit_days,
        "committed_limit_days": data.committed_limit_days,
        "onsite_visits": data.onsite_visits,
        "online_depth": data.online_depth,
        "acceptance_conditions": data.acceptance_conditions,
        "place": data.place,
        "hours": data.hours,
        "enquiry_phone": data.enquiry_phone,
        "complaint_phone": data.complaint_phone,
        "phrasings": list(data.phrasings),
        "materials": [
            {"name": "食品经营许可申请书"},
            {
                "name": "主体登记信息",
                "source": "exchange",
                "resource_code": "102000000/000001",
                "item_codes": ["uscc", "name"],
            },
            {"name": "营业执照", "source": "licence", "licence_type": "business_licence"},
        ],
        "steps": [{"name": "受理", "days": 1}],
        "faqs": [{"question": "要钱吗？", "answer": "不收费。"}],
        "form_schema": {"type": "object", "properties": {"area": {"type": "number"}}},
        "process_id": "food_business_licence",
    }
    payload.update(changes)
    return payload


def test_api_staff_write_with_the_permission_and_the_public_reads(cast: ItemsCast) -> None:
    manager, clerk, citizen, anonymous = Client(), Client(), Client(), Client()
    manager.force_login(cast.manager)
    clerk.force_login(cast.clerk)
    citizen.force_login(cast.citizen)
    assert anonymous.post("/api/services/items", _payload(), "application/json").status_code == 401
    for other in (clerk, citizen):
        refused = other.post("/api/services/items", _payload(), "application/json")
        assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    before = LedgerEntry.objects.count()
    made = manager.post("/api/services/items", _payload(), "application/json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["state"] == "draft" and body["department_name"] == "长沙市市场监督管理局"
    assert [m["source"] for m in body["materials"]] == ["upload", "exchange", "licence"]
    code = body["code"]
    # A draft is not public, and a clerk without the permission cannot see it either.
    assert anonymous.get(f"/api/services/items/{code}").status_code == 404
    assert clerk.get(f"/api/services/items/{code}").status_code == 404
    assert anonymous.get("/api/services/items", {"q": "开饭店"}).json() == []
    assert manager.get(f"/api/services/items/{code}").status_code == 200
    changed = manager.put(
        f"/api/services/items/{code}", _payload(name="食品经营许可（餐饮服务）"), "application/json"
    )
    assert changed.status_code == 200 and changed.json()["name"] == "食品经营许可（餐饮服务）"
    assert citizen.post(f"/api/services/items/{code}/publish").status_code == 404
    published = manager.post(f"/api/services/items/{code}/publish")
    assert published.json()["state"] == "published"
    assert (
        clerk.post(
            f"/api/services/items/{code}/suspend", {"reason": "x"}, "application/json"
        ).json()["code"]
        == "permission_denied"
    )
    assert LedgerEntry.objects.count() == before + 3
    hits = anonymous.get("/api/services/items", {"q": "开饭店"}).json()
    assert [h["code"] for h in hits] == [code] and hits[0]["score"] > 0
    detail = anonymous.get(f"/api/services/items/{code}").json()
    assert detail["form_schema"]["properties"]["area"]["type"] == "number"
    assert detail["faqs"] == [{"question": "要钱吗？", "answer": "不收费。"}]
    suspended = manager.post(
        f"/api/services/items/{code}/suspend", {"reason": "系统升级"}, "application/json"
    )
    assert suspended.json()["state"] == "suspended"
    assert anonymous.get("/api/services/items").json() == []
    again = manager.post(f"/api/services/items/{code}/suspend", {"reason": "x"}, "application/json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


def test_api_answers_validation_problems_field_by_field(cast: ItemsCast) -> None:
    manager = Client()
    manager.force_login(cast.manager)
    refused = manager.post(
        "/api/services/items",
        _payload(
            code="0100999001", form_schema="text", materials=[{"name": "x", "source": "exchange"}]
        ),
        "application/json",
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "invalid_item"
    assert {"code", "form_schema", "materials.0"} <= set(body["detail"]["fields"])
    taken = manager.post("/api/services/items", _payload(), "application/json")
    assert taken.status_code == 201
    again = manager.post("/api/services/items", _payload(), "application/json")
    assert again.status_code == 409 and again.json()["code"] == "code_taken"


def test_api_refuses_a_time_limit_beyond_its_documented_maximum(cast: ItemsCast) -> None:
    manager = Client()
    manager.force_login(cast.manager)
    schemas = manager.get("/api/openapi.json").json()["components"]["schemas"]
    most = schemas["ServiceItemIn"]["properties"]["statutory_limit_days"]["maximum"]
    refused = manager.post(
        "/api/services/items", _payload(statutory_limit_days=most + 1), "application/json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_item"
    assert set(refused.json()["detail"]["fields"]) == {"statutory_limit_days"}
    taken = manager.post(
        "/api/services/items", _payload(statutory_limit_days=most), "application/json"
    )
    assert taken.status_code == 201, taken.json()


def test_api_takes_only_json_true_or_false_for_a_boolean(cast: ItemsCast) -> None:
    manager = Client()
    manager.force_login(cast.manager)
    for counted in ("yes", "true", "1", 1):
        procedure = {"name": "现场核查", "max_days": 5, "counted_in_limit": counted}
        refused = manager.post(
            "/api/services/items", _payload(special_procedures=[procedure]), "application/json"
        )
        assert refused.status_code == 422, (counted, refused.content.decode())
        assert refused.json()["code"] == "invalid_input"
        assert refused.json()["detail"]["errors"][0]["loc"][-1] == "counted_in_limit"
    assert not ServiceItem.objects.exists()
    procedure = {"name": "现场核查", "max_days": 5, "counted_in_limit": True}
    made = manager.post(
        "/api/services/items", _payload(special_procedures=[procedure]), "application/json"
    )
    assert made.status_code == 201, made.json()
    assert made.json()["special_procedures"][0]["counted_in_limit"] is True


def test_api_refuses_codes_with_a_line_break_after_them(cast: ItemsCast) -> None:
    # A pattern's "$" also matches before a final line break: such a code
    # would be stored with it and never found by the code people type.
    manager = Client()
    manager.force_login(cast.manager)
    good = _payload()
    refused = manager.post(
        "/api/services/items",
        _payload(code=good["code"] + "\n", process_id=good["process_id"] + "\n"),
        "application/json",
    )
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_item"
    assert {"code", "process_id"} <= set(refused.json()["detail"]["fields"])
    assert not ServiceItem.objects.exists()

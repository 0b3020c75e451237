"""A 并联审批 lane is worked by its own department, or the item takes no applications.

Each ``<dept>.<role>`` lane of a process belongs to the item's co-department
(or implementing department) whose code is ``<dept>`` or ends in ``-<dept>``.
A lane that no department of the item fits is refused where the item is
configured, published, applied for and worked: it is never handed to the
implementing department, which has no power in another department's remit.
"""

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR, make_department
from zhengtong.eservices.actions import do_update_service_item
from zhengtong.eservices.demo import RESTAURANT, load_demo_service_items
from zhengtong.eservices.models import Application, ServiceItem, WorkTask
from zhengtong.eservices.process import definitions
from zhengtong.eservices.tests.test_applications_cast import logged_in
from zhengtong.eservices.tests.test_items_cast import ItemsCast
from zhengtong.eservices.tests.test_items_cast import cast as items_cast
from zhengtong.eservices.tests.test_licence_mapping import (
    RESTAURANT_FORM,
    MappingCast,
    provide,
    tasks_of,
)
from zhengtong.eservices.tests.test_licence_mapping import cast as mapping_cast

__all__ = ["items_cast", "mapping_cast"]

ITEMS = "/api/services/items"
URL = "/api/services/applications"


def _restaurant_payload(**changes: Any) -> dict[str, Any]:
    data = RESTAURANT
    payload: dict[str, Any] = {
        "department_code": "cs-market",
        "code": "200090100199",
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
        "process_id": "restaurant_opening",
        "form_schema": data.form_schema,
        "co_department_codes": ["cs-environment"],
    }
    payload.update(changes)
    return payload


@pytest.fixture
def renamed_fire_lane(tmp_path: Path) -> Path:
    """A new version of the restaurant process whose fire lane is now ``safety.reviewer``."""
    for path in definitions.PROCESS_DIRECTORY.glob("restaurant_opening*"):
        shutil.copy(path, tmp_path / path.name)
    bpmn = tmp_path / "restaurant_opening.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    assert 'name="fire.reviewer"' in text
    bpmn.write_text(text.replace('name="fire.reviewer"', 'name="safety.reviewer"'), "utf-8")
    return tmp_path


def _use(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    monkeypatch.setattr(definitions, "PROCESS_DIRECTORY", directory)


def test_it_refuses_an_item_whose_parallel_lane_has_no_department(
    items_cast: ItemsCast, renamed_fire_lane: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The city has no fire brigade registered: the fire-safety lane would have nobody."""
    manager = Client()
    manager.force_login(items_cast.manager)
    refused = manager.post(ITEMS, _restaurant_payload(), "application/json")
    assert refused.status_code == 400, refused.content.decode()
    body = refused.json()
    assert body["code"] == "invalid_item"
    reason = body["detail"]["fields"]["co_department_codes"]
    assert "fire.reviewer" in reason
    assert "environment.reviewer" not in reason
    assert not ServiceItem.objects.filter(code="200090100199").exists()

    # Once the brigade is registered and named, the item is accepted; the
    # market lane is the implementing department's own (cs-market).
    make_department("长沙市消防救援支队", code="cs-fire", region=items_cast.market.region)
    made = manager.post(
        ITEMS,
        _restaurant_payload(co_department_codes=["cs-environment", "cs-fire"]),
        "application/json",
    )
    assert made.status_code == 201, made.content.decode()

    # Taking the brigade off again is refused the same way.
    changed = manager.put(f"{ITEMS}/200090100199", _restaurant_payload(), "application/json")
    assert changed.status_code == 400
    assert "fire.reviewer" in changed.json()["detail"]["fields"]["co_department_codes"]
    item = ServiceItem.objects.get(code="200090100199")
    assert {d.code for d in item.co_departments.all()} == {"cs-environment", "cs-fire"}

    # A new version of the process file with a lane nobody works: not published.
    _use(monkeypatch, renamed_fire_lane)
    unpublished = manager.post(f"{ITEMS}/200090100199/publish")
    assert unpublished.status_code == 400, unpublished.content.decode()
    assert unpublished.json()["code"] == "invalid_item"
    reason = unpublished.json()["detail"]["fields"]["co_department_codes"]
    assert "safety.reviewer" in reason
    assert ServiceItem.objects.get(code="200090100199").state == "draft"


def _draft(http: Client, item: ServiceItem) -> str:
    made = http.post(
        f"{URL}/",
        {"item_code": item.code, "form_data": RESTAURANT_FORM},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content.decode()
    number: str = made.json()["number"]
    provide(http, item, number)
    return number


def test_it_refuses_to_submit_when_a_lane_of_the_process_has_no_department(
    mapping_cast: MappingCast, renamed_fire_lane: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    citizen = logged_in(mapping_cast.base.citizen)
    number = _draft(citizen, mapping_cast.restaurant)
    _use(monkeypatch, renamed_fire_lane)
    refused = citizen.post(f"{URL}/{number}/submit")
    assert refused.status_code == 409, refused.content.decode()
    body = refused.json()
    assert body["code"] == "lane_department_missing"
    assert body["detail"]["lanes"] == ["safety.reviewer"]
    assert Application.objects.get(number=number).state == "draft"
    # No new drafts either: one could never be submitted. (The citizen's own
    # request would reopen the open draft, as the apply page does; another
    # applicant's would start one.)
    again = logged_in(mapping_cast.base.applicant).post(
        f"{URL}/",
        {"item_code": mapping_cast.restaurant.code, "form_data": RESTAURANT_FORM},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again.json()["code"] == "lane_department_missing"


def test_a_lane_without_department_stops_the_step_instead_of_going_to_the_wrong_one(
    mapping_cast: MappingCast, renamed_fire_lane: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    citizen = logged_in(mapping_cast.base.citizen)
    number = _draft(citizen, mapping_cast.restaurant)
    submitted = citizen.post(f"{URL}/{number}/submit")
    assert submitted.status_code == 200, submitted.content.decode()
    # The process file changes while the application waits for acceptance:
    # the fire lane becomes a safety lane, and the item is changed to match,
    # the fire brigade no longer among its departments. The application stays
    # on the version it started on, whose fire lane now has no department.
    _use(monkeypatch, renamed_fire_lane)
    safety = make_department(
        "长沙市安全生产监督管理局", code="cs-safety", region=mapping_cast.base.market.region
    )
    do_update_service_item(
        mapping_cast.restaurant,
        replace(RESTAURANT, co_department_codes=["cs-environment", "cs-safety"]),
        actor=TEST_ACTOR,
    )
    clerk = logged_in(mapping_cast.base.clerk)
    (task,) = tasks_of(clerk, number)
    page = clerk.post(
        f"/services/work/{task['id']}/",
        {"action": "decision", "decision-passed": "1", "decision-opinion": "受理"},
    )
    assert page.status_code in (400, 409)
    assert "没有承办部门" in page.content.decode()
    refused = clerk.post(
        f"{URL}/tasks/{task['id']}/complete",
        {"passed": True, "opinion": "受理"},
        content_type="application/json",
    )
    assert refused.status_code == 409, refused.content.decode()
    assert refused.json()["code"] == "lane_department_missing"
    assert refused.json()["detail"]["lanes"] == ["fire.reviewer"]
    application = Application.objects.get(number=number)
    assert application.state == "submitted"
    # Nothing went to the market bureau, nor to the new lane's department, in
    # the fire brigade's place.
    assert not WorkTask.objects.filter(application=application, role="fire.reviewer").exists()
    assert not WorkTask.objects.filter(application=application, role="safety.reviewer").exists()

    # Once the item names the brigade again, the step goes through.
    do_update_service_item(
        mapping_cast.restaurant,
        replace(RESTAURANT, co_department_codes=["cs-environment", "cs-fire", "cs-safety"]),
        actor=TEST_ACTOR,
    )
    done = clerk.post(
        f"{URL}/tasks/{task['id']}/complete",
        {"passed": True, "opinion": "受理"},
        content_type="application/json",
    )
    assert done.status_code == 200, done.content.decode()
    opened = WorkTask.objects.get(application=application, role="fire.reviewer")
    assert opened.department.code == "cs-fire"
    assert not WorkTask.objects.filter(application=application, department=safety).exists()


def test_the_demo_leaves_out_a_parallel_item_whose_co_department_is_missing(
    items_cast: ItemsCast,
) -> None:
    """Here the city has an environment bureau but no fire brigade."""
    load_demo_service_items(actor=TEST_ACTOR)
    assert not ServiceItem.objects.filter(code=RESTAURANT.code).exists()
    # The others are there, published.
    assert ServiceItem.objects.filter(department=items_cast.market, state="published").exists()

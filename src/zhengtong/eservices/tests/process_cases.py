"""Application data for the demo processes: one case per path."""

import json
from typing import Any

from zhengtong.eservices.process import Instance, UserTask

PROCESS_IDS = [
    "food_business_licence",
    "individual_business_registration",
    "public_place_hygiene_licence",
    "restaurant_opening",
    "rural_urban_pension_enrolment",
]

#: Data that the 秒批 table refuses, so that staff must handle the case.
MANUAL: dict[str, dict[str, Any]] = {
    "food_business_licence": {
        "business_type": "餐饮服务",
        "area": 120,
        "credit_flag": False,
        "manual_review": False,
    },
    "individual_business_registration": {
        "scope_requires_licence": True,
        "name_verified": True,
        "credit_flag": False,
        "manual_review": False,
    },
    "public_place_hygiene_licence": {
        "place_type": "宾馆",
        "area": 800,
        "credit_flag": False,
        "manual_review": False,
    },
    "restaurant_opening": {
        "area": 200,
        "kitchen_fuel": "燃气",
        "credit_flag": False,
        "manual_review": False,
    },
    "rural_urban_pension_enrolment": {
        "age": 62,
        "hukou_local": True,
        "enrolled_elsewhere": False,
        "manual_review": False,
    },
}

#: Data that the 秒批 table approves with no human step.
AUTOMATIC: dict[str, dict[str, Any]] = {
    "food_business_licence": {
        "business_type": "食品销售",
        "area": 40,
        "credit_flag": False,
        "manual_review": False,
    },
    "individual_business_registration": {
        "scope_requires_licence": False,
        "name_verified": True,
        "credit_flag": False,
        "manual_review": False,
    },
    "public_place_hygiene_licence": {
        "place_type": "理发店",
        "area": 80,
        "credit_flag": False,
        "manual_review": False,
    },
    "restaurant_opening": {
        "area": 45,
        "kitchen_fuel": "电",
        "credit_flag": False,
        "manual_review": False,
    },
    "rural_urban_pension_enrolment": {
        "age": 30,
        "hukou_local": True,
        "enrolled_elsewhere": False,
        "manual_review": False,
    },
}


def round_trip(instance: Instance) -> Instance:
    """Persist the instance as JSON text and load it back, as a request would."""
    return Instance.restore(instance.process_id, json.loads(json.dumps(instance.serialize())))


def answers(task: UserTask, value: bool = True) -> dict[str, Any]:
    return dict.fromkeys(task.requires, value)


def run_to_end(
    instance: Instance, *, persist: bool, refuse_at: str | None = None
) -> tuple[Instance, list[tuple[str, str]]]:
    """Complete every ready user task in turn; return the end state and (step, role) seen."""
    seen: list[tuple[str, str]] = []
    while not instance.is_completed:
        if persist:
            instance = round_trip(instance)
        task = instance.ready_user_tasks()[0]
        seen.append((task.step.value, task.role))
        instance.complete(task.id, answers(task, value=task.bpmn_id != refuse_at))
    if persist:
        instance = round_trip(instance)
    return instance, seen

"""Running the demo processes: manual, rejected, 秒批, parallel, persisted, withdrawn."""

import itertools
import json
from typing import Any

import pytest

from zhengtong.eservices import process
from zhengtong.eservices.process import Instance, Outcome, ProcessError, StepKind
from zhengtong.eservices.tests.process_cases import (
    AUTOMATIC,
    MANUAL,
    PROCESS_IDS,
    answers,
    round_trip,
    run_to_end,
)


@pytest.mark.parametrize("process_id", PROCESS_IDS)
def test_the_manual_path_goes_through_every_step_to_approval(process_id: str) -> None:
    instance = process.start(process_id, MANUAL[process_id])
    assert instance.data["auto_approve"] is False

    finished, seen = run_to_end(instance, persist=False)

    assert finished.is_completed
    assert finished.outcome == Outcome.APPROVED
    steps = [step for step, _ in seen]
    assert steps[0] == StepKind.ACCEPT
    assert StepKind.REVIEW in steps
    assert StepKind.DECIDE in steps
    assert steps.index(StepKind.DECIDE) > max(
        i for i, step in enumerate(steps) if step == StepKind.REVIEW
    )
    assert finished.data["delivered"] is True
    assert finished.ready_user_tasks() == []


def test_the_four_steps_are_assigned_to_the_department_roles() -> None:
    instance = process.start("public_place_hygiene_licence", MANUAL["public_place_hygiene_licence"])
    _, seen = run_to_end(instance, persist=True)
    assert seen == [
        ("accept", "acceptor"),
        ("review", "reviewer"),
        ("decide", "decider"),
        ("deliver", "acceptor"),
    ]


@pytest.mark.parametrize("process_id", PROCESS_IDS)
def test_a_refusing_decision_ends_rejected_without_delivery(process_id: str) -> None:
    instance = process.start(process_id, MANUAL[process_id])
    finished, seen = run_to_end(instance, persist=True, refuse_at="decide")
    assert finished.outcome == Outcome.REJECTED
    assert "delivered" not in finished.data
    assert seen[-1][0] == StepKind.DECIDE


def test_an_application_not_accepted_never_reaches_review() -> None:
    instance = process.start("food_business_licence", MANUAL["food_business_licence"])
    finished, seen = run_to_end(instance, persist=True, refuse_at="accept")
    assert seen == [("accept", "acceptor")]
    assert finished.outcome == Outcome.REJECTED


@pytest.mark.parametrize("process_id", PROCESS_IDS)
def test_a_simple_case_is_approved_by_the_decision_table_with_no_user_task(
    process_id: str,
) -> None:
    instance = process.start(process_id, AUTOMATIC[process_id])
    assert instance.data["auto_approve"] is True
    assert instance.ready_user_tasks() == []
    assert instance.is_completed
    assert instance.outcome == Outcome.APPROVED
    assert round_trip(instance).outcome == Outcome.APPROVED


@pytest.mark.parametrize("process_id", PROCESS_IDS)
def test_a_platform_hold_sends_an_otherwise_simple_case_to_staff(process_id: str) -> None:
    instance = process.start(process_id, dict(AUTOMATIC[process_id], manual_review=True))
    assert not instance.is_completed
    assert [t.bpmn_id for t in instance.ready_user_tasks()] == ["accept"]


def test_a_credit_flag_sends_an_otherwise_simple_case_to_staff() -> None:
    data = dict(AUTOMATIC["food_business_licence"], credit_flag=True)
    instance = process.start("food_business_licence", data)
    assert not instance.is_completed
    assert [task.step for task in instance.ready_user_tasks()] == [StepKind.ACCEPT]


def test_check_tables_put_their_results_into_the_process_data() -> None:
    food = process.start("food_business_licence", MANUAL["food_business_licence"])
    assert food.data["risk_level"] == "medium"
    large = dict(MANUAL["food_business_licence"], area=800)
    assert process.start("food_business_licence", large).data["risk_level"] == "high"

    pension = process.start(
        "rural_urban_pension_enrolment",
        {"age": 15, "hukou_local": True, "enrolled_elsewhere": False, "manual_review": False},
    )
    assert pension.data["eligible"] is False
    assert pension.data["ineligible_reason"] == "未满16周岁"
    assert not pension.is_completed


def test_the_parallel_item_opens_three_department_tasks_and_joins_them() -> None:
    instance = process.start("restaurant_opening", MANUAL["restaurant_opening"])
    (accept,) = instance.ready_user_tasks()
    instance.complete(accept.id, {"accepted": True})
    instance = round_trip(instance)

    reviews = instance.ready_user_tasks()
    assert sorted(task.role for task in reviews) == [
        "environment.reviewer",
        "fire.reviewer",
        "market.reviewer",
    ]
    assert {task.step for task in reviews} == {StepKind.REVIEW}

    # The decision waits until every branch has finished, in any order.
    for done, task in enumerate(reversed(reviews), start=1):
        instance = round_trip(instance)
        remaining = instance.complete(task.id, answers(task))
        if done < len(reviews):
            assert len(remaining) == len(reviews) - done
            assert all(t.step == StepKind.REVIEW for t in remaining)
    (decide,) = instance.ready_user_tasks()
    assert (decide.step, decide.role) == (StepKind.DECIDE, "decider")
    assert instance.data["all_passed"] is True

    instance.complete(decide.id, {"approved": True})
    assert instance.outcome == Outcome.APPROVED


def _reordered(value: Any, *, reverse: bool) -> Any:
    # What PostgreSQL's jsonb does to a stored object: its keys come back sorted.
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: (len(key), key), reverse=reverse)
        return {key: _reordered(value[key], reverse=reverse) for key in keys}
    if isinstance(value, list):
        return [_reordered(item, reverse=reverse) for item in value]
    return value


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_the_join_keeps_every_branch_result_whatever_the_order_and_key_order(
    order: tuple[int, ...], reverse: bool
) -> None:
    def stored(instance: Instance) -> Instance:
        state = _reordered(json.loads(json.dumps(instance.serialize())), reverse=reverse)
        return Instance.restore("restaurant_opening", state)

    instance = process.start("restaurant_opening", MANUAL["restaurant_opening"])
    instance.complete(instance.ready_user_tasks()[0].id, {"accepted": True})
    instance = stored(instance)
    reviews = sorted(instance.ready_user_tasks(), key=lambda task: task.bpmn_id)
    for index in order:
        instance = stored(instance)
        instance.complete(reviews[index].id, answers(reviews[index]))
    instance = stored(instance)
    (decide,) = instance.ready_user_tasks()
    assert decide.step == StepKind.DECIDE
    data = instance.data
    assert (data["market_passed"], data["environment_passed"], data["fire_passed"]) == (
        True,
        True,
        True,
    )
    assert data["all_passed"] is True


def test_one_failing_branch_makes_the_joint_check_negative() -> None:
    instance = process.start("restaurant_opening", MANUAL["restaurant_opening"])
    instance.complete(instance.ready_user_tasks()[0].id, {"accepted": True})
    for task in instance.ready_user_tasks():
        instance.complete(task.id, dict.fromkeys(task.requires, task.bpmn_id != "review_fire"))
    assert instance.data["fire_passed"] is False
    assert instance.data["all_passed"] is False


@pytest.mark.parametrize("process_id", PROCESS_IDS)
def test_persisting_between_every_step_changes_nothing(process_id: str) -> None:
    kept, kept_seen = run_to_end(process.start(process_id, MANUAL[process_id]), persist=False)
    stored, stored_seen = run_to_end(process.start(process_id, MANUAL[process_id]), persist=True)
    assert stored_seen == kept_seen
    assert stored.outcome == kept.outcome
    assert stored.data == kept.data


def test_the_state_is_plain_json_without_the_process_spec() -> None:
    instance = process.start("food_business_licence", MANUAL["food_business_licence"])
    state = instance.serialize()
    assert json.loads(json.dumps(state)) == state
    assert state["process_id"] == "food_business_licence"
    assert "spec" not in json.loads(state["workflow"])


def test_restore_refuses_a_state_from_another_process() -> None:
    state = process.start("food_business_licence", MANUAL["food_business_licence"]).serialize()
    with pytest.raises(ProcessError) as caught:
        Instance.restore("individual_business_registration", state)
    assert caught.value.code == "state_incompatible"


def test_restore_refuses_a_state_whose_elements_are_gone() -> None:
    state = process.start("food_business_licence", MANUAL["food_business_licence"]).serialize()
    workflow = json.loads(state["workflow"])
    next(iter(workflow["tasks"].values()))["task_spec"] = "removed_element"
    state["workflow"] = json.dumps(workflow)
    with pytest.raises(ProcessError) as caught:
        Instance.restore("food_business_licence", state)
    assert caught.value.code == "state_incompatible"
    assert caught.value.detail["elements"] == ["removed_element"]


def test_an_applicant_can_withdraw_a_running_instance() -> None:
    instance = process.start("food_business_licence", MANUAL["food_business_licence"])
    instance.withdraw()
    restored = round_trip(instance)
    assert restored.is_completed
    assert restored.outcome == Outcome.WITHDRAWN
    assert restored.ready_user_tasks() == []
    with pytest.raises(ProcessError) as caught:
        restored.withdraw()
    assert caught.value.code == "already_finished"


def test_start_refuses_data_without_the_declared_inputs() -> None:
    with pytest.raises(ProcessError) as caught:
        process.start("food_business_licence", {"business_type": "食品销售"})
    assert caught.value.code == "missing_input"
    assert caught.value.detail["missing"] == ["area", "credit_flag", "manual_review"]


@pytest.mark.parametrize(
    "data",
    [
        {"__class__": 1},
        {"_hidden": 1},
        {"len": 3},
        {"x": object()},
        {"x": float("nan")},
        {"x": {1: "a"}},
    ],
)
def test_start_refuses_variables_that_are_not_plain_data(data: dict[str, object]) -> None:
    with pytest.raises(ProcessError) as caught:
        process.start("food_business_licence", dict(MANUAL["food_business_licence"], **data))
    assert caught.value.code == "invalid_data"


def test_complete_requires_the_declared_results_of_the_task() -> None:
    instance = process.start("food_business_licence", MANUAL["food_business_licence"])
    (accept,) = instance.ready_user_tasks()
    with pytest.raises(ProcessError) as caught:
        instance.complete(accept.id, {"opinion": "材料齐全"})
    assert caught.value.code == "missing_task_data"
    assert caught.value.detail["missing"] == ["accepted"]
    assert instance.ready_user_tasks() == [accept]


def test_complete_refuses_a_task_that_is_not_waiting() -> None:
    instance = process.start("food_business_licence", MANUAL["food_business_licence"])
    (accept,) = instance.ready_user_tasks()
    instance.complete(accept.id, {"accepted": True})
    for task_id in (accept.id, "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(ProcessError) as caught:
            instance.complete(task_id, {"accepted": True})
        assert caught.value.code == "task_not_ready"
        assert caught.value.status == 409


def test_complete_refuses_a_finished_instance() -> None:
    instance = process.start("food_business_licence", AUTOMATIC["food_business_licence"])
    with pytest.raises(ProcessError) as caught:
        instance.complete("00000000-0000-0000-0000-000000000000", {})
    assert caught.value.code == "already_finished"


def test_a_condition_that_cannot_be_evaluated_is_reported() -> None:
    data = dict(MANUAL["food_business_licence"], area="一百二十")
    with pytest.raises(ProcessError) as caught:
        process.start("food_business_licence", data)
    assert caught.value.code == "evaluation_failed"


def test_the_benchmark_runners_complete_their_instances() -> None:
    from zhengtong.eservices.process.benchmark import bare_run, wrapper_run

    data = MANUAL["restaurant_opening"]
    assert bare_run("restaurant_opening", data, 2) > 0
    assert wrapper_run("restaurant_opening", data, 2) > 0

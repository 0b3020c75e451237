"""The shipped process files load; malformed or unsafe files are refused at load."""

import shutil
from pathlib import Path

import pytest
from lxml import etree  # type: ignore[import-untyped]

from zhengtong.eservices.process import (
    PROCESS_DIRECTORY,
    ProcessError,
    StepKind,
    available_processes,
    load_process,
    parse_process,
)
from zhengtong.eservices.process.definitions import DOCTYPE_REFUSED
from zhengtong.eservices.tests.process_cases import PROCESS_IDS

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
FLOW_NODES = (
    "startEvent",
    "endEvent",
    "userTask",
    "scriptTask",
    "businessRuleTask",
    "exclusiveGateway",
    "parallelGateway",
)


def test_the_five_demo_processes_are_shipped() -> None:
    assert available_processes() == PROCESS_IDS


@pytest.mark.parametrize("process_id", PROCESS_IDS)
def test_each_process_file_loads_with_its_decision_tables(process_id: str) -> None:
    definition = load_process(process_id)
    assert definition.process_id == process_id
    assert "auto_approval" in definition.decisions
    assert {task.step for task in definition.user_tasks.values()} >= {
        StepKind.ACCEPT,
        StepKind.REVIEW,
        StepKind.DECIDE,
    }
    assert set(definition.end_outcomes.values()) == {"approved", "rejected"}
    assert load_process(process_id) is definition


@pytest.mark.parametrize("process_id", PROCESS_IDS)
def test_each_process_file_has_a_diagram_for_every_element(process_id: str) -> None:
    root = etree.parse(str(PROCESS_DIRECTORY / f"{process_id}.bpmn")).getroot()
    ns = {"bpmn": BPMN, "bpmndi": BPMNDI}
    shapes = set(root.xpath("//bpmndi:BPMNShape/@bpmnElement", namespaces=ns))
    edges = set(root.xpath("//bpmndi:BPMNEdge/@bpmnElement", namespaces=ns))
    nodes = {
        node.get("id")
        for tag in FLOW_NODES
        for node in root.xpath(f"//bpmn:process/bpmn:{tag}", namespaces=ns)
    }
    flows = set(root.xpath("//bpmn:sequenceFlow/@id", namespaces=ns))
    lanes = set(root.xpath("//bpmn:lane/@id", namespaces=ns))
    assert nodes and nodes | lanes <= shapes
    assert flows and flows <= edges


def test_the_parallel_item_has_a_lane_per_department() -> None:
    definition = load_process("restaurant_opening")
    reviews = {t.role for t in definition.user_tasks.values() if t.step == StepKind.REVIEW}
    assert reviews == {"market.reviewer", "environment.reviewer", "fire.reviewer"}


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for path in PROCESS_DIRECTORY.glob("food_business_licence*"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refusal(files: Path) -> ProcessError:
    with pytest.raises(ProcessError) as caught:
        parse_process("food_business_licence", files)
    return caught.value


def test_an_unchanged_copy_loads(files: Path) -> None:
    assert parse_process("food_business_licence", files).roles == (
        "acceptor",
        "reviewer",
        "decider",
    )


@pytest.mark.parametrize("process_id", ["no_such_process", "../processes/food", "Food", ""])
def test_it_refuses_unknown_process_ids(process_id: str) -> None:
    with pytest.raises(ProcessError) as caught:
        load_process(process_id)
    assert caught.value.code == "process_not_found"


def test_it_refuses_a_lane_that_is_not_a_role(files: Path) -> None:
    edit(files / "food_business_licence.bpmn", 'name="reviewer"', 'name="审查人员"')
    error = refusal(files)
    assert error.code == "unknown_lane"
    assert error.detail["name"] == "审查人员"


def test_it_refuses_a_user_task_in_the_system_lane(files: Path) -> None:
    path = files / "food_business_licence.bpmn"
    edit(path, "<bpmn:flowNodeRef>review</bpmn:flowNodeRef>", "")
    edit(
        path,
        "<bpmn:flowNodeRef>start</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef>",
    )
    error = refusal(files)
    assert (error.code, error.detail["task"]) == ("task_without_lane", "review")


def test_it_refuses_a_user_task_without_a_step_kind(files: Path) -> None:
    path = files / "food_business_licence.bpmn"
    text = path.read_text(encoding="utf-8").replace('"review"', '"examine"')
    text = text.replace(">review<", ">examine<")
    path.write_text(text, encoding="utf-8")
    error = refusal(files)
    assert (error.code, error.detail["task"]) == ("unknown_step", "examine")


def test_a_step_property_overrides_the_task_id(files: Path) -> None:
    path = files / "food_business_licence.bpmn"
    text = path.read_text(encoding="utf-8").replace('"review"', '"examine"')
    text = text.replace(">review<", ">examine<")
    text = text.replace(
        '<spiffworkflow:property name="requires" value="review_passed" />',
        '<spiffworkflow:property name="requires" value="review_passed" />'
        '<spiffworkflow:property name="step" value="review" />',
    )
    path.write_text(text, encoding="utf-8")
    assert parse_process("food_business_licence", files).user_tasks["examine"].step == "review"


def test_it_refuses_an_end_event_without_an_outcome(files: Path) -> None:
    edit(
        files / "food_business_licence.bpmn",
        '<spiffworkflow:property name="outcome" value="rejected" />',
        '<spiffworkflow:property name="outcome" value="maybe" />',
    )
    assert refusal(files).code == "unknown_outcome"


def test_it_refuses_a_missing_decision_table(files: Path) -> None:
    (files / "food_business_licence.risk_check.dmn").unlink()
    error = refusal(files)
    assert (error.code, error.detail["decision"]) == ("missing_decision", "risk_check")


def test_it_refuses_a_decision_table_named_differently_from_its_file(files: Path) -> None:
    edit(
        files / "food_business_licence.risk_check.dmn",
        'decision id="risk_check"',
        'decision id="risk"',
    )
    assert refusal(files).code == "invalid_dmn"


@pytest.mark.parametrize(
    "script",
    [
        "import os",
        "delivered = __import__('os').system('true')",
        "delivered = open('/etc/passwd')",
        "delivered = ().__class__",
        "delivered = [x for x in range(10)]",
    ],
)
def test_it_refuses_a_script_task_outside_the_sandbox(files: Path, script: str) -> None:
    edit(files / "food_business_licence.bpmn", "delivered = True", script)
    error = refusal(files)
    assert error.code in ("unsafe_expression", "invalid_expression")
    assert error.detail["element"] == "deliver"


def test_it_refuses_an_unsafe_gateway_condition(files: Path) -> None:
    edit(
        files / "food_business_licence.bpmn",
        "approved == True",
        "__import__('os').system('true') or approved",
    )
    error = refusal(files)
    assert (error.code, error.detail["element"]) == ("unsafe_expression", "Flow_approved")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<text>&lt;= 50</text>", "<text>&lt;= __import__('os').getpid()</text>"),
        ("<text>True</text>", "<text>().__class__</text>"),
        ("<text>area</text>", "<text>area.real</text>"),
        ("<text>&lt;= 50</text>", "<text>? in [x for x in range(9)]</text>"),
    ],
)
def test_it_refuses_unsafe_decision_table_cells(files: Path, old: str, new: str) -> None:
    edit(files / "food_business_licence.auto_approval.dmn", old, new)
    assert refusal(files).code == "unsafe_expression"


def test_it_refuses_elements_it_cannot_run(files: Path) -> None:
    path = files / "food_business_licence.bpmn"
    text = path.read_text(encoding="utf-8")
    text = text.replace('<bpmn:scriptTask id="deliver"', '<bpmn:serviceTask id="deliver"')
    text = text.replace("</bpmn:scriptTask>", "</bpmn:serviceTask>")
    path.write_text(text, encoding="utf-8")
    error = refusal(files)
    assert (error.code, error.detail["kind"]) == ("unsupported_element", "serviceTask")


def test_it_refuses_files_that_are_not_valid_bpmn(files: Path) -> None:
    edit(files / "food_business_licence.bpmn", "<bpmn:incoming>", "<bpmn:arriving>")
    assert refusal(files).code == "invalid_bpmn"


def test_it_refuses_document_type_declarations(files: Path) -> None:
    path = files / "food_business_licence.bpmn"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/hostname">]>',
    )
    text = text.replace("delivered = True", "delivered = True&secret;")
    path.write_text(text, encoding="utf-8")
    error = refusal(files)
    assert error.code == "invalid_bpmn"
    assert error.detail["reason"] == DOCTYPE_REFUSED

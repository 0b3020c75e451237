"""Throughput of the four-step manual path: bare SpiffWorkflow against this package.

Both runners drive the same BPMN/DMN files through the same user tasks with
the same data, and persist the state as JSON after every step (serialize,
``json.dumps``, ``json.loads``, restore), as an application request would.
``bench/eservices.py`` reports the two figures side by side.
"""

import json
import time
from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.parser import (  # type: ignore[import-untyped]
    VALIDATOR,
    SpiffBpmnParser,
)
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG  # type: ignore[import-untyped]
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

from .definitions import PROCESS_DIRECTORY, load_process
from .runtime import Instance, start

# What the action layer adds to the form: no platform hold (``manual_review``)
# unless the caller says otherwise, so both runners take the same path.
PLATFORM_INPUTS: dict[str, Any] = {"manual_review": False}


def approval_data(requires: tuple[str, ...]) -> dict[str, Any]:
    """The results a member of staff enters to move a task towards approval."""
    return dict.fromkeys(requires, True)


def bare_run(process_id: str, data: Mapping[str, Any], n: int) -> float:
    """Run ``n`` instances with stock SpiffWorkflow and its JSON serializer; return instances/s."""
    definition = load_process(process_id)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(PROCESS_DIRECTORY / f"{process_id}.bpmn"))
    parser.add_dmn_files(
        [str(path) for path in sorted(PROCESS_DIRECTORY.glob(f"{process_id}.*.dmn"))]
    )
    spec = parser.get_spec(process_id)
    subprocess_specs = parser.get_subprocess_specs(process_id)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    requires = {bpmn_id: task.requires for bpmn_id, task in definition.user_tasks.items()}

    began = time.perf_counter()
    for _ in range(n):
        workflow = BpmnWorkflow(spec, subprocess_specs)
        workflow.get_tasks(state=TaskState.READY)[0].data.update({**PLATFORM_INPUTS, **data})
        workflow.do_engine_steps()
        workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
        while not workflow.completed:
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(approval_data(requires[task.task_spec.bpmn_id]))
            task.run()
            workflow.do_engine_steps()
            workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
        if workflow.data.get("delivered") is not True:
            raise RuntimeError("the bare run did not reach delivery")
    return n / (time.perf_counter() - began)


def wrapper_run(process_id: str, data: Mapping[str, Any], n: int) -> float:
    """Run ``n`` instances through this package the same way; return instances/s."""
    load_process(process_id)
    began = time.perf_counter()
    for _ in range(n):
        instance = start(process_id, {**PLATFORM_INPUTS, **data})
        state = json.dumps(instance.serialize())
        while True:
            instance = Instance.restore(process_id, json.loads(state))
            if instance.is_completed:
                break
            task = instance.ready_user_tasks()[0]
            instance.complete(task.id, approval_data(task.requires))
            state = json.dumps(instance.serialize())
        if instance.outcome != "approved":
            raise RuntimeError("the wrapped run did not end approved")
    return n / (time.perf_counter() - began)

"""Running process instances: start, complete user tasks, persist and restore.

An ``Instance`` wraps one SpiffWorkflow ``BpmnWorkflow``. Its state is a
JSON-safe dict (``serialize``) that holds the task tree and data but not the
process spec: the spec comes from the cached definition on ``restore``, which
keeps the stored state small and restoring cheap. The state names the version
(``digest``) it started on, and ``restore`` rebuilds it on that version, so an
instance runs to its end on the rules it started with.

Errors leave the in-memory instance in an undefined state; callers run each
step inside their database transaction and restore from the stored state
after a failure.
"""

import json
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from SpiffWorkflow.bpmn import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.serializer.default.workflow import (  # type: ignore[import-untyped]
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import (  # type: ignore[import-untyped]
    VERSION as SERIALIZER_VERSION,
)
from SpiffWorkflow.exceptions import (  # type: ignore[import-untyped]
    SpiffWorkflowException,
    TaskNotFoundException,
)
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG  # type: ignore[import-untyped]
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

from .definitions import (
    Outcome,
    ProcessDefinition,
    ProcessFiles,
    StepKind,
    cached_version,
    load_process,
    load_version,
)
from .errors import ProcessError, SandboxViolation
from .sandbox import SAFE_FUNCTIONS, SCRIPT_ENGINE

# Format 2 keeps the workflow as one JSON text: PostgreSQL's jsonb reorders the
# keys of stored objects, and SpiffWorkflow rebuilds its task tree in the order
# of the serialized ``tasks`` object, so a jsonb round trip could lose the
# results of parallel branches at their join. Format 1 (the workflow as an
# object) is still read.
STATE_FORMAT = 2
MAX_DATA_DEPTH = 8
MAX_STRING_LENGTH = 100_000

#: Finds the stored files of a process version by process id and digest.
VersionLookup = Callable[[str, str], ProcessFiles | None]


@dataclass(frozen=True, slots=True)
class UserTask:
    """A user task waiting for a member of staff with ``role``."""

    id: str
    name: str
    bpmn_id: str
    role: str
    step: StepKind
    requires: tuple[str, ...]


class _StateConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Serialize the workflow without its spec, and restore it onto a given spec."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> Any:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], uuid.UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(uuid.UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> Any:
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = _StateConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_SERIALIZER = _make_serializer()


def _invalid_data(reason: str, key: str | None = None) -> ProcessError:
    detail: dict[str, Any] = {"reason": reason}
    if key is not None:
        detail["key"] = key
    return ProcessError(_("流程数据不合规。"), code="invalid_data", detail=detail)


def _check_value(value: Any, depth: int) -> None:
    if depth > MAX_DATA_DEPTH:
        raise _invalid_data("nested too deeply")
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid_data("number is not finite")
    elif isinstance(value, str):
        if len(value) > MAX_STRING_LENGTH:
            raise _invalid_data("text too long")
    elif isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise _invalid_data("keys must be text")
            _check_value(item, depth + 1)
    else:
        raise _invalid_data(f"{type(value).__name__} is not JSON data")


def check_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``data`` if it is fit to become process variables."""
    for key, value in data.items():
        if (
            not isinstance(key, str)
            or not key.isidentifier()
            or key.startswith("_")
            or key in SAFE_FUNCTIONS
        ):
            raise _invalid_data("variable names must be identifiers", str(key))
        _check_value(value, 1)
    return dict(data)


def _engine_failure(error: Exception) -> ProcessError:
    detail: dict[str, Any] = {"reason": str(error)}
    task = getattr(error, "task", None)
    if task is not None:
        detail["element"] = task.task_spec.bpmn_id
    return ProcessError(
        _("流程无法继续：判定条件计算失败。"), code="evaluation_failed", detail=detail
    )


class Instance:
    """One running (or finished) process instance."""

    def __init__(self, definition: ProcessDefinition, workflow: Any, *, withdrawn: bool = False):
        self.definition = definition
        self._workflow = workflow
        self._withdrawn = withdrawn

    @property
    def process_id(self) -> str:
        return self.definition.process_id

    # -- state ------------------------------------------------------------

    def serialize(self) -> dict[str, Any]:
        """Return the instance state as a JSON-safe dict."""
        return {
            "format": STATE_FORMAT,
            "process_id": self.process_id,
            "digest": self.definition.digest,
            "serializer_version": SERIALIZER_VERSION,
            "withdrawn": self._withdrawn,
            "workflow": json.dumps(
                _SERIALIZER.to_dict(self._workflow), ensure_ascii=False, separators=(",", ":")
            ),
        }

    @classmethod
    def restore(
        cls,
        process_id: str,
        state: Mapping[str, Any],
        *,
        versions: VersionLookup | None = None,
    ) -> "Instance":
        """Rebuild an instance from ``serialize()`` output, on the version it started on.

        ``versions`` finds the stored files of a version by process id and
        digest. A state whose version is neither today's files nor stored
        (saved before versions were stored, the files changed since) is
        restored onto today's files if every element it stands on is there.
        """
        workflow_state = _workflow_state(state)
        if (
            state.get("process_id") != process_id
            or state.get("serializer_version") != SERIALIZER_VERSION
            or workflow_state is None
        ):
            raise ProcessError(
                _("保存的流程状态与当前流程不匹配。"),
                code="state_incompatible",
                detail={"process": process_id},
            )
        definition = _definition_of(process_id, state.get("digest"), versions)
        task_specs = definition.spec.task_specs
        # A changed process file may have dropped elements that stored
        # instances still stand on; refuse instead of restoring a broken tree.
        missing = sorted(
            {
                str(task.get("task_spec"))
                for task in workflow_state.get("tasks", {}).values()
                if task.get("task_spec") not in task_specs
            }
        )
        if missing:
            raise ProcessError(
                _("保存的流程状态与当前流程不匹配。"),
                code="state_incompatible",
                detail={"process": process_id, "elements": missing},
            )
        # The converters pop keys while restoring; work on a shallow copy.
        workflow = _SERIALIZER.from_dict(
            dict(workflow_state),
            spec=definition.spec,
            subprocess_specs=definition.subprocess_specs,
        )
        workflow.script_engine = SCRIPT_ENGINE
        return cls(definition, workflow, withdrawn=bool(state.get("withdrawn")))

    # -- reading ----------------------------------------------------------

    @property
    def is_completed(self) -> bool:
        return bool(self._workflow.completed)

    @property
    def outcome(self) -> Outcome | None:
        """How the instance ended, or None while it runs."""
        if self._withdrawn:
            return Outcome.WITHDRAWN
        if not self._workflow.completed:
            return None
        ends = [
            task
            for task in self._workflow.get_tasks(state=TaskState.COMPLETED)
            if task.task_spec.bpmn_id in self.definition.end_outcomes
        ]
        if not ends:
            return None
        last = max(ends, key=lambda task: task.last_state_change)
        return self.definition.end_outcomes[last.task_spec.bpmn_id]

    @property
    def data(self) -> dict[str, Any]:
        """The process variables as the next steps see them."""
        if self._workflow.completed:
            return dict(self._workflow.data)
        merged: dict[str, Any] = {}
        ready = self._ready_tasks()
        sources = ready or ([self._workflow.last_task] if self._workflow.last_task else [])
        for task in sources:
            merged.update(task.data)
        return merged

    def _ready_tasks(self) -> list[Any]:
        return [
            task
            for task in self._workflow.get_tasks(state=TaskState.READY, manual=True)
            if task.task_spec.bpmn_id in self.definition.user_tasks
        ]

    def ready_user_tasks(self) -> list[UserTask]:
        """List the user tasks waiting for staff, in document order."""
        tasks = []
        for task in self._ready_tasks():
            spec = self.definition.user_tasks[task.task_spec.bpmn_id]
            tasks.append(
                UserTask(
                    id=str(task.id),
                    name=spec.name,
                    bpmn_id=spec.bpmn_id,
                    role=spec.role,
                    step=spec.step,
                    requires=spec.requires,
                )
            )
        return tasks

    # -- changing ---------------------------------------------------------

    def complete(self, task_id: str, data: Mapping[str, Any] | None = None) -> list[UserTask]:
        """Complete a ready user task with its results and run on until waiting."""
        if self.is_completed:
            raise ProcessError(_("该流程已经办结。"), code="already_finished", status=409)
        values = check_data(data or {})
        task = self._ready_task(task_id)
        spec = self.definition.user_tasks[task.task_spec.bpmn_id]
        missing = [name for name in spec.requires if name not in values]
        if missing:
            raise ProcessError(
                _("办理意见不完整。"),
                code="missing_task_data",
                detail={"task": spec.bpmn_id, "missing": missing},
            )
        if any(values.get(name) is True for name in spec.requires):
            failed = [name for name in spec.pass_only_if if task.data.get(name) is not True]
            if failed:
                raise ProcessError(
                    _("前置审查未全部通过，不能作出通过的决定；请作出不予决定并写明理由。"),
                    code="review_not_passed",
                    status=409,
                    detail={"task": spec.bpmn_id, "not_passed": failed},
                )
        task.data.update(values)
        try:
            task.run()
            self._workflow.do_engine_steps()
        except (SpiffWorkflowException, SandboxViolation) as error:
            raise _engine_failure(error) from error
        self._check_not_stalled()
        return self.ready_user_tasks()

    def _check_not_stalled(self) -> None:
        # A process file can load and still strand an instance, for example
        # with a join that waits for a branch that went elsewhere: nothing
        # would be left for anyone to do and the application would wait
        # forever. Refuse the step instead, so that it is rolled back.
        if self._workflow.completed or self._ready_tasks():
            return
        waiting = sorted(
            {
                str(task.task_spec.bpmn_id)
                for task in self._workflow.get_tasks(state=TaskState.WAITING | TaskState.READY)
                if task.task_spec.bpmn_id
            }
        )
        raise ProcessError(
            _("流程无法继续：流程停在无人办理的环节。"),
            code="stalled",
            detail={"process": self.process_id, "waiting": waiting},
        )

    def _ready_task(self, task_id: str) -> Any:
        not_ready = ProcessError(
            _("该任务不存在或当前不可办理。"),
            code="task_not_ready",
            status=409,
            detail={"task": task_id},
        )
        try:
            task = self._workflow.get_task_from_id(uuid.UUID(task_id))
        except (ValueError, TaskNotFoundException) as error:
            raise not_ready from error
        if (
            task is None
            or task.state != TaskState.READY
            or task.task_spec.bpmn_id not in self.definition.user_tasks
        ):
            raise not_ready
        return task

    def withdraw(self) -> None:
        """Stop the instance because the applicant withdrew the application."""
        if self.is_completed:
            raise ProcessError(_("该流程已经办结。"), code="already_finished", status=409)
        self._workflow.cancel()
        self._withdrawn = True


def _definition_of(
    process_id: str, digest: object, versions: VersionLookup | None
) -> ProcessDefinition:
    """The definition a stored state runs on: its own version where it can be found."""
    if not isinstance(digest, str) or not digest:
        return load_process(process_id)
    known = cached_version(process_id, digest)
    if known is not None:
        return known
    try:
        current: ProcessDefinition | None = load_process(process_id)
    except ProcessError:
        # Today's files may be gone or broken; a stored version still runs.
        current = None
    if current is not None and current.digest == digest:
        return current
    files = versions(process_id, digest) if versions is not None else None
    if files is not None:
        return load_version(files, digest)
    if current is None:
        return load_process(process_id)  # raises the files' own error
    return current


def _workflow_state(state: Mapping[str, Any]) -> dict[str, Any] | None:
    """The serializer's dict of a stored state, or None if the state is not one we read."""
    stored = state.get("workflow")
    if state.get("format") == 1:
        return dict(stored) if isinstance(stored, dict) else None
    if state.get("format") == 2 and isinstance(stored, str):
        try:
            loaded = json.loads(stored)
        except ValueError:
            return None
        return loaded if isinstance(loaded, dict) else None
    return None


def start(process_id: str, data: Mapping[str, Any]) -> Instance:
    """Start an instance with the application's variables and run to the first wait."""
    definition = load_process(process_id)
    values = check_data(data)
    missing = [name for name in definition.inputs if name not in values]
    if missing:
        raise ProcessError(
            _("申请数据缺少流程所需的字段。"),
            code="missing_input",
            detail={"process": process_id, "missing": missing},
        )
    workflow = BpmnWorkflow(
        definition.spec, definition.subprocess_specs, script_engine=SCRIPT_ENGINE
    )
    first = workflow.get_tasks(state=TaskState.READY)[0]
    first.data.update(values)
    try:
        workflow.do_engine_steps()
    except (SpiffWorkflowException, SandboxViolation) as error:
        raise _engine_failure(error) from error
    instance = Instance(definition, workflow)
    instance._check_not_stalled()
    return instance

"""Loading and checking process files into cached, reusable definitions.

One process is one BPMN file ``processes/<process_id>.bpmn`` plus its DMN
tables ``processes/<process_id>.<decision_id>.dmn``. Files are parsed with
SpiffWorkflow's *spiff* flavour (its extension elements carry the called
decision, task properties and pre/post scripts) and validated against the
BPMN 2.0 schema; on top of that this module refuses anything the platform
cannot run safely or assign to staff. See docs/eservices-process.md.
"""

import functools
import hashlib
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from lxml import etree  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.parser.ValidationException import (  # type: ignore[import-untyped]
    ValidationException,
)
from SpiffWorkflow.exceptions import SpiffWorkflowException  # type: ignore[import-untyped]
from SpiffWorkflow.spiff.parser import (  # type: ignore[import-untyped]
    VALIDATOR,
    SpiffBpmnParser,
)

from .errors import ProcessError, SandboxViolation
from .sandbox import SAFE_FUNCTIONS, compile_expression, compile_script

PROCESS_DIRECTORY = Path(__file__).resolve().parent.parent / "processes"

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
_DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)
_PROCESS_ID = re.compile(r"^[a-z][a-z0-9_]{0,79}$")
_VARIABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")

#: Lane names are role codes: a base role, optionally prefixed by the key of
#: the department that holds it in a multi-department (并联) process.
BASE_ROLES = ("acceptor", "reviewer", "decider", "deliverer")
_ROLE_CODE = re.compile(r"^(?:[a-z][a-z0-9_]*\.)?(?:" + "|".join(BASE_ROLES) + r")$")
#: The lane for automatic steps; no user task may stand in it.
SYSTEM_LANE = "system"


class StepKind(StrEnum):
    """The four steps of an administrative procedure."""

    ACCEPT = "accept"
    REVIEW = "review"
    DECIDE = "decide"
    DELIVER = "deliver"

    @property
    def label(self) -> Promise:
        return _STEP_LABELS[self]


_STEP_LABELS: Mapping[StepKind, Promise] = {
    StepKind.ACCEPT: _("受理"),
    StepKind.REVIEW: _("审查"),
    StepKind.DECIDE: _("决定"),
    StepKind.DELIVER: _("送达"),
}


class Outcome(StrEnum):
    """How an instance ended."""

    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> Promise:
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS: Mapping[Outcome, Promise] = {
    Outcome.APPROVED: _("准予"),
    Outcome.REJECTED: _("不予"),
    Outcome.WITHDRAWN: _("申请人撤回"),
}


#: Outcomes an end event may declare; withdrawal is never modelled.
END_OUTCOMES = (Outcome.APPROVED, Outcome.REJECTED)

_ALLOWED_PROCESS_CHILDREN = frozenset(
    {
        "documentation",
        "extensionElements",
        "laneSet",
        "startEvent",
        "endEvent",
        "userTask",
        "scriptTask",
        "businessRuleTask",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "sequenceFlow",
        "textAnnotation",
        "association",
    }
)


@dataclass(frozen=True, slots=True)
class UserTaskSpec:
    """A user task as declared in the process file."""

    bpmn_id: str
    name: str
    role: str
    step: StepKind
    requires: tuple[str, ...]
    # Variables that must all be true for the task to be passed: a decision
    # cannot approve over another department's failed review (并联审批).
    pass_only_if: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProcessFiles:
    """The exact contents of one process's files: the BPMN file and its DMN tables by name."""

    process_id: str
    bpmn: bytes
    dmn: Mapping[str, bytes]

    @property
    def bpmn_name(self) -> str:
        return f"{self.process_id}.bpmn"

    def digest(self) -> str:
        """Return the hash that names this version of the process."""
        # Unchanged since states first stored it: DMN tables in name order
        # (name, NUL, content), then the BPMN file.
        digest = hashlib.sha256()
        for name in sorted(self.dmn):
            digest.update(name.encode() + b"\0" + self.dmn[name])
        digest.update(self.bpmn)
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class ProcessDefinition:
    """A parsed, checked process: what the runtime needs, built once per file."""

    process_id: str
    name: str
    digest: str
    inputs: tuple[str, ...]
    decisions: tuple[str, ...]
    user_tasks: Mapping[str, UserTaskSpec]
    end_outcomes: Mapping[str, Outcome]
    roles: tuple[str, ...]
    # The contents the definition was parsed from: what is stored as its version.
    files: ProcessFiles = field(repr=False, compare=False)
    spec: Any = field(repr=False, compare=False)
    subprocess_specs: Any = field(repr=False, compare=False)


def _refuse(code: str, message: Any, **detail: Any) -> ProcessError:
    return ProcessError(message, code=code, detail=detail)


_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_comments=True, huge_tree=False
)


def _parse_xml(name: str, content: bytes, code: str) -> Any:
    try:
        root = etree.fromstring(content, parser=_XML_PARSER)
    except etree.XMLSyntaxError as error:
        raise _refuse(code, _("流程文件无法解析。"), file=name, reason=str(error)) from error
    # Modelers never write a DOCTYPE; one can only be there to smuggle entities.
    if root.getroottree().docinfo.doctype:
        raise _refuse(code, _("流程文件无法解析。"), file=name, reason=DOCTYPE_REFUSED)
    return root


DOCTYPE_REFUSED = "document type declarations are not allowed"


def _local(element: Any) -> str:
    return str(etree.QName(element).localname)


def _properties(element: Any) -> dict[str, str]:
    nodes = element.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS
    )
    return {str(node.get("name")): str(node.get("value", "")) for node in nodes}


def _extension_text(element: Any, name: str) -> str | None:
    nodes = element.xpath(f"./bpmn:extensionElements/spiffworkflow:{name}", namespaces=NS)
    return str(nodes[0].text) if nodes and nodes[0].text is not None else None


def _names(value: str | None, *, file: str, element: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    for name in names:
        if not _VARIABLE.fullmatch(name) or name in SAFE_FUNCTIONS:
            raise _refuse(
                "invalid_bpmn", _("流程变量名不合规。"), file=file, element=element, name=name
            )
    return names


def _check_expression(source: str | None, *, file: str, element: str, script: bool = False) -> None:
    if source is None or not source.strip():
        return
    try:
        if script:
            compile_script(source)
        else:
            compile_expression(source)
    except SyntaxError as error:
        raise _refuse(
            "invalid_expression",
            _("流程文件中的表达式有语法错误。"),
            file=file,
            element=element,
            expression=source,
            reason=str(error.msg),
        ) from error
    except SandboxViolation as error:
        raise _refuse(
            "unsafe_expression",
            _("流程文件中的表达式使用了不允许的写法。"),
            file=file,
            element=element,
            expression=source,
            reason=str(error),
        ) from error


def _step_kind(element: Any, properties: Mapping[str, str]) -> StepKind | None:
    declared = properties.get("step")
    if declared is not None:
        try:
            return StepKind(declared)
        except ValueError:
            return None
    bpmn_id = str(element.get("id"))
    for kind in StepKind:
        if bpmn_id == kind.value or bpmn_id.startswith(kind.value + "_"):
            return kind
    return None


def _end_outcome(element: Any) -> Outcome | None:
    declared = _properties(element).get("outcome")
    if declared is None:
        bpmn_id = str(element.get("id"))
        declared = bpmn_id.removeprefix("end_") if bpmn_id.startswith("end_") else ""
    return Outcome(declared) if declared in END_OUTCOMES else None


_DMN_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def _check_dmn(name: str, root: Any, process_id: str) -> str:
    """Check one DMN file and return its decision id."""
    namespace = etree.QName(root).namespace
    if namespace not in _DMN_NAMESPACES:
        raise _refuse("invalid_dmn", _("判定表文件不是DMN格式。"), file=name)
    ns = {"dmn": namespace}
    decisions = root.xpath("./dmn:decision", namespaces=ns)
    if len(decisions) != 1:
        raise _refuse("invalid_dmn", _("每个判定表文件只能包含一个判定。"), file=name)
    decision_id = str(decisions[0].get("id"))
    if name != f"{process_id}.{decision_id}.dmn":
        raise _refuse(
            "invalid_dmn",
            _("判定表文件名与判定标识不一致。"),
            file=name,
            decision=decision_id,
        )
    for table in decisions[0].xpath("./dmn:decisionTable", namespaces=ns):
        _check_hit_policy(table, ns, file=name, decision=decision_id)
        inputs = [
            (text.text or "").strip()
            for text in table.xpath("./dmn:input/dmn:inputExpression/dmn:text", namespaces=ns)
        ]
        for expression in inputs:
            _check_expression(expression, file=name, element=decision_id)
        for rule in table.xpath("./dmn:rule", namespaces=ns):
            rule_id = f"{decision_id}/{rule.get('id')}"
            for index, entry in enumerate(rule.xpath("./dmn:inputEntry/dmn:text", namespaces=ns)):
                _check_input_entry(entry.text, inputs, index, file=name, element=rule_id)
            for entry in rule.xpath("./dmn:outputEntry/dmn:text", namespaces=ns):
                _check_expression(entry.text, file=name, element=rule_id)
    return decision_id


def _check_hit_policy(table: Any, ns: Mapping[str, str], *, file: str, decision: str) -> None:
    # SpiffWorkflow takes the first matching rule under any hit policy but
    # COLLECT (which turns every output into a list), and does not check
    # UNIQUE, ANY or PRIORITY at all; a table written for those would be run
    # with other semantics than its author meant. Only FIRST is run as written.
    policy = (table.get("hitPolicy") or "UNIQUE").strip().upper()
    if policy != "FIRST":
        raise _refuse(
            "invalid_dmn",
            _("判定表的命中策略必须是FIRST（按顺序取第一条命中的规则）。"),
            file=file,
            decision=decision,
            hit_policy=policy,
        )
    # Without a catch-all last rule, an application no rule matches would
    # leave the outputs unset and stop the process at the next gateway.
    rules = table.xpath("./dmn:rule", namespaces=ns)
    last = rules[-1] if rules else None
    if last is None or any(
        (entry.text or "").strip() not in ("", "-")
        for entry in last.xpath("./dmn:inputEntry/dmn:text", namespaces=ns)
    ):
        raise _refuse(
            "invalid_dmn",
            _("判定表的最后一条规则必须对所有输入都适用（每列为“-”）。"),
            file=file,
            decision=decision,
        )


def _check_input_entry(
    text: str | None, inputs: Sequence[str], index: int, *, file: str, element: str
) -> None:
    # Mirror how SpiffWorkflow's DMN engine builds the expression it evaluates,
    # so that every expression it can ever evaluate has been checked here.
    if text is None or text.strip() in ("", "-"):
        return
    input_expression = inputs[index] if index < len(inputs) else ""
    if "?" in text:
        _check_expression(_DMN_QUESTION_MARK.sub("dmninputexpr", text), file=file, element=element)
        return
    try:
        compile_expression(text)
        parses_alone = True
    except SyntaxError:
        parses_alone = False
    except SandboxViolation:
        parses_alone = True
    if parses_alone:
        _check_expression(text, file=file, element=element)
        _check_expression(f"({input_expression}) == ({text})", file=file, element=element)
    else:
        _check_expression(f"v {text}", file=file, element=element)
        _check_expression(input_expression + text, file=file, element=element)


def _lanes(process: Any, file: str) -> tuple[dict[str, str], tuple[str, ...]]:
    lane_of: dict[str, str] = {}
    roles: list[str] = []
    for lane in process.xpath(".//bpmn:lane", namespaces=NS):
        name = (lane.get("name") or "").strip()
        if name != SYSTEM_LANE and not _ROLE_CODE.fullmatch(name):
            raise _refuse(
                "unknown_lane",
                _("泳道名称不是已知的角色代码。"),
                file=file,
                lane=str(lane.get("id")),
                name=name,
            )
        if name != SYSTEM_LANE and name not in roles:
            roles.append(name)
        for ref in lane.xpath("./bpmn:flowNodeRef", namespaces=NS):
            if ref.text:
                lane_of[ref.text.strip()] = name
    return lane_of, tuple(roles)


def _check_bpmn(
    file: str, root: Any, process_id: str, decisions: Sequence[str]
) -> tuple[Any, dict[str, UserTaskSpec], dict[str, Outcome], tuple[str, ...], tuple[str, ...]]:
    processes = root.xpath("./bpmn:process", namespaces=NS)
    if len(processes) != 1 or processes[0].get("id") != process_id:
        raise _refuse("invalid_bpmn", _("流程文件必须只包含一个与文件名同名的流程。"), file=file)
    process = processes[0]
    for child in process:
        if not isinstance(child.tag, str):
            continue
        if _local(child) not in _ALLOWED_PROCESS_CHILDREN:
            raise _refuse(
                "unsupported_element",
                _("流程文件包含不支持的元素。"),
                file=file,
                element=str(child.get("id")),
                kind=_local(child),
            )
    # A start event that waits for a timer, message or signal leaves the
    # instance with nothing to do and no one to do it: the application would
    # wait forever, so only the plain start event is run.
    for start in process.xpath("./bpmn:startEvent", namespaces=NS):
        for child in start:
            if isinstance(child.tag, str) and _local(child).endswith(
                ("EventDefinition", "eventDefinitionRef")
            ):
                raise _refuse(
                    "unsupported_element",
                    _("流程文件包含不支持的元素。"),
                    file=file,
                    element=str(start.get("id")),
                    kind=_local(child),
                )
    inputs = _names(_properties(process).get("inputs"), file=file, element=process_id)
    lane_of, roles = _lanes(process, file)

    user_tasks: dict[str, UserTaskSpec] = {}
    for task in process.xpath("./bpmn:userTask", namespaces=NS):
        bpmn_id = str(task.get("id"))
        role = lane_of.get(bpmn_id)
        if role is None or role == SYSTEM_LANE:
            raise _refuse(
                "task_without_lane", _("人工任务必须位于某个角色泳道中。"), file=file, task=bpmn_id
            )
        properties = _properties(task)
        step = _step_kind(task, properties)
        if step is None:
            raise _refuse(
                "unknown_step",
                _("人工任务无法确定办理环节（受理、审查、决定、送达）。"),
                file=file,
                task=bpmn_id,
            )
        user_tasks[bpmn_id] = UserTaskSpec(
            bpmn_id=bpmn_id,
            name=str(task.get("name") or bpmn_id),
            role=role,
            step=step,
            requires=_names(properties.get("requires"), file=file, element=bpmn_id),
            pass_only_if=_names(properties.get("pass_only_if"), file=file, element=bpmn_id),
        )

    end_outcomes: dict[str, Outcome] = {}
    for end in process.xpath("./bpmn:endEvent", namespaces=NS):
        outcome = _end_outcome(end)
        if outcome is None:
            raise _refuse(
                "unknown_outcome",
                _("结束事件没有声明办理结果（准予或不予）。"),
                file=file,
                event=str(end.get("id")),
            )
        end_outcomes[str(end.get("id"))] = outcome

    for task in process.xpath("./bpmn:businessRuleTask", namespaces=NS):
        decision = _extension_text(task, "calledDecisionId")
        if decision is None or decision.strip() not in decisions:
            raise _refuse(
                "missing_decision",
                _("业务规则任务引用的判定表不存在。"),
                file=file,
                task=str(task.get("id")),
                decision=decision,
            )

    for flow in process.xpath("./bpmn:sequenceFlow", namespaces=NS):
        for condition in flow.xpath("./bpmn:conditionExpression", namespaces=NS):
            _check_expression(condition.text, file=file, element=str(flow.get("id")))
    for element in process.xpath("./bpmn:*[bpmn:extensionElements]", namespaces=NS):
        for name in ("preScript", "postScript"):
            _check_expression(
                _extension_text(element, name),
                file=file,
                element=str(element.get("id")),
                script=True,
            )
    for task in process.xpath("./bpmn:scriptTask", namespaces=NS):
        for script in task.xpath("./bpmn:script", namespaces=NS):
            _check_expression(script.text, file=file, element=str(task.get("id")), script=True)
    return process, user_tasks, end_outcomes, inputs, roles


def read_process_files(process_id: str, directory: Path | None = None) -> ProcessFiles:
    """Read the files of one process from the process directory."""
    if not _PROCESS_ID.fullmatch(process_id):
        raise _refuse("process_not_found", _("办理流程不存在。"), process=process_id)
    base = directory or PROCESS_DIRECTORY
    bpmn_path = base / f"{process_id}.bpmn"
    if not bpmn_path.is_file():
        raise _refuse("process_not_found", _("办理流程不存在。"), process=process_id)
    dmn = {path.name: _read(path, "invalid_dmn") for path in base.glob(f"{process_id}.*.dmn")}
    return ProcessFiles(process_id=process_id, bpmn=_read(bpmn_path, "invalid_bpmn"), dmn=dmn)


def _read(path: Path, code: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise _refuse(code, _("流程文件无法解析。"), file=path.name, reason=str(error)) from error


def parse_process_files(files: ProcessFiles) -> ProcessDefinition:
    """Parse and check one process from its files' contents (uncached).

    The files of a stored version go through here as today's files do, so
    every check (schema, lanes, the expression sandbox) applies to both.
    """
    process_id = files.process_id
    if not _PROCESS_ID.fullmatch(process_id):
        raise _refuse("process_not_found", _("办理流程不存在。"), process=process_id)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    decisions: list[str] = []
    for name in sorted(files.dmn):
        root = _parse_xml(name, files.dmn[name], "invalid_dmn")
        decisions.append(_check_dmn(name, root, process_id))
        try:
            parser.add_dmn_xml(root, filename=name)
        except (ValidationException, SpiffWorkflowException) as error:
            raise _refuse(
                "invalid_dmn", _("判定表文件不符合DMN规范。"), file=name, reason=str(error)
            ) from error

    root = _parse_xml(files.bpmn_name, files.bpmn, "invalid_bpmn")
    process, user_tasks, end_outcomes, inputs, roles = _check_bpmn(
        files.bpmn_name, root, process_id, decisions
    )
    try:
        parser.add_bpmn_xml(root, filename=files.bpmn_name)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except (ValidationException, SpiffWorkflowException) as error:
        raise _refuse(
            "invalid_bpmn",
            _("流程文件不符合BPMN 2.0规范。"),
            file=files.bpmn_name,
            reason=str(error),
        ) from error
    return ProcessDefinition(
        process_id=process_id,
        name=str(process.get("name") or process_id),
        digest=files.digest(),
        inputs=inputs,
        decisions=tuple(decisions),
        user_tasks=user_tasks,
        end_outcomes=end_outcomes,
        roles=roles,
        spec=spec,
        subprocess_specs=subprocess_specs,
        files=files,
    )


def parse_process(process_id: str, directory: Path | None = None) -> ProcessDefinition:
    """Parse and check one process with its DMN tables (uncached)."""
    return parse_process_files(read_process_files(process_id, directory))


@functools.cache
def _cached(process_id: str, directory: str) -> ProcessDefinition:
    return parse_process(process_id, Path(directory))


def load_process(process_id: str, directory: Path | None = None) -> ProcessDefinition:
    """Return the checked definition of a process, parsing its files once."""
    return _cached(process_id, str(directory or PROCESS_DIRECTORY))


# Definitions of stored versions by (process id, digest). A version never
# changes, so an entry never goes stale; the number of versions a platform
# ever deploys is small enough to keep them all.
_VERSIONS: dict[tuple[str, str], ProcessDefinition] = {}
_VERSIONS_LOCK = threading.Lock()


def cached_version(process_id: str, digest: str) -> ProcessDefinition | None:
    """Return the definition of a version parsed before, or None."""
    return _VERSIONS.get((process_id, digest))


def load_version(files: ProcessFiles, digest: str) -> ProcessDefinition:
    """Return the checked definition of a stored version, parsing it once.

    ``digest`` is the one the version was stored under; files whose contents
    do not hash to it are refused rather than run under another version's name.
    """
    key = (files.process_id, digest)
    known = _VERSIONS.get(key)
    if known is not None:
        return known
    if files.digest() != digest:
        raise _refuse(
            "version_mismatch",
            _("保存的流程版本已被改动，无法使用。"),
            process=files.process_id,
            digest=digest,
        )
    definition = parse_process_files(files)
    with _VERSIONS_LOCK:
        return _VERSIONS.setdefault(key, definition)


def available_processes(directory: Path | None = None) -> list[str]:
    """List the process ids that have a BPMN file."""
    base = directory or PROCESS_DIRECTORY
    return sorted(path.stem for path in base.glob("*.bpmn") if _PROCESS_ID.fullmatch(path.stem))

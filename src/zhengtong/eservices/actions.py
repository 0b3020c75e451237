"""Every change in eservices: one action, one transaction, one ledger entry."""

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.models import Department
from zhengtong.core.punctuation import listed
from zhengtong.eservices.lanes import lanes_without_department
from zhengtong.eservices.models import (
    EXCHANGE_ITEM_RE,
    ITEM_CODE_RE,
    LICENCE_TYPE_RE,
    PROCESS_ID_RE,
    RESOURCE_CODE_RE,
    TYPE_CODES,
    ApplicationMaterial,
    HandlingKind,
    ItemTransition,
    ItemType,
    Material,
    MaterialForm,
    MaterialMedium,
    MaterialRequirement,
    MaterialSource,
    OnlineDepth,
    ProcessVersion,
    ServiceItem,
    SpecialProcedure,
    Suspension,
    Target,
)
from zhengtong.eservices.process import ProcessDefinition, ProcessError
from zhengtong.eservices.selectors import is_known_stored, remember_stored
from zhengtong.eservices.states import ItemState, check_transition
from zhengtong.ledger.actions import record_entry

# ---------------------------------------------------------------------------
# Service items and their guides
# ---------------------------------------------------------------------------

ITEM_SUBJECT = "eservices.ServiceItem"
# Bounds far beyond any real guide (statutory limits run to tens of working
# days). Without them a mistyped 100000 was accepted and put every
# application's deadline in the 2400s; from about 2,600,000 working days the
# count ran past the year 9999 and accepting an application failed.
MAX_LIMIT_DAYS = 999
MAX_ONSITE_VISITS = 10
MAX_COPIES = 99


@dataclass(frozen=True, slots=True)
class MaterialInput:
    name: str
    form: str = MaterialForm.ORIGINAL
    medium: str = MaterialMedium.ELECTRONIC
    copies: int = 1
    requirement: str = MaterialRequirement.REQUIRED
    source: str = MaterialSource.UPLOAD
    resource_code: str = ""
    item_codes: Sequence[str] = ()
    licence_type: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True)
class SpecialProcedureInput:
    name: str
    max_days: int
    counted_in_limit: bool = False
    notes: str = ""


@dataclass(frozen=True, slots=True)
class StepInput:
    name: str
    description: str = ""
    days: int | None = None


@dataclass(frozen=True, slots=True)
class FeeInput:
    name: str
    standard: str
    basis: str


@dataclass(frozen=True, slots=True)
class FaqInput:
    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class ServiceItemInput:
    """Everything a department fills in for one item and its guide."""

    code: str
    name: str
    item_type: str
    setting_basis: str
    implementing_basis: str
    target: str
    handling_kind: str
    statutory_limit_days: int
    committed_limit_days: int
    onsite_visits: int
    online_depth: str
    acceptance_conditions: str
    place: str
    hours: str
    enquiry_phone: str
    complaint_phone: str
    summary: str = ""
    result_name: str = ""
    keywords: str = ""
    phrasings: Sequence[str] = ()
    materials: Sequence[MaterialInput] = ()
    special_procedures: Sequence[SpecialProcedureInput] = ()
    steps: Sequence[StepInput] = ()
    fees: Sequence[FeeInput] = ()  # empty: 不收费
    faqs: Sequence[FaqInput] = ()
    process_id: str = ""
    form_schema: Any = field(default_factory=dict)
    # Codes of the departments approving in parallel (并联审批).
    co_department_codes: Sequence[str] = ()


def item_problems(data: ServiceItemInput) -> dict[str, str]:
    """Return field -> reason for everything wrong with the input (empty when valid)."""
    problems: dict[str, str] = {}
    match = ITEM_CODE_RE.fullmatch(data.code)
    if data.item_type not in ItemType.values:
        problems["item_type"] = str(_("事项类型不在字典中。"))
    if not match:
        problems["code"] = str(
            _("事项编码应为12位数字：事项类型2位、主项5位、子项3位、业务办理项2位。")
        )
    elif data.item_type in TYPE_CODES and match.group(1) != TYPE_CODES[data.item_type]:
        problems["code"] = str(
            _("事项编码的前两位应为事项类型代码 %(code)s。") % {"code": TYPE_CODES[data.item_type]}
        )
    texts = (
        ("name", data.name, _("请填写事项名称。")),
        ("setting_basis", data.setting_basis, _("请填写设定依据。")),
        ("implementing_basis", data.implementing_basis, _("请填写实施依据。")),
        ("acceptance_conditions", data.acceptance_conditions, _("请填写受理条件。")),
        ("place", data.place, _("请填写办理地点。")),
        ("hours", data.hours, _("请填写办理时间。")),
        ("enquiry_phone", data.enquiry_phone, _("请填写咨询电话。")),
        ("complaint_phone", data.complaint_phone, _("请填写监督投诉电话。")),
    )
    for name, value, reason in texts:
        if not value.strip():
            problems[name] = str(reason)
    for name in ("setting_basis", "implementing_basis"):
        if name not in problems and "《" not in getattr(data, name):
            problems[name] = str(
                _("依据须写明法律法规或文件名称，如《中华人民共和国食品安全法》。")
            )
    choices = (
        ("target", data.target, Target.values),
        ("handling_kind", data.handling_kind, HandlingKind.values),
        ("online_depth", data.online_depth, OnlineDepth.values),
    )
    for name, value, allowed in choices:
        if value not in allowed:
            problems[name] = str(_("取值不在字典中。"))
    problems.update(_limit_problems(data))
    if data.process_id and not PROCESS_ID_RE.fullmatch(data.process_id):
        problems["process_id"] = str(_("流程名只能由小写字母、数字和下划线组成，以字母开头。"))
    if not isinstance(data.form_schema, dict):
        problems["form_schema"] = str(_("申请表单须为 JSON 对象。"))
    if any(not str(p).strip() for p in data.phrasings):
        problems["phrasings"] = str(_("俗称不能为空。"))
    problems.update(_material_problems(data.materials))
    for n, procedure in enumerate(data.special_procedures):
        if not procedure.name.strip() or procedure.max_days < 1:
            problems[f"special_procedures.{n}"] = str(_("特别程序须有名称和至少1个工作日的时限。"))
        elif procedure.max_days > MAX_LIMIT_DAYS:
            problems[f"special_procedures.{n}"] = _too_many_days()
    for n, step in enumerate(data.steps):
        if not step.name.strip():
            problems[f"steps.{n}"] = str(_("请填写环节名称。"))
        elif step.days is not None and not 0 <= step.days <= MAX_LIMIT_DAYS:
            problems[f"steps.{n}"] = str(
                _("环节时限应在0到%(max)s个工作日之间。") % {"max": MAX_LIMIT_DAYS}
            )
    for n, fee in enumerate(data.fees):
        if not fee.name.strip() or not fee.standard.strip() or not fee.basis.strip():
            problems[f"fees.{n}"] = str(_("收费项目须写明名称、标准和依据。"))
    for n, faq in enumerate(data.faqs):
        if not faq.question.strip() or not faq.answer.strip():
            problems[f"faqs.{n}"] = str(_("常见问题须有问有答。"))
    return problems


def _limit_problems(data: ServiceItemInput) -> dict[str, str]:
    problems: dict[str, str] = {}
    if data.statutory_limit_days < 0 or data.committed_limit_days < 0 or data.onsite_visits < 0:
        problems["limits"] = str(_("时限和到现场次数不能为负数。"))
        return problems
    if data.statutory_limit_days > MAX_LIMIT_DAYS:
        problems["statutory_limit_days"] = _too_many_days()
    if data.onsite_visits > MAX_ONSITE_VISITS:
        problems["onsite_visits"] = str(
            _("到现场次数不能超过%(max)s次。") % {"max": MAX_ONSITE_VISITS}
        )
    if data.committed_limit_days > data.statutory_limit_days:
        problems["committed_limit_days"] = str(_("承诺时限不能超过法定时限。"))
    if data.handling_kind == HandlingKind.IMMEDIATE and data.committed_limit_days != 0:
        problems["committed_limit_days"] = str(_("即办件的承诺时限应为0个工作日（当场办结）。"))
    if data.handling_kind == HandlingKind.PROMISED and data.committed_limit_days < 1:
        problems["committed_limit_days"] = str(_("承诺件的承诺时限至少为1个工作日。"))
    if data.onsite_visits == 0 and data.online_depth not in (OnlineDepth.LEVEL4, OnlineDepth.FULL):
        problems["online_depth"] = str(_("零跑动的事项网办深度应为四级或全程网办。"))
    return problems


def _too_many_days() -> str:
    return str(_("时限不能超过%(max)s个工作日。") % {"max": MAX_LIMIT_DAYS})


def _material_problems(materials: Sequence[MaterialInput]) -> dict[str, str]:
    problems: dict[str, str] = {}
    seen: set[str] = set()
    for n, material in enumerate(materials):
        key = f"materials.{n}"
        name = material.name.strip()
        if not name:
            problems[key] = str(_("请填写材料名称。"))
        elif name in seen:
            problems[key] = str(_("材料名称重复。"))
        elif (
            material.form not in MaterialForm.values
            or material.medium not in MaterialMedium.values
            or material.requirement not in MaterialRequirement.values
            or material.source not in MaterialSource.values
        ):
            problems[key] = str(_("材料的形式、载体、必要性或来源不在字典中。"))
        elif material.copies < 1:
            problems[key] = str(_("材料份数至少为1。"))
        elif material.copies > MAX_COPIES:
            problems[key] = str(_("材料份数不能超过%(max)s份。") % {"max": MAX_COPIES})
        elif material.source == MaterialSource.EXCHANGE and (
            not RESOURCE_CODE_RE.fullmatch(material.resource_code)
            or not material.item_codes
            or not all(EXCHANGE_ITEM_RE.fullmatch(c) for c in material.item_codes)
        ):
            problems[key] = str(
                _("免提交材料须写明共享资源代码（如 102000000/000001）和信息项代码。")
            )
        elif material.source == MaterialSource.LICENCE and not LICENCE_TYPE_RE.fullmatch(
            material.licence_type
        ):
            problems[key] = str(_("电子证照材料须写明证照类型，如 business_licence。"))
        elif material.source == MaterialSource.UPLOAD and (
            material.resource_code or material.item_codes or material.licence_type
        ):
            problems[key] = str(_("申请人提交的材料不应填写共享资源或证照类型。"))
        seen.add(name)
    return problems


def _lane_problem(lanes: Sequence[str]) -> str:
    return str(
        _(
            "办理流程的泳道 %(lanes)s 没有承办部门：请在并联审批部门中加入编码为泳道前缀"
            "或以“-前缀”结尾的部门（如 cs-fire 承办 fire.reviewer）。"
        )
        % {"lanes": listed(lanes)}
    )


def _check(data: ServiceItemInput, department: Department) -> list[Department]:
    problems = item_problems(data)
    co_departments = list(Department.objects.filter(code__in=data.co_department_codes))
    unknown = set(data.co_department_codes) - {d.code for d in co_departments}
    if unknown:
        problems["co_department_codes"] = str(
            _("没有这些部门：%(codes)s。") % {"codes": listed(sorted(unknown))}
        )
    elif "process_id" not in problems:
        # A 并联 lane nobody of the item works would otherwise have no one to
        # decide in that department's remit; refused here, where it is configured.
        lanes = lanes_without_department(data.process_id, department, co_departments)
        if lanes:
            problems["co_department_codes"] = _lane_problem(lanes)
    if problems:
        raise InvalidInput(
            _("事项内容不完整或不符合要求。"), code="invalid_item", detail={"fields": problems}
        )
    return co_departments


def _fill(item: ServiceItem, data: ServiceItemInput) -> None:
    item.code = data.code
    item.name = data.name.strip()
    item.item_type = data.item_type
    item.summary = data.summary.strip()
    item.setting_basis = data.setting_basis.strip()
    item.implementing_basis = data.implementing_basis.strip()
    item.target = data.target
    item.handling_kind = data.handling_kind
    item.statutory_limit_days = data.statutory_limit_days
    item.committed_limit_days = data.committed_limit_days
    item.onsite_visits = data.onsite_visits
    item.online_depth = data.online_depth
    item.acceptance_conditions = data.acceptance_conditions.strip()
    item.fees = [{"name": f.name, "standard": f.standard, "basis": f.basis} for f in data.fees]
    item.steps = [
        {"name": s.name, "description": s.description, "days": s.days} for s in data.steps
    ]
    item.faqs = [{"question": f.question, "answer": f.answer} for f in data.faqs]
    item.phrasings = [str(p).strip() for p in data.phrasings]
    item.keywords = data.keywords.strip()
    item.place = data.place.strip()
    item.hours = data.hours.strip()
    item.enquiry_phone = data.enquiry_phone.strip()
    item.complaint_phone = data.complaint_phone.strip()
    item.result_name = data.result_name.strip()
    item.process_id = data.process_id
    item.form_schema = dict(data.form_schema)


def _save_parts(item: ServiceItem, data: ServiceItemInput, co: list[Department]) -> None:
    _save_materials(item, data.materials)
    _save_procedures(item, data.special_procedures)
    item.co_departments.set([d for d in co if d.pk != item.department_id])


_Part = TypeVar("_Part", Material, SpecialProcedure)


def _match_by_name(
    stored: Iterable[_Part], names: Sequence[str], new: Callable[[], _Part]
) -> tuple[list[_Part], list[_Part]]:
    """The stored row for each name given (a new one where none), and the rows left over."""
    by_name: dict[str, list[_Part]] = {}
    for row in stored:
        by_name.setdefault(row.name, []).append(row)
    rows = [by_name[n].pop(0) if by_name.get(n) else new() for n in names]
    return rows, [row for left in by_name.values() for row in left]


def _store_parts(
    model: type[_Part],
    rows: Sequence[_Part],
    removed: Sequence[_Part],
    used: Iterable[str],
    fields: Sequence[str],
    refusal: Callable[[list[str]], Conflict],
) -> None:
    """Change the kept rows in place, add the new ones, and delete the removed ones
    unless an application used them (``used`` names those)."""
    in_use = sorted(set(used))
    if in_use:
        raise refusal(in_use)
    model.objects.filter(pk__in=[row.pk for row in removed]).delete()
    model.objects.bulk_update([row for row in rows if row.pk], fields)
    model.objects.bulk_create([row for row in rows if not row.pk])


def _save_materials(item: ServiceItem, materials: Sequence[MaterialInput]) -> None:
    """Match the materials by name and change them in place.

    Applications point at their item's materials (what was uploaded, promised
    or found for which one), so a material that stays keeps its row and an
    edited guide never mislabels nor loses what applicants handed in.
    """
    rows, removed = _match_by_name(
        item.materials.all(), [m.name.strip() for m in materials], lambda: Material(item=item)
    )
    for n, (row, m) in enumerate(zip(rows, materials, strict=True)):
        row.position = n
        row.name = m.name.strip()
        row.form = m.form
        row.medium = m.medium
        row.copies = m.copies
        row.requirement = m.requirement
        row.source = m.source
        row.resource_code = m.resource_code
        row.item_codes = list(m.item_codes)
        row.licence_type = m.licence_type
        row.notes = m.notes.strip()
    _store_parts(
        Material,
        rows,
        removed,
        ApplicationMaterial.objects.filter(material__in=removed).values_list(
            "material__name", flat=True
        ),
        MATERIAL_FIELDS,
        lambda names: Conflict(
            _("已有申请使用了这些材料，不能删除；可修改其说明或改为非必要。"),
            code="material_in_use",
            detail={"materials": names},
        ),
    )


def _save_procedures(item: ServiceItem, procedures: Sequence[SpecialProcedureInput]) -> None:
    """Match the special procedures by name and change them in place, like the materials."""
    rows, removed = _match_by_name(
        item.special_procedures.all(),
        [p.name.strip() for p in procedures],
        lambda: SpecialProcedure(item=item),
    )
    for n, (row, p) in enumerate(zip(rows, procedures, strict=True)):
        row.position = n
        row.name = p.name.strip()
        row.counted_in_limit = p.counted_in_limit
        row.max_days = p.max_days
        row.notes = p.notes.strip()
    _store_parts(
        SpecialProcedure,
        rows,
        removed,
        Suspension.objects.filter(special_procedure__in=removed).values_list(
            "special_procedure__name", flat=True
        ),
        PROCEDURE_FIELDS,
        lambda names: Conflict(
            _("已有办件启动过这些特别程序，不能删除。"),
            code="procedure_in_use",
            detail={"special_procedures": names},
        ),
    )


MATERIAL_FIELDS = (
    "position",
    "name",
    "form",
    "medium",
    "copies",
    "requirement",
    "source",
    "resource_code",
    "item_codes",
    "licence_type",
    "notes",
)
PROCEDURE_FIELDS = ("position", "name", "counted_in_limit", "max_days", "notes")


def _refuse_taken_code(code: str, item: ServiceItem | None = None) -> None:
    taken = ServiceItem.objects.filter(code=code)
    if item is not None:
        taken = taken.exclude(pk=item.pk)
    if taken.exists():
        raise Conflict(_("该事项编码已被使用。"), code="code_taken", detail={"code": code})


def _transition_row(
    item: ServiceItem, from_state: str, to_state: str, reason: str, actor: Actor
) -> ItemTransition:
    return ItemTransition.objects.create(
        item=item,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        actor_ref=actor.ref,
        actor_label=actor.label,
        at=timezone.now(),
    )


def do_create_service_item(
    department: Department, data: ServiceItemInput, *, actor: Actor
) -> ServiceItem:
    """Create a draft item of the implementing department."""
    co = _check(data, department)
    with transaction.atomic(durable=True):
        _refuse_taken_code(data.code)
        item = ServiceItem(department=department)
        _fill(item, data)
        item.save()
        _save_parts(item, data, co)
        _transition_row(item, "", ItemState.DRAFT, "", actor)
        record_entry(
            actor=actor,
            action="eservices.create_service_item",
            subject_type=ITEM_SUBJECT,
            subject_id=item.pk,
            data={
                "code": item.code,
                "department": department.code,
                "materials": len(data.materials),
            },
        )
    return item


def do_update_service_item(
    item: ServiceItem, data: ServiceItemInput, *, actor: Actor
) -> ServiceItem:
    """Replace an item's content; the state is kept, so a published guide changes at once."""
    co = _check(data, item.department)
    with transaction.atomic(durable=True):
        locked = ServiceItem.objects.select_for_update().get(pk=item.pk)
        _refuse_taken_code(data.code, locked)
        _fill(locked, data)
        locked.save()
        _save_parts(locked, data, co)
        record_entry(
            actor=actor,
            action="eservices.update_service_item",
            subject_type=ITEM_SUBJECT,
            subject_id=locked.pk,
            data={"code": locked.code, "state": locked.state, "materials": len(data.materials)},
        )
    return locked


def _move(item: ServiceItem, target: str, actor: Actor, reason: str = "") -> ServiceItem:
    with transaction.atomic(durable=True):
        locked = ServiceItem.objects.select_for_update().get(pk=item.pk)
        step = check_transition(locked.state, target)
        _transition_row(locked, locked.state, target, reason, actor)
        locked.state = target
        if target == ItemState.PUBLISHED:
            locked.published_at = timezone.now()
        locked.save(update_fields=["state", "published_at", "updated_at"])
        data: dict[str, Any] = {"code": locked.code, "state": target}
        if reason:
            data["reason"] = reason
        record_entry(
            actor=actor,
            action=f"eservices.{step}_service_item",
            subject_type=ITEM_SUBJECT,
            subject_id=locked.pk,
            data=data,
        )
    return locked


def do_publish_service_item(item: ServiceItem, *, actor: Actor) -> ServiceItem:
    """Publish a draft or suspended item: its guide becomes public and searchable."""
    # Checked again: the process file may have gained a lane since the item was saved.
    lanes = lanes_without_department(item.process_id, item.department, item.co_departments.all())
    if lanes:
        raise InvalidInput(
            _("事项内容不完整或不符合要求。"),
            code="invalid_item",
            detail={"fields": {"co_department_codes": _lane_problem(lanes)}},
        )
    return _move(item, ItemState.PUBLISHED, actor)


def do_suspend_service_item(item: ServiceItem, reason: str, *, actor: Actor) -> ServiceItem:
    """Stop taking applications for a published item, saying why."""
    if not reason.strip():
        raise InvalidInput(_("暂停办理须说明理由。"), code="reason_required")
    return _move(item, ItemState.SUSPENDED, actor, reason.strip())


# ---------------------------------------------------------------------------
# Process versions
# ---------------------------------------------------------------------------

PROCESS_VERSION_SUBJECT = "eservices.ProcessVersion"
#: Who records a version: the installation deployed it, no member of staff.
PROCESS_VERSION_ACTOR = Actor.system("eservices.process_versions")


def _text(name: str, content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        # Stored as text so that the files stay readable in the database; the
        # BPMN and DMN modelers all write UTF-8.
        raise ProcessError(
            _("流程文件必须使用UTF-8编码。"),
            code="invalid_bpmn" if name.endswith(".bpmn") else "invalid_dmn",
            detail={"file": name},
        ) from error


def do_record_process_version(
    definition: ProcessDefinition, *, actor: Actor = PROCESS_VERSION_ACTOR
) -> ProcessVersion:
    """Store the files of a process version the first time it is used; return the stored one.

    Several server processes may meet a new version at once: the unique
    constraint on (process, digest) lets one of them store it and the others
    read it, and only the one that stored it writes the ledger entry.
    """
    process_id, digest = definition.process_id, definition.digest
    stored = ProcessVersion.objects.filter(process_id=process_id, digest=digest).first()
    if stored is not None:
        _remember_on_commit(process_id, digest)
        return stored
    files = definition.files
    bpmn = _text(files.bpmn_name, files.bpmn)
    dmn = {name: _text(name, content) for name, content in sorted(files.dmn.items())}
    with transaction.atomic(durable=True):
        version, created = ProcessVersion.objects.get_or_create(
            process_id=definition.process_id,
            digest=definition.digest,
            defaults={"bpmn": bpmn, "dmn": dmn, "deployed_at": timezone.now()},
        )
        if created:
            record_entry(
                actor=actor,
                action="eservices.record_process_version",
                subject_type=PROCESS_VERSION_SUBJECT,
                subject_id=version.pk,
                data={
                    "process": version.process_id,
                    "digest": version.digest,
                    "decisions": sorted(dmn),
                },
            )
    _remember_on_commit(process_id, digest)
    return version


def _remember_on_commit(process_id: str, digest: str) -> None:
    # Remembered once the transaction that read or stored the row commits (at
    # once outside a transaction), and never for a row that is rolled back.
    transaction.on_commit(
        functools.partial(remember_stored, process_id, digest),
        using=router.db_for_write(ProcessVersion),
    )


def ensure_process_version_recorded(definition: ProcessDefinition) -> None:
    """Store the files of a process version unless this process knows them stored already."""
    if not is_known_stored(definition.process_id, definition.digest):
        do_record_process_version(definition)

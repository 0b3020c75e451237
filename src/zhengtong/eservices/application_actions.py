"""Every change to an online application: one action, one transaction, one ledger entry.

The process instance (``eservices.process``) decides which user tasks are
open; each action restores it from ``Application.process_state``, runs one
step and stores it again, mirroring the open tasks in ``WorkTask``.

Approval issues the e-licence (``licences.actions.issue_prepared_licence``)
in the approval's own transaction, so that a licence never exists without the
decision that grants it, nor a decision without its licence.

What an action can work out from the application as read (the checks, the
process step and its serialized state, the licence's data) it works out
before its transaction; inside, it locks the application, confirms that
nobody changed it meanwhile (``_locked_as_read``: every change saves the
application, so its ``updated_at`` moves) and only writes. On SQLite the
transaction holds the database's single write lock, so the less it does,
the more of the actions of other processes run beside it.

Ledger entries carry numbers, codes, counts and hashes, never personal values.
"""

import datetime as dt
import functools
import hashlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import router, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhengtong.core.actors import Actor
from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import Conflict, InvalidInput, PermissionDenied
from zhengtong.core.i18n import message_of, stored_label, stored_text
from zhengtong.core.idempotency import (
    caller_key,
    checked_idempotency_key,
    found_or_made,
    key_reused,
)
from zhengtong.core.models import Department
from zhengtong.core.punctuation import listed
from zhengtong.core.sql import pipelined
from zhengtong.core.validators import (
    first_control_character,
    has_visible_text,
    normalise,
    validate_id_number,
)
from zhengtong.eservices import process
from zhengtong.eservices.actions import ensure_process_version_recorded
from zhengtong.eservices.application_rows import (
    application_with_item,
    close_work_task,
    end_open_suspensions,
    handed_in_materials,
    has_provision_of_kind,
    insert_event,
    insert_work_tasks,
    lock_if_unchanged,
    materials_of_item,
    open_task_ids,
    replace_found_materials,
    suspensions_of_application,
    task_with_application,
    update_application,
)
from zhengtong.eservices.application_selectors import (
    OPEN_CORRECTION,
    applications_of,
    is_decided,
    is_never_submitted,
    is_own_application,
    is_ratable,
    materials_uploaded_since,
    open_correction_note,
    unnotified_overdue_rectifications,
)
from zhengtong.eservices.application_states import (
    FINISHED_STATES,
    OPEN_STATES,
    ApplicationState,
    RatingTag,
    StepName,
    WarningLevel,
    check_application_transition,
    rating_tag_code,
)
from zhengtong.eservices.forms_engine import check_form, clean_form, fields_of
from zhengtong.eservices.lanes import lane_department, lanes_without_department
from zhengtong.eservices.models import (
    ApplicantKind,
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    ApplicationSequence,
    Material,
    MaterialRequirement,
    MaterialSource,
    ProvisionKind,
    Rating,
    RatingLevel,
    Rectification,
    ServiceItem,
    SpecialProcedure,
    SupersededMaterial,
    Suspension,
    SuspensionKind,
    Target,
    WorkTask,
)
from zhengtong.eservices.notifications import notify
from zhengtong.eservices.permissions import (
    ACCEPT_APPLICATIONS,
    LANE_PERMISSIONS,
    RESPOND_RATINGS,
)
from zhengtong.eservices.prefill import (
    APPLICANT_SOURCE,
    CheckResults,
    Subject,
    check_credit,
    prefill,
    run_checks,
    verify_shared,
)
from zhengtong.eservices.process.sandbox import SAFE_FUNCTIONS
from zhengtong.eservices.selectors import stored_process_files
from zhengtong.eservices.states import ItemState
from zhengtong.eservices.time_limits import (
    committed_limit_of,
    deadline_of,
    finished_level,
    time_limit_of,
)
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import Audience, StaffPost, User
from zhengtong.identity.permissions import has_permission
from zhengtong.identity.selectors import memberships_of
from zhengtong.ledger.actions import record_entry
from zhengtong.licences.actions import (
    Holder,
    LicenceDraft,
    issue_prepared_licence,
    prepare_licence,
)
from zhengtong.licences.models import Licence, LicenceType
from zhengtong.licences.selectors import find_valid_licence, get_licence_type, verify_licence

SUBJECT = "eservices.Application"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Accepted uploads, recognised by their first bytes, not by what the client says.
FILE_TYPES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
}
MAX_NOTE = 2000
# What the departments of one application ask for together in one 补正.
MAX_CORRECTION_NOTES = 4 * MAX_NOTE
FORM_NAMES = ("申请书", "申请表", "登记表")
MAX_TAGS = 10
MAX_TAG_LENGTH = 20
# Ratings at or below this level open a rectification (差评整改).
BAD_RATING = RatingLevel.DISSATISFIED

# The licence type approval issues, for items that do not name one.
DEFAULT_LICENCE_TYPES: dict[str, str] = {
    "food_business_licence": "food_business_licence",
    "public_place_hygiene_licence": "public_place_hygiene_licence",
    "rural_urban_pension_enrolment": "pension_insurance_certificate",
    "individual_business_registration": "individual_business_licence",
}
# Processes whose outcome depends on who applies. Opening a restaurant (一件事):
# a person starts a 个体工商户 and gets its business licence; an enterprise,
# which already holds a business licence, gets the 食品经营许可证. One licence
# per application: the bundle's other certificates are issued by their own items.
LICENCE_TYPES_BY_APPLICANT: dict[str, dict[str, str]] = {
    "restaurant_opening": {
        ApplicantKind.PERSON: "individual_business_licence",
        ApplicantKind.ENTERPRISE: "food_business_licence",
    },
}
# Where a licence's fields come from: form fields in order of preference,
# "$today", "$region" (the issuing department's region), "$complaint_phone",
# or "=text" for a fixed text.
LICENCE_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "food_business_licence": {
        "legal_representative": ("legal_rep", "name"),
        "residence": ("address", "premises"),
        "business_premises": ("premises", "address"),
        "main_business_form": ("business_type", "=餐饮服务"),
        "business_items": ("business_items", "business_type"),
        "complaint_phone": ("$complaint_phone",),
    },
    "individual_business_licence": {
        "operator": ("name",),
        "organisation_form": ("form_of_organisation", "=个人经营"),
        "registered_on": ("$today",),
        "business_premises": ("premises",),
        "business_scope": ("scope", "business_items"),
    },
    "public_place_hygiene_licence": {
        "legal_representative": ("legal_rep",),
        "address": ("premises", "address"),
        "licensed_items": ("place_type",),
        "floor_area": ("area",),
    },
    "pension_insurance_certificate": {
        "insured_region": ("$region",),
        "insured_on": ("$today",),
        "contribution_grade": ("contribution_level",),
        "address": ("household_address",),
    },
}

# The licence field that tells one licence of a type from another of the same
# holder. A 食品经营许可证, 个体工商户营业执照 or 公共场所卫生许可证 is issued for
# one premises, so a holder with one shop may open another; a type not listed
# here (the 参保证明) is one per holder.
LICENCE_SCOPE: dict[str, str] = {
    "food_business_licence": "business_premises",
    "individual_business_licence": "business_premises",
    "public_place_hygiene_licence": "address",
}


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _refuse(message: str, code: str, **detail: Any) -> InvalidInput:
    return InvalidInput(message, code=code, detail=detail)


def _now() -> dt.datetime:
    return timezone.now()


def _lock(application: Application) -> Application:
    return application_with_item(application.pk, for_update=True)


def _restore(application: Application) -> process.Instance:
    """Restore the application's process instance on the version it started on."""
    instance = process.restore(
        application.item.process_id, application.process_state, versions=stored_process_files
    )
    # A state saved before versions were stored runs on today's files from
    # here on: store them, so that it keeps them when the files change again.
    ensure_process_version_recorded(instance.definition)
    return instance


def _fresh(application: Application) -> Application:
    return application_with_item(application.pk)


def _locked_as_read(seen: Application) -> Application:
    """Lock the application, refusing if it changed since it was read; return it as read."""
    if not lock_if_unchanged(seen):
        raise Conflict(_("办件已被他人更新，请刷新后重试。"), code="changed_meanwhile")
    return seen


def _event(
    application: Application,
    kind: str,
    actor: Actor,
    *,
    note: str = "",
    from_state: str = "",
    to_state: str = "",
    at: dt.datetime | None = None,
    task: WorkTask | None = None,
) -> None:
    insert_event(
        application=application.pk,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        actor_ref=actor.ref,
        actor_label=actor.label,
        at=at or _now(),
        note=note[:MAX_NOTE],
        note_message=message_of(note),
        task=task.pk if task is not None else None,
    )


def _local_date(moment: dt.datetime) -> str:
    """The day a deadline ends, as applicants read it (Beijing time)."""
    return timezone.localtime(moment).strftime("%Y-%m-%d")


# Made once per name: looking the label up in every language (stored_label)
# cost about 28 µs, on every claimed or completed task.
@functools.lru_cache(maxsize=64)
def _step_note(name: str) -> str:
    """A task's name for the timeline: the known step names are shown in the reader's language."""
    return stored_label(StepName(name).label) if name in StepName.values else name


def _ledger(application: Application, verb: str, actor: Actor, **data: Any) -> None:
    record_entry(
        actor=actor,
        action=f"eservices.{verb}",
        subject_type=SUBJECT,
        subject_id=application.pk,
        data={"number": application.number, "item": application.item.code, **data},
    )


def _move(
    application: Application,
    target: str,
    actor: Actor,
    *,
    note: str = "",
    at: dt.datetime,
    task: WorkTask | None = None,
) -> str:
    """Change the state (checked against the table) and add the timeline row."""
    step = check_application_transition(application.state, target)
    _event(
        application,
        step,
        actor,
        note=note,
        from_state=application.state,
        to_state=target,
        at=at,
        task=task,
    )
    application.state = target
    if target in FINISHED_STATES:
        application.finished_at = at
    return step


def _link(application: Application) -> str:
    """The applicant's page of the application; staff are sent to their workbench pages."""
    return reverse("eservices:application", args=[application.number])


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _require_applicant(application: Application, user: User) -> None:
    if not is_own_application(user, application):
        raise PermissionDenied(_("只有申请人本人可以办理此操作。"), code="not_applicant")


def _clean_note(note: str, *, required: bool, field: str = "note") -> str:
    note = note.strip()
    # Zero-width spaces, byte-order marks and the like show the reader
    # nothing: a note of them alone is no note. Kept, a department's answer of
    # them would close a bad rating's rectification with nothing said.
    if not has_visible_text(note):
        note = ""
    if required and not note:
        raise _refuse(_("请填写说明。"), "note_required", field=field)
    if len(note) > MAX_NOTE:
        raise _refuse(_("说明过长。"), "note_too_long", field=field)
    # A bell or a terminal's escape sequence pasted in shows as nothing, or as
    # garbage, to whoever reads the note later; line breaks and tabs are text.
    character = first_control_character(note)
    if character is not None:
        raise _refuse(
            _("内容含有不可见的控制字符（%(character)s），请删除后重试。")
            % {"character": character},
            "control_characters",
            field=field,
            character=character,
        )
    return note


# ---------------------------------------------------------------------------
# Who applies
# ---------------------------------------------------------------------------


def _no_enterprise_linked() -> str:
    """Why an enterprise account that acts for no enterprise cannot apply, and the way out."""
    # Accounts act for an enterprise through a membership (identity): the
    # legal representative's comes with the account, an agent's is granted by
    # the legal representative for a time and lapses when that time is up.
    return _(
        "您的账号尚未关联任何企业（或企业授权已经到期），暂不能以企业名义在线申请。"
        "请联系企业的法定代表人为您授权为经办人，授权后即可办理。"
    )


def enterprise_link_refusal(user: object) -> str:
    """Return why an enterprise account may not apply for lack of an enterprise ("": it may)."""
    if not isinstance(user, User) or applicant_kind_of(user) != ApplicantKind.ENTERPRISE:
        return ""
    return "" if memberships_of(user).exists() else _no_enterprise_linked()


def enterprise_not_linked(field: str) -> PermissionDenied:
    """The refusal of an enterprise named in ``field`` that the user does not act for."""
    return PermissionDenied(
        _("您未获授权以该企业的名义办理。"), code="enterprise_not_linked", detail={"field": field}
    )


def subject_of_user(user: User, credit_code: str = "") -> Subject:
    """Return whom a user applies as: themself, or an enterprise they act for."""
    if user.audience == Audience.CITIZEN and user.person is not None:
        return Subject(ApplicantKind.PERSON, user.person.id_number, user.person.name)
    if user.audience == Audience.ENTERPRISE:
        memberships = list(memberships_of(user))
        if not memberships:
            # Choosing an enterprise cannot help: there is none to choose.
            raise PermissionDenied(_no_enterprise_linked(), code="no_enterprise_linked")
        if credit_code:
            wanted = normalise(credit_code)
            memberships = [m for m in memberships if m.enterprise.credit_code == wanted]
            if not memberships:
                # Named, but not one the user acts for: choosing again among
                # their own would not help, and another's is not theirs to use.
                raise enterprise_not_linked("credit_code")
        if len(memberships) == 1:
            enterprise = memberships[0].enterprise
            return Subject(ApplicantKind.ENTERPRISE, enterprise.credit_code, enterprise.name)
        raise _refuse(_("请选择以哪家企业的名义申请。"), "enterprise_required", field="credit_code")
    raise PermissionDenied(_("只有实名认证的个人或企业用户可以在线申请。"), code="not_an_applicant")


def _check_target(item: ServiceItem, applicant_kind: str) -> None:
    allowed = {
        Target.PERSON: (ApplicantKind.PERSON,),
        Target.LEGAL: (ApplicantKind.ENTERPRISE,),
        Target.BOTH: (ApplicantKind.PERSON, ApplicantKind.ENTERPRISE),
    }.get(Target(item.target), ())
    if applicant_kind not in allowed:
        raise PermissionDenied(_("该事项不面向此类申请人。"), code="applicant_kind_not_allowed")


def check_applicant_kind(item: ServiceItem, applicant_kind: str) -> None:
    """Refuse a kind of applicant the item does not serve or whose licence it cannot issue.

    The same rule holds when a draft is started and when it is submitted, so
    that nobody fills in a whole application that can never be submitted.
    """
    _check_target(item, applicant_kind)
    _check_holder_kind(applicant_kind, _licence_type_for(item, applicant_kind))


def applicant_kind_of(user: object) -> str | None:
    """Return the kind of applicant a user applies as, or None for who cannot apply."""
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    if user.audience == Audience.CITIZEN and user.person is not None:
        return str(ApplicantKind.PERSON)
    if user.audience == Audience.ENTERPRISE:
        return str(ApplicantKind.ENTERPRISE)
    return None


def applicant_refusal(item: ServiceItem, user: object) -> str:
    """Return why the user may not apply for the item because of who they are ("": they may)."""
    kind = applicant_kind_of(user)
    if kind is None:
        return ""
    try:
        check_applicant_kind(item, kind)
    except PermissionDenied as refusal:
        return str(refusal.message)
    return ""


def applicant_kinds_for(item: ServiceItem) -> list[str]:
    """Return the names of the kinds of applicant that may apply for the item online."""
    names = []
    for kind in ApplicantKind:
        try:
            check_applicant_kind(item, kind.value)
        except PermissionDenied:
            continue
        names.append(str(kind.label))
    return names


def _subject(application: Application) -> Subject:
    return Subject(
        application.applicant_kind, application.applicant_id_number, application.applicant_name
    )


def _next_number(now: dt.datetime) -> str:
    day = timezone.localdate(now)
    ApplicationSequence.objects.bulk_create(
        [ApplicationSequence(day=day, last=0)], ignore_conflicts=True
    )
    sequence = ApplicationSequence.objects.select_for_update().get(day=day)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"SQ{day:%Y%m%d}{sequence.last:06d}"


# ---------------------------------------------------------------------------
# Drafts and materials
# ---------------------------------------------------------------------------


def _merge_prefill(
    prefilled: Mapping[str, Mapping[str, Any]], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the form with prefilled values under the applicant's, and what stays verified.

    A value prefilled from the login (the applicant's own 身份证号 or credit
    code) is who applies: changing it would apply in someone else's name, and
    the process derives eligibility (age, 户籍) from it, so it is refused.
    """
    form: dict[str, Any] = {name: entry["value"] for name, entry in prefilled.items()}
    form.update(data)
    fixed = {
        name: entry["value"]
        for name, entry in prefilled.items()
        if entry.get("source") == APPLICANT_SOURCE
    }
    changed = {
        name: _("该项来自实名认证信息，不能修改。")
        for name, value in fixed.items()
        # Typed again in full width (９１４３…) it is the same number, not another.
        if data.get(name) not in (None, "") and normalise(str(data[name])) != str(value)
    }
    if changed:
        raise _refuse(_("申请表填写有误，请按提示修改。"), "invalid_form", fields=changed)
    form.update(fixed)
    verified = {
        name: dict(entry) for name, entry in prefilled.items() if form.get(name) == entry["value"]
    }
    return form, verified


def saved_form(application: Application) -> dict[str, Any]:
    """The saved values of the fields the item's form has now.

    A department may change the form of a published item: a value saved for a
    field it has dropped since is left behind, not refused, since the pages no
    longer show it and the applicant could neither correct nor clear it.
    """
    fields = fields_of(application.item.form_schema)
    return {name: value for name, value in application.form_data.items() if name in fields}


def _saved_prefill(application: Application) -> dict[str, Any]:
    """What was prefilled for the fields the item's form has now (see ``saved_form``)."""
    fields = fields_of(application.item.form_schema)
    return {name: entry for name, entry in application.prefilled.items() if name in fields}


def open_draft_of(item: ServiceItem, user: User, *, credit_code: str = "") -> Application | None:
    """Return the user's open draft of the item for the same applicant, or None.

    The applicant is whom ``do_save_draft`` would create a draft for: the
    person, or the enterprise named (or the only one the user acts for). The
    apply page reopens this draft instead of starting another; so does the API.
    None also when the applicant cannot be told: starting then says why.
    """
    try:
        subject = subject_of_user(user, credit_code)
    except (InvalidInput, PermissionDenied):
        return None
    drafts = applications_of(user, ApplicationState.DRAFT)
    return drafts.filter(item=item, applicant_id_number=subject.id_number).first()


def do_save_draft(
    item: ServiceItem,
    form_data: Mapping[str, Any],
    *,
    acting_user: User,
    application: Application | None = None,
    credit_code: str = "",
    partial: bool = False,
    request_key: str = "",
    request_digest: str = "",
) -> Application:
    """Create a draft (prefilled from the exchange) or update the applicant's draft.

    An application being corrected (补正) is updated by the fields sent; the
    others keep what was submitted. ``partial`` saves what validates of an
    existing draft and keeps the saved value of each field that does not,
    instead of refusing the whole form: an upload or a submission saves what
    was typed on the way, and a typing mistake must not stop it. Nothing is
    written when nothing changed.
    """
    actor = actor_of(acting_user)
    if application is None:
        if item.state != ItemState.PUBLISHED:
            raise Conflict(_("该事项当前不受理申请。"), code="item_not_open")
        # Refused before a draft exists: a draft that can never be submitted is litter.
        if not item.process_id:
            raise Conflict(_("该事项尚未配置办理流程，暂不能在线申请。"), code="no_process")
        _require_lane_departments(item)
        subject = subject_of_user(acting_user, credit_code)
        check_applicant_kind(item, subject.kind)
        form, verified = _merge_prefill(prefill(item, subject), form_data)
        cleaned = clean_form(item.form_schema, form, complete=False)
        now = _now()
        with transaction.atomic(durable=True):
            created = Application.objects.create(
                number=_next_number(now),
                item=item,
                applicant=acting_user,
                applicant_kind=subject.kind,
                applicant_id_number=subject.id_number,
                applicant_name=subject.name,
                form_data=cleaned,
                prefilled={k: v for k, v in verified.items() if k in cleaned},
                request_key=request_key,
                request_digest=request_digest,
            )
            _event(created, "create", actor, to_state=ApplicationState.DRAFT, at=now)
            _ledger(
                created,
                "create_application",
                actor,
                fields=len(cleaned),
                prefilled=sorted(created.prefilled),
                applicant=_hash(subject.id_number),
            )
        return created
    current = _fresh(application)
    _require_applicant(current, acting_user)
    if current.state == ApplicationState.WITHDRAWN:
        raise Conflict(_("该申请已经撤回。"), code="not_editable")
    if current.state not in (ApplicationState.DRAFT, ApplicationState.CORRECTING):
        raise Conflict(_("已提交的申请不能再修改。"), code="not_editable")
    if current.state == ApplicationState.CORRECTING:
        # What was submitted stays unless corrected: as when the correction is
        # handed in, the fields sent are the ones corrected and the others keep
        # their values (a field sent as null or "" is cleared).
        form_data = {**saved_form(current), **form_data}
    form, verified = _merge_prefill(_saved_prefill(current), form_data)
    if partial:
        valid, problems = check_form(current.item.form_schema, form, complete=False)
        kept = {name: current.form_data[name] for name in problems if name in current.form_data}
        form = {**valid, **kept}
    cleaned = clean_form(current.item.form_schema, form, complete=False)
    prefilled = {k: v for k, v in verified.items() if k in cleaned}
    if partial and cleaned == current.form_data and prefilled == current.prefilled:
        return current
    with transaction.atomic(durable=True):
        locked = _locked_as_read(current)
        locked.form_data = cleaned
        locked.prefilled = prefilled
        locked.save()
        _event(locked, "update", actor)
        _ledger(locked, "update_application", actor, fields=len(cleaned))
    return locked


@dataclass(frozen=True, slots=True)
class Started:
    application: Application
    # The same request was sent before: ``application`` is the one it started then.
    repeated: bool


def _started_before(key: str, digest: str) -> Application | None:
    """The application started under ``key``, refused if that request asked for something else."""
    found = Application.objects.filter(request_key=key).first()
    if found is None:
        return None
    if found.request_digest != digest:
        raise key_reused(
            _(
                "该幂等键已用于另一份内容不同的申请（申请编号 %(number)s）。"
                "重发同一请求时请原样发送；新的申请请使用新的幂等键。"
            )
            % {"number": found.number},
            {"fileId": found.number},
        )
    return found


def do_save_draft_once(
    item: ServiceItem,
    form_data: Mapping[str, Any],
    idempotency_key: str,
    *,
    acting_user: User,
    request_digest: str,
    credit_code: str = "",
) -> Started:
    """Start the draft of a request sent with an idempotency key once, however often it is sent.

    A client retries a request whose answer it never got (a timeout): the
    retry finds the application the first sending started, with no second
    application or ledger entry. ``request_digest`` is what the request asked
    for, as the interface reads it: the same key with another request is
    refused (``idempotency_key_reused``), since one of the two would
    otherwise be lost. The key is the caller's own: another account's same
    key is another request.
    """
    checked_idempotency_key(idempotency_key)
    # With the caller's account, so one account's key never finds another's
    # application.
    key = caller_key(f"user:{acting_user.pk}", idempotency_key)
    application, repeated = found_or_made(
        lambda: _started_before(key, request_digest),
        lambda: do_save_draft(
            item,
            form_data,
            acting_user=acting_user,
            credit_code=credit_code,
            request_key=key,
            request_digest=request_digest,
        ),
    )
    return Started(application, repeated=repeated)


def _file_type(upload: "UploadedFile[bytes]") -> str:
    head = upload.read(16)
    upload.seek(0)
    name = (upload.name or "").lower()
    for content_type, (magic, suffixes) in FILE_TYPES.items():
        if head.startswith(magic) and name.endswith(suffixes):
            return content_type
    raise _refuse(
        _("只接受 PDF、JPG 或 PNG 文件，且扩展名须与文件内容一致。"), "file_type", field="file"
    )


def _digest(upload: "UploadedFile[bytes]") -> str:
    sha = hashlib.sha256()
    for chunk in upload.chunks():
        sha.update(chunk)
    upload.seek(0)
    return sha.hexdigest()


def _material_of(application: Application, material_id: int) -> Material:
    material = application.item.materials.filter(pk=material_id).first()
    if material is None:
        raise _refuse(_("该事项没有这项材料。"), "unknown_material", field="material")
    return material


def do_upload_material(
    application: Application, material_id: int, upload: "UploadedFile[bytes]", *, acting_user: User
) -> ApplicationMaterial:
    """Attach a file (PDF, JPG or PNG, at most 10 MB) as one of the application's materials."""
    current = _fresh(application)
    _require_applicant(current, acting_user)
    material = _material_of(current, material_id)
    if current.state not in (
        ApplicationState.DRAFT,
        ApplicationState.CORRECTING,
    ) and not fulfils_promise(current, material):
        raise Conflict(_("当前不能上传材料。"), code="not_editable")
    if material.source == MaterialSource.EXCHANGE:
        raise _refuse(_("该材料由共享获取，无需上传。"), "material_not_uploaded", field="material")
    size = upload.size or 0
    if size > MAX_UPLOAD_BYTES:
        raise _refuse(
            _("文件不能超过10MB。"), "file_too_large", field="file", max_bytes=MAX_UPLOAD_BYTES
        )
    if size == 0:
        raise _refuse(_("文件是空的。"), "file_empty", field="file")
    content_type = _file_type(upload)
    sha256 = _digest(upload)
    actor = actor_of(acting_user)
    with transaction.atomic(durable=True):
        locked = _lock(current)
        if locked.state != current.state:
            # Decided or withdrawn meanwhile: a promised material no longer follows.
            raise Conflict(_("办件已被他人更新，请刷新后重试。"), code="changed_meanwhile")
        earlier = list(locked.provided_materials.filter(material=material))
        if locked.state != ApplicationState.DRAFT:
            # Submitted once, a version is evidence: staff still see what it replaced.
            _keep_superseded(earlier, _now())
        ApplicationMaterial.objects.filter(pk__in=[row.pk for row in earlier]).delete()
        provided = ApplicationMaterial(
            application=locked,
            material=material,
            kind=ProvisionKind.UPLOAD,
            file_name=(upload.name or "")[-200:],
            content_type=content_type,
            size=size,
            sha256=sha256,
        )
        provided.file.save(f"{sha256[:32]}{FILE_TYPES[content_type][1][0]}", upload, save=False)
        provided.save()
        # In a draft nothing keeps what was replaced; a version kept for staff keeps its file.
        _delete_files_after_commit(row.file.name or "" for row in earlier)
        locked.save()
        _event(locked, "upload_material", actor, note=material.name)
        _ledger(
            locked,
            "upload_material",
            actor,
            material=material.pk,
            sha256=sha256,
            size=size,
            content_type=content_type,
        )
    return provided


def _keep_superseded(rows: Iterable[ApplicationMaterial], now: dt.datetime) -> None:
    SupersededMaterial.objects.bulk_create(
        SupersededMaterial(
            application_id=row.application_id,
            material_id=row.material_id,
            kind=row.kind,
            file=row.file.name or "",
            file_name=row.file_name,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            promised_on=row.promised_on,
            provided_at=row.created_at,
            superseded_at=now,
        )
        for row in rows
    )


# The applicant may hand in what they promised (容缺) while staff work on it
# and after approval too: the promise stands until the material is supplied.
PROMISE_KEEPING_STATES = (
    ApplicationState.SUBMITTED,
    ApplicationState.ACCEPTED,
    ApplicationState.APPROVED,
)


def fulfils_promise(application: Application, material: Material) -> bool:
    """Whether an upload now hands in a material promised at submission (容缺受理)."""
    # Accepted on a promise, the applicant keeps it without waiting for 补正.
    return (
        application.state in PROMISE_KEEPING_STATES
        and application.provided_materials.filter(
            material=material, kind=ProvisionKind.COMMITMENT
        ).exists()
    )


def do_promise_material(
    application: Application, material_id: int, promised_on: dt.date, *, acting_user: User
) -> ApplicationMaterial:
    """Promise to hand in a 容缺-eligible material by a date (容缺受理)."""
    current = _fresh(application)
    _require_applicant(current, acting_user)
    if current.state != ApplicationState.DRAFT:
        raise Conflict(_("当前不能作出容缺承诺。"), code="not_editable")
    material = _material_of(current, material_id)
    if material.requirement != MaterialRequirement.DEFERRABLE:
        raise _refuse(_("该材料不可容缺。"), "not_deferrable", field="material")
    today = timezone.localdate()
    if promised_on <= today or promised_on > today + dt.timedelta(days=90):
        raise _refuse(
            _("承诺补交日期应在今后90天以内。"), "invalid_promise_date", field="promised_on"
        )
    actor = actor_of(acting_user)
    with transaction.atomic(durable=True):
        locked = _lock(current)
        if locked.state != ApplicationState.DRAFT:
            # Submitted meanwhile: what was submitted stays as it was.
            raise Conflict(_("办件已被他人更新，请刷新后重试。"), code="changed_meanwhile")
        replaced = locked.provided_materials.filter(material=material)
        files = list(replaced.values_list("file", flat=True))
        replaced.delete()
        _delete_files_after_commit(files)
        provided = ApplicationMaterial.objects.create(
            application=locked,
            material=material,
            kind=ProvisionKind.COMMITMENT,
            promised_on=promised_on,
        )
        locked.save()
        _event(locked, "promise_material", actor, note=f"{material.name} {promised_on}")
        _ledger(
            locked,
            "promise_material",
            actor,
            material=material.pk,
            promised_on=promised_on.isoformat(),
        )
    return provided


# ---------------------------------------------------------------------------
# Deleting a draft
# ---------------------------------------------------------------------------


def _delete_files_after_commit(names: Iterable[str]) -> None:
    """Remove stored material files once the rows that named them are gone for good.

    Only after commit: a rolled-back deletion must find its files still there.
    A file another row still names (a version kept for staff) stays.
    """
    wanted = {name for name in names if name}
    if not wanted:
        return
    still_named = set(
        ApplicationMaterial.objects.filter(file__in=wanted).values_list("file", flat=True)
    ) | set(SupersededMaterial.objects.filter(file__in=wanted).values_list("file", flat=True))
    gone = sorted(wanted - still_named)
    if not gone:
        return
    storage = ApplicationMaterial._meta.get_field("file").storage

    def delete() -> None:
        for name in gone:
            storage.delete(name)

    # robust: a file that cannot be removed must not turn a committed deletion
    # into an error; it is only litter on the disk.
    transaction.on_commit(delete, using=router.db_for_write(ApplicationMaterial), robust=True)


def do_delete_draft(application: Application, *, acting_user: User) -> Application:
    """Delete one's own draft with its materials and their files; return it as it was.

    A draft is the applicant's alone (staff never see it), so nothing of it is
    kept but the ledger entry; what was submitted once is a record and can
    only be withdrawn. A draft withdrawn before it was ever sent is a draft
    still: deleting it empties 我的办件 of it.
    """
    current = _fresh(application)
    _require_applicant(current, acting_user)
    if not is_never_submitted(current):
        raise Conflict(_("只能删除尚未提交的草稿。"), code="not_a_draft")
    actor = actor_of(acting_user)
    with transaction.atomic(durable=True):
        locked = _locked_as_read(current)
        files = [
            *locked.provided_materials.values_list("file", flat=True),
            *locked.superseded_materials.values_list("file", flat=True),
        ]
        # Written first: the entry names the draft by its row, which goes next.
        _ledger(locked, "delete_draft", actor)
        locked.delete()
        _delete_files_after_commit(files)
    # As it was: its number and item say what is gone; it is no longer saved.
    return locked


# ---------------------------------------------------------------------------
# Submission
# ---------------------------------------------------------------------------


def _resolve_materials(
    application: Application, materials: Sequence[Material]
) -> list[ApplicationMaterial]:
    """Return the rows for e-licences and shared data, or refuse missing materials."""
    rows, problems = _found_materials(application, materials)
    if problems:
        raise _refuse(_("申请材料不齐全。"), "missing_materials", materials=problems)
    return rows


def _found_materials(
    application: Application,
    materials: Sequence[Material],
    *,
    promised_from: dt.date | None = None,
) -> tuple[list[ApplicationMaterial], dict[str, str]]:
    """Return the rows for e-licences and shared data, and material id -> what is missing.

    ``materials`` are the item's (``materials_of_item``), read once per submission.
    ``promised_from``: a 容缺 promise to hand a material in before this day has
    lapsed and provides nothing.
    """
    provided = handed_in_materials(application.pk)
    problems: dict[str, str] = {}
    rows: list[ApplicationMaterial] = []
    for material in materials:
        given = material.pk in provided
        if material.source == MaterialSource.EXCHANGE:
            rows.append(
                ApplicationMaterial(
                    application=application,
                    material=material,
                    kind=ProvisionKind.EXCHANGE,
                    resource_code=material.resource_code,
                )
            )
            continue
        if material.source == MaterialSource.LICENCE:
            licence = find_valid_licence(application.applicant_id_number, material.licence_type)
            if licence is not None:
                rows.append(
                    ApplicationMaterial(
                        application=application,
                        material=material,
                        kind=ProvisionKind.LICENCE,
                        licence=licence,
                    )
                )
                continue
        promised_on = provided.get(material.pk)
        if promised_on is not None and promised_from is not None and promised_on < promised_from:
            problems[str(material.pk)] = _("承诺补交日期已过，请上传该材料或重新作出容缺承诺。")
            continue
        if given or material.requirement == MaterialRequirement.OPTIONAL:
            continue
        if material.source == MaterialSource.LICENCE and material.requirement not in (
            MaterialRequirement.REQUIRED,
            MaterialRequirement.DEFERRABLE,
        ):
            continue
        if material.requirement == MaterialRequirement.DEFERRABLE:
            problems[str(material.pk)] = _("请上传该材料，或作出容缺承诺。")
        elif material.source == MaterialSource.LICENCE:
            problems[str(material.pk)] = _("未找到有效的电子证照，请上传该材料。")
        elif is_application_form(material):
            continue
        else:
            problems[str(material.pk)] = _("请上传该材料。")
    return rows, problems


def is_application_form(material: Material) -> bool:
    # The application form itself is filled in online: the item's first
    # material, or one named as a form (申请书, 申请表, 登记表) or noted 在线填写.
    if material.source != MaterialSource.UPLOAD:
        return False
    return (
        material.position == 0 or material.name.endswith(FORM_NAMES) or "在线填写" in material.notes
    )


def needs_no_upload(material: Material) -> bool:
    """Whether the applicant hands in nothing for the material (shared data, e-licence, the form).

    The guide (一次告知) and the apply page both use it, so that they tell the same.
    """
    return material.source != MaterialSource.UPLOAD or is_application_form(material)


def licence_type_code_for(item: ServiceItem, applicant_kind: str) -> str:
    """Return the code of the licence type approval issues to this kind of applicant ("": none)."""
    by_applicant = LICENCE_TYPES_BY_APPLICANT.get(item.process_id, {})
    return (
        item.licence_type_code
        or by_applicant.get(applicant_kind)
        or DEFAULT_LICENCE_TYPES.get(item.process_id, "")
    )


def _licence_value(source: str, application: Application, today: dt.date) -> Any:
    if source == "$today":
        return today.isoformat()
    if source == "$region":
        return application.item.department.region.name
    if source == "$complaint_phone":
        return application.item.complaint_phone
    if source.startswith("="):
        return source[1:]
    return application.form_data.get(source)


def licence_data_of(application: Application, type_code: str) -> dict[str, Any]:
    """Return the licence's fields, taken from the application (empty values left out)."""
    today = timezone.localdate()
    data: dict[str, Any] = {}
    for field, sources in LICENCE_FIELDS.get(type_code, {}).items():
        for source in sources:
            value = _licence_value(source, application, today)
            if value not in (None, ""):
                data[field] = value
                break
    return data


def _licence_type_for(item: ServiceItem, applicant_kind: str) -> LicenceType | None:
    code = licence_type_code_for(item, applicant_kind)
    return get_licence_type(code) if code else None


def _licence_type_of(application: Application) -> LicenceType | None:
    return _licence_type_for(application.item, application.applicant_kind)


def _check_holder_kind(applicant_kind: str, licence_type: LicenceType | None) -> None:
    if licence_type is not None and applicant_kind not in licence_type.holder_kinds:
        raise PermissionDenied(
            _("该事项的证照不向此类申请人发放。"), code="applicant_kind_not_allowed"
        )


def _licence_gaps(application: Application, licence_type: LicenceType | None) -> dict[str, str]:
    """Return the form fields whose absence would stop the licence from being issued."""
    if licence_type is None:
        return {}
    code = licence_type.code
    data = licence_data_of(application, code)
    missing = [
        f["code"] for f in licence_type.fields if f.get("required") and f["code"] not in data
    ]
    sources = LICENCE_FIELDS.get(code, {})
    return {
        sources[name][0]: _("核发证照需要这一项。")
        for name in missing
        if name in sources and not sources[name][0].startswith("$")
    }


def _shared_problems(
    application: Application,
    form: Mapping[str, Any],
    prefilled: Mapping[str, Any],
    materials: Sequence[Material],
) -> dict[str, str]:
    """The fields the exchange does not confirm; refuse when it cannot be asked.

    Only what the exchange confirmed is recorded as a 共享获取 material: a
    value that could not be checked is not submitted at all.
    """
    shared = [
        (m.resource_code, {str(c) for c in m.item_codes})
        for m in materials
        if m.source == MaterialSource.EXCHANGE and m.resource_code
    ]
    if not shared:
        return {}
    checked = verify_shared(application.item, form, prefilled, shared)
    if checked.unavailable and not checked.problems:
        raise Conflict(
            _("暂时无法通过共享数据核验申请表中的身份信息，请稍后再试。"),
            code="check_unavailable",
        )
    return checked.problems


def _check_submission(
    application: Application,
    form_data: Mapping[str, Any],
    licence_type: LicenceType | None,
    prefilled: Mapping[str, Any],
) -> list[ApplicationMaterial]:
    """Set the cleaned form on the application, or refuse with every problem at once.

    The applicant fixes the form's fields (each one's format and the required
    ones), what the licence needs and the missing materials in one round
    trip, rather than finding them out one refusal after another.
    """
    form, problems = check_form(application.item.form_schema, form_data, complete=True)
    materials = materials_of_item(application.item_id)
    if not problems:
        # Read the exchange only for a form otherwise right: a malformed number is no query.
        problems = _shared_problems(application, form, prefilled, materials)
    application.form_data = form
    # Refuse at submission what would stop the licence from being issued at approval.
    gaps = _licence_gaps(application, licence_type)
    # A promise made in a draft that waited past the promised day is broken
    # before anyone relies on it: it is not accepted as 容缺.
    rows, missing = _found_materials(application, materials, promised_from=timezone.localdate())
    if problems or gaps:
        message = (
            _("申请表填写有误，请按提示修改。") if problems else _("申请表缺少核发证照所需的信息。")
        )
        detail: dict[str, Any] = {"fields": {**gaps, **problems}}
        if missing:
            detail["materials"] = missing
        raise _refuse(message, "invalid_form", **detail)
    if missing:
        raise _refuse(_("申请材料不齐全。"), "missing_materials", materials=missing)
    return rows


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _derived(application: Application, form: Mapping[str, Any]) -> dict[str, Any]:
    """Process inputs the platform works out instead of asking the applicant.

    ``age`` and ``hukou_local`` (the 身份证号's region is in the implementing
    department's city) come from the person's 身份证号; ``name_verified`` says
    the applicant's name was confirmed by the exchange. The variables the
    form's ``x-checks`` set (``enrolled_elsewhere``) come from ``run_checks``
    and are added by ``_process_data``.
    """
    derived: dict[str, Any] = {}
    # A person's facts come from their own verified 身份证号, whatever the form says.
    number = (
        application.applicant_id_number
        if application.applicant_kind == ApplicantKind.PERSON
        else form.get("id_number")
    )
    if isinstance(number, str):
        try:
            facts = validate_id_number(number)
        except InvalidInput:
            facts = None
        if facts is not None:
            derived["age"] = _age_on(facts.birth_date, timezone.localdate())
            region = application.item.department.region_id or ""
            derived["hukou_local"] = facts.region_code[:4] == str(region)[:4]
    derived["name_verified"] = bool(application.prefilled.get("name", {}).get("verified"))
    return derived


def _same_place(value: Any) -> str:
    # "八一路 12号" and "八一路１２号" are one address.
    return "".join(unicodedata.normalize("NFKC", str(value)).split())


def held_licence(application: Application, type_code: str) -> Licence | None:
    """A valid licence of the type that the applicant holds for what this application is for.

    For a type issued per premises (``LICENCE_SCOPE``), only a licence for the
    premises the application names counts; otherwise any licence of the type.
    """
    scope = LICENCE_SCOPE.get(type_code)
    if scope is None:
        return find_valid_licence(application.applicant_id_number, type_code)
    wanted = licence_data_of(application, type_code).get(scope)
    if wanted in (None, ""):
        return None
    place = _same_place(wanted)
    return find_valid_licence(
        application.applicant_id_number,
        type_code,
        matching=lambda licence: _same_place(licence.data.get(scope, "")) == place,
    )


class Hold:
    """Why the platform keeps an application from 秒批 and sends it to staff."""

    LICENCE_HELD = "licence_held"  # the applicant holds a valid licence of this type
    PROMISE_OUTSTANDING = "promise_outstanding"  # a 容缺 material is still to come
    CHECK_UNAVAILABLE = "check_unavailable"  # an x-check could not run


def platform_holds(
    application: Application, licence_type: LicenceType | None, checks: CheckResults
) -> list[str]:
    """The reasons that no decision table may approve this application on its own."""
    holds = []
    if licence_type is not None and held_licence(application, licence_type.code) is not None:
        # A second licence for the same premises is a change or renewal in disguise: staff decide.
        holds.append(Hold.LICENCE_HELD)
    if has_provision_of_kind(application.pk, ProvisionKind.COMMITMENT):
        holds.append(Hold.PROMISE_OUTSTANDING)
    if not checks.complete:
        holds.append(Hold.CHECK_UNAVAILABLE)
    return holds


def _process_data(
    application: Application,
    credit: Mapping[str, Any],
    checks: CheckResults,
    holds: Sequence[str],
) -> dict[str, Any]:
    """The process variables: schema defaults, derived inputs, the form, checks and holds."""
    data: dict[str, Any] = {
        name: field["default"]
        for name, field in fields_of(application.item.form_schema).items()
        if "default" in field
    }
    data.update(application.form_data)
    # What the platform found out wins over anything the form says: a form
    # field named like a derived fact (``age``) cannot stand in for it.
    data.update(_derived(application, application.form_data))
    data.update(checks.variables)
    data.setdefault("enrolled_elsewhere", False)
    data["credit_flag"] = bool(credit.get("flag"))
    data["manual_review"] = bool(holds)
    return {
        name: value
        for name, value in data.items()
        if name.isidentifier() and not name.startswith("_") and name not in SAFE_FUNCTIONS
    }


def _licence_draft(
    application: Application, licence_type: LicenceType | None
) -> LicenceDraft | None:
    """The licence approval will issue, checked before the transaction (``None``: no licence)."""
    if licence_type is None:
        return None
    holder = Holder(
        application.applicant_kind, application.applicant_id_number, application.applicant_name
    )
    return prepare_licence(
        licence_type,
        holder,
        licence_data_of(application, licence_type.code),
        application.item.department,
    )


def _issue_licence(
    application: Application, draft: LicenceDraft | None, actor: Actor
) -> Licence | None:
    if draft is None:
        return None
    return issue_prepared_licence(draft, actor=actor, source=f"eservices:{application.number}")


def _require_lane_departments(item: ServiceItem) -> None:
    """Refuse applications to an item whose process has a lane no department of it works."""
    lanes = lanes_without_department(item.process_id, item.department, item.co_departments.all())
    if lanes:
        raise Conflict(
            _("本事项并联审批的部门配置不完整，暂不能受理申请，请联系实施部门。"),
            code="lane_department_missing",
            detail={"lanes": lanes},
        )


@dataclass(frozen=True, slots=True)
class _TaskChanges:
    """What mirroring the process's ready user tasks in ``WorkTask`` changes."""

    close: list[int]
    add: list[dict[str, Any]]


def _task_changes(
    application: Application,
    instance: process.Instance,
    now: dt.datetime,
    *,
    done: int | None = None,
) -> _TaskChanges:
    """Close the open work tasks the process no longer waits on; add the new ones.

    Worked out before the transaction: the open tasks change only with an
    action that saves the application, which ``_locked_as_read`` checks.
    ``done`` is the task the step completes itself.
    """
    ready = {task.id: task for task in instance.ready_user_tasks()}
    close = []
    for pk, task_id in open_task_ids(application.pk):
        if pk != done and ready.pop(task_id, None) is None:
            close.append(pk)
    item = application.item
    # Read only when a 并联 lane needs them: most steps open no such task.
    prefixed = any("." in task.role for task in ready.values())
    co_departments = list(item.co_departments.all()) if prefixed else []
    departments = {
        task.id: lane_department(item.department, co_departments, task.role)
        for task in ready.values()
    }
    orphans = [task for task in ready.values() if departments[task.id] is None]
    if orphans:
        # Never the implementing department in the lane's place: it has no
        # power in another department's remit. The step is refused, nothing
        # is written, and it goes through once the item names the department.
        raise Conflict(
            _(
                "流程环节 %(tasks)s 没有承办部门（泳道 %(lanes)s）：请事项管理部门"
                "在并联审批部门中补充后再办理，本次操作未生效。"
            )
            % {
                "tasks": listed(task.name for task in orphans),
                "lanes": listed(sorted({task.role for task in orphans})),
            },
            code="lane_department_missing",
            detail={"lanes": sorted({task.role for task in orphans})},
        )
    department_ids = {key: d.pk for key, d in departments.items() if d is not None}
    add: list[dict[str, Any]] = [
        {
            "application": application.pk,
            "task_id": task.id,
            "bpmn_id": task.bpmn_id,
            "name": task.name,
            "step": task.step.value,
            "role": task.role,
            "lane_role": base_role(task.role),
            "department": department_ids[task.id],
            "created_at": now,
            "result": {},
        }
        for task in ready.values()
    ]
    return _TaskChanges(close, add)


def _apply_task_changes(changes: _TaskChanges, now: dt.datetime) -> None:
    for pk in changes.close:
        close_work_task(pk, completed_at=now)
    insert_work_tasks(changes.add)


def _limit_deadline(
    application: Application,
    now: dt.datetime,
    *,
    accepted_at: dt.datetime | None = None,
    ending: bool = False,
) -> dt.datetime | None:
    """The committed deadline, counted from acceptance (``accepted_at``: accepted now).

    ``ending``: the application finishes now and its running suspensions end with it.
    """
    start = accepted_at or application.accepted_at
    if start is None:
        return None
    limit = (
        application.item.committed_limit_days if accepted_at else committed_limit_of(application)
    )
    suspensions = suspensions_of_application(application.pk)
    return deadline_of(start, limit, suspensions, now, end_running=ending)


def _finish_approved(
    application: Application, licence: Licence | None, actor: Actor, now: dt.datetime
) -> None:
    application.licence = licence
    end_open_suspensions(application.pk, now)
    note = (
        stored_text(gettext_noop("已核发电子证照 %(number)s。"), number=licence.number)
        if licence
        else ""
    )
    notify(
        application.applicant,
        stored_text(
            gettext_noop("您的申请 %(number)s（%(item)s）已准予。%(note)s"),
            number=application.number,
            item=application.item.name,
            note=note,
        ),
        _link(application),
    )
    if licence is not None:
        _event(application, "issue_licence", actor, note=licence.number, at=now)


# The columns a completed step can change (``_move``, ``_finish_approved`` and the outcomes).
STEP_FIELDS = (
    "state",
    "process_state",
    "accepted_at",
    "limit_days",
    "deadline_at",
    "finished_at",
    "licence",
    "rejection_reasons",
    "rejection_basis",
    "warning_level",
    "updated_at",
)
# And what submission sets besides; only a rejection at submission carries
# reasons the platform wrote (a step's are staff's, and leave the column empty).
SUBMIT_FIELDS = (
    *STEP_FIELDS,
    "rejection_reasons_message",
    "form_data",
    "prefilled",
    "credit_check",
    "submitted_at",
)


def do_submit_application(
    application: Application,
    *,
    acting_user: User,
    form_data: Mapping[str, Any] | None = None,
) -> Application:
    """Validate and submit a draft: credit check, start the process, 秒批 if the table says so.

    ``form_data`` is the form as the applicant sends it with the submission
    (the saved draft's when None); a refusal names every problem in it.
    """
    current = _fresh(application)
    _require_applicant(current, acting_user)
    if current.state == ApplicationState.WITHDRAWN:
        # A draft can be withdrawn too: it was never submitted.
        raise Conflict(_("该申请已经撤回。"), code="invalid_transition")
    if current.state != ApplicationState.DRAFT:
        raise Conflict(_("该申请已经提交。"), code="invalid_transition")
    item = current.item
    if item.state != ItemState.PUBLISHED:
        raise Conflict(_("该事项当前不受理申请。"), code="item_not_open")
    if not item.process_id:
        raise Conflict(_("该事项尚未配置办理流程，暂不能在线申请。"), code="no_process")
    _require_lane_departments(item)
    licence_type = _licence_type_of(current)
    _check_holder_kind(current.applicant_kind, licence_type)
    form = saved_form(current)
    prefilled = _saved_prefill(current)
    if form_data is not None:
        form, verified = _merge_prefill(prefilled, form_data)
        prefilled = {k: v for k, v in verified.items() if k in form}
    rows = _check_submission(current, form, licence_type, prefilled)
    current.prefilled = {k: v for k, v in prefilled.items() if k in current.form_data}
    credit = check_credit(item, _subject(current))
    checks = run_checks(item, current.form_data)
    holds = platform_holds(current, licence_type, checks)
    instance = process.start(item.process_id, _process_data(current, credit, checks, holds))
    ensure_process_version_recorded(instance.definition)
    process_state = instance.serialize()
    actor = actor_of(acting_user)
    approved = instance.outcome == process.Outcome.APPROVED
    draft = _licence_draft(current, licence_type) if approved else None
    now = _now()
    task_changes = _task_changes(current, instance, now)
    # Pipelined: the step's writes reach PostgreSQL together, not one round trip each.
    with transaction.atomic(durable=True), pipelined(router.db_for_write(Application)):
        locked = _locked_as_read(current)
        # Decided by the process's tables (秒批, or an automatic refusal), not by
        # the applicant who submitted: the timeline must not name them as deciding.
        decider = Actor.system("eservices.auto_approval")
        licence = _issue_licence(locked, draft, decider)
        replace_found_materials(locked.pk, rows, now)
        locked.form_data = current.form_data
        locked.credit_check = credit
        locked.submitted_at = now
        locked.process_state = process_state
        if instance.is_completed and approved:
            _move(locked, ApplicationState.APPROVED, decider, at=now)
            locked.accepted_at = now
            locked.limit_days = item.committed_limit_days
            locked.deadline_at = now
            _finish_approved(locked, licence, decider, now)
        elif instance.is_completed:
            reason = str(instance.data.get("ineligible_reason") or "")
            _move(locked, ApplicationState.REJECTED, decider, note=reason, at=now)
            locked.rejection_reasons = reason or stored_text(gettext_noop("不符合办理条件。"))
            locked.rejection_reasons_message = message_of(locked.rejection_reasons)
            locked.rejection_basis = item.implementing_basis
        else:
            _move(locked, ApplicationState.SUBMITTED, actor, at=now)
            notify(
                locked.applicant,
                stored_text(
                    gettext_noop("您的申请 %(number)s 已提交，等待受理。"), number=locked.number
                ),
                _link(locked),
            )
        _apply_task_changes(task_changes, now)
        update_application(locked, SUBMIT_FIELDS)
        _ledger(
            locked,
            "submit_application",
            actor,
            state=locked.state,
            credit=credit.get("status"),
            checks=[c["status"] for c in checks.outcomes],
            holds=holds,
            materials=len(rows),
            licence=licence.number if licence else None,
        )
    return locked


# ---------------------------------------------------------------------------
# Staff: tasks
# ---------------------------------------------------------------------------


def base_role(role: str) -> str:
    return role.rsplit(".", 1)[-1]


def may_handle_task(user: User, task: WorkTask) -> bool:
    """Whether the user holds the task's lane role in the task's department."""
    permission = LANE_PERMISSIONS.get(base_role(task.role))
    return permission is not None and has_permission(user, permission, department=task.department)


def _require_handler(user: User, task: WorkTask) -> None:
    if not may_handle_task(user, task):
        raise PermissionDenied(_("您没有办理该环节的岗位权限。"), code="not_task_role")


def _task_row(task: WorkTask) -> WorkTask:
    return task_with_application(task.pk)


def _task_closed(task: WorkTask) -> Conflict:
    """The refusal of a step on a closed task, saying why it closed."""
    if task.application.state == ApplicationState.WITHDRAWN:
        # Closed by the applicant's withdrawal, not by a colleague's decision.
        return Conflict(_("申请人已撤回该申请，无需继续办理。"), code="task_completed")
    return Conflict(_("该环节已经办结。"), code="task_completed")


def _store_claim(
    row: WorkTask, locked: WorkTask, claimant: User | None, verb: str, actor: Actor
) -> None:
    """Store who holds the task now (None: back in its queue), with the timeline and ledger."""
    locked.claimed_by = claimant
    locked.claimed_at = _now() if claimant is not None else None
    locked.save(update_fields=["claimed_by", "claimed_at"])
    application = row.application
    # A claim or its release changes the application as far as a colleague
    # who read it before is concerned: their completion of the task, worked
    # out from that read, is then refused as changed meanwhile (_locked_as_read).
    update_application(application, ["updated_at"])
    _event(application, verb, actor, note=_step_note(locked.name))
    _ledger(application, verb, actor, task=locked.bpmn_id)


def do_claim_task(task: WorkTask, *, acting_user: User) -> WorkTask:
    """Take an open task, so that colleagues see who is handling it."""
    row = _task_row(task)
    _require_handler(acting_user, row)
    actor = actor_of(acting_user)
    with transaction.atomic(durable=True):
        locked = WorkTask.objects.select_for_update().get(pk=row.pk)
        if locked.completed_at is not None:
            raise _task_closed(row)
        if locked.claimed_by_id not in (None, acting_user.pk) and may_handle_task(
            User.objects.get(pk=locked.claimed_by_id), row
        ):
            # Unless who claimed it has left the post (or the account was
            # closed): a colleague takes it over, or it would wait for nobody.
            raise Conflict(_("该任务已由他人认领。"), code="already_claimed")
        _store_claim(row, locked, acting_user, "claim_task", actor)
    return locked


def do_release_task(task: WorkTask, *, acting_user: User) -> WorkTask:
    """Give back a task one claimed, so that a colleague of the queue can take it.

    A claimed task leaves the colleagues' lists: without this, one claimed by
    mistake (or before leave) would wait for its claimer alone.
    """
    row = _task_row(task)
    _require_handler(acting_user, row)
    actor = actor_of(acting_user)
    with transaction.atomic(durable=True):
        locked = WorkTask.objects.select_for_update().get(pk=row.pk)
        if locked.completed_at is not None:
            raise _task_closed(row)
        if locked.claimed_by_id != acting_user.pk:
            # Pressed twice, or the claim is a colleague's: nothing of one's own to give back.
            raise Conflict(_("您没有认领该任务。"), code="not_claimed")
        _store_claim(row, locked, None, "release_task", actor)
    return locked


@dataclass(frozen=True, slots=True)
class TaskResult:
    """What staff decide at a step; a refusal needs reasons and a legal basis."""

    passed: bool = True
    opinion: str = ""
    reasons: str = ""
    legal_basis: str = ""


def _checked_result(result: TaskResult) -> TaskResult:
    opinion = _clean_note(result.opinion, required=False, field="opinion")
    reasons = _clean_note(result.reasons, required=False, field="reasons")
    basis = _clean_note(result.legal_basis, required=False, field="legal_basis")
    if not result.passed:
        problems = {}
        if not reasons:
            problems["reasons"] = _("请写明不予的理由。")
        if not basis:
            problems["legal_basis"] = _("请写明法律依据。")
        if problems:
            raise _refuse(_("不予决定须写明理由和法律依据。"), "invalid_form", fields=problems)
    return TaskResult(result.passed, opinion, reasons, basis)


def do_complete_task(task: WorkTask, result: TaskResult, *, acting_user: User) -> Application:
    """Complete a step (受理, 审查, 决定, 送达) and run the process to its next wait."""
    row = _task_row(task)
    _require_handler(acting_user, row)
    if row.completed_at is not None:
        raise _task_closed(row)
    if row.claimed_by_id not in (None, acting_user.pk):
        raise Conflict(_("该任务已由他人认领。"), code="already_claimed")
    application = row.application
    if application.state == ApplicationState.CORRECTING:
        raise Conflict(_("办件正在补正，暂停办理。"), code="application_suspended")
    if application.state not in (ApplicationState.SUBMITTED, ApplicationState.ACCEPTED):
        raise Conflict(_("申请当前的状态不允许此操作。"), code="invalid_transition")
    if row.step == "deliver" and not result.passed:
        # The decision is taken: a licence not handed over yet is still to be
        # delivered, and completing the step would close the case as granted.
        raise _refuse(
            _(
                "许可证件尚未送达，不能办结送达环节：请继续送达（通知领取、邮寄或依法公告送达）后再办结。"
            ),
            "not_delivered",
            field="passed",
        )
    checked = _checked_result(result)
    instance = _restore(application)
    spec = instance.definition.user_tasks[row.bpmn_id]
    instance.complete(row.task_id, dict.fromkeys(spec.requires, checked.passed))
    process_state = instance.serialize()
    actor = actor_of(acting_user)
    approved = instance.outcome == process.Outcome.APPROVED
    if checked.passed and (row.step == "decide" or (approved and row.step != "deliver")):
        _require_licence_materials_valid(application)
    draft = _licence_draft(application, _licence_type_of(application)) if approved else None
    now = _now()
    accepting = (
        not instance.is_completed
        and application.state == ApplicationState.SUBMITTED
        and row.step == "accept"
    )
    # Read before the lock; _locked_as_read confirms that no suspension came or went.
    if accepting:
        deadline = _limit_deadline(application, now, accepted_at=now)
    else:
        # A decision ends the running suspensions: the deadline keeps the time they stopped.
        # So does one with the 送达 still to come: once decided, nothing stops the clock.
        ending = instance.is_completed or row.step == "decide"
        deadline = _limit_deadline(application, now, ending=ending) if ending else None
    task_changes = _task_changes(application, instance, now, done=row.pk)
    with transaction.atomic(durable=True), pipelined(router.db_for_write(Application)):
        locked = _locked_as_read(application)
        licence = _issue_licence(locked, draft, actor)
        close_work_task(
            row.pk,
            completed_at=now,
            completed_by=acting_user.pk,
            claimed_by=acting_user.pk,
            claimed_at=row.claimed_at or now,
            result={
                "passed": checked.passed,
                "opinion": checked.opinion,
                "reasons": checked.reasons,
                "legal_basis": checked.legal_basis,
            },
        )
        _event(
            locked,
            f"complete_{row.step}",
            actor,
            note=checked.opinion or _step_note(row.name),
            at=now,
        )
        if instance.is_completed and approved:
            if locked.state == ApplicationState.SUBMITTED:
                _move(locked, ApplicationState.ACCEPTED, actor, at=now)
                locked.accepted_at = now
                locked.limit_days = application.item.committed_limit_days
            _move(locked, ApplicationState.APPROVED, actor, at=now)
            locked.deadline_at = deadline or locked.deadline_at
            _finish_approved(locked, licence, actor, now)
        elif instance.is_completed:
            _move(locked, ApplicationState.REJECTED, actor, note=checked.reasons, at=now)
            locked.deadline_at = deadline or locked.deadline_at
            locked.rejection_reasons = checked.reasons
            locked.rejection_basis = checked.legal_basis
            end_open_suspensions(locked.pk, now)
            notify(
                locked.applicant,
                stored_text(
                    gettext_noop("您的申请 %(number)s 未予准许：%(reasons)s"),
                    number=locked.number,
                    reasons=checked.reasons,
                ),
                _link(locked),
            )
        elif accepting:
            _move(locked, ApplicationState.ACCEPTED, actor, at=now)
            locked.accepted_at = now
            locked.limit_days = application.item.committed_limit_days
            locked.deadline_at = deadline
            notify(
                locked.applicant,
                stored_text(
                    gettext_noop("您的申请 %(number)s 已受理，承诺于 %(deadline)s 前办结。"),
                    number=locked.number,
                    deadline=_local_date(locked.deadline_at) if locked.deadline_at else "",
                ),
                _link(locked),
            )
        elif row.step == "decide":
            # A special procedure still running (检测, 听证) has no purpose once
            # decided; left running it would hold the clock through the 送达.
            end_open_suspensions(locked.pk, now)
            locked.deadline_at = deadline or locked.deadline_at
        if locked.state in FINISHED_STATES:
            # Finished, the warning only says whether it finished late: a
            # yellow one stored by the last refresh no longer holds.
            locked.warning_level = finished_level(locked.deadline_at, now)
        locked.process_state = process_state
        _apply_task_changes(task_changes, now)
        # Only what a step changes: the form and the prefilled data stay as submitted.
        update_application(locked, STEP_FIELDS)
        _ledger(
            locked,
            "complete_task",
            actor,
            task=row.bpmn_id,
            step=row.step,
            passed=checked.passed,
            state=locked.state,
            licence=licence.number if licence else None,
        )
    return locked


def _require_licence_materials_valid(application: Application) -> None:
    """Refuse to grant on an e-licence material revoked or expired since it was handed in.

    The licence that stood for a material (a 营业执照) was valid at submission;
    one revoked since proves nothing. Staff ask for 补正, in which the applicant
    hands in a scan or a licence issued since (looked up again then).
    """
    rows = list(
        ApplicationMaterial.objects.filter(
            application_id=application.pk, kind__in=(ProvisionKind.LICENCE, ProvisionKind.UPLOAD)
        ).select_related("licence__licence_type", "licence__signing_key")
    )
    # A material the applicant also uploaded does not rest on the licence alone.
    uploaded = {row.material_id for row in rows if row.kind == ProvisionKind.UPLOAD}
    lapsed = {
        str(row.material_id): _("该电子证照已注销或已过期，不能作为申请材料。")
        for row in rows
        if row.kind == ProvisionKind.LICENCE
        and row.material_id not in uploaded
        and (row.licence is None or not verify_licence(row.licence).valid)
    }
    if lapsed:
        raise Conflict(
            _("作为申请材料的电子证照已注销或已过期，请告知申请人补正后再作决定。"),
            code="licence_material_invalid",
            detail={"materials": lapsed},
        )


def _require_staff_on(
    application: Application, user: User, *, department: Department | None = None
) -> WorkTask:
    """Return an open task of the application the user may handle, or refuse.

    A task a colleague has claimed is theirs to handle, as it is for completing
    it: asking for 补正 or starting a special procedure on it is refused too.
    With ``department``, only that department's tasks count: a special
    procedure is ended by the department that started it.
    """
    claimed_by_others = False
    other_departments = False
    for task in application.tasks.filter(completed_at=None).select_related("department"):
        if not may_handle_task(user, task):
            continue
        if department is not None and task.department_id != department.pk:
            other_departments = True
            continue
        if task.claimed_by_id in (None, user.pk):
            return task
        claimed_by_others = True
    if claimed_by_others:
        raise Conflict(_("该任务已由他人认领。"), code="already_claimed")
    if other_departments and department is not None:
        raise PermissionDenied(
            _("该特别程序由%(department)s启动，只能由该部门结束。")
            % {"department": department.name},
            code="not_procedure_department",
            detail={"department": department.code},
        )
    raise PermissionDenied(_("您没有办理该办件的岗位权限。"), code="not_task_role")


# ---------------------------------------------------------------------------
# 补正 and special procedures: the clock stops
# ---------------------------------------------------------------------------


def _correction_material_ids(application: Application, material_ids: Iterable[int]) -> list[int]:
    """The item's materials named for 补正, in the item's order; refused if one is another's."""
    wanted = set(material_ids)
    if not wanted:
        return []
    known = list(
        application.item.materials.filter(pk__in=wanted)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    unknown = sorted(wanted - set(known))
    if unknown:
        raise _refuse(
            _("所列补正材料不属于该事项。"),
            "unknown_correction_material",
            field="material_ids",
            material_ids=unknown,
        )
    # What the applicant hands in nothing for (shared data, an e-licence, the
    # online form) cannot be handed in anew: naming it would leave the
    # correction refused for good. Its problem goes in the note.
    not_uploaded = [
        material.pk
        for material in application.item.materials.filter(pk__in=known)
        if needs_no_upload(material)
    ]
    if not_uploaded:
        raise _refuse(
            _(
                "只能要求重新提交申请人上传的材料；免提交、电子证照和在线填写的材料请在补正说明中写明。"
            ),
            "correction_material_not_uploaded",
            field="material_ids",
            material_ids=sorted(not_uploaded),
        )
    return known


def do_request_correction(
    application: Application,
    note: str,
    *,
    acting_user: User,
    material_ids: Iterable[int] = (),
) -> Application:
    """Ask the applicant to correct the application (一次性告知补正); the clock stops.

    ``material_ids`` name the item's materials to be corrected or supplied
    (补正材料清单): the correction is refused until each is handed in anew.
    While a correction is already asked for, what another department (or the
    same one) asks is added to it under the department's name: the applicant
    gets one notice and hands in one correction, even in 并联审批.
    """
    current = _fresh(application)
    task = _require_staff_on(current, acting_user)
    # After the decision the form is settled: a correction would change what
    # the licence says without anyone deciding on it again.
    if is_decided(current):
        raise Conflict(_("已作出办理决定，不能再要求补正。"), code="already_decided")
    note = _clean_note(note, required=True)
    named = _correction_material_ids(current, material_ids)
    actor = actor_of(acting_user)
    now = _now()
    with transaction.atomic(durable=True):
        locked = _locked_as_read(current)
        # Who asks for the correction handles the task: they take it if nobody
        # has, so the answer reaches them and no colleague picks it up meanwhile.
        claimed = WorkTask.objects.filter(pk=task.pk, claimed_by=None, completed_at=None).update(
            claimed_by=acting_user, claimed_at=now
        )
        if locked.state == ApplicationState.CORRECTING:
            _add_to_correction(locked, task, note, named, actor, now)
            _ledger(
                locked,
                "add_correction",
                actor,
                note_hash=_hash(note),
                claimed=bool(claimed),
                material_ids=named,
            )
            return locked
        resume = locked.state
        _move(locked, ApplicationState.CORRECTING, actor, note=note, at=now, task=task)
        Suspension.objects.create(
            application=locked,
            kind=SuspensionKind.CORRECTION,
            stops_clock=True,
            resume_state=resume,
            started_at=now,
            note=note,
            material_ids=named,
        )
        locked.save()
        notify(
            locked.applicant,
            stored_text(
                gettext_noop("您的申请 %(number)s 需要补正：%(note)s"),
                number=locked.number,
                note=note,
            ),
            _link(locked),
        )
        _ledger(
            locked,
            "request_correction",
            actor,
            note_hash=_hash(note),
            claimed=bool(claimed),
            material_ids=named,
        )
    return locked


def _add_to_correction(
    application: Application,
    task: WorkTask,
    note: str,
    named: list[int],
    actor: Actor,
    now: dt.datetime,
) -> None:
    open_request = application.suspensions.select_for_update().filter(**OPEN_CORRECTION).first()
    if open_request is None:  # pragma: no cover - the state says there is one
        raise Conflict(_("该申请当前无需补正。"), code="invalid_transition")
    added = f"{task.department.name}：{note}"
    # Asked already (the button pressed twice, the page posted again): adding
    # it would tell the applicant the same thing twice and make the request
    # they have open look changed (``correction_request_changed``).
    asked = open_request.note
    if note == asked or asked.startswith(f"{note}\n") or f"\n{added}\n" in f"{asked}\n":
        raise Conflict(_("申请人已收到这条补正要求。"), code="correction_already_requested")
    combined = f"{asked}\n{added}"
    if len(combined) > MAX_CORRECTION_NOTES:
        raise _refuse(_("补正要求合计过长，请精简后再补充。"), "note_too_long", field="note")
    open_request.note = combined
    # Materials named by either are to be handed in anew, in the item's order.
    asked_ids = [int(i) for i in open_request.material_ids or []]
    if named:
        open_request.material_ids = list(
            application.item.materials.filter(pk__in={*asked_ids, *named})
            .order_by("position", "pk")
            .values_list("pk", flat=True)
        )
    open_request.save(update_fields=["note", "material_ids"])
    # Changed as far as anyone who read it before is concerned.
    application.save(update_fields=["updated_at"])
    _event(application, "add_correction", actor, note=added, at=now, task=task)
    notify(
        application.applicant,
        stored_text(
            gettext_noop("您的申请 %(number)s 的补正要求已补充：%(note)s"),
            number=application.number,
            note=added,
        ),
        _link(application),
    )


def correction_request_version(note: str) -> str:
    """What identifies a 补正 request as the applicant read it (it grows when added to)."""
    return _hash(note)


def _require_request_version(note: str, request_version: str | None) -> None:
    if request_version is not None and request_version != correction_request_version(note):
        raise Conflict(
            _("补正要求刚有补充，请查看新增的要求后再提交。"), code="correction_request_changed"
        )


def do_submit_correction(
    application: Application,
    note: str,
    *,
    acting_user: User,
    form_data: Mapping[str, Any] | None = None,
    request_version: str | None = None,
) -> Application:
    """Hand in the correction: the clock runs again and the deadline moves by the time stopped.

    ``form_data`` holds the fields corrected: the others keep what was sent, so a
    correction of one field loses none; a field given as null or "" is cleared.
    ``request_version`` (``correction_request_version`` of the request read) is
    refused when a department has added to the request since.
    """
    current = _fresh(application)
    _require_applicant(current, acting_user)
    if current.state != ApplicationState.CORRECTING:
        raise Conflict(_("该申请当前无需补正。"), code="invalid_transition")
    # Before the form's problems: they may be what the added request is about.
    _require_request_version(open_correction_note(current) or "", request_version)
    note = _clean_note(note, required=False)
    form = saved_form(current)
    if form_data is not None:
        form, _verified = _merge_prefill(_saved_prefill(current), {**form, **form_data})
    cleaned = clean_form(current.item.form_schema, form, complete=True)
    materials = materials_of_item(current.item_id)
    shared = _shared_problems(current, cleaned, _saved_prefill(current), materials)
    if shared:
        raise _refuse(_("申请表填写有误，请按提示修改。"), "invalid_form", fields=shared)
    current.form_data = cleaned
    # As at submission: a field the licence prints, cleared in the correction,
    # would leave the decision unable to issue it.
    gaps = _licence_gaps(current, _licence_type_of(current))
    if gaps:
        raise _refuse(_("申请表缺少核发证照所需的信息。"), "invalid_form", fields=gaps)
    # The e-licences and shared data are looked up again, as at submission: a
    # licence revoked or expired since no longer stands for its material.
    found = _resolve_materials(current, materials)
    actor = actor_of(acting_user)
    now = _now()
    with transaction.atomic(durable=True):
        locked = _locked_as_read(current)
        suspension = locked.suspensions.filter(**OPEN_CORRECTION).first()
        if suspension is None:  # pragma: no cover - the state says there is one
            raise Conflict(_("该申请当前无需补正。"), code="invalid_transition")
        _require_request_version(suspension.note, request_version)
        _require_named_materials_replaced(locked, suspension, found)
        replace_found_materials(locked.pk, found, now)
        suspension.ended_at = now
        suspension.response = note
        suspension.save(update_fields=["ended_at", "response"])
        locked.form_data = cleaned
        locked.prefilled = {
            k: v for k, v in locked.prefilled.items() if cleaned.get(k) == v.get("value")
        }
        _move(locked, suspension.resume_state, actor, note=note, at=now)
        locked.deadline_at = _limit_deadline(locked, now)
        locked.save()
        for task in locked.tasks.filter(completed_at=None, claimed_by__isnull=False):
            assert task.claimed_by is not None
            notify(
                task.claimed_by,
                stored_text(
                    gettext_noop("办件 %(number)s 已补正，请继续办理。"), number=locked.number
                ),
                reverse("eservices:work_item", args=[task.pk]),
            )
        _ledger(
            locked,
            "submit_correction",
            actor,
            deadline=locked.deadline_at.isoformat() if locked.deadline_at else None,
        )
    return locked


def _require_named_materials_replaced(
    application: Application, suspension: Suspension, found: Iterable[ApplicationMaterial]
) -> None:
    """Refuse the correction while a material the request names was not handed in anew.

    Uploaded since the request, or an e-licence found now other than the one
    that stood for it when the request was made (the licence renewed or
    issued since); a promise (容缺) cannot be made in 补正.
    """
    named = [int(i) for i in suspension.material_ids or []]
    if not named:
        return
    replaced = materials_uploaded_since(application, named, suspension.started_at)
    before = dict(
        application.provided_materials.filter(
            material_id__in=named, kind=ProvisionKind.LICENCE
        ).values_list("material_id", "licence_id")
    )
    replaced |= {
        row.material_id
        for row in found
        if row.kind == ProvisionKind.LICENCE
        and row.material_id in named
        and row.licence_id is not None
        and row.licence_id != before.get(row.material_id)
    }
    missing = [pk for pk in named if pk not in replaced]
    if missing:
        raise _refuse(
            _("补正告知中列明的材料尚未重新提交。"),
            "correction_materials_missing",
            materials={str(pk): _("补正要求重新提交该材料，请上传新的材料。") for pk in missing},
        )


def do_start_special_procedure(
    application: Application, procedure: SpecialProcedure, note: str, *, acting_user: User
) -> Suspension:
    """Start a special procedure (听证, 现场核查 …); the clock stops unless it is counted.

    Its planned end is its maximum working days from now: the clock stops
    until then at most, and past it the procedure shows as overdue.
    """
    current = _fresh(application)
    task = _require_staff_on(current, acting_user)
    if procedure.item_id != current.item_id:
        raise _refuse(_("该事项没有这项特别程序。"), "unknown_procedure", field="procedure")
    if current.state != ApplicationState.ACCEPTED:
        raise Conflict(_("只有已受理的办件可以启动特别程序。"), code="invalid_transition")
    if is_decided(current):
        raise Conflict(_("已作出办理决定，不能再启动特别程序。"), code="already_decided")
    note = _clean_note(note, required=False)
    actor = actor_of(acting_user)
    now = _now()
    planned_end = add_working_days(now, procedure.max_days)
    with transaction.atomic(durable=True):
        locked = _locked_as_read(current)
        if locked.suspensions.filter(kind=SuspensionKind.SPECIAL, ended_at=None).exists():
            raise Conflict(_("已有进行中的特别程序。"), code="procedure_running")
        suspension = Suspension.objects.create(
            application=locked,
            kind=SuspensionKind.SPECIAL,
            special_procedure=procedure,
            stops_clock=not procedure.counted_in_limit,
            started_at=now,
            planned_end_at=planned_end,
            department=task.department,
            note=note,
        )
        locked.save()
        _event(locked, "start_special_procedure", actor, note=procedure.name, at=now)
        notify(
            locked.applicant,
            stored_text(
                gettext_noop("您的申请 %(number)s 进入特别程序：%(name)s。"),
                number=locked.number,
                name=procedure.name,
            ),
            _link(locked),
        )
        _ledger(
            locked,
            "start_special_procedure",
            actor,
            procedure=procedure.name,
            stops_clock=suspension.stops_clock,
            planned_end=planned_end.isoformat(),
            department=task.department.code,
        )
    return suspension


def do_end_special_procedure(application: Application, *, acting_user: User) -> Application:
    """End the running special procedure; a stopped clock runs again and the applicant is told.

    In 并联审批 the procedure belongs to the department that started it, and
    only that department's staff end it (``not_procedure_department``).
    """
    current = _fresh(application)
    running = (
        current.suspensions.filter(kind=SuspensionKind.SPECIAL, ended_at=None)
        .select_related("department")
        .first()
    )
    _require_staff_on(current, acting_user, department=running.department if running else None)
    actor = actor_of(acting_user)
    now = _now()
    with transaction.atomic(durable=True):
        locked = _locked_as_read(current)
        suspension = locked.suspensions.filter(kind=SuspensionKind.SPECIAL, ended_at=None).first()
        if suspension is None:
            raise Conflict(_("没有进行中的特别程序。"), code="no_procedure_running")
        suspension.ended_at = now
        suspension.save(update_fields=["ended_at"])
        locked.deadline_at = _limit_deadline(locked, now)
        locked.save()
        name = suspension.special_procedure.name if suspension.special_procedure else ""
        _event(locked, "end_special_procedure", actor, note=name, at=now)
        # Told when it started, the applicant is told when it ends and the deadline it leaves.
        notify(
            locked.applicant,
            stored_text(
                gettext_noop(
                    "您的申请 %(number)s 的特别程序（%(name)s）已结束，"
                    "承诺办结时间为 %(deadline)s。"
                ),
                number=locked.number,
                name=name,
                deadline=_local_date(locked.deadline_at) if locked.deadline_at else "",
            ),
            _link(locked),
        )
        _ledger(
            locked,
            "end_special_procedure",
            actor,
            procedure=name,
            overran=suspension.overran(now),
            deadline=locked.deadline_at.isoformat() if locked.deadline_at else None,
        )
    return locked


# ---------------------------------------------------------------------------
# Withdrawal
# ---------------------------------------------------------------------------


def do_withdraw_application(
    application: Application, reason: str = "", *, acting_user: User
) -> Application:
    """Withdraw one's own application before it is decided; its process stops."""
    current = _fresh(application)
    _require_applicant(current, acting_user)
    if current.state == ApplicationState.WITHDRAWN:
        # Pressed twice: the first press withdrew it, nothing was decided.
        raise Conflict(_("该申请已经撤回。"), code="invalid_transition")
    if current.state in FINISHED_STATES:
        raise Conflict(_("申请已经办结，不能撤回。"), code="invalid_transition")
    # A licence granted but still to be handed over (送达) at the window is
    # decided all the same: withdrawing would undo the decision.
    if is_decided(current):
        raise Conflict(_("已作出办理决定，不能撤回。"), code="already_decided")
    reason = _clean_note(reason, required=False, field="reason")
    process_state = None
    if current.process_state:
        instance = _restore(current)
        instance.withdraw()
        process_state = instance.serialize()
    actor = actor_of(acting_user)
    now = _now()
    deadline = _limit_deadline(current, now, ending=True)
    with transaction.atomic(durable=True):
        locked = _locked_as_read(current)
        _move(locked, ApplicationState.WITHDRAWN, actor, note=reason, at=now)
        locked.deadline_at = deadline
        locked.warning_level = finished_level(deadline, now)
        if process_state is not None:
            locked.process_state = process_state
        open_tasks = locked.tasks.filter(completed_at=None)
        # Whoever had taken a step in hand is told, so that they stop working
        # on it instead of finding out when they press a button.
        handlers = list(
            User.objects.filter(
                pk__in=open_tasks.exclude(claimed_by=None).values("claimed_by")
            ).order_by("pk")
        )
        open_tasks.update(completed_at=now, result={"withdrawn": True})
        end_open_suspensions(locked.pk, now)
        locked.save()
        for handler in handlers:
            notify(
                handler,
                stored_text(
                    gettext_noop("申请人已撤回申请 %(number)s（%(item)s），您认领的环节已结束。"),
                    number=locked.number,
                    item=locked.item.name,
                ),
                reverse("eservices:worklist"),
            )
        _ledger(locked, "withdraw_application", actor)
    return locked


# ---------------------------------------------------------------------------
# Ratings (好差评) and rectification
# ---------------------------------------------------------------------------


def _checked_tags(tags: Iterable[str]) -> list[str]:
    """Return the tags' codes; a tag is given by code or by its Chinese label."""
    cleaned = [str(tag).strip() for tag in tags if str(tag).strip()]
    if len(cleaned) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in cleaned):
        raise _refuse(_("评价标签最多10个，每个不超过20个字。"), "invalid_tags", field="tags")
    codes = [rating_tag_code(tag) for tag in cleaned]
    unknown = [tag for tag, code in zip(cleaned, codes, strict=True) if code is None]
    if unknown:
        raise _refuse(
            _("没有这个评价标签：%(tags)s。") % {"tags": listed(unknown)},
            "unknown_tag",
            field="tags",
            unknown=unknown,
            known=list(RatingTag.values),
        )
    return list(dict.fromkeys(code for code in codes if code is not None))


def _staff_holding(department: Department, permission: str) -> list[User]:
    posts = StaffPost.objects.filter(
        department=department, is_active=True, user__is_active=True
    ).select_related("role", "user")
    users = {post.user for post in posts if permission in post.role.permissions}
    return sorted(users, key=lambda user: user.pk)


def _same_rating(rating: Rating, level: int, tags: Sequence[str], comment: str) -> bool:
    return (
        rating.level == level
        and sorted(str(tag) for tag in rating.tags) == sorted(tags)
        and rating.comment == comment
    )


def rectification_days() -> int:
    return int(getattr(settings, "ESERVICES_RECTIFICATION_WORKING_DAYS", 5))


def do_rate_application(
    application: Application,
    level: int,
    *,
    acting_user: User,
    tags: Sequence[str] = (),
    comment: str = "",
) -> Rating:
    """Rate a finished application, withdrawn ones too; 不满意 or worse opens a rectification."""
    current = _fresh(application)
    _require_applicant(current, acting_user)
    if not is_ratable(current):
        if current.state in FINISHED_STATES:
            raise Conflict(
                _("申请未提交即已撤回，部门没有办理，无需评价。"), code="never_submitted"
            )
        raise Conflict(_("办结后才能评价。"), code="not_finished")
    if level not in RatingLevel.values:
        raise _refuse(_("请选择评价等级。"), "invalid_level", field="level")
    cleaned_tags = _checked_tags(tags)
    comment = _clean_note(comment, required=False, field="comment")
    if level <= BAD_RATING and not cleaned_tags and not comment:
        # A 差评 opens a rectification: without a tag or a word the department
        # would have to answer a complaint that says nothing it could put right.
        raise _refuse(
            _("差评请选择问题标签或填写意见，以便部门整改。"), "reason_required", field="comment"
        )
    actor = actor_of(acting_user)
    now = _now()
    with transaction.atomic(durable=True):
        locked = _lock(current)
        last = locked.ratings.select_related("rectification").order_by("-at", "-pk").first()
        if last is not None:
            rectification = getattr(last, "rectification", None)
            if rectification is None or rectification.responded_at is None:
                if _same_rating(last, level, cleaned_tags, comment):
                    # The form sent twice (a double click) or a client's retry
                    # after a lost answer: it is the rating already given, to
                    # be neither recorded again nor refused as a second one.
                    return last
                raise Conflict(_("您已评价过；差评得到答复后可以再次评价。"), code="already_rated")
        rating = Rating.objects.create(
            application=locked, level=level, tags=cleaned_tags, comment=comment, at=now
        )
        if level <= BAD_RATING:
            department = locked.item.department
            Rectification.objects.create(
                rating=rating,
                department=department,
                due_at=add_working_days(now, rectification_days()),
            )
            for user in _staff_holding(department, RESPOND_RATINGS):
                notify(
                    user,
                    stored_text(
                        gettext_noop("办件 %(number)s 收到差评，请在期限内整改答复。"),
                        number=locked.number,
                    ),
                    reverse("eservices:rectifications"),
                )
        locked.save()
        _event(locked, "rate", actor, note=stored_label(RatingLevel(level).label), at=now)
        _ledger(locked, "rate_application", actor, level=level, tags=cleaned_tags)
    return rating


def do_respond_to_rating(
    rectification: Rectification, response: str, *, acting_user: User
) -> Rectification:
    """Answer a bad rating with what the department did; the applicant may then rate again."""
    row = Rectification.objects.select_related(
        "department", "rating__application__item", "rating__application__applicant"
    ).get(pk=rectification.pk)
    if not has_permission(acting_user, RESPOND_RATINGS, department=row.department):
        raise PermissionDenied(_("您无权答复该部门的差评。"), code="not_rectifier")
    response = _clean_note(response, required=True, field="response")
    actor = actor_of(acting_user)
    application = row.rating.application
    with transaction.atomic(durable=True):
        locked = Rectification.objects.select_for_update().get(pk=row.pk)
        if locked.responded_at is not None:
            raise Conflict(_("该差评已经答复。"), code="already_responded")
        locked.response = response
        locked.responded_at = _now()
        locked.responded_by = actor.label
        locked.save(update_fields=["response", "responded_at", "responded_by"])
        _event(application, "respond_rating", actor, note=response)
        notify(
            application.applicant,
            stored_text(
                gettext_noop("您对办件 %(number)s 的评价已得到答复，欢迎再次评价。"),
                number=application.number,
            ),
            _link(application),
        )
        _ledger(application, "respond_to_rating", actor, rating=row.rating_id)
    return locked


def do_flag_overdue_rectifications(*, actor: Actor, now: dt.datetime | None = None) -> list[str]:
    """Tell the department of every bad rating left unanswered past its deadline, once.

    Those who answer the department's ratings (its 决定人员) hear of it. Returns
    the numbers of the applications whose rectification was flagged; nothing is
    written (no ledger entry either) when none fell due since the last run.
    """
    now = now or _now()
    due = list(unnotified_overdue_rectifications(now))
    if not due:
        return []
    flagged: list[str] = []
    with transaction.atomic(durable=True):
        for row in due:
            locked = Rectification.objects.select_for_update().get(pk=row.pk)
            # Answered, or flagged by an overlapping run, since the list was
            # read: the department must not be told to hurry, nor told twice.
            if locked.responded_at is not None or locked.overdue_notified_at is not None:
                continue
            locked.overdue_notified_at = now
            locked.save(update_fields=["overdue_notified_at"])
            number = row.rating.application.number
            text = stored_text(
                gettext_noop(
                    "差评整改逾期：办件 %(number)s 的差评已超过整改期限 %(day)s，仍未答复。"
                ),
                number=number,
                day=_local_date(locked.due_at),
            )
            for user in _staff_holding(row.department, RESPOND_RATINGS):
                notify(user, text, reverse("eservices:rectifications"))
            flagged.append(number)
        if flagged:
            record_entry(
                actor=actor,
                action="eservices.flag_overdue_rectifications",
                subject_type=SUBJECT,
                subject_id="rectifications",
                data={"overdue": sorted(flagged)},
            )
    return sorted(flagged)


# ---------------------------------------------------------------------------
# Time limits
# ---------------------------------------------------------------------------


def _task_holders(application: Application) -> list[User]:
    users: dict[int, User] = {}
    for task in application.tasks.filter(completed_at=None).select_related(
        "claimed_by", "department"
    ):
        if task.claimed_by is not None:
            users[task.claimed_by.pk] = task.claimed_by
            continue
        permission = LANE_PERMISSIONS.get(base_role(task.role))
        if permission:
            for user in _staff_holding(task.department, permission):
                users[user.pk] = user
    return list(users.values())


def _procedure_past_planned_end(application: Application, now: dt.datetime) -> bool:
    """Whether a running special procedure that stopped the clock has passed its planned end."""
    return any(
        s.kind == SuspensionKind.SPECIAL
        and s.stops_clock
        and s.ended_at is None
        and s.planned_end_at is not None
        and s.planned_end_at <= now
        for s in application.suspensions.all()
    )


def do_refresh_time_limits(*, actor: Actor, now: dt.datetime | None = None) -> list[str]:
    """Update the warning state of every running application; urge staff (催办) on red ones.

    The deadline is counted again too: a holiday notice recorded since it was
    stored (``core.calendar``) moves it, and the applicant is told the new
    date. Returns the numbers of the applications whose warning or deadline
    changed. Nothing is written (no ledger entry either) when nothing changed.
    """
    now = now or _now()
    running = Application.objects.filter(
        state__in=[ApplicationState.ACCEPTED, ApplicationState.CORRECTING],
        accepted_at__isnull=False,
    ).select_related("item")
    changes: list[tuple[Application, str, dt.datetime | None]] = []
    overran: set[int] = set()
    for application in running:
        limit = time_limit_of(application, now)
        moved = limit.deadline_at if limit.deadline_at != application.deadline_at else None
        if limit.level != application.warning_level or moved is not None:
            changes.append((application, limit.level, moved))
        if moved is not None and _procedure_past_planned_end(application, now):
            overran.add(application.pk)
    if not changes:
        return []
    written: list[tuple[Application, str, dt.datetime | None]] = []
    with transaction.atomic(durable=True):
        for application, level, moved in changes:
            if not lock_if_unchanged(application):
                # Decided, corrected or suspended since it was read: what was
                # worked out no longer holds, and the next refresh counts again.
                continue
            locked = application
            written.append((application, level, moved))
            if moved is not None and locked.pk in overran:
                # A special procedure ran past its maximum days: from its
                # planned end the clock runs again, and the deadline is fixed.
                locked.deadline_at = moved
                _event(locked, "procedure_overran", actor, note=_local_date(moved), at=now)
                notify(
                    locked.applicant,
                    stored_text(
                        gettext_noop(
                            "您的申请 %(number)s 的特别程序已超过最长时限，超出的时间计入"
                            "办理时限，承诺办结时间为 %(deadline)s。"
                        ),
                        number=locked.number,
                        deadline=_local_date(moved),
                    ),
                    _link(locked),
                )
            elif moved is not None:
                locked.deadline_at = moved
                _event(locked, "deadline_recounted", actor, note=_local_date(moved), at=now)
                notify(
                    locked.applicant,
                    stored_text(
                        gettext_noop(
                            "您的申请 %(number)s 的承诺办结时间"
                            "按节假日安排重新计算为 %(deadline)s。"
                        ),
                        number=locked.number,
                        deadline=_local_date(moved),
                    ),
                    _link(locked),
                )
            if level != locked.warning_level:
                locked.warning_level = level
                _event(
                    locked, "warning", actor, note=stored_label(WarningLevel(level).label), at=now
                )
                if level == WarningLevel.RED:
                    for user in _task_holders(locked):
                        notify(
                            user,
                            stored_text(
                                gettext_noop(
                                    "催办：办件 %(number)s（%(item)s）已超过承诺办结时限。"
                                ),
                                number=locked.number,
                                item=locked.item.name,
                            ),
                            reverse("eservices:worklist"),
                        )
            locked.save(update_fields=["warning_level", "deadline_at", "updated_at"])
        if written:
            record_entry(
                actor=actor,
                action="eservices.refresh_time_limits",
                subject_type=SUBJECT,
                subject_id="time_limits",
                data={
                    "changed": {a.number: level for a, level, _moved in written},
                    "deadlines": {
                        a.number: moved.isoformat() for a, _level, moved in written if moved
                    },
                },
            )
    return [application.number for application, _level, _moved in written]


# Applications whose 容缺 promises still bind the applicant.
PROMISE_BINDING_STATES = (*OPEN_STATES, ApplicationState.APPROVED)
PROMISE_OVERDUE = "promise_overdue"


def overdue_promises(today: dt.date) -> list[ApplicationMaterial]:
    """The 容缺 promises past their day whose overdue notice was not sent yet."""
    rows = ApplicationMaterial.objects.filter(
        kind=ProvisionKind.COMMITMENT,
        promised_on__lt=today,
        application__state__in=PROMISE_BINDING_STATES,
    ).select_related("application__item__department", "application__applicant", "material")
    flagged = set(
        ApplicationEvent.objects.filter(
            kind=PROMISE_OVERDUE, application__in={r.application_id for r in rows}
        ).values_list("application_id", "note")
    )
    return [r for r in rows if (r.application_id, r.material.name) not in flagged]


def do_flag_overdue_promises(*, actor: Actor, now: dt.datetime | None = None) -> list[str]:
    """Tell the applicant and the department of every 容缺 promise past its day, once.

    Returns the numbers of the applications flagged; nothing is written when
    no promise fell due since the last run.
    """
    now = now or _now()
    rows = overdue_promises(timezone.localdate(now))
    if not rows:
        return []
    with transaction.atomic(durable=True):
        for row in rows:
            application = row.application
            text = stored_text(
                gettext_noop(
                    "办件 %(number)s 承诺于 %(day)s 前补交的材料“%(material)s”已逾期未交。"
                ),
                number=application.number,
                day=row.promised_on.isoformat() if row.promised_on else "",
                material=row.material.name,
            )
            notify(application.applicant, text, _link(application))
            staff = _task_holders(application) or _staff_holding(
                application.item.department, ACCEPT_APPLICATIONS
            )
            for user in staff:
                notify(user, text, reverse("eservices:worklist"))
            # The event's note names the material: one notice per promise.
            _event(application, PROMISE_OVERDUE, actor, note=row.material.name, at=now)
        record_entry(
            actor=actor,
            action="eservices.flag_overdue_promises",
            subject_type=SUBJECT,
            subject_id="promises",
            data={"overdue": sorted({r.application.number for r in rows})},
        )
    return sorted({r.application.number for r in rows})


def do_mark_notifications_read(user: User, ids: Sequence[int] | None = None) -> int:
    """Mark the user's messages (or the given ones) read; return how many changed."""
    rows = user.eservice_notifications.filter(read_at=None)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    with transaction.atomic(durable=True):
        changed = rows.update(read_at=_now())
        if changed:
            record_entry(
                actor=actor_of(user),
                action="eservices.mark_notifications_read",
                subject_type="eservices.Notification",
                subject_id=user.pk,
                data={"count": changed},
            )
    return changed

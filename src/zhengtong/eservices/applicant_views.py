"""The applicants' pages: 在线申请, 我的办件 and one application with its timeline.

Each view parses its input, fetches through ``application_access``, calls one
action of ``application_actions`` and renders; the rules (who may change what,
in which state) live in the actions. Refusals are shown on the page in the
applicant's language, next to the field or material they concern.
"""

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from zhengtong.catalog.selectors import published_resources
from zhengtong.core.converters import IdConverter
from zhengtong.core.errors import InvalidInput, NotFound, ZhengtongError
from zhengtong.core.redirects import redirect_back
from zhengtong.core.validators import normalise
from zhengtong.eservices import application_actions as actions
from zhengtong.eservices import application_selectors as selectors
from zhengtong.eservices.access import access_item_by_code
from zhengtong.eservices.application_access import access_own_application_by_number
from zhengtong.eservices.application_states import FINISHED_STATES, ApplicationState, RatingTag
from zhengtong.eservices.forms_engine import fields_of, form_problems, required_fields
from zhengtong.eservices.models import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    Material,
    MaterialRequirement,
    MaterialSource,
    ProvisionKind,
    RatingLevel,
    ServiceItem,
    SuspensionKind,
)
from zhengtong.eservices.prefill import APPLICANT_SOURCE
from zhengtong.eservices.time_limits import stops_clock_at
from zhengtong.identity.models import Audience, User
from zhengtong.identity.selectors import memberships_of
from zhengtong.licences.models import Licence
from zhengtong.licences.selectors import find_valid_licence, verify_licence

EDITABLE_STATES = (ApplicationState.DRAFT, ApplicationState.CORRECTING)
UPLOAD_ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
# Posted by the apply page's form: its fields came along with the button pressed.
WITH_FIELDS = "with_fields"
# How the timeline names the events that do not change the state.
EVENT_LABELS: dict[str, Any] = {
    "create": gettext_lazy("创建草稿"),
    "update": gettext_lazy("保存申请表"),
    "upload_material": gettext_lazy("上传材料"),
    "promise_material": gettext_lazy("容缺承诺"),
    "issue_licence": gettext_lazy("发放电子证照"),
    "claim_task": gettext_lazy("工作人员签收"),
    "release_task": gettext_lazy("工作人员取消签收"),
    "complete_accept": gettext_lazy("受理环节办结"),
    "complete_review": gettext_lazy("审查环节办结"),
    "complete_decide": gettext_lazy("决定环节办结"),
    "complete_deliver": gettext_lazy("送达环节办结"),
    "start_special_procedure": gettext_lazy("进入特别程序"),
    "end_special_procedure": gettext_lazy("特别程序结束"),
    "rate": gettext_lazy("评价"),
    "respond_rating": gettext_lazy("差评整改答复"),
    "warning": gettext_lazy("时限预警"),
    "deadline_recounted": gettext_lazy("承诺办结时间重新计算"),
    "procedure_overran": gettext_lazy("特别程序超过最长时限"),
    "promise_overdue": gettext_lazy("容缺材料逾期未交"),
    "add_correction": gettext_lazy("补充补正要求"),
}
# Badge classes (portal.css) of the states and warning levels.
STATE_TAGS = {
    ApplicationState.DRAFT: "tag-off",
    ApplicationState.SUBMITTED: "",
    ApplicationState.ACCEPTED: "",
    ApplicationState.CORRECTING: "tag-soon",
    ApplicationState.APPROVED: "tag-ok",
    ApplicationState.REJECTED: "tag-red",
    ApplicationState.WITHDRAWN: "tag-off",
}
WARNING_TAGS = {"yellow": "tag-soon", "red": "tag-red"}
# Names the application form itself goes by; it is filled in online, not uploaded
# (the same rule as the submission check in application_actions).


def _user(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _own(user: User, number: str) -> Application:
    try:
        return access_own_application_by_number(user, number)
    except NotFound:
        raise Http404 from None


def _detail_url(application: Application) -> str:
    return reverse("eservices:application", args=[application.number])


def _apply_url(application: Application) -> str:
    url = reverse("eservices:apply")
    return f"{url}?item={application.item.code}&number={application.number}"


# --- the form rendered from the item's JSON Schema --------------------------------------


@dataclass(slots=True)
class FieldRow:
    """One field of the application form as the page shows it."""

    name: str
    title: str
    widget: str  # text, textarea, tel, date, number, select, radio, checkbox
    value: Any
    required: bool
    help: str = ""
    placeholder: str = ""
    options: list[str] = field(default_factory=list)
    error: str = ""
    # Filled in by the platform: shown read-only with its source.
    verified: bool = False
    source: str = ""


def _widget(spec: Mapping[str, Any]) -> str:
    kind = spec.get("type", "string")
    if kind == "boolean":
        return "checkbox"
    ui = spec.get("x-ui")
    hint = ui.get("widget") if isinstance(ui, dict) else None
    if isinstance(spec.get("enum"), list):
        # A few choices read better as radio buttons when the schema asks for them.
        return "radio" if hint == "radio" else "select"
    if kind in ("number", "integer"):
        return "number"
    if hint in ("textarea", "tel"):
        return str(hint)
    if spec.get("format") == "date":
        return "date"
    if spec.get("format") == "phone":
        return "tel"
    return "text"


def _source_names(prefilled: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    codes = {str(e.get("source", "")) for e in prefilled.values()} - {APPLICANT_SOURCE}
    names = dict(published_resources().filter(code__in=codes).values_list("code", "name"))
    labels = {APPLICANT_SOURCE: _("实名认证信息")}
    for code in codes:
        labels[code] = _("%(name)s（共享获取）") % {"name": names.get(code, code)}
    return labels


def form_rows(
    schema: Mapping[str, Any],
    data: Mapping[str, Any],
    prefilled: Mapping[str, Mapping[str, Any]],
    errors: Mapping[str, str],
) -> list[FieldRow]:
    """The form's fields in the schema's order, with values, sources and problems."""
    fields = fields_of(schema)
    order = schema.get("x-ui-order")
    names = [n for n in order if n in fields] if isinstance(order, list) else []
    names += [n for n in fields if n not in names]
    required = set(required_fields(schema))
    sources = _source_names(prefilled)
    rows = []
    for name in names:
        spec = fields[name]
        ui = spec.get("x-ui")
        entry = prefilled.get(name)
        value = entry["value"] if entry else data.get(name, spec.get("default"))
        rows.append(
            FieldRow(
                name=name,
                title=str(spec.get("title") or name),
                widget=_widget(spec),
                value="" if value is None else value,
                required=name in required,
                help=str(spec.get("description") or ""),
                placeholder=str(ui.get("placeholder", "")) if isinstance(ui, dict) else "",
                options=[str(o) for o in spec.get("enum") or []],
                error=errors.get(name, ""),
                verified=entry is not None,
                source=sources.get(str(entry.get("source", "")), "") if entry else "",
            )
        )
    return rows


def _number(raw: str, integer: bool) -> Any:
    try:
        value = float(raw)
    except ValueError:
        return raw  # the form engine says 应为数字
    if not math.isfinite(value):
        return raw
    if value.is_integer():
        return int(value)
    return raw if integer else value


def parse_form(
    schema: Mapping[str, Any], post: Mapping[str, Any], prefilled: Mapping[str, Any]
) -> dict[str, Any]:
    """Read the posted fields (not the prefilled ones) into JSON values for the form engine."""
    data: dict[str, Any] = {}
    for name, spec in fields_of(schema).items():
        if name in prefilled:
            continue
        kind = spec.get("type", "string")
        if kind == "boolean":
            data[name] = post.get(name) == "on"
            continue
        raw = str(post.get(name, "")).strip()
        if not raw:
            data[name] = None
        elif kind in ("number", "integer"):
            data[name] = _number(raw, kind == "integer")
        else:
            data[name] = raw
    return data


def _field_errors(error: ZhengtongError) -> dict[str, str]:
    fields = error.detail.get("fields")
    return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {}


# --- materials --------------------------------------------------------------------------


@dataclass(slots=True)
class MaterialRow:
    """One required material and how it is (or can be) provided."""

    material: Material
    provided: ApplicationMaterial | None
    licence: Licence | None
    online_form: bool
    may_upload: bool
    may_promise: bool
    error: str = ""
    # The promise date as typed, when the promise was refused (shown again).
    promised_on_typed: str = ""
    # Named by the open 补正 request (补正材料清单): to be handed in anew, and whether it was.
    to_correct: bool = False
    corrected: bool = False


def material_rows(
    application: Application,
    errors: Mapping[str, str],
    post: Mapping[str, Any] | None = None,
    correction: Sequence[selectors.CorrectionMaterial] = (),
) -> list[MaterialRow]:
    named = {c.material.pk: c.replaced for c in correction}
    provided = {row.material_id: row for row in selectors.materials_of(application)}
    editable = application.state in EDITABLE_STATES
    rows = []
    for material in application.item.materials.all():
        given = provided.get(material.pk)
        licence = given.licence if given is not None else None
        if (
            editable
            and material.source == MaterialSource.LICENCE
            and (licence is None or not verify_licence(licence).valid)
        ):
            # As the submission or the correction will find it: a licence
            # revoked since it was handed in stands for nothing, and the
            # applicant uploads the material instead.
            licence = find_valid_licence(application.applicant_id_number, material.licence_type)
        online_form = actions.is_application_form(material)
        uploadable = material.source != MaterialSource.EXCHANGE and licence is None
        rows.append(
            MaterialRow(
                material=material,
                provided=given,
                licence=licence,
                online_form=online_form,
                may_upload=(editable and uploadable and not online_form)
                or (
                    given is not None
                    and given.kind == ProvisionKind.COMMITMENT
                    and application.state in actions.PROMISE_KEEPING_STATES
                ),
                may_promise=application.state == ApplicationState.DRAFT
                and material.requirement == MaterialRequirement.DEFERRABLE
                and uploadable,
                error=errors.get(str(material.pk), ""),
                promised_on_typed=_promise_typed(post, material.pk)
                if errors.get(str(material.pk))
                else "",
                to_correct=material.pk in named,
                corrected=named.get(material.pk, False),
            )
        )
    return rows


def _promise_typed(post: Mapping[str, Any] | None, material_id: int) -> str:
    """The date typed for a promise of this material that was refused, else ""."""
    if post is None or _material_posted(post) != ("promise", str(material_id)):
        return ""
    return str(post.get(f"promised_on-{material_id}") or post.get("promised_on", ""))[:20]


def _material_posted(post: Mapping[str, Any]) -> tuple[str, str]:
    """Return the material action posted (upload, promise or "") and the material's id.

    A material's own form posts ``action`` and ``material``; on the apply page
    the material's buttons belong to the application form instead (so that the
    typed fields go along) and post ``upload`` or ``promise`` = the material's id.
    """
    for action in ("upload", "promise"):
        if post.get(action):
            return action, str(post[action])
    action = str(post.get("action", ""))
    if action in ("upload", "promise"):
        return action, str(post.get("material", ""))
    return "", ""


# A file chosen beside a material of a form with several materials.
CHOSEN_FILE = re.compile(rf"file-({IdConverter.regex})")


def _store_chosen_files(request: HttpRequest, user: User, application: Application) -> set[int]:
    """Store each file chosen beside a material, whichever button sent the form.

    The files go through the same action as the 上传 button, so a file the
    applicant chose is never dropped because they pressed 保存草稿, 提交申请 or
    提交补正 instead. Every file is tried; what is refused is raised once,
    with each refusal beside its material. Return the materials stored.
    """
    stored: set[int] = set()
    refusals: list[tuple[int, ZhengtongError]] = []
    pressed = _material_posted(request.POST)
    chosen = sorted(
        (int(found[1]), name)
        for name in request.FILES
        if (found := CHOSEN_FILE.fullmatch(name)) is not None
        # 作出容缺承诺 pressed for a material says it is not handed in now.
        and pressed != ("promise", found[1])
    )
    for material_id, name in chosen:
        upload = request.FILES.get(name)
        if upload is None:  # pragma: no cover - named by request.FILES itself
            continue
        try:
            actions.do_upload_material(application, material_id, upload, acting_user=user)
        except ZhengtongError as refusal:
            refusals.append((material_id, refusal))
        else:
            stored.add(material_id)
    if refusals:
        first = refusals[0][1]
        first.detail["materials"] = {str(m): str(r.message) for m, r in refusals}
        raise first
    return stored


def _material_action(
    request: HttpRequest, user: User, application: Application, stored: set[int]
) -> str:
    """Upload a file or promise a 容缺 material; return what succeeded (raise on refusal).

    ``stored`` are the materials whose chosen file was stored already with this post.
    """
    action, material = _material_posted(request.POST)
    try:
        material_id = int(material)
    except ValueError:
        raise InvalidInput(_("该事项没有这项材料。"), code="unknown_material") from None
    if action == "promise":
        posted_on = request.POST.get(f"promised_on-{material_id}") or request.POST.get(
            "promised_on", ""
        )
        try:
            promised_on = dt.date.fromisoformat(posted_on)
        except ValueError:
            raise InvalidInput(
                _("请填写承诺补交日期。"),
                code="invalid_promise_date",
                detail={"materials": {str(material_id): _("请填写承诺补交日期。")}},
            ) from None
        actions.do_promise_material(application, material_id, promised_on, acting_user=user)
        return _("已作出容缺承诺。")
    if material_id in stored:
        return _("材料已上传。")
    upload = request.FILES.get("file")
    if upload is None:
        raise InvalidInput(
            _("请选择要上传的文件。"),
            code="file_required",
            detail={"materials": {str(material_id): _("请选择要上传的文件。")}},
        )
    actions.do_upload_material(application, material_id, upload, acting_user=user)
    return _("材料已上传。")


def _material_errors(error: ZhengtongError, request: HttpRequest) -> dict[str, str]:
    found = error.detail.get("materials")
    if isinstance(found, dict):
        return {str(k): str(v) for k, v in found.items()}
    material = _material_posted(request.POST)[1]
    return {material: str(error.message)} if material else {}


# --- 在线申请 ---------------------------------------------------------------------------


def _enterprises_of(user: User) -> list[Any]:
    if user.audience != Audience.ENTERPRISE:
        return []
    return [m.enterprise for m in memberships_of(user)]


def _draft_of(
    request: HttpRequest, user: User, item: ServiceItem, enterprises: list[Any]
) -> Application | None:
    """The draft the page works on: the one named, else the applicant's draft of the item.

    Who acts for several enterprises has a draft per enterprise: without a
    number they choose on the start page, and starting for an enterprise that
    has a draft already (the button pressed twice) reopens that draft.
    """
    number = request.GET.get("number", "")
    if number:
        application = _own(user, number)
        if application.item_id != item.pk:
            raise Http404
        return application
    drafts = selectors.applications_of(user, ApplicationState.DRAFT).filter(item=item)
    if len(enterprises) > 1:
        credit_code = request.POST.get("credit_code", "") if request.method == "POST" else ""
        if not credit_code.strip():
            return None
        # As the draft is started for it: a code sent in lower case or full
        # width must reopen the enterprise's draft, not start a second one.
        drafts = drafts.filter(applicant_id_number=normalise(credit_code))
    return drafts.first()


def _start(
    request: HttpRequest, user: User, item: ServiceItem, enterprises: list[Any]
) -> HttpResponse:
    # Told before starting: the same rule refuses the draft and, later, the submission.
    error = actions.applicant_refusal(item, user)
    if not error and actions.applicant_kind_of(user) is None:
        # Staff, or an account without a real-name record: the draft would be
        # refused (not_an_applicant), so the page offers no start to press.
        error = _("只有实名认证的个人或企业用户可以在线申请。")
    if not error:
        # The draft would be refused (no_enterprise_linked): say so and how to
        # get linked, rather than offer a start that leads nowhere.
        error = actions.enterprise_link_refusal(user)
    status = 403 if error else 200
    if request.method == "POST":
        try:
            application = actions.do_save_draft(
                item, {}, acting_user=user, credit_code=request.POST.get("credit_code", "")
            )
        except ZhengtongError as refusal:
            error, status = str(refusal.message), refusal.status
        else:
            return redirect(_apply_url(application))
    several = len(enterprises) > 1
    drafts = (
        selectors.applications_of(user, ApplicationState.DRAFT).filter(item=item) if several else []
    )
    names = {e.credit_code: e.name for e in enterprises}
    return render(
        request,
        "eservices/apply/start.html",
        {
            "item": item,
            "enterprises": enterprises if several else [],
            # The drafts of this item, one enterprise's each, to go on with.
            "drafts": [
                (d, names.get(d.applicant_id_number, d.applicant_name), _apply_url(d))
                for d in drafts
            ],
            "error": error,
            # Refused for who the user is, starting again would be refused again.
            "may_start": status != 403,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """在线办理: start a prefilled draft, fill in the form, provide the materials, submit."""
    if "item" not in request.GET:
        # Reached from a menu rather than a guide: the applicant picks the item there.
        return redirect("eservices:guides")
    user = _user(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    try:
        item = access_item_by_code(user, request.GET["item"])
    except NotFound:
        raise Http404 from None
    enterprises = _enterprises_of(user)
    application = _draft_of(request, user, item, enterprises)
    if application is None:
        return _start(request, user, item, enterprises)
    if application.state != ApplicationState.DRAFT:
        return redirect(_detail_url(application))
    schema = item.form_schema
    data: dict[str, Any] = actions.saved_form(application)
    field_errors: dict[str, str] = {}
    material_errors: dict[str, str] = {}
    error = ""
    status = 200
    if request.method == "POST":
        action = _material_posted(request.POST)[0] or request.POST.get("action", "")
        if action not in ("save", "submit", "upload", "promise"):
            # e.g. 开始填写 posted twice: the draft exists, leave it as it is.
            return redirect(_apply_url(application))
        # Save and submit post the form; so do the material buttons of this page.
        typed = action in ("save", "submit") or bool(request.POST.get(WITH_FIELDS))
        if typed:
            data = {**data, **parse_form(schema, request.POST, application.prefilled)}
        try:
            response = _post_on_draft(request, user, application, action, data if typed else None)
        except ZhengtongError as refusal:
            error, status = str(refusal.message), refusal.status
            field_errors = _field_errors(refusal)
            material_errors = _material_errors(refusal, request)
        else:
            if response is not None:
                return response
            error = _("申请表填写有误，请按提示修改。")
        if typed:
            # Every field's problem at once, the refusal's own before the typed ones'.
            field_errors = {**form_problems(schema, data, complete=False), **field_errors}
        application = selectors.applications_of(user).get(pk=application.pk)
    context = {
        "item": item,
        "application": application,
        "fields": form_rows(schema, data, application.prefilled, field_errors),
        "materials": material_rows(application, material_errors, request.POST),
        "error": error,
        "accept": UPLOAD_ACCEPT,
        "apply_url": _apply_url(application),
    }
    return render(request, "eservices/apply/apply.html", context, status=status)


def _post_on_draft(
    request: HttpRequest,
    user: User,
    application: Application,
    action: str,
    typed: Mapping[str, Any] | None,
) -> HttpResponse | None:
    """Run the posted action on a draft and answer it (raise on refusal).

    ``typed`` is the form as posted with the action. An upload, a promise or a
    submission saves what validates of it first, so that none of it is lost;
    None means the material was provided but some typed fields did not
    validate, and the page shows them again beside their problems.
    """
    item = application.item
    # A file chosen beside a material goes along with any button and is
    # stored before the form is saved or submitted: a submission finds it,
    # and a save refused for a typing mistake does not lose it.
    if action == "save":
        _store_chosen_files(request, user, application)
        saved = actions.do_save_draft(item, typed or {}, acting_user=user, application=application)
        messages.success(request, _("草稿已保存。"))
        return redirect(_apply_url(saved))
    if typed is not None:
        application = actions.do_save_draft(
            item, typed, acting_user=user, application=application, partial=True
        )
    stored = _store_chosen_files(request, user, application)
    if action == "submit":
        submitted = actions.do_submit_application(application, acting_user=user, form_data=typed)
        if submitted.state == ApplicationState.APPROVED:
            messages.success(request, _("申请已提交，系统已自动准予（秒批）。"))
        elif submitted.state == ApplicationState.REJECTED:
            messages.error(request, _("申请已提交，但不符合办理条件。"))
        else:
            messages.success(request, _("申请已提交，请等待受理。"))
        return redirect(_detail_url(submitted))
    messages.success(request, _material_action(request, user, application, stored))
    if typed is not None and form_problems(item.form_schema, typed, complete=False):
        return None
    return redirect(_apply_url(application))


# --- 我的办件 ---------------------------------------------------------------------------


def my_applications(request: HttpRequest) -> HttpResponse:
    """我的办件: my applications, newest first, with their state and deadline."""
    user = _user(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    state = request.GET.get("state", "")
    if state not in ApplicationState.values:
        state = ""
    rows = [
        (
            a,
            STATE_TAGS.get(ApplicationState(a.state), ""),
            WARNING_TAGS.get(a.warning_level, ""),
            selectors.is_never_submitted(a),
        )
        for a in selectors.applications_of(user, state)[:500]
    ]
    return render(
        request,
        "eservices/apply/mine.html",
        {
            "rows": rows,
            "state": state,
            "states": ApplicationState.choices,
            "inbox": selectors.inbox_of(user),
        },
    )


@require_POST
def delete_draft(request: HttpRequest, number: str) -> HttpResponse:
    """Delete one of my drafts (asked to confirm on the page), then show 我的办件."""
    user = _user(request)
    if user is None:
        return redirect_to_login(reverse("eservices:my_applications"))
    application = _own(user, number)
    try:
        actions.do_delete_draft(application, acting_user=user)
    except ZhengtongError as refusal:
        # Submitted meanwhile (in another tab): its page says where it stands.
        messages.error(request, str(refusal.message))
        return redirect(_detail_url(application))
    messages.success(request, _("草稿 %(number)s 已删除。") % {"number": application.number})
    return redirect("eservices:my_applications")


@require_POST
def read_notifications(request: HttpRequest) -> HttpResponse:
    """Mark one of my messages (``id``) or all of them read, then go back to ``next``."""
    user = _user(request)
    if user is None:
        return redirect_to_login(reverse("eservices:my_applications"))
    raw = request.POST.get("id", "")
    # Only the user's own messages change: the action filters by user.
    # No id marks them all; one not written as the site's ids are (², a
    # number no column holds) marks none.
    if not raw or re.fullmatch(IdConverter.regex, raw):
        actions.do_mark_notifications_read(user, [int(raw)] if raw else None)
    return redirect_back(request, "eservices:my_applications")


# --- one application --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineRow:
    event: ApplicationEvent
    label: str
    actor: str


def _timeline(application: Application) -> list[TimelineRow]:
    rows = []
    for event in selectors.timeline(application):
        if event.to_state and event.kind != "create":
            label = _("状态变为“%(state)s”") % {"state": ApplicationState(event.to_state).label}
        else:
            label = str(EVENT_LABELS.get(event.kind, event.kind))
        # The platform's own steps (秒批, reminders) are named as such, not by an identifier.
        actor = _("系统自动办理") if event.actor_ref.startswith("system:") else event.actor_label
        rows.append(TimelineRow(event, label, actor))
    return rows


def _may_rate(application: Application) -> bool:
    if not selectors.is_ratable(application):
        return False
    ratings = list(selectors.ratings_of(application))
    if not ratings:
        return True
    rectification = getattr(ratings[-1], "rectification", None)
    return rectification is not None and rectification.responded_at is not None


def _posted_level(post: Mapping[str, Any]) -> int:
    try:
        return int(post.get("level", ""))
    except ValueError:
        return 0


def _post_on_application(request: HttpRequest, user: User, application: Application) -> str:
    """Run the posted action on the application; return the success message."""
    action = request.POST.get("action", "")
    # The 补正 form's files go along with any of its buttons, 提交补正 too:
    # stored before the correction is handed in, so that staff see them.
    stored = _store_chosen_files(request, user, application)
    if _material_posted(request.POST)[0]:
        return _material_action(request, user, application, stored)
    if action == "correction":
        form = parse_form(application.item.form_schema, request.POST, application.prefilled)
        actions.do_submit_correction(
            application,
            request.POST.get("note", ""),
            acting_user=user,
            form_data={**actions.saved_form(application), **form},
            request_version=request.POST.get("request_version") or None,
        )
        return _("补正材料已提交，办理时限恢复计算。")
    if action == "withdraw":
        actions.do_withdraw_application(
            application, request.POST.get("reason", ""), acting_user=user
        )
        return _("申请已撤回。")
    if action == "rate":
        actions.do_rate_application(
            application,
            _posted_level(request.POST),
            acting_user=user,
            tags=request.POST.getlist("tags"),
            comment=request.POST.get("comment", ""),
        )
        return _("感谢您的评价。")
    raise InvalidInput(_("请求无法处理。"), code="unknown_action")


@require_http_methods(["GET", "POST"])
def application_detail(request: HttpRequest, number: str) -> HttpResponse:
    """One of my applications: timeline, limit, 补正, withdrawal (or deletion), licence, rating."""
    user = _user(request)
    if user is None:
        return redirect_to_login(request.get_full_path())
    application = _own(user, number)
    field_errors: dict[str, str] = {}
    material_errors: dict[str, str] = {}
    error = ""
    error_field = ""
    status = 200
    data: dict[str, Any] = actions.saved_form(application)
    # The 补正 form posted, with or without one of its material buttons: shown again as typed.
    correction_posted = request.method == "POST" and request.POST.get("action") == "correction"
    if request.method == "POST":
        try:
            done = _post_on_application(request, user, application)
        except ZhengtongError as refusal:
            error, status = str(refusal.message), refusal.status
            field_errors = _field_errors(refusal)
            material_errors = _material_errors(refusal, request)
            error_field = str(refusal.detail.get("field", ""))
        else:
            messages.success(request, done)
            if not (correction_posted and _material_posted(request.POST)[0]):
                return redirect(_detail_url(application))
        if correction_posted:
            data.update(parse_form(application.item.form_schema, request.POST, {}))
        application = _own(user, number)
    limit = selectors.time_limit(application)
    suspensions = list(selectors.suspensions_of(application))
    now = timezone.now()
    correction = next(
        (s for s in suspensions if s.kind == SuspensionKind.CORRECTION and s.ended_at is None),
        None,
    )
    correcting = application.state == ApplicationState.CORRECTING
    to_correct = selectors.correction_materials(application, correction) if correction else []
    context = {
        "application": application,
        "state_tag": STATE_TAGS.get(ApplicationState(application.state), ""),
        "limit": limit,
        "used_percent": min(100, round(limit.used_share * 100)),
        "warning_tag": WARNING_TAGS.get(limit.level, ""),
        "suspended": any(stops_clock_at(s, now) for s in suspensions),
        "suspensions": [(s, s.overran(now)) for s in suspensions],
        "correction": correction,
        "correction_version": actions.correction_request_version(correction.note)
        if correction
        else "",
        "correction_materials": to_correct,
        "timeline": _timeline(application),
        "materials": material_rows(application, material_errors, request.POST, to_correct),
        "fields": form_rows(application.item.form_schema, data, application.prefilled, field_errors)
        if correcting
        else [],
        "uploads_open": correcting,
        # What was sent, read-only; in 补正 the form above is open to change instead.
        "submitted_fields": []
        if correcting or application.state == ApplicationState.DRAFT
        else form_rows(
            application.item.form_schema, application.form_data, application.prefilled, {}
        ),
        # A draft is deleted instead: withdrawn, it would stay in 我的办件 for good.
        "may_withdraw": application.state not in (*FINISHED_STATES, ApplicationState.DRAFT)
        and not selectors.is_decided(application),
        "may_delete": selectors.is_never_submitted(application),
        "may_rate": _may_rate(application),
        "ratings": list(selectors.ratings_of(application)),
        "now": now,
        "levels": RatingLevel.choices,
        "rating_tags": RatingTag.choices,
        "error": error,
        "error_field": error_field,
        "action": request.POST.get("action", "") if error or correction_posted else "",
        "correction_note": request.POST.get("note", "") if correction_posted else "",
        # A refused rating or withdrawal is shown again as it was filled in.
        "rating_level": _posted_level(request.POST) if error else 0,
        "rating_tags_chosen": request.POST.getlist("tags") if error else [],
        "rating_comment": request.POST.get("comment", "") if error else "",
        "withdraw_reason": request.POST.get("reason", "") if error else "",
        "accept": UPLOAD_ACCEPT,
        "apply_url": _apply_url(application) if application.state == ApplicationState.DRAFT else "",
    }
    return render(request, "eservices/apply/application.html", context, status=status)

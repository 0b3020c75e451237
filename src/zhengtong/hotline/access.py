"""Permission-checked fetches of cases: missing and forbidden answer the same."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from zhengtong.core.errors import NotFound, PermissionDenied
from zhengtong.core.models import Department, RegionLevel
from zhengtong.hotline import routing, selectors
from zhengtong.hotline.models import (
    Case,
    CaseEvent,
    CaseImport,
    ClassifierVersion,
    ExtensionRequest,
    HotIssueAlert,
)
from zhengtong.hotline.permissions import (
    DISPATCH,
    ENTER_CALLS,
    HANDLE,
    MANAGE_ROUTING,
    SUPERVISE,
    VIEW_OVERVIEW,
)
from zhengtong.hotline.states import CaseState, EventKind
from zhengtong.identity.models import User
from zhengtong.identity.permissions import departments_in_scope, grants_of, has_permission

CITY_LEVEL = int(RegionLevel.CITY)


def _not_found() -> NotFound:
    return NotFound(_("找不到该工单。"), code="case_not_found")


def handling_department_ids(user: User) -> list[int]:
    """Return the departments whose cases the user may sign for and answer."""
    return list(departments_in_scope(user, HANDLE).values_list("pk", flat=True))


def may_set_urgency(user: User, case: Case) -> bool:
    """Whether the user may grade the case's urgency anew: a dispatcher, or its department's head.

    The head answers for the department's deadlines; a handler does not set
    their own.
    """
    if has_permission(user, DISPATCH):
        return True
    return (
        case.department_id is not None
        and departments_in_scope(user, SUPERVISE).filter(pk=case.department_id).exists()
    )


def worklist_department_ids(user: User) -> list[int]:
    """The departments whose cases the user handles or, as their head, follows (the worklist's)."""
    ids = set(handling_department_ids(user))
    ids.update(departments_in_scope(user, SUPERVISE).values_list("pk", flat=True))
    return sorted(ids)


def worklist_departments_for_api(user: User) -> list[int]:
    """The worklist's departments for a handler or a department's head; refused to anyone else.

    The API's worklist, notifications and marking them read answer the same
    people the worklist page does.
    """
    if not (has_permission(user, HANDLE) or has_permission(user, SUPERVISE)):
        raise PermissionDenied(code="permission_denied")
    return worklist_department_ids(user)


def overview_area(user: User) -> Q | None:
    """The cases whose figures and hot issues the user's overview shows; None: all of them.

    A leader sees the area their post answers for: a city leader the city, a
    district leader their district, and the head of a department that
    department's district (a district bureau's head sees 芙蓉区, a city
    bureau's the city), by where the messages are; a street's post (街道办事处)
    sees the messages placed in that street.
    """
    paths: set[str] = set()
    departments: list[int] = []
    for grant in grants_of(user):
        if VIEW_OVERVIEW not in grant.permissions:
            continue
        if grant.area_path is not None:
            paths.add(grant.area_path.rstrip("/"))
        elif grant.department_id is not None:
            departments.append(grant.department_id)
        else:
            return None
    paths.update(
        path.rstrip("/")
        for path in Department.objects.filter(pk__in=departments).values_list(
            "region__path", flat=True
        )
    )
    if any(len(path.strip("/").split("/")) <= CITY_LEVEL for path in paths):
        return None
    area = Q(pk__in=[])
    for path in paths:
        area |= Q(district__path=path) | Q(district__path__startswith=path + "/")
        # A street's (街道, 乡镇) post lies below every district: its messages
        # are those placed in the street, not in a district of that path.
        area |= Q(street__path=path)
    return area


def _leader_sees(user: User, case: Case) -> bool:
    """Whether the case lies in the area the user's overview answers for (a leader's view)."""
    if not has_permission(user, VIEW_OVERVIEW):
        return False
    area = overview_area(user)
    # A district leader follows the cases of their district, as their overview
    # counts them; a city leader every case.
    return area is None or Case.objects.filter(area, pk=case.pk).exists()


def access_heat_alert_by_id(user: User, alert_id: int) -> selectors.AlertInArea:
    """Return a heat-jump alert with messages in the area the user's overview answers for."""
    alert = HotIssueAlert.objects.filter(pk=alert_id).first()
    if alert is not None and has_permission(user, VIEW_OVERVIEW):
        cases = selectors.alerts_within([alert], overview_area(user)).get(alert.pk)
        if cases is not None:
            return selectors.AlertInArea(alert, cases)
    # Another area's alert is answered as a missing one: its issue is not the user's to know.
    raise NotFound(_("找不到该热点预警。"), code="heat_alert_not_found")


def _handled_as(case: Case) -> Case:
    """The case whose department handles this one: itself, or the case a repeat was merged into.

    A merged repeat has no department of its own: it is handled as part of
    its original, so whoever may see that case may read the repeat's message
    and photos too. Nothing a citizen sent is lost to them.
    """
    return case.merged_into or case


def access_case_for_staff(user: User, number: str) -> Case:
    """Return a case a dispatcher, a leader or the handling department's staff may see."""
    case = selectors.case_by_number(number)
    if case is None:
        raise _not_found()
    # Dispatchers route every message of the city.
    if has_permission(user, DISPATCH) or _leader_sees(user, case):
        return case
    department_id = _handled_as(case).department_id
    if department_id is not None and department_id in handling_department_ids(user):
        return case
    # A head of department is told of reopened and supervised cases (督办) and
    # follows them from the department's worklist: they see, the handlers act.
    if (
        department_id is not None
        and departments_in_scope(user, SUPERVISE).filter(pk=department_id).exists()
    ):
        return case
    raise _not_found()


def may_open_for_staff(user: User, case: Case) -> bool:
    """Whether the staff member may open the case (``access_case_for_staff``), to link to it."""
    try:
        access_case_for_staff(user, case.number)
    except NotFound:
        return False
    return True


def departure_for_staff(user: User, number: str) -> CaseEvent | None:
    """Return how a case left the user's department, if it once was theirs and is no longer.

    For a link the department followed before it lost the case (a notice on
    the worklist, a bookmark): the department returned it (退回) or the
    centre recalled it (撤回). The event is all it is told: the case itself,
    and where it went since, are no longer its to see. None when the case
    is unknown or was never the user's department's, which the caller answers
    as "not found", as for any other case.
    """
    case = selectors.case_by_number(number)
    if case is None:
        return None
    # A merged repeat went wherever its original went.
    handled = _handled_as(case)
    departments = set(handling_department_ids(user))
    departments.update(departments_in_scope(user, SUPERVISE).values_list("pk", flat=True))
    if not departments or handled.department_id in departments:
        return None
    return (
        CaseEvent.objects.filter(
            case=handled,
            kind__in=(EventKind.RETURNED, EventKind.RECALLED),
            department_id__in=departments,
        )
        .order_by("-at", "-pk")
        .first()
    )


def returned_by_this_request(user: User, number: str, reason: str) -> Case | None:
    """The case, when this return (退回) is the one that already sent it back; else None.

    A return sent twice (a double click, or a retry after the answer to the
    first was lost) finds the case gone from the department: the second must
    be answered as the first was, not as "not found". It is the same return
    while the case still waits in the dispatch queue with that return as its
    latest step, by one of the user's departments, for the same reason; once
    anything happened since (dispatched elsewhere, urged, merged into), the
    case is no longer the user's to be shown.
    """
    departments = handling_department_ids(user)
    case = selectors.case_by_number(number) if departments else None
    if case is None or case.state != CaseState.DISPATCHING:
        return None
    latest = case.events.order_by("-at", "-pk").first()
    if (
        latest is None
        or latest.kind != EventKind.RETURNED
        or latest.department_id not in departments
    ):
        return None
    # Compared as the return stored it: line breaks counted once, no outer blanks.
    typed = reason.replace("\r\n", "\n").replace("\r", "\n").strip()
    return case if typed and latest.note == typed else None


def may_reveal_contact(user: User, case: Case) -> bool:
    """Whether the user may see the citizen's full contact details, to call them.

    The centre's dispatchers make the callback (回访); the handling department
    calls the citizen while it works the case and until the callback. Nobody
    else needs the number: everywhere else it is masked.
    """
    if has_permission(user, DISPATCH):
        return True
    handled = _handled_as(case)
    return (
        handled.department_id is not None
        and handled.department_id in handling_department_ids(user)
        and handled.state in (CaseState.ASSIGNED, CaseState.HANDLING, CaseState.REPLIED)
    )


def access_own_case(user: User, number: str) -> Case:
    """Return a case the citizen submitted under their account."""
    case = selectors.case_by_number(number)
    if case is None or case.citizen_id is None or case.citizen_id != user.pk:
        raise _not_found()
    return case


def may_open_own_case(user: User | None, case: Case) -> bool:
    """Whether the signed-in citizen may open the case as theirs (``access_own_case``)."""
    return user is not None and case.citizen_id is not None and case.citizen_id == user.pk


def access_case_by_tracking_code(code: str) -> Case:
    """Return the case for its tracking code (anonymous citizens follow their case this way)."""
    case = selectors.case_by_tracking_code(code)
    if case is None:
        raise _not_found()
    return case


def access_extension_by_id(user: User, extension_id: int) -> ExtensionRequest:
    request = ExtensionRequest.objects.select_related("case").filter(pk=extension_id).first()
    if request is None or not has_permission(user, DISPATCH):
        raise NotFound(_("找不到该延期申请。"), code="extension_not_found")
    return request


def access_classifier_version(user: User, number: int) -> ClassifierVersion:
    version = ClassifierVersion.objects.filter(number=number).first()
    if version is None or not has_permission(user, MANAGE_ROUTING):
        raise NotFound(_("找不到该模型版本。"), code="classifier_not_found")
    return version


def may_manage_routing(user: User) -> bool:
    """Whether the user may train, activate and roll back the routing model.

    The model routes every message of the city to every department, so the
    permission must cover the whole city: a post scoped to the city (the
    city's or the 12345 centre's system administrator), not one department's
    or one district's administrator, who holds ``hotline.manage_routing`` for
    their own part only and may look at the versions but not change them.
    Before any routing rule names the city, a region-wide post at city level
    or above will do.
    """
    city = routing.city_region()
    if city is not None:
        return has_permission(user, MANAGE_ROUTING, region=city)
    return any(
        MANAGE_ROUTING in grant.permissions
        and grant.area_path is not None
        and len(grant.area_path.strip("/").split("/")) <= CITY_LEVEL
        for grant in grants_of(user)
    )


def require_routing_manager(user: User) -> None:
    """Refuse (403) unless the user may change the city's routing model."""
    if not may_manage_routing(user):
        raise PermissionDenied(
            _("只有全市范围的分拨管理员可以训练、启用或回滚分拨模型。"),
            code="permission_denied",
        )


def access_import_by_id(user: User, import_id: int) -> CaseImport:
    """Return an import to the agent who made it, or to a dispatcher."""
    case_import = CaseImport.objects.filter(pk=import_id).first()
    if case_import is None or not has_permission(user, ENTER_CALLS):
        raise NotFound(_("找不到该导入任务。"), code="import_not_found")
    if case_import.entered_by != user.get_username() and not has_permission(user, DISPATCH):
        raise NotFound(_("找不到该导入任务。"), code="import_not_found")
    return case_import

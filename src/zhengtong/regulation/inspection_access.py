"""Permission-checked fetches for random inspections: missing and forbidden answer the same.

A regulator runs inspections (``regulation.run_inspections``) for the
departments their posts cover: a post scoped to a region covers the
departments of that region and the regions inside it, a department post its
own department. Tasks, their inspections and the inspectors on the register
belong to a department, and reach the regulator through it. The public reads
announced, drawn and cancelled tasks without logging in.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from zhengtong.core.errors import InvalidInput, NotFound
from zhengtong.core.models import Department
from zhengtong.identity.permissions import departments_in_scope
from zhengtong.regulation import inspection_selectors as selectors
from zhengtong.regulation.models import (
    Inspection,
    InspectionTask,
    Inspector,
    SupplementaryDraw,
)
from zhengtong.regulation.permissions import RUN_INSPECTIONS

Principal = AbstractBaseUser | AnonymousUser | None


def inspection_departments_of(user: Principal) -> QuerySet[Department]:
    """Return the active departments the user runs inspections for."""
    return (
        departments_in_scope(user, RUN_INSPECTIONS)
        .filter(is_active=True)
        .select_related("region")
        .order_by("region_id", "code")
    )


def tasks_of(user: Principal) -> QuerySet[InspectionTask]:
    """Return the tasks of the departments the user runs inspections for, newest first."""
    return selectors.tasks_listed(
        InspectionTask.objects.filter(department__in=departments_in_scope(user, RUN_INSPECTIONS))
    )


def inspectors_of(user: Principal) -> QuerySet[Inspector]:
    """Return the inspectors of the departments the user runs inspections for."""
    return selectors.inspectors_in(departments_in_scope(user, RUN_INSPECTIONS))


def _task_not_found() -> NotFound:
    return NotFound(_("找不到该抽查任务。"), code="task_not_found")


def access_task_by_code(user: Principal, code: str) -> InspectionTask:
    """Return a task of a department the user runs inspections for."""
    task = selectors.task_by_code(code)
    if task is None or not _covers(user, task.department_id):
        raise _task_not_found()
    return task


def access_public_task_by_code(code: str) -> InspectionTask:
    """Return a task as the public sees it (every task is public from its announcement)."""
    task = selectors.task_by_code(code)
    if task is None:
        raise _task_not_found()
    return task


def _supplementary_not_found() -> NotFound:
    return NotFound(_("找不到该次补充抽取。"), code="supplementary_draw_not_found")


def access_supplementary_draw(user: Principal, code: str, number: int) -> SupplementaryDraw:
    """Return a supplementary draw of a task the user runs, by the task's code and its number."""
    task = access_task_by_code(user, code)
    supplementary = selectors.supplementary_by_number(task, number)
    if supplementary is None:
        raise _supplementary_not_found()
    return supplementary


def access_public_supplementary_draw(code: str, number: int) -> SupplementaryDraw:
    """Return a supplementary draw as the public sees it (public from its announcement)."""
    supplementary = selectors.supplementary_by_number(access_public_task_by_code(code), number)
    if supplementary is None:
        raise _supplementary_not_found()
    return supplementary


def access_inspection_by_id(user: Principal, pk: int) -> Inspection:
    """Return a drawn inspection of a task the user runs."""
    inspection = selectors.inspection_by_id(pk)
    if inspection is None or not _covers(user, inspection.task.department_id):
        raise NotFound(_("找不到该检查对象。"), code="inspection_not_found")
    return inspection


def access_inspector_by_code(user: Principal, code: str) -> Inspector:
    """Return an inspector of a department the user runs inspections for, by 执法证号."""
    inspector = selectors.inspector_by_code(code)
    if inspector is None or not _covers(user, inspector.department_id):
        raise NotFound(_("找不到该检查人员。"), code="inspector_not_found")
    return inspector


def access_department_for_inspections(user: Principal, code: str) -> Department:
    """Return a department, by code, the user may announce tasks and keep inspectors for.

    Refused as invalid input (the department is a field the user filled in),
    the same for an unknown department and one outside the user's posts.
    """
    department = inspection_departments_of(user).filter(code=code).first()
    if department is None:
        raise InvalidInput(
            _("请选择您负责组织抽查的部门。"),
            code="unknown_department",
            detail={"fields": {"department": "invalid"}},
        )
    return department


def _covers(user: Principal, department_id: int) -> bool:
    return departments_in_scope(user, RUN_INSPECTIONS).filter(pk=department_id).exists()

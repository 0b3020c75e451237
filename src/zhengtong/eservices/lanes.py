"""Which department works each lane of an item's process (并联审批).

A lane is named by its role; ``<dept>.<role>`` belongs to the department whose
code is ``<dept>`` or ends in ``-<dept>`` (``cs-fire`` for ``fire.reviewer``):
one of the item's co-departments, or the implementing department itself. A
lane that none of them fits has no department: it is refused where the item is
configured, where an application is submitted and where a task would open,
never handed to the implementing department in its place, since that
department has no power to decide in another's remit.
"""

from collections.abc import Iterable

from zhengtong.core.models import Department
from zhengtong.eservices import process
from zhengtong.eservices.process.errors import ProcessError


def _fits(department: Department, prefix: str) -> bool:
    return department.code == prefix or department.code.endswith(f"-{prefix}")


def lane_department(
    department: Department, co_departments: Iterable[Department], role: str
) -> Department | None:
    """Return the department that works the lane ``role``, or None when none fits."""
    if "." not in role:
        return department
    prefix = role.split(".", 1)[0]
    for co_department in co_departments:
        if _fits(co_department, prefix):
            return co_department
    return department if _fits(department, prefix) else None


def lanes_without_department(
    process_id: str, department: Department, co_departments: Iterable[Department]
) -> list[str]:
    """Return the lanes of the process that no department of the item works.

    A process that cannot be loaded has no lanes to check here: the item
    cannot take applications (``no_process`` or the engine's own error).
    """
    if not process_id:
        return []
    try:
        roles = process.load_process(process_id).roles
    except ProcessError:
        return []
    prefixed = [role for role in roles if "." in role]
    if not prefixed:
        return []  # every lane is the implementing department's: no co-department to read
    candidates = list(co_departments)
    return [role for role in prefixed if lane_department(department, candidates, role) is None]

"""The statements every action on an application runs, written in SQL once.

Every state change of an application first reads it with its item, the item's
department and the applicant (and, for a step, the work task and the task's
department). Through the ORM, ``select_related`` over these wide rows cost
about a millisecond per read, several times more than running the query, so
these reads are written in SQL once with ``core.sql.RowLoader``; the instances
come back converted as the ORM would and related to each other, so the actions
use them exactly like ORM-loaded ones. The same goes for what an action then
reads (materials, suspensions), the lock it takes (``lock_if_unchanged``) and
the rows it writes (timeline, messages, work tasks, the application's columns).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connections, router

from zhengtong.core.models import Department
from zhengtong.core.sql import RowLoader, RowWriter, concrete_field, quoted_table, update_row
from zhengtong.identity.models import User

from .models import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    Material,
    Notification,
    ProvisionKind,
    ServiceItem,
    Suspension,
    WorkTask,
)

_APPLICATIONS = RowLoader(Application, "a")
_ITEMS = RowLoader(ServiceItem, "i")
_ITEM_DEPARTMENTS = RowLoader(Department, "d")
_APPLICANTS = RowLoader(User, "u")
_TASKS = RowLoader(WorkTask, "t")
_TASK_DEPARTMENTS = RowLoader(Department, "td")

_LOADERS = (_APPLICATIONS, _ITEMS, _ITEM_DEPARTMENTS, _APPLICANTS)


def _joins(using: str) -> str:
    quote = connections[using].ops.quote_name
    return (
        f" JOIN {_ITEMS.table(using)} ON i.{quote('id')} = a.{quote('item_id')}"
        f" JOIN {_ITEM_DEPARTMENTS.table(using)} ON d.{quote('id')} = i.{quote('department_id')}"
        f" JOIN {_APPLICANTS.table(using)} ON u.{quote('id')} = a.{quote('applicant_id')}"
    )


def _relate(using: str, row: tuple[object, ...], start: int) -> Application:
    application = _APPLICATIONS.load(using, row, start)
    start += _APPLICATIONS.width
    item = _ITEMS.load(using, row, start)
    start += _ITEMS.width
    department = _ITEM_DEPARTMENTS.load(using, row, start)
    start += _ITEM_DEPARTMENTS.width
    applicant = _APPLICANTS.load(using, row, start)
    ServiceItem.department.field.set_cached_value(item, department)
    Application.item.field.set_cached_value(application, item)
    Application.applicant.field.set_cached_value(application, applicant)
    return application


def application_with_item(pk: int, *, for_update: bool = False) -> Application:
    """The application with its item, the item's department and the applicant.

    ``for_update`` locks the application's row until the transaction ends
    (PostgreSQL; SQLite's write transactions are serialised anyway).
    """
    using = router.db_for_write(Application) if for_update else router.db_for_read(Application)
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = ", ".join(loader.columns(using) for loader in _LOADERS)
    sql = (
        f"SELECT {columns} FROM {_APPLICATIONS.table(using)}{_joins(using)}"  # noqa: S608
        f" WHERE a.{quote('id')} = %s"
    )
    if for_update and connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF a"
    elif for_update and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        raise Application.DoesNotExist(f"application {pk}")
    return _relate(using, row, 0)


def lock_if_unchanged(application: Application) -> bool:
    """Lock the application's row if it is as read (same ``updated_at`` and state); say if it was.

    Every change of an application saves it, which moves ``updated_at``, so an
    action that read the application before its transaction need not read it
    again inside: it locks the row (PostgreSQL; SQLite's write transactions are
    serialised anyway) and goes on with what it read.
    """
    using = router.db_for_write(Application)
    connection = connections[using]
    table, c = quoted_table(using, Application)
    sql = (
        f"SELECT 1 FROM {table} WHERE {c['id']} = %s"  # noqa: S608
        f" AND {c['updated_at']} = %s AND {c['state']} = %s"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    field = Application._meta.get_field("updated_at")
    seen = field.get_db_prep_value(application.updated_at, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [application.pk, seen, application.state])
        return cursor.fetchone() is not None


def task_with_application(pk: int) -> WorkTask:
    """The work task with its department and its application (as ``application_with_item``)."""
    using = router.db_for_read(WorkTask)
    quote = connections[using].ops.quote_name
    columns = ", ".join(loader.columns(using) for loader in (_TASKS, _TASK_DEPARTMENTS, *_LOADERS))
    sql = (
        f"SELECT {columns} FROM {_TASKS.table(using)}"  # noqa: S608
        f" JOIN {_TASK_DEPARTMENTS.table(using)} ON td.{quote('id')} = t.{quote('department_id')}"
        f" JOIN {_APPLICATIONS.table(using)} ON a.{quote('id')} = t.{quote('application_id')}"
        f"{_joins(using)} WHERE t.{quote('id')} = %s"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        raise WorkTask.DoesNotExist(f"work task {pk}")
    task = _TASKS.load(using, row)
    department = _TASK_DEPARTMENTS.load(using, row, _TASKS.width)
    application = _relate(using, row, _TASKS.width + _TASK_DEPARTMENTS.width)
    WorkTask.department.field.set_cached_value(task, department)
    WorkTask.application.field.set_cached_value(task, application)
    return task


# --- Writes -------------------------------------------------------------------------------
# The rows every step adds or changes (timeline events, messages, work tasks),
# written with statements prepared once per database (``core.sql.RowWriter``):
# ``objects.create``, ``bulk_create`` and ``update`` built the same few
# statements anew each time, at several times the cost of running them.

_EVENTS = RowWriter(
    ApplicationEvent,
    (
        "application",
        "kind",
        "from_state",
        "to_state",
        "actor_ref",
        "actor_label",
        "at",
        "note",
        "note_message",
        "task",
    ),
)
_NOTIFICATIONS = RowWriter(Notification, ("user", "text", "message", "link", "created_at"))
_WORK_TASKS = RowWriter(
    WorkTask,
    (
        "application",
        "task_id",
        "bpmn_id",
        "name",
        "step",
        "role",
        "lane_role",
        "department",
        "created_at",
        "result",
    ),
)


_MATERIALS = RowLoader(Material, "m")


def materials_of_item(item_id: int) -> list[Material]:
    """The item's materials in their order (what submission checks, once per application)."""
    return _MATERIALS.where_equal("item_id", item_id, order_by=("position", "id"))


_SUSPENSIONS = RowLoader(Suspension, "s")


def suspensions_of_application(application_id: int) -> list[Suspension]:
    """The application's suspensions (补正, special procedures), oldest first."""
    return _SUSPENSIONS.where_equal("application_id", application_id, order_by=("started_at", "id"))


def handed_in_materials(application_id: int) -> dict[int, dt.date | None]:
    """The materials the applicant uploaded or promised (容缺): material id -> the promised day.

    An upload has no day (None). What the platform found (an e-licence, shared
    data) is not among them: it is looked up again whenever the materials are
    checked, so that a licence revoked since no longer stands for a material.
    """
    using = router.db_for_read(ApplicationMaterial)
    table, c = quoted_table(using, ApplicationMaterial)
    sql = (
        f"SELECT {c['material']}, {c['promised_on']} FROM {table}"  # noqa: S608
        f" WHERE {c['application']} = %s AND {c['kind']} NOT IN (%s, %s)"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [application_id, *FOUND_KINDS])
        rows = cursor.fetchall()
    handed: dict[int, dt.date | None] = {}
    for material_id, day in rows:
        key = int(material_id)
        # An upload stands for the material whatever was promised for it.
        if key not in handed or handed[key] is not None:
            handed[key] = _as_date(day)
    return handed


def _as_date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def has_provision_of_kind(application_id: int, kind: str) -> bool:
    """Whether any material of the application is provided this way (e.g. a 容缺 promise)."""
    using = router.db_for_read(ApplicationMaterial)
    table, c = quoted_table(using, ApplicationMaterial)
    sql = f"SELECT 1 FROM {table} WHERE {c['application']} = %s AND {c['kind']} = %s LIMIT 1"  # noqa: S608
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [application_id, kind])
        return cursor.fetchone() is not None


def insert_event(**row: Any) -> None:
    """Add one timeline row (``ApplicationEvent`` fields; ``application`` is its id)."""
    _EVENTS.insert([row])


def insert_notification(**row: Any) -> None:
    """Add one in-app message (``Notification`` fields; ``user`` is the user's id)."""
    _NOTIFICATIONS.insert([row])


def insert_work_tasks(rows: Iterable[Mapping[str, Any]]) -> None:
    """Add work tasks (``WorkTask`` fields; ``application`` and ``department`` are ids)."""
    _WORK_TASKS.insert(rows)


_FOUND_MATERIALS = RowWriter(
    ApplicationMaterial,
    (
        "application",
        "material",
        "kind",
        "file",
        "file_name",
        "content_type",
        "size",
        "sha256",
        "licence",
        "resource_code",
        "promised_on",
        "created_at",
    ),
)
FOUND_KINDS = (ProvisionKind.LICENCE, ProvisionKind.EXCHANGE)


def replace_found_materials(
    application_id: int, found: Iterable[ApplicationMaterial], at: dt.datetime
) -> None:
    """Replace the application's materials the platform found (e-licences, shared data)."""
    using = router.db_for_write(ApplicationMaterial)
    table, c = quoted_table(using, ApplicationMaterial)
    sql = (
        f"DELETE FROM {table} WHERE {c['application']} = %s"  # noqa: S608
        f" AND {c['kind']} IN (%s, %s)"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [application_id, *FOUND_KINDS])
    _FOUND_MATERIALS.insert(
        {
            "application": application_id,
            "material": row.material_id,
            "kind": row.kind,
            "file": "",
            "file_name": "",
            "content_type": "",
            "size": 0,
            "sha256": "",
            "licence": row.licence_id,
            "resource_code": row.resource_code,
            "promised_on": None,
            "created_at": at,
        }
        for row in found
    )


def open_task_ids(application_id: int) -> list[tuple[int, str]]:
    """(pk, process task id) of the application's open work tasks."""
    using = router.db_for_read(WorkTask)
    table, c = quoted_table(using, WorkTask)
    sql = (
        f"SELECT {c['id']}, {c['task_id']} FROM {table}"  # noqa: S608
        f" WHERE {c['application']} = %s AND {c['completed_at']} IS NULL"
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [application_id])
        return [(int(pk), str(task_id)) for pk, task_id in cursor.fetchall()]


def close_work_task(pk: int, **values: Any) -> None:
    """Set the given ``WorkTask`` fields (``completed_at``, ``result`` ...) of one task."""
    update_row(WorkTask, pk, values)


def update_application(application: Application, fields: Sequence[str]) -> None:
    """Save the named fields of the application, as ``save(update_fields=...)`` does.

    ``updated_at`` among them is set to now (``auto_now``).
    """
    update_row(
        Application,
        application.pk,
        {name: concrete_field(Application, name).pre_save(application, False) for name in fields},
    )


def end_open_suspensions(application_id: int, ended_at: dt.datetime) -> None:
    """End the application's running suspensions (补正, special procedures) at ``ended_at``."""
    using = router.db_for_write(Suspension)
    connection = connections[using]
    table, c = quoted_table(using, Suspension)
    sql = (
        f"UPDATE {table} SET {c['ended_at']} = %s"  # noqa: S608
        f" WHERE {c['application']} = %s AND {c['ended_at']} IS NULL"
    )
    ended = Suspension._meta.get_field("ended_at").get_db_prep_save(ended_at, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [ended, application_id])

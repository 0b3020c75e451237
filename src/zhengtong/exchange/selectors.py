"""Reads of hosted datasets.

``lookup_record`` is raw: it applies no grant and masks nothing, so it serves
the platform itself and the provider department, never other departments.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, QuerySet, Value, When
from django.utils import timezone

from zhengtong.catalog.models import Resource
from zhengtong.catalog.states import ResourceState
from zhengtong.core.calendar import working_days_between
from zhengtong.core.models import Department
from zhengtong.exchange.models import (
    AccessApplication,
    AccessSubject,
    ApplicationState,
    DatasetVersion,
    Grant,
    HostedDataset,
    Record,
    RecordChange,
)

MAX_CHANGES = 1000


def hosted_dataset_of(resource: Resource) -> HostedDataset | None:
    """The dataset the platform hosts behind a resource, if it hosts one."""
    return HostedDataset.objects.filter(resource=resource).first()


def lookup_record(dataset: HostedDataset, key: str) -> Record | None:
    """The current record of a key; ``None`` if there is none or it was deleted."""
    return Record.objects.filter(dataset=dataset, key=key, deleted=False).first()


def changes_since(dataset: HostedDataset, cursor: int, limit: int = 100) -> list[RecordChange]:
    """The changes after ``cursor`` (a ``seq``), oldest first; at most MAX_CHANGES at a time."""
    limit = max(1, min(limit, MAX_CHANGES))
    return list(
        RecordChange.objects.filter(dataset=dataset, seq__gt=cursor)
        .select_related("version")
        .order_by("seq")[:limit]
    )


def record_count(dataset: HostedDataset) -> int:
    """How many current (not deleted) records the dataset holds."""
    return dataset.records.filter(deleted=False).count()


def dataset_versions(dataset: HostedDataset) -> list[DatasetVersion]:
    """The loads of a dataset, newest first."""
    return list(dataset.versions.order_by("-number"))


# --- Applications and grants ------------------------------------------------------------


def _applications() -> QuerySet[AccessApplication]:
    return AccessApplication.objects.select_related(
        "resource__provider", "client__department"
    ).order_by("-submitted_at", "-pk")


def applications_to_answer(departments: QuerySet[Department]) -> QuerySet[AccessApplication]:
    """Applications for the departments' resources: pending ones first, soonest due first."""
    pending_first = Case(When(state=ApplicationState.PENDING, then=Value(0)), default=Value(1))
    return (
        _applications()
        .filter(resource__provider__in=departments)
        .order_by(pending_first, "due_at", "-pk")
    )


def applications_made(departments: QuerySet[Department]) -> QuerySet[AccessApplication]:
    """Applications made for the departments' systems, newest first."""
    return _applications().filter(client__department__in=departments)


def overdue_applications(now: datetime | None = None) -> QuerySet[AccessApplication]:
    """Pending applications past their answer date, across all departments, oldest due first."""
    return (
        _applications()
        .filter(state=ApplicationState.PENDING, due_at__lt=now or timezone.now())
        .order_by("due_at", "pk")
    )


def grants_given(departments: QuerySet[Department]) -> QuerySet[Grant]:
    """Grants of the departments' resources to other departments' systems, newest first."""
    return Grant.objects.filter(resource__provider__in=departments).select_related(
        "resource__provider", "client__department"
    )


def grants_held(departments: QuerySet[Department]) -> QuerySet[Grant]:
    """Grants held by the departments' systems, newest first."""
    return Grant.objects.filter(client__department__in=departments).select_related(
        "resource__provider", "client__department"
    )


def working_days_left(application: AccessApplication, now: datetime | None = None) -> float:
    """Working days until the answer is due; negative once it is overdue."""
    return float(working_days_between(now or timezone.now(), application.due_at))


def hostable_resources(departments: QuerySet[Department]) -> QuerySet[Resource]:
    """The departments' published resources, each with its hosted dataset if there is one."""
    return (
        Resource.objects.filter(provider__in=departments, state=ResourceState.PUBLISHED)
        .select_related("provider", "hosted_dataset")
        .order_by("code")
    )


# --- 我的数据使用记录 ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DataUse:
    """One governed call that touched a person's or an enterprise's key."""

    ledger_seq: int
    at: datetime
    department: str
    system: str
    resource_code: str
    resource_name: str
    items: list[str]
    purpose: str
    operation: str
    result: str
    outcome: str
    # What the ledger entry's data hash was computed from.
    data: dict[str, Any]


def data_uses(key_hash: str, *, limit: int = 200) -> list[DataUse]:
    """The governed calls that named this keyed hash, newest first, items by their names."""
    subjects = AccessSubject.objects.filter(key_hash=key_hash).order_by("-log__ledger_seq")
    return _uses(subjects.select_related(*_USE_RELATED)[:limit])


def data_use(key_hash: str, ledger_seq: int) -> DataUse | None:
    """One use of this keyed hash by its ledger entry; ``None`` if that entry is not one."""
    subjects = AccessSubject.objects.filter(key_hash=key_hash, log__ledger_seq=ledger_seq)
    uses = _uses(subjects.select_related(*_USE_RELATED))
    return uses[0] if uses else None


_USE_RELATED = ("log__client__department", "log__resource")


def _uses(subjects: Iterable[AccessSubject]) -> list[DataUse]:
    uses: list[DataUse] = []
    names: dict[int, dict[str, str]] = {}
    for subject in subjects:
        log = subject.log
        resource = log.resource
        item_names: dict[str, str] = {}
        if resource is not None:
            if resource.pk not in names:
                names[resource.pk] = dict(resource.items.values_list("code", "name"))
            item_names = names[resource.pk]
        uses.append(
            DataUse(
                ledger_seq=log.ledger_seq,
                at=log.at,
                department=log.client.department.name,
                system=log.client.name,
                resource_code=resource.code if resource else str(log.data.get("resource", "")),
                resource_name=resource.name if resource else "",
                items=[item_names.get(code, code) for code in log.data.get("fields", [])],
                purpose=str(log.data.get("purpose", "")),
                operation=log.operation,
                result=log.result,
                outcome=subject.outcome,
                data=log.data,
            )
        )
    return uses

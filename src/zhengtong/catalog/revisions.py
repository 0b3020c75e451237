"""Reading changes (变更) of published entries: the open one, and what it changes."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from zhengtong.catalog.actions import ItemInput, ResourceInput, input_from_json, stored_input
from zhengtong.catalog.labels import ITEMS_HEADING, NO, RESOURCE_HEADINGS, YES, label
from zhengtong.catalog.models import (
    DataType,
    OpenAttribute,
    Resource,
    ResourceFormat,
    ResourceRevision,
    Sensitivity,
    ShareAttribute,
    ShareMethod,
    UpdateCycle,
)
from zhengtong.catalog.states import OPEN_REVISION_STATES, RevisionState

_CHOICES: dict[str, Any] = {
    "format": ResourceFormat,
    "share_attribute": ShareAttribute,
    "share_method": ShareMethod,
    "open_attribute": OpenAttribute,
    "update_cycle": UpdateCycle,
}


@dataclass(frozen=True, slots=True)
class RevisionChange:
    """One difference between the published entry and its change.

    ``field`` is a field of the entry, or ``items.<code>`` for an item added
    (``before`` empty), removed (``after`` empty) or changed.
    """

    field: str
    heading: str
    before: str
    after: str


def open_revision(resource: Resource) -> ResourceRevision | None:
    """The entry's change being drafted or reviewed, if any."""
    return resource.revisions.filter(state__in=OPEN_REVISION_STATES).first()


def revisions_waiting(
    edited: Iterable[int], reviewed: QuerySet[Any] | Iterable[int]
) -> QuerySet[ResourceRevision]:
    """Open changes of the ``edited`` departments' entries, and submitted changes of
    the ``reviewed`` departments' entries."""
    condition = Q(resource__provider__in=list(edited), state__in=OPEN_REVISION_STATES)
    condition |= Q(resource__provider__in=reviewed, state=RevisionState.SUBMITTED)
    return (
        ResourceRevision.objects.filter(condition)
        .select_related("resource__provider")
        .order_by("state", "resource__code")
    )


def revision_changes(revision: ResourceRevision) -> list[RevisionChange]:
    """What the change would change of the entry as it stands now."""
    before = stored_input(revision.resource)
    after = input_from_json(revision.content)
    changes = [
        RevisionChange(name, heading, _text(name, before), _text(name, after))
        for name, heading in RESOURCE_HEADINGS.items()
        if _text(name, before) != _text(name, after)
    ]
    old = {item.code: item for item in before.items}
    new = {item.code: item for item in after.items}
    for code in dict.fromkeys([*old, *new]):
        was, now = old.get(code), new.get(code)
        if was != now:
            changes.append(
                RevisionChange(
                    f"items.{code}",
                    f"{ITEMS_HEADING} {code}",
                    _item_text(was) if was else "",
                    _item_text(now) if now else "",
                )
            )
    return changes


def _text(name: str, data: ResourceInput) -> str:
    value = getattr(data, name)
    if name in _CHOICES:
        return label(_CHOICES[name], value)
    if name == "review_date":
        return value.isoformat() if value else ""
    if name == "extension":
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    if name == "related":
        return "、".join(sorted(value))
    return str(value)


def _item_text(item: ItemInput) -> str:
    """The item as the items box writes it, without its code."""
    parts = [
        item.name,
        label(DataType, item.data_type),
        "" if item.length is None else str(item.length),
        YES if item.is_personal else NO,
        label(Sensitivity, item.sensitivity),
        label(ShareAttribute, item.share_attribute),
        item.legal_basis,
        item.negative_scope,
        item.review_date.isoformat() if item.review_date else "",
    ]
    return "|".join(parts).rstrip("|")

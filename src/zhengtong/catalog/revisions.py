"""Reading changes (变更) of published entries: the open one, and what it changes."""

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from zhengtong.catalog.access import Principal, visible_codes
from zhengtong.catalog.actions import ItemInput, ResourceInput, input_from_json, stored_input
from zhengtong.catalog.labels import ITEMS_HEADING, NO, RESOURCE_HEADINGS, YES
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
from zhengtong.core.punctuation import listed

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


def revision_content(revision: ResourceRevision, principal: Principal) -> dict[str, Any]:
    """The change's stored content as the principal is shown it.

    Related entries the principal may not see (another department's draft)
    are left out, as the entry's own ``related`` leaves them out; saving
    keeps them.
    """
    content = dict(revision.content)
    related = [str(code) for code in content.get("related", [])]
    shown = visible_codes(principal, related)
    content["related"] = [code for code in related if code in shown]
    return content


def revision_changes(revision: ResourceRevision, principal: Principal) -> list[RevisionChange]:
    """What the change would change of the entry as it stands now, as the principal
    is shown it: a related entry the principal may not see is named on neither side."""
    before = stored_input(revision.resource)
    after = input_from_json(revision.content)
    shown = visible_codes(principal, [*before.related, *after.related])
    before = dataclasses.replace(before, related=[c for c in before.related if c in shown])
    after = dataclasses.replace(after, related=[c for c in after.related if c in shown])
    # Headings and dictionary values in the reader's language: the workbook's
    # Chinese headings are msgids of the entry form's labels.
    texts = {name: (_text(name, before), _text(name, after)) for name in RESOURCE_HEADINGS}
    changes = [
        RevisionChange(name, gettext(heading), *texts[name])
        for name, heading in RESOURCE_HEADINGS.items()
        if texts[name][0] != texts[name][1]
    ]
    old = {item.code: item for item in before.items}
    new = {item.code: item for item in after.items}
    for code in dict.fromkeys([*old, *new]):
        was, now = old.get(code), new.get(code)
        if was != now:
            changes.append(
                RevisionChange(
                    f"items.{code}",
                    f"{gettext(ITEMS_HEADING)} {code}",
                    _item_text(was) if was else "",
                    _item_text(now) if now else "",
                )
            )
    return changes


def _label(choices: type[models.TextChoices], value: str) -> str:
    """The value's label in the reader's language; a value no longer among the
    choices (stored under older rules) as it is."""
    if value in choices.values:
        return str(choices(value).label)
    return value


def _text(name: str, data: ResourceInput) -> str:
    value = getattr(data, name)
    if name in _CHOICES:
        return _label(_CHOICES[name], value)
    if name == "review_date":
        return value.isoformat() if value else ""
    if name == "extension":
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    if name == "related":
        return listed(sorted(value))
    return str(value)


def _item_text(item: ItemInput) -> str:
    """The item as the items box writes it, without its code, in the reader's language."""
    parts = [
        item.name,
        _label(DataType, item.data_type),
        "" if item.length is None else str(item.length),
        gettext(YES) if item.is_personal else gettext(NO),
        _label(Sensitivity, item.sensitivity),
        _label(ShareAttribute, item.share_attribute),
        item.legal_basis,
        item.negative_scope,
        item.review_date.isoformat() if item.review_date else "",
    ]
    return "|".join(parts).rstrip("|")

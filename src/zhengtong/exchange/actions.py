"""Every change to hosted datasets: one action, one transaction, one ledger entry."""

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from zhengtong.catalog.actions import control_character
from zhengtong.catalog.models import InformationItem, Resource
from zhengtong.catalog.selectors import Verdict, share_decision
from zhengtong.catalog.states import ResourceState
from zhengtong.core.actors import Actor
from zhengtong.core.calendar import SHANGHAI, add_working_days
from zhengtong.core.errors import Conflict, InvalidInput, NotFound
from zhengtong.core.i18n import message_of, shown_text, stored_text
from zhengtong.core.punctuation import listed
from zhengtong.exchange.models import (
    AccessApplication,
    ApplicationState,
    ChangeKind,
    DatasetVersion,
    Grant,
    GrantTermsChange,
    HostedDataset,
    ProxiedDataset,
    Record,
    RecordChange,
)
from zhengtong.exchange.permissions import READ_SHARED
from zhengtong.exchange.rows import BadValue, Sheet, SheetRow, clean_value
from zhengtong.exchange.selectors import (
    GRANT_CLIENT_REVOKED,
    GRANT_EXPIRED,
    GRANT_RESOURCE_RETIRED,
    GRANT_REVOKED,
    ITEM_CODE_MAX_LENGTH,
    MAX_ECHOED_ITEMS,
    changes_since,
    cursor_beyond_feed,
    echoed,
    echoed_items,
    echoed_text,
    feed_window_problem,
    grant_status,
)
from zhengtong.exchange.tasks import queue_quality_measurement
from zhengtong.exchange.upstream import UpstreamConfig, address_problem
from zhengtong.identity.models import SystemClient
from zhengtong.ledger.actions import record_entry

SUBJECT = "exchange.HostedDataset"
KEY_MAX_LENGTH = 100
# Rows are read from the file as a spreadsheet numbers them: the header is row 1.
FIRST_ROW = 2
_CHUNK = 500
# The rejected rows of an uploaded file kept with its version; a file of a
# million bad rows keeps its first ones, and the version counts them all.
MAX_KEPT_PROBLEMS = 1000


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row left out of a load: where, why in words, and ``code``, the stable reason.

    Codes: ``unknown_item`` (a column that is no item of the resource),
    ``invalid_value``, ``key_required``, ``key_too_long``, ``duplicate_key``,
    ``blank_row`` (pushed rows only), ``no_header`` (a value in a column
    without a header) and ``duplicate_column`` (a pushed row that names one
    item twice, by its code and by its name; a file's header that does so
    refuses the whole file instead).

    ``reason`` is said in the request's language; ``kept`` is the same reason
    as a stored text (``core.i18n``), which the version keeps so that a later
    reader reads it in their own language.
    """

    row: int
    reason: str
    item: str = ""
    code: str = field(kw_only=True)
    kept: str = field(default="", kw_only=True)

    @classmethod
    def said(
        cls, row: int, item: str, message: str, /, *, code: str, **values: object
    ) -> "RowProblem":
        """A problem from a ``gettext_noop``-marked message and the values it is filled in with."""
        kept = stored_text(message, **values)
        return cls(row, shown_text(kept, message_of(kept)), item, code=code, kept=kept)

    def as_kept(self) -> dict[str, Any]:
        """The problem as its version keeps it: the stored text, and what it was made from."""
        kept = self.kept or self.reason
        return {
            "row": self.row,
            "item": self.item,
            "reason": str(kept),
            "message": message_of(kept),
            "code": self.code,
        }


@dataclass(frozen=True, slots=True)
class LoadReport:
    version: DatasetVersion
    accepted: int
    rejected: int
    created: int
    updated: int
    unchanged: int
    problems: Sequence[RowProblem] = field(default_factory=tuple)


def _unknown_key_item(key_item_code: str) -> InvalidInput:
    """The refusal of a key item the entry does not have, naming it back within bounds."""
    return InvalidInput(
        gettext_lazy("该目录没有这个信息项。"),
        code="unknown_key_item",
        detail={"key_item_code": echoed_text(key_item_code, ITEM_CODE_MAX_LENGTH)},
    )


def do_register_hosted_dataset(
    resource: Resource, key_item_code: str, *, actor: Actor
) -> HostedDataset:
    """Start holding the data of a published resource, keyed by one of its items."""
    with transaction.atomic(durable=True):
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        if locked.state != ResourceState.PUBLISHED:
            raise Conflict(gettext_lazy("只有已发布的目录可以托管数据。"), code="not_published")
        key_item = locked.items.filter(code=key_item_code).first()
        if key_item is None:
            raise _unknown_key_item(key_item_code)
        if key_item.data_type == "BY":
            raise InvalidInput(gettext_lazy("二进制信息项不能作为主键。"), code="invalid_key_item")
        if ProxiedDataset.objects.connected().filter(resource=locked).exists():
            # Said as it is: the data stays in the department's own system and
            # is asked for through its API, so there is nothing to host.
            raise Conflict(
                gettext_lazy("该目录的数据经接口从提供部门自己的系统查询，不在平台托管。"),
                code="already_proxied",
            )
        if HostedDataset.objects.filter(resource=locked).exists():
            raise Conflict(gettext_lazy("该目录的数据已经托管。"), code="already_hosted")
        dataset = HostedDataset.objects.create(resource=locked, key_item_code=key_item_code)
        record_entry(
            actor=actor,
            action="exchange.register_hosted_dataset",
            subject_type=SUBJECT,
            subject_id=dataset.pk,
            data={"resource": locked.code, "key_item": key_item_code},
        )
    return dataset


def do_read_dataset_changes(
    dataset: HostedDataset, *, cursor: int, limit: int, actor: Actor
) -> list[RecordChange]:
    """Read the raw change feed after a cursor and write who read how much to the ledger."""
    problem = feed_window_problem(cursor, limit)
    if problem is not None:
        raise problem
    # The feed carries every changed key in full (身份证号 among them), so a
    # read of it is accounted for like a governed call, not served silently.
    with transaction.atomic(durable=True):
        changes = changes_since(dataset, cursor, limit)
        beyond = None if changes else cursor_beyond_feed(cursor)
        if beyond is not None:
            raise beyond
        record_entry(
            actor=actor,
            action="exchange.read_dataset_changes",
            subject_type=SUBJECT,
            subject_id=dataset.pk,
            data={
                "resource": dataset.resource.code,
                "cursor": cursor,
                "limit": limit,
                "returned": len(changes),
                "next_cursor": changes[-1].seq if changes else cursor,
            },
        )
    return changes


def _require_published(locked: HostedDataset) -> None:
    """Refuse new data for a dataset whose resource is no longer published (已下架).

    Read under the dataset's lock, from the resource row as it is now: a
    resource retired after the caller found the dataset takes nothing more.
    Withdrawing records stays possible, as it adds nothing.
    """
    state = Resource.objects.filter(pk=locked.resource_id).values_list("state", flat=True).get()
    if state != ResourceState.PUBLISHED:
        raise Conflict(
            gettext_lazy("该目录资源已下架，不再接收新数据。"),
            code="not_published",
            detail={"state": state},
        )


def _columns(items: Sequence[InformationItem]) -> dict[str, InformationItem]:
    """A header cell may hold the item's code or its name."""
    columns = {item.name: item for item in items}
    columns.update({item.code: item for item in items})
    return columns


def _quoted(names: Iterable[str]) -> str:
    return listed(f"“{name}”" for name in names)


def _require_unambiguous_header(
    header: Sequence[str], columns: Mapping[str, InformationItem]
) -> None:
    """Refuse a file whose header names one item in two columns, or repeats a column's name.

    Every row would then give one item two values, and which is meant cannot
    be known: keeping either would lose the other without a word, so the
    whole file is refused before any row is kept.
    """
    groups: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for position, name in enumerate(header, start=1):
        if not name:  # a blank header cell names nothing (see no_header)
            continue
        item = columns.get(name)
        # A repeated name that is no item is just as ambiguous.
        group = (item.code, "") if item is not None else ("", name)
        groups.setdefault(group, []).append((position, name))
    duplicates = [(group, cells) for group, cells in groups.items() if len(cells) > 1]
    if not duplicates:
        return
    (code, name), cells = duplicates[0]
    positions = listed(str(position) for position, _name in cells)
    if code:
        message = _(
            "表头第%(positions)s列（%(columns)s）都是信息项“%(item)s”，"
            "无法确定应采用哪一列的值，整个文件未载入。"
        ) % {
            "positions": positions,
            "columns": _quoted(cell for _position, cell in cells),
            "item": columns[code].name,
        }
    else:
        message = _(
            "表头第%(positions)s列的列名都是“%(column)s”，无法确定应采用哪一列的值，整个文件未载入。"
        ) % {"positions": positions, "column": name}
    raise InvalidInput(
        message,
        code="duplicate_column",
        detail={
            "duplicates": [
                {
                    "item": group_code,
                    "columns": [cell for _position, cell in group_cells],
                    "positions": [position for position, _cell in group_cells],
                }
                for (group_code, _name), group_cells in duplicates
            ]
        },
    )


def _require_known_columns(header: Sequence[str], columns: Mapping[str, InformationItem]) -> None:
    """Refuse a file whose header names a column that is no item of the resource.

    Every row of it was rejected, one by one, for the same column (an export's
    extra 备注, say), and a version that kept nothing stood in the history.
    """
    unknown = [
        (position, name.strip())
        for position, name in enumerate(header, start=1)
        if name.strip() and name.strip() not in columns
    ]
    if not unknown:
        return
    raise InvalidInput(
        _(
            "表头第%(positions)s列（%(columns)s）不是该目录的信息项，整个文件未载入；"
            "请删去这些列，或将列名改为信息项的代码或名称。"
        )
        % {
            "positions": listed(str(position) for position, _name in unknown),
            "columns": _quoted(name for _position, name in unknown),
        },
        code="unknown_column",
        detail={
            "columns": [name for _position, name in unknown],
            "positions": [position for position, _name in unknown],
        },
    )


def _check_row(
    number: int, row: Mapping[str, str], columns: Mapping[str, InformationItem], key_code: str
) -> tuple[str, dict[str, str]] | RowProblem:
    if isinstance(row, SheetRow) and row.unheaded:
        # The file's header names no item for these columns: their values
        # would be lost without a word if the rest of the row were kept.
        columns_text = listed(str(column) for column in row.unheaded)
        return RowProblem.said(
            number,
            "",
            gettext_noop("第%(columns)s列有值，但表头中没有对应的信息项。"),
            columns=columns_text,
            code="no_header",
        )
    values: dict[str, str] = {}
    named: set[str] = set()
    for header, raw in row.items():
        item = columns.get(header.strip())
        if item is None:
            return RowProblem.said(
                number,
                header.strip(),
                gettext_noop("没有名为“%(column)s”的信息项。"),
                column=header,
                code="unknown_item",
            )
        if item.code in named:
            # A pushed row that names one item by its code and by its name (a
            # file's header is checked as a whole first): which value is
            # meant cannot be known.
            same = [h for h in row if columns.get(h.strip()) is item]
            return RowProblem.said(
                number,
                item.code,
                gettext_noop("这一行的%(columns)s都是信息项“%(item)s”，无法确定应采用哪个值。"),
                columns=_quoted(same),
                item=item.name,
                code="duplicate_column",
            )
        named.add(item.code)
        if not (raw or "").strip():
            continue
        try:
            values[item.code] = clean_value(item, raw)
        except BadValue as bad:
            return RowProblem(number, str(bad), item.code, code="invalid_value", kept=bad.kept)
    key = values.get(key_code, "")
    if not key:
        return RowProblem.said(number, key_code, gettext_noop("缺少主键。"), code="key_required")
    if len(key) > KEY_MAX_LENGTH:
        return RowProblem.said(number, key_code, gettext_noop("主键过长。"), code="key_too_long")
    return key, values


def _fingerprint(rows: Sequence[Mapping[str, str]]) -> str:
    text = json.dumps([dict(row) for row in rows], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def do_load_dataset_rows(
    dataset: HostedDataset,
    rows: Iterable[Mapping[str, str]],
    *,
    actor: Actor,
    source_name: str,
    sha256: str = "",
    report_blank_rows: bool = False,
    keep_problems: bool = False,
) -> LoadReport:
    """Check every row, keep the good ones as a new version and report the bad ones.

    Good rows are upserted by key; each record that changes gets one change-feed
    row. ``sha256`` is the uploaded file's digest; without it the rows' own is kept.
    Blank rows are skipped, as a spreadsheet has them, unless ``report_blank_rows``
    (rows a system sent, where a blank one is a mistake to tell it about).
    ``keep_problems`` keeps the rejected rows with the version (an uploaded
    file's, numbered as the sheet numbers them), to be shown again later.
    """
    # A system names its pushes itself; the name is shown as 来源 and kept in the ledger.
    _refuse_invisible(source_name, "source_name", multiline=False)
    header = rows.header if isinstance(rows, Sheet) else None
    rows = list(rows)
    items = list(dataset.resource.items.order_by("position"))
    columns = _columns(items)
    if header is not None:
        _require_unambiguous_header(header, columns)
        _require_known_columns(header, columns)
    if not rows:
        raise InvalidInput(_("没有可载入的记录行。"), code="no_rows")
    problems: list[RowProblem] = []
    good: dict[str, dict[str, str]] = {}
    for number, row in enumerate(rows, start=FIRST_ROW):
        unheaded = isinstance(row, SheetRow) and bool(row.unheaded)
        if not unheaded and not any((value or "").strip() for value in row.values()):
            if report_blank_rows:
                problems.append(
                    RowProblem.said(
                        number, "", gettext_noop("这一行没有任何信息项的值。"), code="blank_row"
                    )
                )
            continue
        checked = _check_row(number, row, columns, dataset.key_item_code)
        if isinstance(checked, RowProblem):
            problems.append(checked)
        elif checked[0] in good:
            problems.append(
                RowProblem.said(
                    number,
                    dataset.key_item_code,
                    gettext_noop("主键与前面的行重复。"),
                    code="duplicate_key",
                )
            )
        else:
            good[checked[0]] = checked[1]
    if not good and not problems:
        # Every row was blank: Excel saves a sheet's empty formatted rows, as
        # lines of bare commas in a CSV. Such a file holds its header only.
        raise InvalidInput(_("没有可载入的记录行。"), code="no_rows")
    with transaction.atomic(durable=True):
        locked = HostedDataset.objects.select_for_update().get(pk=dataset.pk)
        _require_published(locked)
        version = _keep_version(
            locked, good, actor, source_name, sha256 or _fingerprint(rows), rejected=len(problems)
        )
        if keep_problems and problems:
            version.problems = [p.as_kept() for p in problems[:MAX_KEPT_PROBLEMS]]
            version.save(update_fields=["problems"])
    created, updated = version.created, version.updated
    return LoadReport(
        version=version,
        accepted=len(good),
        rejected=len(problems),
        created=created,
        updated=updated,
        unchanged=len(good) - created - updated,
        problems=tuple(problems),
    )


def do_write_record(
    dataset: HostedDataset,
    key: str,
    write: Callable[[Record | None], Mapping[str, str | None]],
    *,
    actor: Actor,
    source_name: str,
) -> Record:
    """Write one record as a new version, its values made by ``write`` from the record as it is.

    ``write`` is given the live record of ``key`` (``None`` if there is none)
    under the dataset's row lock, which every load takes, so no other write
    can change the record between that read and this one; what it raises
    leaves nothing written. A row its items refuse is ``invalid_record`` and
    makes no version either.
    """
    columns = _columns(list(dataset.resource.items.order_by("position")))
    with transaction.atomic(durable=True):
        locked = HostedDataset.objects.select_for_update().get(pk=dataset.pk)
        _require_published(locked)
        current = Record.objects.filter(dataset=locked, key=key, deleted=False).first()
        row = {code: value for code, value in write(current).items() if value is not None}
        row[locked.key_item_code] = key
        checked = _check_row(FIRST_ROW, row, columns, locked.key_item_code)
        if isinstance(checked, RowProblem):
            raise InvalidInput(
                gettext_lazy("记录未通过校验。"),
                code="invalid_record",
                detail={
                    "problems": [
                        {"item": checked.item, "reason": checked.reason, "code": checked.code}
                    ]
                },
            )
        stored_key, values = checked
        _keep_version(locked, {stored_key: values}, actor, source_name, _fingerprint([row]))
        return Record.objects.get(dataset=locked, key=stored_key)


def _keep_version(
    locked: HostedDataset,
    good: Mapping[str, dict[str, str]],
    actor: Actor,
    source_name: str,
    sha256: str,
    *,
    rejected: int = 0,
) -> DatasetVersion:
    """Upsert the good rows as the dataset's next version, with its ledger entry.

    The caller holds the dataset's row lock, inside its transaction.
    """
    version = _new_version(
        locked, actor, source_name, sha256, accepted=len(good), rejected=rejected
    )
    created, updated = _upsert(locked, version, good)
    version.created, version.updated = created, updated
    version.save(update_fields=["created", "updated"])
    record_entry(
        actor=actor,
        action="exchange.load_dataset",
        subject_type=SUBJECT,
        subject_id=locked.pk,
        data={
            "resource": locked.resource.code,
            "version": version.number,
            "source": version.source_name,
            "sha256": version.sha256,
            "accepted": version.accepted,
            "rejected": version.rejected,
            "created": created,
            "updated": updated,
        },
    )
    queue_quality_measurement(locked.pk)
    return version


def _upsert(
    dataset: HostedDataset, version: DatasetVersion, good: Mapping[str, dict[str, str]]
) -> tuple[int, int]:
    keys = list(good)
    existing: dict[str, Record] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        existing.update((r.key, r) for r in Record.objects.filter(dataset=dataset, key__in=chunk))
    now = version.at
    new: list[Record] = []
    changed: list[Record] = []
    feed: list[RecordChange] = []
    for key, values in good.items():
        record = existing.get(key)
        if record is None:
            new.append(
                Record(dataset=dataset, key=key, values=values, version=version, updated_at=now)
            )
            kind = ChangeKind.CREATED
        elif record.deleted or record.values != values:
            # A deleted key that comes back is new again to whoever follows the feed.
            kind = ChangeKind.CREATED if record.deleted else ChangeKind.UPDATED
            record.values, record.version, record.deleted, record.updated_at = (
                values,
                version,
                False,
                now,
            )
            changed.append(record)
        else:
            continue
        feed.append(RecordChange(dataset=dataset, key=key, version=version, kind=kind, at=now))
    Record.objects.bulk_create(new, batch_size=_CHUNK)
    Record.objects.bulk_update(
        changed, ["values", "version", "deleted", "updated_at"], batch_size=_CHUNK
    )
    RecordChange.objects.bulk_create(feed, batch_size=_CHUNK)
    created = sum(1 for change in feed if change.kind == ChangeKind.CREATED)
    return created, len(feed) - created


def do_delete_dataset_records(
    dataset: HostedDataset, keys: Sequence[str], *, actor: Actor, source_name: str
) -> DatasetVersion:
    """Withdraw records by key as a new version; unknown or already deleted keys are skipped.

    When no key names a live record, nothing is written and the call is
    refused (``nothing_to_delete``), each key given reported with its code:
    ``unknown_key`` or ``already_deleted`` (the first ``MAX_ECHOED_ITEMS``, and
    how many more there were).
    """
    if not keys:
        # As a push of no rows is refused: a version withdrawing nothing by
        # asking for nothing would stand in the versions and the ledger.
        raise InvalidInput(gettext_lazy("请至少提供一个主键。"), code="no_keys")
    _refuse_invisible(source_name, "source_name", multiline=False)
    stored = _stored_keys(dataset, keys)
    wanted = list(dict.fromkeys(key for key in stored.values() if key is not None))
    with transaction.atomic(durable=True):
        locked = HostedDataset.objects.select_for_update().get(pk=dataset.pk)
        records = list(Record.objects.filter(dataset=locked, key__in=wanted, deleted=False))
        if not records:
            # As a file whose every row is blank is refused (no_rows): a version
            # that withdrew nothing would stand in the history and the ledger
            # as if the provider's data had changed.
            raise _nothing_to_delete(locked, stored)
        return _withdraw(locked, records, keys, actor=actor, source_name=source_name)


def _nothing_to_delete(locked: HostedDataset, stored: Mapping[str, str | None]) -> InvalidInput:
    """The refusal of a withdrawal none of whose keys names a live record, key by key.

    Only the keys named back are looked up: a call may give thousands (``echoed``).
    """
    named = list(stored)[:MAX_ECHOED_ITEMS]
    known = {key for given in named if (key := stored[given]) is not None}
    deleted = set(
        Record.objects.filter(dataset=locked, key__in=known, deleted=True).values_list(
            "key", flat=True
        )
    )

    def problem(given: str) -> dict[str, Any]:
        key = stored[given]
        if key is not None and key in deleted:
            reason, code = _("该主键的记录已经删除。"), "already_deleted"
        else:
            reason, code = _("没有与该主键对应的记录。"), "unknown_key"
        # Cut to the length a stored key may have: a longer one names no record.
        return {"key": echoed_text(given, KEY_MAX_LENGTH), "reason": reason, "code": code}

    return InvalidInput(
        gettext_lazy("所给的主键都没有可删除的记录，未生成新版本。"),
        code="nothing_to_delete",
        detail=echoed(stored, "problems", problem),
    )


def do_delete_record(
    dataset: HostedDataset, key: str, *, actor: Actor, source_name: str
) -> DatasetVersion:
    """Withdraw the live record of one stored key as a new version; refuse a key with none.

    The record is looked for under the dataset's row lock, which every write
    takes: of two deletes of one record, the second finds it gone
    (``unknown_key``) and makes no version.
    """
    with transaction.atomic(durable=True):
        locked = HostedDataset.objects.select_for_update().get(pk=dataset.pk)
        records = list(Record.objects.filter(dataset=locked, key=key, deleted=False))
        if not records:
            raise NotFound(gettext_lazy("没有与该主键对应的记录。"), code="unknown_key")
        return _withdraw(locked, records, [key], actor=actor, source_name=source_name)


def _withdraw(
    locked: HostedDataset,
    records: Sequence[Record],
    keys: Sequence[str],
    *,
    actor: Actor,
    source_name: str,
) -> DatasetVersion:
    """Mark the records deleted as the dataset's next version, with its ledger entry.

    The caller holds the dataset's row lock, inside its transaction.
    """
    version = _new_version(
        locked,
        actor,
        source_name,
        hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest(),
        deleted=len(records),
    )
    for record in records:
        record.deleted, record.version, record.updated_at = True, version, version.at
    Record.objects.bulk_update(records, ["deleted", "version", "updated_at"])
    RecordChange.objects.bulk_create(
        RecordChange(
            dataset=locked, key=r.key, version=version, kind=ChangeKind.DELETED, at=version.at
        )
        for r in records
    )
    data: dict[str, Any] = {
        "resource": locked.resource.code,
        "version": version.number,
        "deleted": len(records),
    }
    record_entry(
        actor=actor,
        action="exchange.delete_records",
        subject_type=SUBJECT,
        subject_id=locked.pk,
        data=data,
    )
    queue_quality_measurement(locked.pk)
    return version


def _stored_keys(dataset: HostedDataset, keys: Sequence[str]) -> dict[str, str | None]:
    """Each key given, as a load stores it (a 身份证号's x upper case, spaces trimmed ...).

    A key its item does not accept cannot name a stored record: ``None``.
    """
    key_item = dataset.resource.items.filter(code=dataset.key_item_code).first()
    stored: dict[str, str | None] = {}
    for key in keys:
        if key_item is None:
            stored[key] = key
            continue
        try:
            stored[key] = clean_value(key_item, key)
        except BadValue:
            stored[key] = None
    return stored


def _new_version(
    locked: HostedDataset, actor: Actor, source_name: str, sha256: str, **counts: int
) -> DatasetVersion:
    """Open the dataset's next version; the caller holds the dataset's row lock."""
    last = locked.versions.aggregate(last=Max("number"))["last"] or 0
    return DatasetVersion.objects.create(
        dataset=locked,
        number=last + 1,
        actor_ref=actor.ref,
        actor_label=actor.label,
        at=timezone.now(),
        source_name=source_name[:255],
        sha256=sha256,
        **counts,
    )


# --- Access applications and grants -------------------------------------------

APPLICATION = "exchange.AccessApplication"
GRANT = "exchange.Grant"
MAX_DURATION_DAYS = 3 * 366
# Far above any department's need (the whole city's population a day, many
# times over), and within the column's range on every database.
MAX_EXPECTED_PER_DAY = 100_000_000
DEFAULT_RATE_PER_MINUTE = 600
MAX_RATE_PER_MINUTE = 1_000_000


@dataclass(frozen=True, slots=True)
class ApplicationInput:
    purpose: str
    legal_basis: str
    fields: Sequence[str]
    duration_days: int
    expected_per_day: int
    clear_fields: Sequence[str] = ()


def _refuse_invisible(text: str, field: str, *, multiline: bool = True) -> None:
    """Refuse a text holding control characters, which would be stored and shown invisibly.

    The pages' forms refuse them (``forms._visible``); the API is refused alike.
    A multi-line text keeps its line breaks and tabs.
    """
    char = control_character(text, multiline=multiline)
    if char is not None:
        raise InvalidInput(
            _("不能含有控制字符等不可见字符（%(char)s）。") % {"char": char},
            code="control_character",
            detail={"field": field, "char": char},
        )


def _check_requested_fields(
    resource: Resource, fields: Sequence[str], clear_fields: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Refuse unknown items, never-shared items, and clear text for non-personal items."""
    fields = list(dict.fromkeys(fields))
    clear = list(dict.fromkeys(clear_fields))
    if not fields:
        raise InvalidInput(gettext_lazy("请至少选择一个信息项。"), code="no_fields")
    decision = share_decision(resource, fields)
    unknown = [code for code, v in decision.items.items() if v == Verdict.UNKNOWN]
    if unknown:
        raise InvalidInput(
            gettext_lazy("该目录没有这些信息项。"),
            code="unknown_item",
            detail=echoed_items(unknown),
        )
    never = [code for code, v in decision.items.items() if v == Verdict.NEVER]
    if never:
        raise Conflict(
            gettext_lazy("这些信息项列入负面清单（不予共享），不能申请。"),
            code="negative_list",
            detail={"items": never},
        )
    personal = set(resource.items.filter(is_personal=True).values_list("code", flat=True))
    stray = [code for code in clear if code not in fields or code not in personal]
    if stray:
        raise InvalidInput(
            gettext_lazy("只有所申请的个人信息项才能申请明文。"),
            code="invalid_clear_fields",
            detail=echoed_items(stray),
        )
    return fields, clear


def do_apply_for_access(
    resource: Resource, client: SystemClient, data: ApplicationInput, *, actor: Actor
) -> AccessApplication:
    """File an application to use a published resource; the provider answers within
    ``EXCHANGE_ANSWER_WORKING_DAYS`` working days."""
    purpose, basis = data.purpose.strip(), data.legal_basis.strip()
    _refuse_invisible(purpose, "purpose")
    _refuse_invisible(basis, "legal_basis", multiline=False)
    if len(purpose) < 4:
        raise InvalidInput(gettext_lazy("请写明使用用途。"), code="purpose_required")
    if not basis:
        raise InvalidInput(gettext_lazy("请写明申请依据。"), code="legal_basis_required")
    if not 1 <= data.duration_days <= MAX_DURATION_DAYS:
        raise InvalidInput(
            gettext_lazy("使用期限应在1天到3年之间。"),
            code="invalid_duration",
            detail={"max_days": MAX_DURATION_DAYS},
        )
    if data.expected_per_day < 1:
        raise InvalidInput(gettext_lazy("请填写预计日调用量。"), code="invalid_volume")
    if data.expected_per_day > MAX_EXPECTED_PER_DAY:
        raise InvalidInput(
            gettext_lazy("预计日调用量不能超过1亿次。"),
            code="invalid_volume",
            detail={"max": MAX_EXPECTED_PER_DAY},
        )
    if client.revoked_at is not None:
        raise Conflict(gettext_lazy("该接入系统已停用。"), code="client_revoked")
    with transaction.atomic(durable=True):
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        if locked.state != ResourceState.PUBLISHED:
            raise Conflict(gettext_lazy("只能申请已发布的目录。"), code="not_published")
        if locked.provider_id == client.department_id:
            raise Conflict(gettext_lazy("本部门的数据无需申请。"), code="own_resource")
        if READ_SHARED not in client.scopes:
            # Every call under the grant would be refused (scope_missing), while
            # the grant stood as 有效 on every list.
            raise Conflict(
                gettext_lazy("该接入系统没有读取共享数据的权限范围，获得授权也无法调用。"),
                code="scope_missing",
                detail={"scope": READ_SHARED},
            )
        fields, clear = _check_requested_fields(locked, data.fields, data.clear_fields)
        if AccessApplication.objects.filter(
            resource=locked, client=client, state=ApplicationState.PENDING
        ).exists():
            raise Conflict(
                gettext_lazy("该系统对此目录已有待答复的申请。"), code="application_pending"
            )
        now = timezone.now()
        application = AccessApplication.objects.create(
            resource=locked,
            client=client,
            purpose=purpose[:500],
            legal_basis=basis[:300],
            fields=fields,
            clear_fields=clear,
            duration_days=data.duration_days,
            expected_per_day=data.expected_per_day,
            applicant_ref=actor.ref,
            applicant_label=actor.label,
            submitted_at=now,
            due_at=add_working_days(now, settings.EXCHANGE_ANSWER_WORKING_DAYS),
        )
        record_entry(
            actor=actor,
            action="exchange.apply_for_access",
            subject_type=APPLICATION,
            subject_id=application.pk,
            data={
                "resource": locked.code,
                "client": client.key_id,
                "department": client.department.code,
                "purpose": application.purpose,
                "legal_basis": application.legal_basis,
                "fields": fields,
                "clear_fields": clear,
                "duration_days": data.duration_days,
                "expected_per_day": data.expected_per_day,
                "due_at": application.due_at.isoformat(),
            },
        )
    return application


def _lock_pending(application: AccessApplication) -> AccessApplication:
    locked = (
        AccessApplication.objects.select_for_update()
        .select_related("resource", "client")
        .get(pk=application.pk)
    )
    if locked.state != ApplicationState.PENDING:
        raise Conflict(gettext_lazy("该申请已经答复或撤回。"), code="application_closed")
    return locked


def do_recount_answer_deadlines(*, actor: Actor) -> list[int]:
    """Count the answer deadline of every pending application again; return those moved.

    A holiday notice recorded after an application was filed (``core.calendar``)
    can move the tenth working day. Nothing is written (no ledger entry
    either) when no deadline moved.
    """
    pending = AccessApplication.objects.filter(state=ApplicationState.PENDING).only(
        "pk", "submitted_at", "due_at"
    )
    moved = {}
    for application in pending:
        due = add_working_days(application.submitted_at, settings.EXCHANGE_ANSWER_WORKING_DAYS)
        if due != application.due_at:
            moved[application.pk] = due
    if not moved:
        return []
    written: dict[int, datetime] = {}
    with transaction.atomic(durable=True):
        for pk, due in moved.items():
            # Only while still pending: an answer given meanwhile ends the deadline.
            if AccessApplication.objects.filter(pk=pk, state=ApplicationState.PENDING).update(
                due_at=due
            ):
                written[pk] = due
        if written:
            record_entry(
                actor=actor,
                action="exchange.recount_answer_deadlines",
                subject_type=APPLICATION,
                subject_id="answer_deadlines",
                data={"moved": {str(pk): due.isoformat() for pk, due in written.items()}},
            )
    return list(written)


def do_grant_application(
    application: AccessApplication,
    *,
    actor: Actor,
    reason: str = "",
    fields: Sequence[str] | None = None,
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE,
    clear_fields: Sequence[str] | None = None,
    days: int | None = None,
) -> Grant:
    """Agree to an application, for all or some of the items asked for.

    ``clear_fields``: the personal items agreed to in clear, among those asked
    for in clear (None: each one asked for, where its item is granted); a
    granted personal item not among them is read masked. ``days``: the period
    agreed to, at most the one asked for (None: the period asked for).
    """
    _check_rate(rate_per_minute)
    _refuse_invisible(reason, "reason")
    with transaction.atomic(durable=True):
        locked = _lock_pending(application)
        if locked.client.revoked_at is not None:
            # A stopped system can call nothing: a grant to it would stand
            # as 有效 on every list while no one could use it, and the
            # application would read as answered in full.
            raise Conflict(gettext_lazy("该接入系统已停用。"), code="client_revoked")
        # Locked as the catalog locks it to retire it: a resource retired
        # (已下架) after the application was filed shares nothing any more,
        # which is no reason of the negative list's.
        resource = Resource.objects.select_for_update().get(pk=locked.resource_id)
        if resource.state != ResourceState.PUBLISHED:
            raise Conflict(
                gettext_lazy("该目录资源已下架，不能同意申请。"),
                code="not_published",
                detail={"state": resource.state},
            )
        locked.resource = resource
        granted = list(locked.fields) if fields is None else list(dict.fromkeys(fields))
        outside = [code for code in granted if code not in locked.fields]
        if outside:
            raise InvalidInput(
                gettext_lazy("只能同意所申请的信息项。"),
                code="invalid_fields",
                detail=echoed_items(outside),
            )
        if clear_fields is None:
            agreed_clear = list(locked.clear_fields)
        else:
            agreed_clear = list(dict.fromkeys(clear_fields))
            not_asked = [code for code in agreed_clear if code not in locked.clear_fields]
            if not_asked:
                raise InvalidInput(
                    gettext_lazy("只能同意申请明文提供的信息项以明文提供。"),
                    code="invalid_clear_fields",
                    detail=echoed_items(not_asked),
                )
        granted, clear = _check_requested_fields(
            locked.resource, granted, [c for c in agreed_clear if c in granted]
        )
        agreed_days = locked.duration_days if days is None else days
        if not 1 <= agreed_days <= locked.duration_days:
            raise InvalidInput(
                _("同意的使用期限应在1天到所申请的%(days)d天之间。")
                % {"days": locked.duration_days},
                code="invalid_duration",
                detail={"max_days": locked.duration_days},
            )
        now = timezone.now()
        locked.state = ApplicationState.GRANTED
        _answer(locked, actor, reason, now)
        grant = Grant.objects.create(
            resource=locked.resource,
            client=locked.client,
            application=locked,
            fields=granted,
            clear_fields=clear,
            purpose=locked.purpose,
            starts_at=now,
            expires_at=now + timedelta(days=agreed_days),
            agreed_expires_at=now + timedelta(days=agreed_days),
            rate_per_minute=rate_per_minute,
        )
        record_entry(
            actor=actor,
            action="exchange.grant_access",
            subject_type=GRANT,
            subject_id=grant.pk,
            data={
                "application": locked.pk,
                "resource": locked.resource.code,
                "client": locked.client.key_id,
                "fields": granted,
                "clear_fields": clear,
                "purpose": grant.purpose,
                "expires_at": grant.expires_at.isoformat(),
                "days": agreed_days,
                "rate_per_minute": rate_per_minute,
                "reason": locked.answer_reason,
            },
        )
    return grant


def _check_rate(rate_per_minute: int) -> None:
    if not 1 <= rate_per_minute <= MAX_RATE_PER_MINUTE:
        raise InvalidInput(
            gettext_lazy("每分钟调用上限应在1到100万次之间。"),
            code="invalid_rate",
            detail={"max": MAX_RATE_PER_MINUTE},
        )


def do_refuse_application(
    application: AccessApplication, *, actor: Actor, reason: str
) -> AccessApplication:
    """Refuse an application; the reason is required and shown to the applicant."""
    if not reason.strip():
        raise InvalidInput(gettext_lazy("拒绝时请说明理由。"), code="reason_required")
    _refuse_invisible(reason, "reason")
    with transaction.atomic(durable=True):
        locked = _lock_pending(application)
        locked.state = ApplicationState.REFUSED
        _answer(locked, actor, reason, timezone.now())
        record_entry(
            actor=actor,
            action="exchange.refuse_access",
            subject_type=APPLICATION,
            subject_id=locked.pk,
            data={"resource": locked.resource.code, "reason": locked.answer_reason},
        )
    return locked


def do_withdraw_application(application: AccessApplication, *, actor: Actor) -> AccessApplication:
    with transaction.atomic(durable=True):
        locked = _lock_pending(application)
        locked.state = ApplicationState.WITHDRAWN
        _answer(locked, actor, "", timezone.now())
        record_entry(
            actor=actor,
            action="exchange.withdraw_application",
            subject_type=APPLICATION,
            subject_id=locked.pk,
            data={"resource": locked.resource.code},
        )
    return locked


def _answer(locked: AccessApplication, actor: Actor, reason: str, now: datetime) -> None:
    locked.answered_at = now
    locked.answerer_ref = actor.ref
    locked.answerer_label = actor.label
    locked.answer_reason = reason.strip()[:500]
    locked.save(
        update_fields=["state", "answered_at", "answerer_ref", "answerer_label", "answer_reason"]
    )


# How a grant that is no longer in force ended, as its refusals' codes say.
_ENDED_GRANT_CODES = {
    GRANT_REVOKED: "grant_revoked",
    GRANT_CLIENT_REVOKED: "client_revoked",
    GRANT_EXPIRED: "grant_expired",
    GRANT_RESOURCE_RETIRED: "not_published",
}
# A grant that ended by itself, running out or with its system stopped or its
# resource retired, is not revoked: a revocation now would rewrite why calls
# under it are refused (grant_expired, in the log and in 我的数据使用记录) and
# claim an end it did not have.
_NOT_REVOKED = {
    GRANT_REVOKED: gettext_lazy("该授权已经撤销。"),
    GRANT_CLIENT_REVOKED: gettext_lazy("该授权的接入系统已停用，授权已随之终止，无需撤销。"),
    GRANT_EXPIRED: gettext_lazy("该授权已经到期，无需撤销。"),
    GRANT_RESOURCE_RETIRED: gettext_lazy("该目录资源已下架，授权已随之终止，无需撤销。"),
}
_NOT_CHANGED = {
    GRANT_REVOKED: gettext_lazy("该授权已经撤销，不能变更。"),
    GRANT_CLIENT_REVOKED: gettext_lazy("该授权的接入系统已停用，授权已随之终止，不能变更。"),
    GRANT_EXPIRED: gettext_lazy("该授权已经到期，不能变更。"),
    GRANT_RESOURCE_RETIRED: gettext_lazy("该目录资源已下架，授权已随之终止，不能变更。"),
}


def _lock_grant_in_force(
    grant: Grant, refusals: Mapping[str, str | Promise]
) -> tuple[Grant, datetime]:
    """Lock the grant's row and return it with the time; refuse a grant no longer in force.

    ``refusals`` words the refusal for each way a grant ends, as the action
    at hand says it.
    """
    locked = Grant.objects.select_for_update().select_related("resource", "client").get(pk=grant.pk)
    now = timezone.now()
    status = grant_status(locked, now)
    if status in _ENDED_GRANT_CODES:
        raise Conflict(refusals[status], code=_ENDED_GRANT_CODES[status])
    return locked, now


def do_revoke_grant(grant: Grant, *, actor: Actor, reason: str) -> Grant:
    """End a grant at once; calls under it are refused from the next request on."""
    if not reason.strip():
        raise InvalidInput(gettext_lazy("撤销时请说明理由。"), code="reason_required")
    _refuse_invisible(reason, "reason")
    with transaction.atomic(durable=True):
        locked, now = _lock_grant_in_force(grant, _NOT_REVOKED)
        locked.revoked_at = now
        locked.revoke_reason = reason.strip()[:500]
        locked.save(update_fields=["revoked_at", "revoke_reason"])
        record_entry(
            actor=actor,
            action="exchange.revoke_grant",
            subject_type=GRANT,
            subject_id=locked.pk,
            data={"resource": locked.resource.code, "reason": locked.revoke_reason},
        )
    return locked


def latest_grant_expiry(grant: Grant) -> datetime:
    """The latest expiry a grant may be given: the period applied for, from its start."""
    application = grant.application
    days = application.duration_days if application is not None else MAX_DURATION_DAYS
    return grant.starts_at + timedelta(days=days)


def do_change_grant_terms(
    grant: Grant,
    *,
    actor: Actor,
    reason: str,
    rate_per_minute: int | None = None,
    expires_at: datetime | None = None,
) -> Grant:
    """Change an active grant's rate limit or expiry; calls see the new terms at once.

    The expiry may be brought forward to any moment still to come, or put off
    up to the end of the period the application asked for, counted from the
    grant's start: more than that was never asked for, and would need a new
    application.
    """
    if not reason.strip():
        raise InvalidInput(gettext_lazy("变更授权条件时请说明理由。"), code="reason_required")
    _refuse_invisible(reason, "reason")
    if rate_per_minute is not None:
        _check_rate(rate_per_minute)
    if expires_at is not None and timezone.is_naive(expires_at):
        # A time without a zone is the platform's local time, as elsewhere.
        expires_at = timezone.make_aware(expires_at, SHANGHAI)
    with transaction.atomic(durable=True):
        # Only a grant in force has terms to change: an ended one is
        # replaced by a new application, never brought back to life here.
        locked, now = _lock_grant_in_force(grant, _NOT_CHANGED)
        new_rate = locked.rate_per_minute if rate_per_minute is None else rate_per_minute
        new_expiry = locked.expires_at if expires_at is None else expires_at
        latest = latest_grant_expiry(locked)
        # The API writes times to the millisecond: a caller sending back the
        # expiry it read, or the end of the period counted from the start it
        # read, means that instant, not one a few microseconds earlier.
        for meant in (locked.expires_at, latest):
            if abs(new_expiry - meant) < timedelta(milliseconds=1):
                new_expiry = meant
        if new_expiry != locked.expires_at:
            if new_expiry <= now:
                raise InvalidInput(
                    gettext_lazy("到期时间不能早于现在；要立即终止授权，请撤销授权。"),
                    code="expiry_in_past",
                )
            if new_expiry > latest:
                raise InvalidInput(
                    _("到期时间不能晚于所申请使用期限的最后一刻（%(latest)s）。")
                    % {"latest": latest.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")},
                    code="expiry_beyond_period",
                    detail={"latest": latest.isoformat()},
                )
        if new_rate == locked.rate_per_minute and new_expiry == locked.expires_at:
            raise Conflict(gettext_lazy("授权条件与现行条件相同，未作变更。"), code="no_change")
        old_rate, old_expiry = locked.rate_per_minute, locked.expires_at
        locked.rate_per_minute = new_rate
        locked.expires_at = new_expiry
        locked.save(update_fields=["rate_per_minute", "expires_at"])
        entry = record_entry(
            actor=actor,
            action="exchange.change_grant_terms",
            subject_type=GRANT,
            subject_id=locked.pk,
            data={
                "grant": locked.pk,
                "resource": locked.resource.code,
                "client": locked.client.key_id,
                "old_rate_per_minute": old_rate,
                "rate_per_minute": new_rate,
                "old_expires_at": old_expiry.isoformat(),
                "expires_at": new_expiry.isoformat(),
                "reason": reason.strip()[:500],
            },
        )
        GrantTermsChange.objects.create(
            grant=locked,
            changed_at=now,
            actor_label=actor.label,
            old_rate_per_minute=old_rate,
            rate_per_minute=new_rate,
            old_expires_at=old_expiry,
            expires_at=new_expiry,
            reason=reason.strip()[:500],
            ledger_seq=entry.seq,
        )
    return locked


# --- Proxied datasets --------------------------------------------------------------

# The longest wait for a department's API, per timeout and for a whole batch
# (the page's 批量查询时限 has the same bound).
MAX_UPSTREAM_SECONDS = 300.0


@dataclass(frozen=True)
class UpstreamSettings:
    """How the exchange calls a department's API for a proxied dataset."""

    base_url: str
    path_template: str = "/{key}"
    auth_header: str = ""
    timeouts: tuple[float, float, float] = (2.0, 5.0, 10.0)
    max_retries: int = 2
    max_concurrency: int = 8
    batch_deadline: float = 20.0

    def ledger_data(self) -> dict[str, Any]:
        """The settings as the ledger keeps them: never the credential."""
        return {
            "base_url": self.base_url,
            "path_template": self.path_template,
            "timeouts": list(self.timeouts),
            "max_retries": self.max_retries,
            "max_concurrency": self.max_concurrency,
            "batch_deadline": self.batch_deadline,
        }


def _check_upstream_settings(upstream: UpstreamSettings) -> None:
    """Refuse settings no call could be made with (``invalid_upstream``, naming the field)."""
    base_url, path_template, auth_header = (
        upstream.base_url,
        upstream.path_template,
        upstream.auth_header,
    )
    timeouts, max_retries = upstream.timeouts, upstream.max_retries
    max_concurrency, batch_deadline = upstream.max_concurrency, upstream.batch_deadline
    connect, read, total = timeouts
    # The columns' widths: a longer value would fail at the database (on
    # PostgreSQL) instead of being refused here with the field named.
    for name, value in (
        ("base_url", base_url),
        ("path_template", path_template),
        ("auth_header", auth_header),
    ):
        width = getattr(ProxiedDataset._meta.get_field(name), "max_length", None)
        if width is not None and len(value) > width:
            raise InvalidInput(
                gettext_lazy("上游接口配置有误。"),
                code="invalid_upstream",
                detail={"field": name, "reason": f"{name} is longer than {width} characters"},
            )
    for name, seconds in (
        ("connect_timeout", connect),
        ("read_timeout", read),
        ("total_timeout", total),
        ("batch_deadline", batch_deadline),
    ):
        if not math.isfinite(seconds):
            # Positive, so the config would take it, but no call would ever end.
            raise InvalidInput(
                gettext_lazy("上游接口配置有误。"),
                code="invalid_upstream",
                detail={"field": name, "reason": f"{name} must be a finite number of seconds"},
            )
        if seconds > MAX_UPSTREAM_SECONDS:
            # Each look-up holds a server worker while it waits: a department
            # API allowed hours would take the workers of every other call.
            raise InvalidInput(
                gettext_lazy("上游接口配置有误。"),
                code="invalid_upstream",
                detail={
                    "field": name,
                    "reason": f"{name} must be at most {MAX_UPSTREAM_SECONDS:g} seconds",
                },
            )
    if any(ch in auth_header for ch in "\r\n"):
        # A line break in a header value would end the header there.
        raise InvalidInput(
            gettext_lazy("上游接口配置有误。"),
            code="invalid_upstream",
            detail={"field": "auth_header", "reason": "auth_header holds a line break"},
        )
    if auth_header.strip(" \t") != auth_header or any(
        not (" " <= ch <= "~" or ch == "\t") for ch in auth_header
    ):
        # A header value is sent as ASCII, and one with white space at either
        # end is refused by the HTTP client: every look-up would then fail,
        # as a server error or as if the department's system were down.
        raise InvalidInput(
            gettext_lazy("上游接口配置有误。"),
            code="invalid_upstream",
            detail={
                "field": "auth_header",
                "reason": "auth_header must be printable ASCII with no white space at either end",
            },
        )
    problem = address_problem(base_url, path_template)
    if problem is not None:
        raise InvalidInput(
            gettext_lazy("上游接口配置有误。"),
            code="invalid_upstream",
            detail={"field": problem[0], "reason": problem[1]},
        )
    try:
        UpstreamConfig(
            base_url=base_url,
            path_template=path_template,
            connect_timeout=connect,
            read_timeout=read,
            total_timeout=total,
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            batch_deadline=batch_deadline,
        )
    except ValueError as error:
        raise InvalidInput(
            gettext_lazy("上游接口配置有误。"),
            code="invalid_upstream",
            detail={"reason": str(error)},
        ) from None


def do_register_proxied_dataset(
    resource: Resource,
    key_item_code: str,
    base_url: str,
    *,
    actor: Actor,
    path_template: str = "/{key}",
    auth_header: str = "",
    timeouts: tuple[float, float, float] = (2.0, 5.0, 10.0),
    max_retries: int = 2,
    max_concurrency: int = 8,
    batch_deadline: float = 20.0,
) -> ProxiedDataset:
    """Serve a published resource from the provider's own HTTP API instead of a copy.

    ``max_concurrency`` is how many keys of a batch look-up are asked at once
    (1 asks them one after another), ``batch_deadline`` the seconds a whole
    batch may take.
    """
    upstream = UpstreamSettings(
        base_url=base_url,
        path_template=path_template,
        auth_header=auth_header,
        timeouts=timeouts,
        max_retries=max_retries,
        max_concurrency=max_concurrency,
        batch_deadline=batch_deadline,
    )
    _check_upstream_settings(upstream)
    connect, read, total = timeouts
    with transaction.atomic(durable=True):
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        if locked.state != ResourceState.PUBLISHED:
            raise Conflict(gettext_lazy("只有已发布的目录可以接入数据。"), code="not_published")
        key_item = locked.items.filter(code=key_item_code).first()
        if key_item is None:
            raise _unknown_key_item(key_item_code)
        if key_item.data_type == "BY":
            raise InvalidInput(gettext_lazy("二进制信息项不能作为主键。"), code="invalid_key_item")
        if ProxiedDataset.objects.connected().filter(resource=locked).exists():
            raise Conflict(gettext_lazy("该目录的数据已经接入。"), code="already_proxied")
        if HostedDataset.objects.filter(resource=locked).exists():
            raise Conflict(
                gettext_lazy("该目录的数据已在平台托管，不能再接入部门接口。"),
                code="already_hosted",
            )
        proxied = ProxiedDataset.objects.create(
            resource=locked,
            key_item_code=key_item_code,
            base_url=base_url,
            path_template=path_template,
            auth_header=auth_header,
            connect_timeout=connect,
            read_timeout=read,
            total_timeout=total,
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            batch_deadline=batch_deadline,
        )
        record_entry(
            actor=actor,
            action="exchange.register_proxied_dataset",
            subject_type="exchange.ProxiedDataset",
            subject_id=proxied.pk,
            data={"resource": locked.code, "key_item": key_item_code, **upstream.ledger_data()},
        )
    return proxied


# Settings a department may change once its API is connected; the key item is
# what its records are found by, and stays.
_CHANGEABLE = (
    "base_url",
    "path_template",
    "auth_header",
    "timeouts",
    "max_retries",
    "max_concurrency",
    "batch_deadline",
)


def upstream_settings_of(proxied: ProxiedDataset) -> UpstreamSettings:
    return UpstreamSettings(
        base_url=proxied.base_url,
        path_template=proxied.path_template,
        auth_header=proxied.auth_header,
        timeouts=(proxied.connect_timeout, proxied.read_timeout, proxied.total_timeout),
        max_retries=proxied.max_retries,
        max_concurrency=proxied.max_concurrency,
        batch_deadline=proxied.batch_deadline,
    )


def do_change_proxied_dataset(
    proxied: ProxiedDataset, changes: Mapping[str, Any], *, actor: Actor
) -> ProxiedDataset:
    """Change how the exchange calls the department's API (a moved address, a new credential).

    ``changes`` holds the settings to change (names as in ``UpstreamSettings``;
    the others stay). The next look-up uses the new settings.
    """
    unknown = sorted(set(changes) - set(_CHANGEABLE))
    if unknown:
        raise InvalidInput(
            gettext_lazy("上游接口配置有误。"),
            code="invalid_upstream",
            detail={"field": unknown[0], "reason": f"{unknown[0]} cannot be changed"},
        )
    with transaction.atomic(durable=True):
        locked = ProxiedDataset.objects.select_for_update().get(pk=proxied.pk)
        if locked.removed_at is not None:
            # Removed while the change was on its way: there is nothing left to change.
            raise NotFound(gettext_lazy("该目录没有接入部门接口。"))
        before = upstream_settings_of(locked)
        after = replace(before, **changes)
        _check_upstream_settings(after)
        changed = [name for name in _CHANGEABLE if getattr(after, name) != getattr(before, name)]
        if not changed:
            return locked
        locked.base_url = after.base_url
        locked.path_template = after.path_template
        locked.auth_header = after.auth_header
        locked.connect_timeout, locked.read_timeout, locked.total_timeout = after.timeouts
        locked.max_retries = after.max_retries
        locked.max_concurrency = after.max_concurrency
        locked.batch_deadline = after.batch_deadline
        locked.save()
        record_entry(
            actor=actor,
            action="exchange.change_proxied_dataset",
            subject_type="exchange.ProxiedDataset",
            subject_id=locked.pk,
            data={
                "resource": proxied.resource.code,
                "changed": changed,
                **after.ledger_data(),
            },
        )
    return locked


def do_remove_proxied_dataset(proxied: ProxiedDataset, *, actor: Actor) -> ProxiedDataset:
    """Disconnect the department's API (断开部门接口): the resource is no longer served.

    The row stays, marked removed, so that the ledger entries naming it still
    name a row; the provider may then host the data or connect an API again,
    with another key item if it likes. A dataset already removed answers
    ``not_found``, as one that never was.
    """
    with transaction.atomic(durable=True):
        # Locked as a change locks it, so that a change and a removal at once
        # are taken one after the other, and the later sees the earlier.
        locked = (
            ProxiedDataset.objects.select_for_update()
            .select_related("resource")
            .filter(pk=proxied.pk)
            .first()
        )
        if locked is None or locked.removed_at is not None:
            raise NotFound(gettext_lazy("该目录没有接入部门接口。"))
        locked.removed_at = timezone.now()
        locked.save(update_fields=["removed_at"])
        record_entry(
            actor=actor,
            action="exchange.remove_proxied_dataset",
            subject_type="exchange.ProxiedDataset",
            subject_id=locked.pk,
            data={
                "resource": locked.resource.code,
                "key_item": locked.key_item_code,
                "base_url": locked.base_url,
            },
        )
    return locked

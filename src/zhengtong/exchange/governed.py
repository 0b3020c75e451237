"""Governed reads of shared data by department systems (G2G).

Every call goes the same way: find the resource and the items asked for,
decide from the catalog and the caller's grant which items may leave and which
only masked, read the records, then write one access-log row and its ledger
entry (client, resource, keyed hashes of the keys, items, purpose, result),
committed before the answer leaves; concurrent calls of a process share that
transaction (``audit_writer``). Refusals are logged the same way before they
are raised, so the ledger holds every call that named a client, refused or not.

A provider department's own systems read that department's resources without
a grant (they could not apply for one: ``own_resource``): every item the
catalog lets leave the department at all, personal items in clear, with a
stated purpose, at most ``EXCHANGE_OWN_RATE_PER_MINUTE`` calls a minute per
resource, logged like every other call. The negative list binds them too.
Any other system reads 无条件共享 items without a grant, at most
``EXCHANGE_OPEN_RATE_PER_MINUTE`` calls a minute per resource while it holds
no grant in force that the call is answered under.

Every call that passed authorisation counts against its grant's rate, or,
under no grant, against the system's own or open rate for the resource,
whatever came of it; the audit writer counts it as it
writes the entry and may log it as ``rate_limited``, or as ``grant_revoked`` /
``grant_expired`` when the grant lapsed while the call was under way, and the
call answers as it was logged.

Stable refusal codes: ``purpose_required`` (also a purpose of white space
and invisible characters alone), ``purpose_too_long``, ``resource_not_found``,
``not_hosted``, ``unknown_item``, ``negative_list``, ``not_granted``,
``grant_expired``, ``grant_revoked``, ``rate_limited``, ``bad_key``,
``unknown_key``, ``too_many_keys``, ``no_keys``, ``no_fields``, ``bad_claim``,
``invalid_cursor`` (also a cursor beyond the last change, which no read
handed out), ``invalid_limit``, ``invalid_input`` (text that is not valid
Unicode: a lone surrogate such as ``"\\ud800"`` in a JSON string; a purpose
holding a control character or a direction override).
"""

import enum
import hmac
import json
import re
import time
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengtong.catalog.actions import control_character
from zhengtong.catalog.models import InformationItem, Resource, Sensitivity
from zhengtong.catalog.selectors import ShareDecision, Verdict, share_decision
from zhengtong.catalog.states import ResourceState
from zhengtong.core.errors import ZhengtongError
from zhengtong.core.masking import HIDDEN, MASKERS, mask
from zhengtong.core.sql import RowLoader, driver_cursor, driver_sql
from zhengtong.exchange.actions import KEY_MAX_LENGTH
from zhengtong.exchange.audit_writer import Arrival, LogEntry, arriving, log_call
from zhengtong.exchange.models import Grant, HostedDataset, ProxiedDataset, Record
from zhengtong.exchange.rows import BadValue, clean_value, holds_id_number
from zhengtong.exchange.selectors import (
    changes_since,
    cursor_beyond_feed,
    echoed_items,
    feed_window_problem,
)
from zhengtong.exchange.upstream import UpstreamBadResponse, UpstreamConfig, client_for
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import SystemClient

MAX_BATCH_KEYS = 1000
PURPOSE_MIN, PURPOSE_MAX = 2, 200
SUBJECT = "catalog.Resource"


class Operation(enum.StrEnum):
    LOOK_UP = "look_up"
    BATCH = "batch_look_up"
    VERIFY = "verify"
    CHANGES = "read_changes"
    # Writes by the provider's own systems, logged here only when refused at
    # the door for a missing scope (``refused_calls``); a write that is made
    # is in the ledger as the version it made, under the same action names.
    PUSH = "load_dataset"
    DELETE = "delete_records"


class Refused(ZhengtongError):
    """A governed call that was refused; its code is one of the module's stable codes."""

    status = 403


def _refusal(code: str, status: int, message: Any, **detail: Any) -> Refused:
    return Refused(message, code=code, status=status, detail=detail)


# A lone UTF-16 surrogate: JSON lets a string escape one ("\ud800"), Python
# decodes it into a str, and it then fails every encoding to UTF-8 (the key's
# hash, the database, the ledger).
_SURROGATE = re.compile("[\ud800-\udfff]")

# The marks that change the direction of the text after them, up to the end
# of the paragraph: in a purpose they would make it, and what a page shows
# after it, read as something other than what was stated (U+202E writes the
# rest backwards). Other format characters, such as zero-width joiners, only join.
_DIRECTION_MARKS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _not_unicode(field: str, **detail: Any) -> Refused:
    return _refusal(
        "invalid_input",
        400,
        _("请求中含有无效的Unicode字符（不成对的代理项）。"),
        field=field,
        **detail,
    )


def _loggable(purpose: str) -> str:
    """The purpose with what no page could show replaced by U+FFFD, as the log keeps it."""
    purpose = _SURROGATE.sub("\ufffd", purpose).strip()
    return "".join(
        "\ufffd" if control_character(c) is not None or c in _DIRECTION_MARKS else c
        for c in purpose
    )


def _check_purpose(call: "Call") -> None:
    """Refuse a purpose that is not valid Unicode or holds control characters or direction marks.

    Each is logged with the bad characters replaced. A control character
    (an escape sequence, a line break inside the text) would be stored in the
    ledger and shown to the citizen in 我的数据使用记录 invisibly, or would
    rewrite what the page around it says, as a direction mark would turn it
    around; leading and trailing white space is not part of the purpose and
    is left to ``authorise`` to strip.
    """
    try:
        call.purpose.encode()
    except UnicodeEncodeError:
        call.purpose = _loggable(call.purpose)
        raise _not_unicode("purpose") from None
    char = control_character(call.purpose.strip())
    if char is None and not _DIRECTION_MARKS.isdisjoint(call.purpose):
        char = next(f"U+{ord(c):04X}" for c in call.purpose if c in _DIRECTION_MARKS)
    if char is not None:
        call.purpose = _loggable(call.purpose)
        raise _refusal(
            "invalid_input",
            400,
            _("不能含有控制字符等不可见字符（%(char)s）。") % {"char": char},
            field="purpose",
            char=char,
        )


# --- Keys and masking ----------------------------------------------------------


def key_hash(key: str) -> str:
    """The keyed hash that stands for a key in the access log (HMAC-SHA256, hex)."""
    secret = settings.EXCHANGE_PSEUDONYM_KEY.encode()
    return hmac.digest(secret, key.strip().upper().encode(), "sha256").hex()


def _key_hasher() -> Callable[[str], str]:
    """``key_hash`` with the secret read once, for the keys of one call."""
    secret = settings.EXCHANGE_PSEUDONYM_KEY.encode()
    digest = hmac.digest

    def hash_key(key: str) -> str:
        return digest(secret, key.strip().upper().encode(), "sha256").hex()

    return hash_key


# Items named after the person's role hold that person's name (法定代表人,
# not 法定代表人电话, which ends otherwise).
_NAMED_BY_ROLE = ("法定代表人", "负责人", "联系人", "经营者", "户主")


def mask_kind(item: InformationItem) -> str | None:
    """Which masking rule fits a personal item; ``None``: hide the value entirely."""
    name, code = item.name, item.code.lower()
    if holds_id_number(item):
        return "id_number"
    if (
        "姓名" in name
        or name.endswith(_NAMED_BY_ROLE)
        or code in {"name", "xm"}
        or code.endswith("_name")
    ):
        return "name"
    if "电话" in name or "手机" in name or "phone" in code or "mobile" in code:
        return "phone"
    # 坐落 is where a property lies: an address, masked as one.
    if "地址" in name or "住址" in name or "坐落" in name or "address" in code:
        return "address"
    if "银行" in name or "bank" in code:
        return "bank_card"
    if "邮箱" in name or "email" in code:
        return "email"
    return None


def in_clear(item: InformationItem) -> bool:
    """Whether an item leaves unmasked even when no grant names it in clear."""
    # Personal information that the law has published (敏感级别 公开, such as an
    # enterprise's 法定代表人) is shared as published: masking it would hide
    # nothing and only break what is filled in from it.
    return not item.is_personal or item.sensitivity == Sensitivity.PUBLIC


def masked(item: InformationItem, value: str) -> str:
    kind = mask_kind(item)
    return mask(kind, value) if kind else HIDDEN


# --- Deciding what may leave -----------------------------------------------------


def _hide(value: str) -> str:
    return HIDDEN


# How one item leaves: ``None`` in clear, otherwise the function that masks it.
_Shown = Callable[[str], str] | None


@dataclass(frozen=True, slots=True)
class Withheld:
    """An item of the resource a call without ``fields`` was not given, and ``code``, why.

    Codes: ``negative_list``, ``not_granted``, ``grant_revoked``, ``grant_expired``.
    """

    item: str
    code: str


@dataclass(slots=True)
class Access:
    """What one call may read: the items to return and which of them in clear."""

    resource: Resource
    items: dict[str, InformationItem]
    fields: list[str]
    clear: frozenset[str]
    grant: Grant | None
    dataset: HostedDataset | None = None
    proxied: ProxiedDataset | None = None
    # Items left out of a call that named none (``fields`` omitted).
    withheld: list[Withheld] = field(default_factory=list)
    # Worked out once per call from the above, not once per record.
    plan: list[tuple[str, _Shown]] = field(init=False)
    masked_fields: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.plan = []
        for code in self.fields:
            item = self.items[code]
            if code in self.clear or in_clear(item):
                self.plan.append((code, None))
            else:
                kind = mask_kind(item)
                self.plan.append((code, MASKERS[kind] if kind else _hide))
        self.masked_fields = [code for code, shown in self.plan if shown is not None]

    def found(self, row: "Row") -> "Found":
        return Found(row.key, self.present(row.values), row.updated_at, self.masked_fields)

    def present(self, values: Mapping[str, str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for code, shown in self.plan:
            value = values.get(code)
            if value is None or value == "":
                out[code] = None
            elif shown is None:
                out[code] = value
            else:
                out[code] = shown(value)
        return out


@dataclass(slots=True)
class Call:
    """The facts of one call, gathered as it is handled and written to the log at the end."""

    client: SystemClient
    operation: Operation
    resource_code: str
    purpose: str
    resource: Resource | None = None
    grant: Grant | None = None
    fields: list[str] = field(default_factory=list)
    # The caller is a system of the resource's provider department.
    own: bool = False
    # Passed authorisation: counts against the grant's or own rate, whatever follows.
    authorised: bool = False
    outcomes: dict[str, str] = field(default_factory=dict)  # key hash -> outcome
    detail: dict[str, Any] = field(default_factory=dict)


def _active(grant: Grant, now: datetime) -> bool:
    return grant.revoked_at is None and grant.starts_at <= now < grant.expires_at


def _table(model: type[Model], using: str) -> str:
    return connections[using].ops.quote_name(str(model._meta.db_table))


@dataclass(frozen=True, slots=True)
class _Source:
    resource: Resource
    items: dict[str, InformationItem]  # by code, in the resource's order
    dataset: HostedDataset | None
    proxied: ProxiedDataset | None
    grants: list[Grant]  # the calling client's, newest first
    # share_decision's answers by the items asked for (None: all of them).
    decisions: dict[tuple[str, ...] | None, ShareDecision] = field(default_factory=dict)

    def decision(self, requested: Sequence[str] | None) -> ShareDecision:
        asked = tuple(requested) if requested is not None else None
        found = self.decisions.get(asked)
        if found is None:
            if len(self.decisions) >= 64:  # a caller asking for ever different items
                self.decisions.clear()
            found = self.decisions[asked] = share_decision(
                self.resource, asked if asked is not None else list(self.items)
            )
        return found


# A resource's items change only with the resource itself (a draft's items are
# replaced as the resource is saved, a published resource's as an applied
# change saves it, and a negative-list review of an item saves it too), so
# they are kept per process under the resource's id and ``updated_at``.
# Every call still reads the resource row, its datasets and the grants afresh.
_ITEMS: dict[tuple[int, datetime], tuple[list[InformationItem], QuerySet[InformationItem]]] = {}
_ITEMS_KEPT = 256


def _attach_items(resource: Resource) -> list[InformationItem]:
    """Give the resource its items as if prefetched, from the per-process cache; return them."""
    key = (resource.pk, resource.updated_at)
    cached = _ITEMS.get(key)
    if cached is None:
        items = list(InformationItem.objects.filter(resource_id=resource.pk).order_by("position"))
        # What ``resource.items.all()`` answers when the items were prefetched.
        prefetched = InformationItem.objects.all()
        prefetched._result_cache = items
        prefetched._prefetch_done = True  # type: ignore[attr-defined]
        if len(_ITEMS) >= _ITEMS_KEPT:
            _ITEMS.clear()
        cached = _ITEMS[key] = (items, prefetched)
    items, prefetched = cached
    for item in items:
        # The item's own share attribute falls back on this resource's.
        InformationItem.resource.field.set_cached_value(item, resource)
    resource._prefetched_objects_cache = {"items": prefetched}  # type: ignore[attr-defined]
    return items


_RESOURCES = RowLoader(Resource, "r")
# The rate window's columns move with every batch of calls, and only the
# audit writer reads them.
_GRANTS = RowLoader(Grant, "g", omit=("window_start", "window_count"))
_SOURCE_SQL: dict[str, str] = {}

# The last source made for each client and resource, with the rows it was
# made from. Every call still runs the query, so a resource, dataset or grant
# that changed (revoked, extended, narrowed, retired) is seen at once; only
# when the rows are the same as last time is turning them into instances
# skipped. The instances are shared by the process's threads and only read.
_SOURCES: dict[tuple[str, int, str], tuple[list[Any], _Source]] = {}
_SOURCES_KEPT = 1024


def _source_sql(using: str) -> str:
    sql = _SOURCE_SQL.get(using)
    if sql is None:
        q = connections[using].ops.quote_name
        sql = _SOURCE_SQL[using] = driver_sql(
            using,
            f"SELECT {_RESOURCES.columns(using)}, {_GRANTS.columns(using)},"  # noqa: S608
            f" h.{q('id')}, h.{q('key_item_code')}, p.{q('id')}"
            f" FROM {_RESOURCES.table(using)}"
            f" LEFT JOIN {_table(HostedDataset, using)} h ON h.{q('resource_id')} = r.{q('id')}"
            # A removed (断开) department API serves nothing; at most one is not removed.
            f" LEFT JOIN {_table(ProxiedDataset, using)} p ON p.{q('resource_id')} = r.{q('id')}"
            f" AND p.{q('removed_at')} IS NULL"
            f" LEFT JOIN {_GRANTS.table(using)}"
            f" ON g.{q('resource_id')} = r.{q('id')} AND g.{q('client_id')} = %s"
            f" WHERE r.{q('code')} = %s",
        )
    return sql


def _find_resource(call: Call) -> _Source:
    """The resource named by the call with its items, its dataset and the client's grants.

    One query for the resource, its dataset and the grants, in SQL: it runs
    on every call, and building it through the ORM cost more than running it.
    """
    code = call.resource_code.replace("-", "/")
    using = router.db_for_read(Resource)
    cursor = driver_cursor(using)
    cursor.execute(_source_sql(using), [call.client.pk, code])
    rows = cursor.fetchall()
    kept_as = (using, call.client.pk, code)
    kept = _SOURCES.get(kept_as)
    if kept is not None and kept[0] == rows:
        call.resource = kept[1].resource
        return kept[1]
    resource = _RESOURCES.load(using, rows[0]) if rows else None
    if resource is None or resource.state != ResourceState.PUBLISHED:
        raise _refusal(
            "resource_not_found", 404, _("没有这个已发布的目录资源。"), resource=call.resource_code
        )
    items = _attach_items(resource)
    start = _RESOURCES.width
    grants = [_GRANTS.load(using, row, start) for row in rows if row[start] is not None]
    grants.sort(key=lambda g: g.starts_at, reverse=True)
    dataset = proxied = None
    hosted_id, hosted_key, proxied_id = rows[0][start + _GRANTS.width :]
    if hosted_id is not None:
        dataset = HostedDataset(id=hosted_id, resource_id=resource.pk, key_item_code=hosted_key)
        HostedDataset.resource.field.set_cached_value(dataset, resource)
    elif proxied_id is not None:
        proxied = ProxiedDataset.objects.get(pk=proxied_id)
        ProxiedDataset.resource.field.set_cached_value(proxied, resource)
    call.resource = resource
    source = _Source(resource, {i.code: i for i in items}, dataset, proxied, grants)
    if proxied is None:  # a proxied dataset's settings are not among the rows
        if len(_SOURCES) >= _SOURCES_KEPT:
            _SOURCES.clear()
        _SOURCES[kept_as] = (rows, source)
    return source


def _grant_for(grants: Sequence[Grant], decision: ShareDecision, now: datetime) -> Grant | None:
    """The newest grant in force that names every conditional item asked for, if any.

    A system may hold several grants in force, each from its own application
    (the address for one task, later the name for another); a newer grant
    does not end an older one.
    """
    if len(grants) < 2:  # the usual case: the newest active grant, found by the caller
        return None
    needed = {code for code, verdict in decision.items.items() if verdict == Verdict.GRANT}
    return next((g for g in grants if _active(g, now) and needed <= set(g.fields)), None)


def _lapsed_code(code: str, grants: Sequence[Grant], now: datetime) -> str:
    """Why a conditional item is not granted: the newest lapsed grant that named it, if any."""
    for grant in grants:  # newest first
        if code in grant.fields and grant.starts_at <= now and not _active(grant, now):
            return "grant_revoked" if grant.revoked_at is not None else "grant_expired"
    return "not_granted"


def _visible_length(text: str) -> int:
    """How many characters of the text show: white space and invisible ones do not count.

    A purpose of zero-width spaces (U+200B) or byte-order marks (U+FEFF)
    states nothing, and the citizen would read a blank purpose in
    我的数据使用记录.
    """
    # Nearly every purpose is printable text with at most ASCII spaces in
    # it: counted without looking up each character.
    if text.isprintable():
        return len(text) - text.count(" ")
    return sum(1 for char in text if unicodedata.category(char)[0] not in "CZ")


def authorise(call: Call, requested: Sequence[str] | None) -> Access:
    """Decide which items the call may read; raise ``Refused`` when it may read none it asked for.

    ``requested`` ``None`` means "every item I may read": never-shared items
    and, without a grant, conditional ones are then left out rather than
    refused, and listed in ``Access.withheld`` with the reason.
    """
    purpose = call.purpose.strip()
    if len(purpose) > PURPOSE_MAX:
        # Said as such: refused as ``purpose_required``, a caller that did
        # send one would look for a purpose lost on the way.
        raise _refusal(
            "purpose_too_long",
            400,
            _("用途不能超过%(max)d个字。") % {"max": PURPOSE_MAX},
            max=PURPOSE_MAX,
            length=len(purpose),
        )
    if _visible_length(purpose) < PURPOSE_MIN:
        raise _refusal(
            "purpose_required",
            400,
            _("每次调用都须说明用途（2至200个字）。"),
            min=PURPOSE_MIN,
            max=PURPOSE_MAX,
        )
    if requested is not None and not requested:
        # An empty list would pass every per-item check and still answer
        # whether the key has a record: refused before the resource is read.
        raise _refusal(
            "no_fields", 400, _("请至少指定一个信息项，或省略 fields 以读取有权读取的全部信息项。")
        )
    source = _find_resource(call)
    resource = source.resource
    items = source.items
    decision = source.decision(requested)
    now = timezone.now()
    # The provider's own systems need no grant for what may leave the
    # department at all; any grant row they might hold is not used.
    own = call.own = resource.provider_id == call.client.department_id
    grants = [] if own else source.grants
    grant = _grant_for(grants, decision, now) if requested is not None else None
    if grant is None:
        grant = next((g for g in grants if _active(g, now)), None)
    granted = set(grant.fields) if grant else set()
    if own:
        granted = {c for c, v in decision.items.items() if v == Verdict.GRANT}
    withheld: list[Withheld] = []
    if requested is not None:
        unknown = [c for c, v in decision.items.items() if v == Verdict.UNKNOWN]
        if unknown:
            raise _refusal(
                "unknown_item", 400, _("该目录没有这些信息项。"), **echoed_items(unknown)
            )
        never = [c for c, v in decision.items.items() if v == Verdict.NEVER]
        if never:
            raise _refusal(
                "negative_list", 403, _("所请求的信息项列入负面清单，不予共享。"), items=never
            )
        fields = list(decision.items)
        missing = [c for c, v in decision.items.items() if v == Verdict.GRANT and c not in granted]
    else:
        fields = [
            c
            for c, v in decision.items.items()
            if v == Verdict.OPEN or (v == Verdict.GRANT and c in granted)
        ]
        # Only what an application could obtain is worth naming: never-shared
        # items cannot be granted at all.
        missing = [] if fields else [c for c, v in decision.items.items() if v == Verdict.GRANT]
        # Said in the answer: a system whose grant lapsed would otherwise read
        # the 无条件共享 items alone as if they were the whole record.
        withheld = [
            Withheld(c, "negative_list")
            if v == Verdict.NEVER
            else Withheld(c, _lapsed_code(c, grants, now))
            for c, v in decision.items.items()
            if v == Verdict.NEVER or (v == Verdict.GRANT and c not in granted)
        ]
        # With nothing to read and nothing to apply for, an answer would still
        # tell whether the key has a record.
        if resource.share_attribute == "none" or not (fields or missing):
            raise _refusal(
                "negative_list",
                403,
                _("该目录资源列入负面清单，不予共享。"),
                resource=resource.code,
            )
    if missing:
        lapsed = next((g for g in grants if not _active(g, now) and g.starts_at <= now), None)
        if grant is None and lapsed is not None:
            if lapsed.revoked_at is not None:
                raise _refusal("grant_revoked", 403, _("对该资源的授权已被撤销。"), grant=lapsed.pk)
            raise _refusal("grant_expired", 403, _("对该资源的授权已过期。"), grant=lapsed.pk)
        raise _refusal("not_granted", 403, _("这些信息项需要申请授权后才能使用。"), items=missing)
    call.fields = fields
    used_grant = grant if grant and set(fields) & granted else None
    call.grant = used_grant
    call.authorised = True
    clear = frozenset(grant.clear_fields) & set(fields) if grant else frozenset()
    if own:
        # The department's own data: its personal items as held.
        clear = frozenset(fields)
    return Access(
        resource, items, fields, clear, used_grant, source.dataset, source.proxied, withheld
    )


def own_rate_per_minute() -> int:
    """The calls per minute a provider system may make on one of its own resources."""
    return int(settings.EXCHANGE_OWN_RATE_PER_MINUTE)


def open_rate_per_minute() -> int:
    """The calls per minute another system may make ungranted on one resource's open items."""
    return int(settings.EXCHANGE_OPEN_RATE_PER_MINUTE)


def _ungranted_rate(call: Call) -> int | None:
    """The rate an authorised call counts against when no grant counts it; ``None`` otherwise."""
    if not call.authorised or call.grant is not None:
        return None
    return own_rate_per_minute() if call.own else open_rate_per_minute()


def _key_item(access: Access) -> InformationItem:
    source = access.dataset or access.proxied
    if source is None:
        raise _refusal(
            "not_hosted",
            409,
            _("该目录资源的数据尚未接入共享交换平台。"),
            resource=access.resource.code,
        )
    return access.items[source.key_item_code]


def _clean_key(item: InformationItem, key: str) -> str:
    try:
        cleaned = clean_value(item, key)
    except BadValue as bad:
        raise _refusal("bad_key", 400, str(bad), item=item.code) from None
    if not cleaned:
        raise _refusal("bad_key", 400, _("缺少主键。"), item=item.code)
    if len(cleaned) > KEY_MAX_LENGTH:
        # The item may allow more than a key is kept with: no record can have
        # such a key, and a department's API is not asked for one.
        raise _refusal("bad_key", 400, _("主键过长。"), item=item.code, max_length=KEY_MAX_LENGTH)
    return cleaned


def _hashed(key: str) -> str:
    """The key's keyed hash; a key that is not valid Unicode is refused before it is read."""
    try:
        return key_hash(key)
    except UnicodeEncodeError:
        raise _not_unicode("key") from None


# --- Writing the log -----------------------------------------------------------------


def _log(call: Call, result: str, arrival: Arrival | None = None) -> str:
    """Write the call's access-log row and ledger entry; return the result as logged.

    The write is durable when this returns (see ``audit_writer``); an
    authorised call may come back ``rate_limited`` when its grant's window is
    full, or ``grant_revoked`` / ``grant_expired`` when its grant lapsed meanwhile.
    """
    resource = call.resource
    client = call.client
    data = {
        "client": client.key_id,
        "department": client.department.code,
        "resource": resource.code if resource else call.resource_code,
        "operation": str(call.operation),
        "keys": sorted(call.outcomes),
        "fields": call.fields,
        "purpose": call.purpose.strip()[:PURPOSE_MAX],
        "grant": call.grant.pk if call.grant else None,
        "result": result,
        **call.detail,
    }
    if call.own:
        data["own_resource"] = True
    return log_call(
        LogEntry(
            actor=actor_of(client),
            action=f"exchange.{call.operation}",
            subject_type=SUBJECT,
            subject_id=resource.pk if resource else call.resource_code[:128],
            client_id=client.pk,
            resource_id=resource.pk if resource else None,
            grant_id=call.grant.pk if call.grant else None,
            operation=str(call.operation),
            result=result,
            data=data,
            outcomes=dict(call.outcomes),
            ungranted_rate=_ungranted_rate(call),
        ),
        arrival,
    )


T = TypeVar("T")


def _governed(call: Call, handle: Callable[[], T]) -> T:
    with arriving() as arrival:
        try:
            _check_purpose(call)
            value = handle()
        except ZhengtongError as refusal:
            # Upstream failures are logged too: the call was made, nothing left.
            result = _log(call, refusal.code, arrival)
            if result != refusal.code:
                # Counted against its grant, the call answers as it was logged.
                raise _refusal_as_logged(call, result) from None
            raise
        result = _log(call, "ok", arrival)
    if result != "ok":
        raise _refusal_as_logged(call, result)
    return value


def _refusal_as_logged(call: Call, result: str) -> Refused:
    """The refusal of a call that the rate count refused: over the rate, or its grant lapsed."""
    grant = call.grant
    if result == "grant_revoked":
        return _refusal(
            "grant_revoked", 403, _("对该资源的授权已被撤销。"), grant=grant.pk if grant else None
        )
    if result == "grant_expired":
        return _refusal(
            "grant_expired", 403, _("对该资源的授权已过期。"), grant=grant.pk if grant else None
        )
    if grant is None and call.own:
        return _refusal(
            "rate_limited",
            429,
            _("超过本部门系统的每分钟调用上限，请稍后再试。"),
            rate_per_minute=own_rate_per_minute(),
            retry_after=60 - int(time.time()) % 60,
        )
    if grant is None:
        return _refusal(
            "rate_limited",
            429,
            _("超过无条件共享数据未经授权的每分钟调用上限，请稍后再试。"),
            rate_per_minute=open_rate_per_minute(),
            retry_after=60 - int(time.time()) % 60,
        )
    return _refusal(
        "rate_limited",
        429,
        _("超过授权的每分钟调用上限，请稍后再试。"),
        rate_per_minute=grant.rate_per_minute if grant else None,
        retry_after=60 - int(time.time()) % 60,
    )


def do_log_refused_call(
    client: SystemClient,
    operation: Operation,
    resource_code: str,
    purpose: str,
    refusal: ZhengtongError,
) -> None:
    """Log a call refused before it reached one of the operations below.

    A profile that checks its own request shape first (GovStack's) still
    leaves one access-log row and ledger entry per call, as the native API does.
    The purpose is logged with what no page could show replaced, as
    ``_check_purpose`` logs a purpose it refuses.
    """
    _log(Call(client, operation, resource_code, _loggable(purpose)), refusal.code)


# --- The four operations --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Found:
    key: str
    values: dict[str, str | None]
    updated_at: datetime
    masked: list[str]
    withheld: Sequence[Withheld] = ()


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    values: Mapping[str, str]
    updated_at: datetime


def _records(access: Access, keys: Sequence[str], purpose: str) -> dict[str, Row]:
    """The current records of the keys, from the hosted copy or from the provider's API."""
    if access.dataset is not None:
        return _hosted_records(access.dataset, keys)
    assert access.proxied is not None
    client = client_for(upstream_config(access.proxied))
    # The purpose as it is logged: surrounding white space is no part of it.
    # A batch's keys are asked on worker threads that touch no database; the
    # answers are checked, and the call logged, here in the request's thread.
    fetched = client.lookup_many(keys, purpose=purpose.strip(), request_id=uuid.uuid4().hex)
    now = timezone.now()
    key_item = access.items[access.proxied.key_item_code]
    label = client.config.label
    rows: dict[str, Row] = {}
    for key, result in fetched.items():
        if result is not None:
            _check_upstream_key(key_item, key, result.data, label)
            rows[key] = Row(key, _upstream_values(access, result.data, label), now)
    return rows


def _asked_upstream(call: Call, access: Access, digests: Sequence[str]) -> None:
    """Name the keys in the call's entry before a proxied dataset's upstream is asked.

    The keys go to the provider's system under the caller's purpose whatever
    it answers; logged only once a record was read, a call the upstream
    failed would be missing from the 我的数据使用记录 of the person it was about.
    Each key's outcome is replaced once the upstream has answered.
    """
    if access.proxied is not None:
        for digest in digests:
            call.outcomes[digest] = "unanswered"


def _check_upstream_key(
    item: InformationItem, key: str, data: Mapping[str, Any], upstream: str
) -> None:
    """Refuse an upstream record that names a key other than the one asked for.

    Served under the key asked for, another person's or enterprise's record
    would leave as if it were this one's. An upstream that does not repeat
    the key in its record is taken at its word.
    """
    given = data.get(item.code)
    if given is None:
        return
    try:
        same = isinstance(given, str | int) and clean_value(item, str(given)) == key
    except BadValue:
        same = False
    if not same:
        raise UpstreamBadResponse(detail={"upstream": upstream, "reason": "key_mismatch"})


def _upstream_values(access: Access, data: Mapping[str, Any], upstream: str) -> dict[str, str]:
    """The upstream record's values of the items the call reads, as a load would store them.

    A hosted record holds each value as its item's check leaves it ("true",
    "1000", "2024-05-01"); an upstream's JSON holds true, 1000.0 or
    " 2024-05-01". Served or verified as given, the same record would read
    differently hosted and proxied, and a true claim would not match. A value
    its item cannot hold is the upstream's fault (``upstream_bad_response``),
    not a value to pass on.
    """
    values: dict[str, str] = {}
    items = access.items
    for code in access.fields:
        value = data.get(code)
        if value is None:
            continue
        # As a spreadsheet's cells are read (rows.read_xlsx): JSON's true is a
        # boolean's "true", and 1000.0 is the whole number 1000.
        if isinstance(value, bool):  # before int: a bool is one
            text = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        elif isinstance(value, str | int | float):
            text = str(value)
        else:  # an object or a list is no value of a table's item
            raise UpstreamBadResponse(
                detail={"upstream": upstream, "reason": "bad_value", "item": code}
            )
        if not text.strip():  # a blank cell: no value, as a load skips it
            continue
        try:
            values[code] = clean_value(items[code], text)
        except BadValue:
            raise UpstreamBadResponse(
                detail={"upstream": upstream, "reason": "bad_value", "item": code}
            ) from None
    return values


_RECORDS_SQL: dict[tuple[str, int], str] = {}


def _records_query(using: str, dataset_id: int, keys: Sequence[str]) -> tuple[str, list[Any]]:
    """The select of the live records of the keys, with its parameters, for the driver's cursor.

    On PostgreSQL a batch's keys are one array parameter: with a placeholder
    per key (1,000) the driver rewrote the statement for the server, on every
    call, for longer than the server took to run it. Elsewhere, and for the
    one or two keys of a look-up, a placeholder per key.
    """
    array = len(keys) > 2 and connections[using].vendor == "postgresql"
    count = 0 if array else len(keys)
    sql = _RECORDS_SQL.get((using, count))
    if sql is None:
        q = connections[using].ops.quote_name
        match = "= ANY(%s::text[])" if array else f"IN ({', '.join(['%s'] * count)})"
        sql = driver_sql(
            using,
            f"SELECT {q('key')}, {q('values')}, {q('updated_at')} FROM {_table(Record, using)}"  # noqa: S608
            f" WHERE {q('dataset_id')} = %s AND {q('key')} {match} AND NOT {q('deleted')}",
        )
        if count <= 2 or count == MAX_BATCH_KEYS:
            # The statements that recur: single look-ups, arrays and full batches.
            _RECORDS_SQL[(using, count)] = sql
    return sql, [dataset_id, list(keys)] if array else [dataset_id, *keys]


def _hosted_records(dataset: HostedDataset, keys: Sequence[str]) -> dict[str, Row]:
    """Read the live records of the keys, in SQL: this runs on every call."""
    if not keys:
        return {}
    using = router.db_for_read(Record)
    cursor = driver_cursor(using)
    cursor.execute(*_records_query(using, dataset.pk, keys))
    rows: dict[str, Row] = {}
    loads = json.loads
    parse = datetime.fromisoformat
    for key, values, updated_at in cursor.fetchall():
        if isinstance(values, str):
            values = loads(values)
        if isinstance(updated_at, str):
            updated_at = parse(updated_at)
        if updated_at.tzinfo is None:
            updated_at = updated_at.replace(tzinfo=UTC)
        rows[key] = Row(key, values, updated_at)
    return rows


def upstream_config(proxied: ProxiedDataset) -> UpstreamConfig:
    return UpstreamConfig(
        base_url=proxied.base_url,
        path_template=proxied.path_template,
        name=proxied.resource.code,
        auth_header=proxied.auth_header,
        connect_timeout=proxied.connect_timeout,
        read_timeout=proxied.read_timeout,
        total_timeout=proxied.total_timeout,
        max_retries=proxied.max_retries,
        max_concurrency=proxied.max_concurrency,
        batch_deadline=proxied.batch_deadline,
    )


def do_look_up_record(
    client: SystemClient,
    resource_code: str,
    key: str,
    *,
    purpose: str,
    fields: Sequence[str] | None = None,
) -> Found:
    """Return one record's permitted items by key, masked as the grant says."""
    call = Call(client, Operation.LOOK_UP, resource_code, purpose)

    def handle() -> Found:
        access = authorise(call, fields)
        key_item = _key_item(access)
        cleaned = _clean_key(key_item, key)
        digest = _hashed(cleaned)
        _asked_upstream(call, access, [digest])
        record = _records(access, [cleaned], call.purpose).get(cleaned)
        if record is None:
            call.outcomes[digest] = "not_found"
            raise _refusal("unknown_key", 404, _("没有与该主键对应的记录。"))
        call.outcomes[digest] = "found"
        return Found(
            cleaned,
            access.present(record.values),
            record.updated_at,
            access.masked_fields,
            access.withheld,
        )

    return _governed(call, handle)


@dataclass(frozen=True, slots=True)
class BatchResult:
    found: list[Found]
    not_found: list[str]
    bad_keys: list[str]
    withheld: Sequence[Withheld] = ()


def do_look_up_records(
    client: SystemClient,
    resource_code: str,
    keys: Sequence[str],
    *,
    purpose: str,
    fields: Sequence[str] | None = None,
) -> BatchResult:
    """Look up to 1,000 keys in one call; unknown and malformed keys are listed, not fatal."""
    call = Call(client, Operation.BATCH, resource_code, purpose)

    def handle() -> BatchResult:
        access = authorise(call, fields)
        key_item = _key_item(access)
        if not keys:
            raise _refusal("no_keys", 400, _("请至少提供一个主键。"), max=MAX_BATCH_KEYS)
        if len(keys) > MAX_BATCH_KEYS:
            raise _refusal(
                "too_many_keys",
                400,
                _("每次批量查询1至1000个主键。"),
                max=MAX_BATCH_KEYS,
                given=len(keys),
            )
        # Each record's key as cleaned, with the first way it was given and
        # its hash: keys written differently (" 4301…", lower-case x) name one
        # record, answered once. Hashed before any record is read, so that a
        # key that is not valid Unicode refuses the call before it reads.
        cleaned: dict[str, tuple[str, str]] = {}
        bad: list[str] = []
        hash_key = _key_hasher()
        for given in dict.fromkeys(keys):
            try:
                key = _clean_key(key_item, given)
            except Refused:
                bad.append(given)
                continue
            if key not in cleaned:
                try:
                    cleaned[key] = (given, hash_key(key))
                except UnicodeEncodeError:
                    raise _not_unicode("keys") from None
        _asked_upstream(call, access, [digest for _given, digest in cleaned.values()])
        records = _records(access, list(cleaned), call.purpose)
        found: list[Found] = []
        not_found: list[str] = []
        outcomes = call.outcomes
        present = access.present
        masked_fields = access.masked_fields
        for key, (given, digest) in cleaned.items():
            record = records.get(key)
            if record is None:
                outcomes[digest] = "not_found"
                not_found.append(given)
            else:
                outcomes[digest] = "found"
                found.append(Found(key, present(record.values), record.updated_at, masked_fields))
        call.detail = {"bad_keys": len(bad)}
        return BatchResult(found, not_found, bad, access.withheld)

    return _governed(call, handle)


class Match(enum.StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"


# A claimed value as JSON gives it: a number or a boolean where the item holds one.
Claimed = str | int | float | bool


def _claimed_text(value: Claimed) -> str:
    """A claimed value as text, read as a pushed row's or a department API's value is.

    A system claims a number or a yes/no item as JSON has it (1000, 1000.0,
    true); the record holds the text its item's check left ("1000", "true").
    """
    if isinstance(value, bool):  # before int: a bool is one
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def do_verify_record(
    client: SystemClient,
    resource_code: str,
    key: str,
    claims: Mapping[str, Claimed],
    *,
    purpose: str,
) -> dict[str, Match]:
    """Say per claimed item whether the record holds that value (核验), disclosing nothing else."""
    call = Call(client, Operation.VERIFY, resource_code, purpose)

    def handle() -> dict[str, Match]:
        if not claims:
            # As for a look-up's empty ``fields``: nothing was named, so no item
            # is unknown, and a caller reading ``unknown_item`` would look for
            # a misspelt item code that is not there.
            raise _refusal("no_fields", 400, _("请至少提供一个待核验的信息项。"))
        access = authorise(call, list(claims))
        key_item = _key_item(access)
        cleaned = _clean_key(key_item, key)
        digest = _hashed(cleaned)
        # A claim its item could never hold is the caller's mistake, said as
        # such before any record is read, not a quiet no_match; so is a claim
        # that is not valid Unicode, which no stored value can equal.
        claimed_values: dict[str, bytes] = {}
        for code, claimed in claims.items():
            try:
                text = _claimed_text(claimed)
                if not text.strip():
                    # A blank claim matches no stored value, not even a record
                    # that holds none for the item: a no_match would read as
                    # "the record says otherwise" when nothing was claimed.
                    raise _refusal("bad_claim", 400, _("请填写要核验的值。"), item=code)
                claimed_values[code] = clean_value(access.items[code], text).encode()
            except BadValue as bad:
                raise _refusal("bad_claim", 400, str(bad), item=code) from None
            except UnicodeEncodeError:
                raise _not_unicode("claims", item=code) from None
        _asked_upstream(call, access, [digest])
        record = _records(access, [cleaned], call.purpose).get(cleaned)
        if record is None:
            call.outcomes[digest] = "not_found"
            raise _refusal("unknown_key", 404, _("没有与该主键对应的记录。"))
        answers: dict[str, Match] = {}
        for code, value in claimed_values.items():
            stored = record.values.get(code)
            same = stored is not None and hmac.compare_digest(value, str(stored).encode())
            answers[code] = Match.MATCH if same else Match.NO_MATCH
        matched = all(a == Match.MATCH for a in answers.values())
        call.outcomes[digest] = "match" if matched else "no_match"
        return answers

    return _governed(call, handle)


def _feed_key(item: InformationItem, key: str, clear: bool, readable: bool) -> str:
    """A changed record's key as the caller may see it: in clear, masked, or not at all.

    A key whose item the caller may not read leaves nothing of itself: a
    身份证号 masked as a readable one would be keeps ten of its eighteen characters.
    """
    if clear:
        return key
    return masked(item, key) if readable else HIDDEN


@dataclass(frozen=True, slots=True)
class FeedChange:
    seq: int
    kind: str
    key: str
    at: datetime
    values: dict[str, str | None] | None
    # Tells records apart where masked keys look alike, without disclosing
    # the key: the keyed hash the access log keeps for it.
    key_hash: str


@dataclass(frozen=True, slots=True)
class Feed:
    changes: list[FeedChange]
    next_cursor: int
    withheld: Sequence[Withheld] = ()


def do_read_changes(
    client: SystemClient,
    resource_code: str,
    *,
    cursor: int,
    purpose: str,
    limit: int = 100,
    fields: Sequence[str] | None = None,
) -> Feed:
    """The changes after a cursor with each record's permitted items as they are now.

    A key whose item the caller may not read is hidden, and one that is
    personal and not granted in clear is masked, as its value would be in a
    look-up.
    """
    call = Call(client, Operation.CHANGES, resource_code, purpose)

    def handle() -> Feed:
        access = authorise(call, fields)
        # A window the caller did not ask for would look like the end of the feed.
        problem = feed_window_problem(cursor, limit)
        if problem is not None:
            raise _refusal(problem.code, 400, problem.message, **problem.detail)
        key_item = _key_item(access)
        if access.dataset is None:
            raise _refusal(
                "no_change_feed", 409, _("该资源的数据由提供部门系统实时提供，没有变更订阅。")
            )
        changes = changes_since(access.dataset, cursor, limit)
        beyond = None if changes else cursor_beyond_feed(cursor)
        if beyond is not None:
            raise _refusal(beyond.code, 400, beyond.message, **beyond.detail)
        records = _records(access, list({c.key for c in changes}), call.purpose)
        # The key is itself one of the record's items: it leaves in clear only
        # if the caller may read that item in clear. A conditional or
        # never-shared key item would otherwise leave without a grant.
        key_readable = key_item.code in access.fields
        key_clear = key_readable and (in_clear(key_item) or key_item.code in access.clear)
        out: list[FeedChange] = []
        for change in changes:
            hashed = key_hash(change.key)
            call.outcomes[hashed] = change.kind
            record = records.get(change.key)
            out.append(
                FeedChange(
                    seq=change.seq,
                    kind=change.kind,
                    key=_feed_key(key_item, change.key, key_clear, key_readable),
                    at=change.at,
                    values=access.present(record.values) if record is not None else None,
                    key_hash=hashed,
                )
            )
        call.detail = {"cursor": cursor}
        return Feed(out, changes[-1].seq if changes else cursor, access.withheld)

    return _governed(call, handle)

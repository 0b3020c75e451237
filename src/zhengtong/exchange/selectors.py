"""Reads of hosted datasets.

``lookup_record`` is raw: it applies no grant and masks nothing, so it serves
the platform itself and the provider department, never other departments.
"""

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from zhengtong.catalog.models import InformationItem, Resource, ShareAttribute
from zhengtong.catalog.states import ResourceState
from zhengtong.core.calendar import SHANGHAI, working_days_after
from zhengtong.core.errors import InvalidInput
from zhengtong.core.models import Department
from zhengtong.exchange.models import (
    AccessApplication,
    AccessSubject,
    ApplicationState,
    DatasetVersion,
    Grant,
    GrantTermsChange,
    HostedDataset,
    ProxiedDataset,
    Record,
    RecordChange,
)
from zhengtong.identity.models import SystemClient

if TYPE_CHECKING:
    from zhengtong.exchange.governed import Withheld

MAX_CHANGES = 1000
# How many catalog resources one page of a system's access list looks at.
MAX_ACCESS_LISTED = 500
# The highest ``seq`` the feed can hold (a 64-bit column): a cursor above it
# was never handed out, and the database cannot even compare with it.
MAX_SEQ = 2**63 - 1
# How many values a refusal names back (unknown item codes, keys with nothing
# to delete), each cut to the length such a value may have: a body of
# thousands of made-up names is not echoed whole.
MAX_ECHOED_ITEMS = 20
ITEM_CODE_MAX_LENGTH = 40  # InformationItem.code's max_length
# A word given where one of a few short names is expected (a list's box or
# state), named back cut to this: longer than any such name, so a cut word is
# never taken for an accepted one.
ECHOED_WORD_MAX_LENGTH = 40
# A lone UTF-16 surrogate (JSON's "\ud800"): named back as U+FFFD, since a
# strict JSON reader takes an escaped one for an error.
_SURROGATE = re.compile("[\ud800-\udfff]")


def hosted_dataset_of(resource: Resource) -> HostedDataset | None:
    """The dataset the platform hosts behind a resource, if it hosts one."""
    return HostedDataset.objects.filter(resource=resource).first()


def proxied_dataset_of(resource: Resource) -> ProxiedDataset | None:
    """The provider's API the resource is served from, if one is connected (not removed)."""
    return ProxiedDataset.objects.connected().filter(resource=resource).first()


def connected_proxied() -> Exists:
    """Whether the outer resource is served from a connected (not removed) department API."""
    return Exists(ProxiedDataset.objects.connected().filter(resource=OuterRef("pk")))


def lookup_record(dataset: HostedDataset, key: str) -> Record | None:
    """The current record of a key; ``None`` if there is none or it was deleted."""
    return Record.objects.filter(dataset=dataset, key=key, deleted=False).first()


def feed_window_problem(cursor: int, limit: int) -> InvalidInput | None:
    """Why a change-feed read cannot be served as asked, or ``None``."""
    return _window_problem(cursor, limit, MAX_CHANGES, _("游标超出了变更记录的范围。"))


def _window_problem(
    cursor: int, limit: int, max_limit: int, beyond: str | Promise
) -> InvalidInput | None:
    """Why a page read from ``cursor`` cannot be served as asked, or ``None``.

    Served anyway, a limit cut to the bounds would look like the end of the
    list, and a negative cursor like its start.
    """
    if cursor < 0:
        return InvalidInput(
            _("游标应为0或正整数。"), code="invalid_cursor", detail={"field": "cursor", "min": 0}
        )
    if cursor > MAX_SEQ:
        return InvalidInput(beyond, code="invalid_cursor", detail={"field": "cursor"})
    if not 1 <= limit <= max_limit:
        return InvalidInput(
            _("每次读取的条数应在1到%(max)d之间。") % {"max": max_limit},
            code="invalid_limit",
            detail={"field": "limit", "min": 1, "max": max_limit},
        )
    return None


def echoed_text(text: str, max_length: int) -> str:
    """Text the caller gave, as a refusal names it back: cut to ``max_length``, and a
    lone surrogate as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text[:max_length])


def echoed(values: Iterable[str], name: str, shown: Callable[[str], Any]) -> dict[str, Any]:
    """The ``detail`` of a refusal naming back what the caller gave, within bounds.

    Under ``name``, the first ``MAX_ECHOED_ITEMS`` distinct values, each as
    ``shown`` gives it (cut with ``echoed_text``), and, only when there were
    more, how many (``more``).
    """
    distinct = list(dict.fromkeys(values))
    detail: dict[str, Any] = {name: [shown(value) for value in distinct[:MAX_ECHOED_ITEMS]]}
    if len(distinct) > MAX_ECHOED_ITEMS:
        detail["more"] = len(distinct) - MAX_ECHOED_ITEMS
    return detail


def echoed_items(codes: Iterable[str]) -> dict[str, Any]:
    """The ``detail`` of a refusal naming item codes the caller gave (``unknown_item``,
    ``invalid_fields``, ``invalid_clear_fields``): which codes, within bounds.

    The first ``MAX_ECHOED_ITEMS`` distinct codes, each cut to the length an
    item code may have, and, only when there were more, how many (``more``).
    """
    return echoed(codes, "items", lambda code: echoed_text(code, ITEM_CODE_MAX_LENGTH))


def cursor_beyond_feed(cursor: int) -> InvalidInput | None:
    """Why a cursor that read no changes was never handed out, or ``None``.

    Every cursor handed out is 0 or the ``seq`` of a change, and ``seq``
    numbers the changes of all datasets together, so no change ever has a
    ``seq`` as high as a cursor beyond the last one. Served anyway, such a
    cursor would look like the end of the feed for ever, and the subscriber
    would miss every change up to it. Asked only when a read found nothing, so
    that a read that finds changes costs no query more.
    """
    if cursor <= 0 or RecordChange.objects.filter(seq__gte=cursor).exists():
        return None
    return InvalidInput(
        _("游标超出了变更记录的范围。"), code="invalid_cursor", detail={"field": "cursor"}
    )


def changes_since(dataset: HostedDataset, cursor: int, limit: int = 100) -> list[RecordChange]:
    """The changes after ``cursor`` (a ``seq``), oldest first; ``limit`` of 1 to MAX_CHANGES."""
    return list(
        RecordChange.objects.filter(dataset=dataset, seq__gt=cursor)
        .select_related("version")
        .order_by("seq")[:limit]
    )


def record_count(dataset: HostedDataset) -> int:
    """How many current (not deleted) records the dataset holds."""
    return dataset.records.filter(deleted=False).count()


def dataset_versions(dataset: HostedDataset) -> list[DatasetVersion]:
    """The loads of a dataset, newest first; each one's kept rejected rows are read on use."""
    return list(dataset.versions.defer("problems").order_by("-number"))


def dataset_version(dataset: HostedDataset, number: int) -> DatasetVersion | None:
    """One load of a dataset by its number, with the rejected rows it kept."""
    return dataset.versions.filter(number=number).first()


# --- Applications and grants ------------------------------------------------------------


def _applications() -> QuerySet[AccessApplication]:
    # The grant tells a partial consent (部分同意) apart on every list.
    return AccessApplication.objects.select_related(
        "resource__provider", "client__department", "grant"
    ).order_by("-submitted_at", "-pk")


def granted_in_part(application: AccessApplication) -> bool:
    """Whether the application was granted fewer items, or a shorter period, than it
    applied for (部分同意)."""
    if application.state != ApplicationState.GRANTED:
        return False
    grant: Grant | None = getattr(application, "grant", None)
    if grant is None:
        return False
    # The answer as given: a change of terms since is listed with the grant
    # and does not rewrite what the provider answered.
    agreed_until = grant.agreed_expires_at or grant.expires_at
    asked_until = grant.starts_at + timedelta(days=application.duration_days)
    return not set(application.fields) <= set(grant.fields) or agreed_until < asked_until


def grant_terms_changes(grant: Grant) -> list[GrantTermsChange]:
    """The changes of a grant's terms, newest first, each with its reason."""
    return list(grant.terms_changes.all())


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


def _involving(departments: QuerySet[Department]) -> Q:
    return Q(resource__provider__in=departments) | Q(client__department__in=departments)


def all_applications(departments: QuerySet[Department]) -> QuerySet[AccessApplication]:
    """Applications to or by the departments, newest first: the data bureau's overview."""
    return _applications().filter(_involving(departments))


def overdue_applications(
    departments: QuerySet[Department], now: datetime | None = None
) -> QuerySet[AccessApplication]:
    """Pending applications to or by the departments past their answer date, oldest due first."""
    return (
        _applications()
        .filter(
            _involving(departments),
            state=ApplicationState.PENDING,
            due_at__lt=now or timezone.now(),
        )
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


def working_days_left(application: AccessApplication, now: datetime | None = None) -> int:
    """Whole working days left after today to answer; 0 on the day it is due, negative after."""
    # The limit is counted in whole working days from the day after filing
    # (add_working_days), so the rest of today is not one of them: counted
    # that way, an application filed today has all its days left, at any hour.
    today = (now or timezone.now()).astimezone(SHANGHAI).date()
    return working_days_after(today, application.due_at.astimezone(SHANGHAI).date())


def item_names(resource_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """The resources' item names by item code, by resource id."""
    names: dict[int, dict[str, str]] = {}
    rows = InformationItem.objects.filter(resource_id__in=list(resource_ids)).values_list(
        "resource_id", "code", "name"
    )
    for resource_id, code, name in rows:
        names.setdefault(resource_id, {})[code] = name
    return names


# Where a grant stands, as its lists and pages show it and the API names it.
GRANT_ACTIVE = "active"
GRANT_REVOKED = "revoked"
GRANT_CLIENT_REVOKED = "client_revoked"
GRANT_EXPIRED = "expired"
GRANT_RESOURCE_RETIRED = "resource_retired"


def grant_status(grant: Grant, now: datetime | None = None) -> str:
    """Say where a grant stands: active, revoked, client_revoked, expired or
    resource_retired.

    A grant ends with its holder: a system stopped (吊销) before the grant ran
    out can make no call under it, so the grant is no longer in force even
    though no one revoked it. A system stopped after the grant ran out leaves
    it expired, as it ended first.
    """
    now = now or timezone.now()
    if grant.revoked_at is not None:
        return GRANT_REVOKED
    stopped = grant.client.revoked_at
    if stopped is not None and stopped < grant.expires_at:
        return GRANT_CLIENT_REVOKED
    if grant.expires_at <= now:
        return GRANT_EXPIRED
    # A retired entry answers no call (resource_not_found), so a grant on it
    # is no longer in force, though it was neither revoked nor run out.
    if grant.resource.state != ResourceState.PUBLISHED:
        return GRANT_RESOURCE_RETIRED
    return GRANT_ACTIVE


def grants_in_force(now: datetime | None = None) -> QuerySet[Grant]:
    """The grants ``grant_status`` calls active: not revoked, not run out, their system
    working, their resource published."""
    now = now or timezone.now()
    return Grant.objects.filter(
        revoked_at__isnull=True,
        client__revoked_at__isnull=True,
        resource__state=ResourceState.PUBLISHED,
        starts_at__lte=now,
        expires_at__gt=now,
    )


def grant_days(grant: Grant) -> int:
    """How many days a grant runs, from its start to its expiry."""
    return round((grant.expires_at - grant.starts_at).total_seconds() / 86400)


def hostable_resources(departments: QuerySet[Department]) -> QuerySet[Resource]:
    """The departments' published resources, each with its hosted dataset, if any, and
    ``is_proxied`` saying whether a department API is connected instead."""
    return (
        Resource.objects.filter(provider__in=departments, state=ResourceState.PUBLISHED)
        .select_related("provider", "hosted_dataset")
        .annotate(is_proxied=connected_proxied())
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

    @property
    def shown_as(self) -> str:
        """How the use reads to the person or enterprise: one of USE_RESULTS."""
        # A key that names no record is logged as the refusal ``unknown_key``
        # (the caller gets a 404), but for the person it only means the
        # department looked and found nothing: it is not a refusal.
        if self.outcome == "not_found" and self.result in {"ok", "unknown_key"}:
            return "no_record"
        if self.result != "ok":
            return "refused"
        if self.outcome in {"match", "no_match"}:
            return self.outcome
        return "verified" if self.operation == "verify" else "read"

    @property
    def refusal_reason(self) -> str | Promise:
        """Why the call was refused, in words; empty when it was not refused."""
        if self.shown_as != "refused":
            return ""
        if self.result.startswith("upstream_"):
            return REFUSAL_REASONS["upstream"]
        return REFUSAL_REASONS.get(self.result, REFUSAL_REASONS[""])


# The refusals a person can meet in their records, by the governed calls'
# stable codes; the codes themselves never reach the page.
REFUSAL_REASONS: dict[str, Promise] = {
    "": _("未获准许"),
    "negative_list": _("列入负面清单，不予共享"),
    "not_granted": _("未获授权"),
    "grant_expired": _("授权已过期"),
    "grant_revoked": _("授权已被撤销"),
    "rate_limited": _("超过每分钟调用上限"),
    "upstream": _("提供部门系统未能答复"),
}


def data_uses(key_hash: str, *, before: int | None = None, limit: int = 200) -> list[DataUse]:
    """The governed calls that named this keyed hash, newest first, items by their names.

    ``before`` (a ledger seq) starts the list below that entry, for paging.
    """
    subjects = AccessSubject.objects.filter(key_hash=key_hash).order_by("-log__ledger_seq")
    if before is not None:
        subjects = subjects.filter(log__ledger_seq__lt=before)
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


def dataset_key_items(resource: Resource, codes: Collection[str]) -> dict[str, str]:
    """Those of the resource's item codes that its dataset finds records by, each with why
    a change of the catalog entry may not take it out."""
    wanted = list(codes)
    keys = set(
        HostedDataset.objects.filter(resource=resource, key_item_code__in=wanted).values_list(
            "key_item_code", flat=True
        )
    ) | set(
        ProxiedDataset.objects.connected()
        .filter(resource=resource, key_item_code__in=wanted)
        .values_list("key_item_code", flat=True)
    )
    reason = str(_("共享数据集按该信息项查找记录，不能删去。"))
    return {code: reason for code in codes if code in keys}


def granted_items(resource: Resource, codes: Collection[str]) -> dict[str, str]:
    """Those of the resource's item codes that a grant in force names, each with why a
    change of the catalog entry may not take it out while the grant stands.

    The grant would go on naming an item the entry no longer has, and calls
    under it would be answered ``unknown_item``; once it is revoked or has run
    out, the item may go.
    """
    wanted = set(codes)
    found: dict[str, str] = {}
    grants = (
        grants_in_force()
        .filter(resource=resource)
        .select_related("client__department")
        .order_by("expires_at", "pk")
    )
    for grant in grants:
        for code in grant.fields:
            if code in wanted and code not in found:
                found[code] = str(
                    _(
                        "%(department)s的“%(system)s”持有有效的共享授权（至%(expires)s），"
                        "授权仍包含该信息项；授权撤销或到期后才能删去。"
                    )
                    % {
                        "department": grant.client.department.name,
                        "system": grant.client.name,
                        "expires": grant.expires_at.astimezone(SHANGHAI).date().isoformat(),
                    }
                )
    return found


# --- What a department system may read ------------------------------------------------
#
# A system asks which resources it may read and on what terms. The answer is
# worked out by the governed reads' own decision (``governed.authorise`` for a
# look-up without ``fields``), so that it cannot disagree with what a look-up
# then does. These are reads of metadata, not of data: they name no key and
# return no record, so they write no access-log row and no ledger entry, and
# count against no rate.

ACCESS_READABLE = "readable"
BASIS_OPEN = "open"
BASIS_OWN = "own_department"
BASIS_GRANT = "grant"
# The purpose the decision is asked under; it is never logged, as nothing is read.
_ACCESS_PURPOSE = "access terms"


@dataclass(frozen=True, slots=True)
class SharedAccess:
    """A system's access to one published resource, as a look-up without ``fields`` has it."""

    resource: Resource
    # ACCESS_READABLE, or the code such a look-up is refused with.
    status: str
    basis: str | None
    fields: list[str]
    clear_fields: list[str]
    withheld: Sequence["Withheld"]
    rate_per_minute: int | None
    served: bool
    # The grant the look-up is answered under, or the lapsed one it is refused for.
    grant: Grant | None
    latest_terms_change: GrantTermsChange | None


def _held_grant(client: SystemClient, grant_id: object) -> Grant | None:
    # Only the caller's own grant is ever shown: the decision names no other.
    if not isinstance(grant_id, int):
        return None
    return (
        Grant.objects.filter(pk=grant_id, client=client)
        .select_related("resource", "client")
        .first()
    )


def shared_access(client: SystemClient, resource_code: str) -> SharedAccess:
    """Say what the system may read of a published resource, and on what terms.

    An unknown or unpublished resource raises the look-up's own refusal
    (404 ``resource_not_found``).
    """
    # Imported here: the governed reads import this module.
    from zhengtong.exchange import governed

    call = governed.Call(client, governed.Operation.LOOK_UP, resource_code, _ACCESS_PURPOSE)
    try:
        access = governed.authorise(call, None)
    except governed.Refused as refusal:
        resource = call.resource
        if refusal.code == "resource_not_found" or resource is None:
            raise
        grant = _held_grant(client, refusal.detail.get("grant"))
        return SharedAccess(
            resource=resource,
            status=refusal.code,
            basis=None,
            fields=[],
            clear_fields=[],
            withheld=[],
            rate_per_minute=None,
            served=hosted_dataset_of(resource) is not None
            or proxied_dataset_of(resource) is not None,
            grant=grant,
            latest_terms_change=grant.terms_changes.first() if grant else None,
        )
    grant = _held_grant(client, access.grant.pk) if access.grant is not None else None
    if call.own:
        basis, rate = BASIS_OWN, governed.own_rate_per_minute()
    elif grant is not None:
        basis, rate = BASIS_GRANT, grant.rate_per_minute
    else:
        basis, rate = BASIS_OPEN, governed.open_rate_per_minute()
    masked = set(access.masked_fields)
    return SharedAccess(
        resource=access.resource,
        status=ACCESS_READABLE,
        basis=basis,
        fields=list(access.fields),
        clear_fields=[code for code in access.fields if code not in masked],
        withheld=list(access.withheld),
        rate_per_minute=rate,
        served=access.dataset is not None or access.proxied is not None,
        grant=grant,
        latest_terms_change=grant.terms_changes.first() if grant else None,
    )


def access_window_problem(cursor: int, limit: int) -> InvalidInput | None:
    """Why a page of a system's access list cannot be served as asked, or ``None``.

    Refused with the change feed's codes and bounds checks.
    """
    return _window_problem(cursor, limit, MAX_ACCESS_LISTED, _("游标超出了列表的范围。"))


def _maybe_readable(client: SystemClient) -> QuerySet[Resource]:
    """The published resources a look-up by the system could answer, and perhaps others.

    Only narrows the resources the decision is asked about: its own
    department's, those with an item shared unconditionally, and those it
    holds a grant in force for. The decision has the last word.
    """
    open_item = InformationItem.objects.filter(
        resource=OuterRef("pk"), share_attribute=ShareAttribute.UNCONDITIONAL
    )
    granted = grants_in_force().filter(client=client).values("resource_id")
    return (
        Resource.objects.filter(state=ResourceState.PUBLISHED)
        .filter(
            Q(provider_id=client.department_id)
            | Q(share_attribute=ShareAttribute.UNCONDITIONAL)
            | (Exists(open_item) & ~Q(share_attribute=ShareAttribute.NONE))
            | Q(pk__in=granted)
        )
        .order_by("code", "pk")
    )


def shared_accesses(
    client: SystemClient, *, cursor: int, limit: int
) -> tuple[list[SharedAccess], int | None]:
    """The resources the system may read now, by code, a page at a time.

    ``cursor`` counts the resources looked at before this page; the second
    value is the cursor of the next page, ``None`` at the end. A page may
    list fewer than ``limit`` resources: those looked at that the system
    may not read are left out.
    """
    from zhengtong.exchange import governed

    window = _maybe_readable(client).values_list("code", flat=True)[cursor : cursor + limit + 1]
    codes = list(window)
    found: list[SharedAccess] = []
    for code in codes[:limit]:
        try:
            access = shared_access(client, code)
        except governed.Refused as refusal:
            # Retired since the page was read: no longer one the system may read.
            if refusal.code == "resource_not_found":
                continue
            raise
        if access.status == ACCESS_READABLE:
            found.append(access)
    return found, cursor + limit if len(codes) > limit else None

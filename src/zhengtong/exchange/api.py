"""The exchange API, mounted at /api/exchange/.

The provider department's data officers register a published resource as a
hosted dataset, upload its data as CSV or XLSX, and read its versions and
change feed. Department systems read shared records under ``/shared/``:
look-up, batch look-up, verification and the change feed, each governed and
written to the ledger by ``governed.py``.
"""

import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.renderers import JSONRenderer
from ninja.responses import Status

from zhengtong.catalog.access import access_resource_by_code, require_edit
from zhengtong.core.errors import InvalidInput, NotFound, PermissionDenied
from zhengtong.core.schemas import ERROR_RESPONSES, ErrorOut
from zhengtong.exchange import actions, governed
from zhengtong.exchange import selectors as application_selectors
from zhengtong.exchange.access import (
    access_application_by_id,
    access_client_for_applying,
    access_dataset_for_pushing,
    access_grant_by_id,
    access_hosted_dataset_by_code,
    access_own_hosted_dataset_by_code,
    access_proxied_dataset_by_code,
    may_oversee,
    overseen_departments,
    own_departments,
    require_answer,
    require_revoke,
    require_withdraw,
)
from zhengtong.exchange.models import (
    AccessApplication,
    ApplicationState,
    DatasetVersion,
    Grant,
    GrantTermsChange,
    HostedDataset,
    ProxiedDataset,
    Record,
)
from zhengtong.exchange.permissions import PUSH_RECORDS, READ_SHARED
from zhengtong.exchange.rows import read_csv, read_xlsx
from zhengtong.exchange.schemas import (
    UPSTREAM_ERRORS,
    AccessApplicationListIn,
    AccessReasonIn,
    ApplicationIn,
    ApplicationOut,
    BatchLookUpIn,
    BatchLookUpOut,
    ChangeOut,
    ChangesOut,
    DatasetIn,
    DatasetOut,
    DeleteRecordsIn,
    FeedNumber,
    GrantIn,
    GrantListIn,
    GrantOut,
    GrantTermsIn,
    HeldGrantOut,
    LoadReportOut,
    LookUpIn,
    LookUpOut,
    ProxiedDatasetChangeIn,
    ProxiedDatasetIn,
    ProxiedDatasetOut,
    PushRecordsIn,
    PushReportOut,
    RecordOut,
    RowProblemOut,
    SharedAccessListIn,
    SharedAccessListOut,
    SharedAccessOut,
    SharedChangeOut,
    SharedChangesIn,
    SharedChangesOut,
    TermsChangeOut,
    VerifyIn,
    VerifyOut,
    VersionOut,
    VersionProblemsOut,
    WithheldOut,
    feed_cursor,
    feed_limit,
)
from zhengtong.exchange.selectors import (
    ECHOED_WORD_MAX_LENGTH,
    dataset_version,
    dataset_versions,
    echoed_text,
)
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import ClientTokenAuth, principal_of, require_scope, session_auth
from zhengtong.identity.models import SystemClient

router = Router(tags=["exchange"])
ERRORS = ERROR_RESPONSES
# A governed call also answers 429 once its grant's calls per minute are used
# up; a look-up, besides, the upstream errors of a proxied dataset.
RATE_ERRORS = {**ERRORS, 429: ErrorOut}
GOVERNED_ERRORS = {**RATE_ERRORS, **UPSTREAM_ERRORS}
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class CursorIn(Schema):
    cursor: FeedNumber = feed_cursor()
    limit: FeedNumber = feed_limit()


def dataset_out(dataset: HostedDataset) -> DatasetOut:
    return DatasetOut(
        resource_code=dataset.resource.code,
        resource_name=dataset.resource.name,
        provider_code=dataset.resource.provider.code,
        key_item_code=dataset.key_item_code,
        versions=dataset.versions.count(),
        records=dataset.records.filter(deleted=False).count(),
    )


def version_out(version: DatasetVersion) -> VersionOut:
    return VersionOut(
        number=version.number,
        actor=version.actor_label,
        at=version.at,
        source_name=version.source_name,
        sha256=version.sha256,
        accepted=version.accepted,
        rejected=version.rejected,
        created=version.created,
        updated=version.updated,
        deleted=version.deleted,
    )


@router.post("/datasets", response={201: DatasetOut, **ERRORS}, auth=session_auth)
def register_dataset(request: HttpRequest, payload: DatasetIn) -> Status[DatasetOut]:
    """Hold the data of a published resource of your department, keyed by one of its items."""
    resource = access_resource_by_code(request.user, payload.resource_code)
    require_edit(request.user, resource)
    dataset = actions.do_register_hosted_dataset(
        resource, payload.key_item_code, actor=actor_of(request.user)
    )
    return Status(201, dataset_out(dataset))


def proxied_out(proxied: ProxiedDataset) -> ProxiedDatasetOut:
    return ProxiedDatasetOut(
        resource_code=proxied.resource.code,
        resource_name=proxied.resource.name,
        provider_code=proxied.resource.provider.code,
        key_item_code=proxied.key_item_code,
        base_url=proxied.base_url,
        path_template=proxied.path_template,
        auth_header_set=bool(proxied.auth_header),
        connect_timeout=proxied.connect_timeout,
        read_timeout=proxied.read_timeout,
        total_timeout=proxied.total_timeout,
        max_retries=proxied.max_retries,
        max_concurrency=proxied.max_concurrency,
        batch_deadline=proxied.batch_deadline,
        created_at=proxied.created_at,
    )


@router.post("/proxied-datasets", response={201: ProxiedDatasetOut, **ERRORS}, auth=session_auth)
def register_proxied_dataset(
    request: HttpRequest, payload: ProxiedDatasetIn
) -> Status[ProxiedDatasetOut]:
    """Serve a published resource of your department from the department's own API.

    The records stay in the department's system; each governed look-up asks
    ``base_url`` + ``path_template`` (``{key}`` replaced by the key) for one
    record, a JSON object of item code to value. Only the provider
    department's own data officers may register it, as they load hosted
    data. A bad setting is refused (400 ``invalid_upstream`` with
    ``detail.reason``); a resource served already answers 409
    ``already_proxied`` or ``already_hosted``.
    """
    resource = access_resource_by_code(request.user, payload.resource_code)
    require_edit(request.user, resource)
    proxied = actions.do_register_proxied_dataset(
        resource,
        payload.key_item_code,
        payload.base_url,
        actor=actor_of(request.user),
        path_template=payload.path_template,
        auth_header=payload.auth_header,
        timeouts=(payload.connect_timeout, payload.read_timeout, payload.total_timeout),
        max_retries=payload.max_retries,
        max_concurrency=payload.max_concurrency,
        batch_deadline=payload.batch_deadline,
    )
    return Status(201, proxied_out(proxied))


@router.patch(
    "/proxied-datasets/{slug}", response={200: ProxiedDatasetOut, **ERRORS}, auth=session_auth
)
def change_proxied_dataset(
    request: HttpRequest, slug: str, payload: ProxiedDatasetChangeIn
) -> ProxiedDatasetOut:
    """Change how the exchange calls your department's API: a moved address, a new credential.

    Only the settings sent change; ``auth_header`` left out keeps the
    credential, ``""`` removes it. The key item stays. Checked as at
    registration (400 ``invalid_upstream``); the next look-up uses them.
    """
    proxied = access_proxied_dataset_by_code(request.user, slug)
    sent = payload.dict(exclude_unset=True)
    if any(value is None for value in sent.values()):
        raise InvalidInput(
            _("上游接口配置有误。"),
            code="invalid_upstream",
            detail={"reason": "a setting sent may not be null; leave it out to keep it"},
        )
    changes: dict[str, Any] = {
        name: sent[name]
        for name in (
            "base_url",
            "path_template",
            "auth_header",
            "max_retries",
            "max_concurrency",
            "batch_deadline",
        )
        if name in sent
    }
    timeouts = ("connect_timeout", "read_timeout", "total_timeout")
    if any(name in sent for name in timeouts):
        current = (proxied.connect_timeout, proxied.read_timeout, proxied.total_timeout)
        changes["timeouts"] = tuple(
            sent.get(name, value) for name, value in zip(timeouts, current, strict=True)
        )
    changed = actions.do_change_proxied_dataset(proxied, changes, actor=actor_of(request.user))
    return proxied_out(changed)


@router.delete("/proxied-datasets/{slug}", response={204: None, **ERRORS}, auth=session_auth)
def remove_proxied_dataset(request: HttpRequest, slug: str) -> Status[None]:
    """Disconnect your department's API (断开部门接口): the resource is served no more.

    Look-ups then answer 409 ``not_hosted``, as for a resource with no data,
    until the department hosts the data or connects an API again (the key
    item may then differ). The same officers as may change the settings may
    remove them; a dataset already removed answers 404 ``not_found``.
    """
    proxied = access_proxied_dataset_by_code(request.user, slug)
    actions.do_remove_proxied_dataset(proxied, actor=actor_of(request.user))
    return Status(204, None)


@router.get(
    "/proxied-datasets/{slug}", response={200: ProxiedDatasetOut, **ERRORS}, auth=session_auth
)
def get_proxied_dataset(request: HttpRequest, slug: str) -> ProxiedDatasetOut:
    """A proxied dataset's settings (never its credential); "/" of the code is written "-"."""
    return proxied_out(access_proxied_dataset_by_code(request.user, slug))


@router.get("/datasets/{slug}", response={200: DatasetOut, **ERRORS}, auth=session_auth)
def get_dataset(request: HttpRequest, slug: str) -> DatasetOut:
    """A hosted dataset; the resource code's "/" is written "-" in the address."""
    return dataset_out(access_hosted_dataset_by_code(request.user, slug))


@router.post("/datasets/{slug}/uploads", response={200: LoadReportOut, **ERRORS}, auth=session_auth)
def upload_rows(request: HttpRequest, slug: str, file: File[UploadedFile]) -> LoadReportOut:
    """Load a CSV or XLSX file (header row of item codes or names) as a new version.

    Bad rows are reported by row number and reason; the good rows are kept.
    Only data officers of the provider department itself may load.
    """
    dataset = access_own_hosted_dataset_by_code(request.user, slug)
    name = file.name or ""
    if file.size is not None and file.size > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            _("文件过大。"), code="file_too_large", detail={"limit": MAX_UPLOAD_BYTES}
        )
    data = file.read()
    if name.lower().endswith(".csv"):
        rows = read_csv(data)
    elif name.lower().endswith(".xlsx"):
        rows = read_xlsx(data)
    else:
        raise InvalidInput(
            _("只接受CSV或XLSX文件。"),
            code="unsupported_file",
            detail={"accepted": [".csv", ".xlsx"]},
        )
    report = actions.do_load_dataset_rows(
        dataset,
        rows,
        actor=actor_of(request.user),
        source_name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        keep_problems=True,
    )
    return LoadReportOut(
        version=version_out(report.version),
        unchanged=report.unchanged,
        problems=[
            RowProblemOut(row=p.row, item=p.item, reason=p.reason, code=p.code)
            for p in report.problems
        ],
    )


@router.get(
    "/datasets/{slug}/versions", response={200: list[VersionOut], **ERRORS}, auth=session_auth
)
def list_versions(request: HttpRequest, slug: str) -> list[VersionOut]:
    """Every load of the dataset, newest first.

    A version that left rows out (``rejected``) lists them at
    ``versions/{number}/problems``.
    """
    dataset = access_hosted_dataset_by_code(request.user, slug)
    return [version_out(v) for v in dataset_versions(dataset)]


@router.get(
    "/datasets/{slug}/versions/{number}/problems",
    response={200: VersionProblemsOut, **ERRORS},
    auth=session_auth,
)
def list_version_problems(request: HttpRequest, slug: str, number: int) -> VersionProblemsOut:
    """The rows a load left out, by row, item, reason and code, as its version kept them.

    Readable by whoever may read the versions; a version the dataset does not
    have answers 404 ``unknown_version``.
    """
    dataset = access_hosted_dataset_by_code(request.user, slug)
    version = dataset_version(dataset, number)
    if version is None:
        raise NotFound(_("该数据集没有这个版本。"), code="unknown_version")
    return VersionProblemsOut(
        version=version_out(version),
        problems=[
            RowProblemOut(row=p.row, item=p.item, reason=p.reason, code=p.code)
            for p in version.shown_problems()
        ],
    )


@router.get("/datasets/{slug}/changes", response={200: ChangesOut, **ERRORS}, auth=session_auth)
def list_changes(request: HttpRequest, slug: str, params: Query[CursorIn]) -> ChangesOut:
    """The change feed after a cursor; keep ``next_cursor`` and pass it next time.

    For data officers of the provider department itself; every read is written
    to the ledger (who, cursor, how many changes returned).
    """
    dataset = access_own_hosted_dataset_by_code(request.user, slug)
    changes = actions.do_read_dataset_changes(
        dataset, cursor=params.cursor, limit=params.limit, actor=actor_of(request.user)
    )
    return ChangesOut(
        changes=[
            ChangeOut(seq=c.seq, key=c.key, kind=c.kind, version=c.version.number, at=c.at)
            for c in changes
        ],
        next_cursor=changes[-1].seq if changes else params.cursor,
    )


# --- Governed reads by department systems (G2G) --------------------------------
#
# POST, so that keys such as 身份证号 never appear in addresses and access logs.

client_auth = ClientTokenAuth()


def _client(request: HttpRequest) -> SystemClient:
    require_scope(request, READ_SHARED)
    client = principal_of(request)
    assert isinstance(client, SystemClient)
    return client


# The renderer of the platform's NinjaAPI (its default).
_RENDERER = JSONRenderer()


def _record_json(found: governed.Found) -> dict[str, Any]:
    return {
        "key": found.key,
        "values": found.values,
        "masked": found.masked,
        "updated_at": found.updated_at,
    }


def _withheld_json(withheld: Iterable[governed.Withheld]) -> list[dict[str, str]]:
    return [{"item": w.item, "code": w.code} for w in withheld]


def _answer(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    """Render a look-up's answer as the operation's schema describes it, without the schema.

    The governed look-ups build plain data of exactly their documented shape
    (``RecordOut``, ``BatchLookUpOut``); passing it through the response models
    again cost more than reading the records. The API's renderer writes it,
    so the JSON is the same as any other operation's.
    """
    content = _RENDERER.render(request, data, response_status=200)
    return HttpResponse(
        content, content_type=f"{_RENDERER.media_type}; charset={_RENDERER.charset}"
    )


@router.post(
    "/shared/{slug}/look-up", response={200: LookUpOut, **GOVERNED_ERRORS}, auth=client_auth
)
def look_up(request: HttpRequest, slug: str, payload: LookUpIn) -> HttpResponse:
    """Read one record by key: only the items your system may read, personal items masked
    unless your grant allows them in clear; without ``fields``, ``withheld`` names the items
    left out and why. Every call is written to the audit ledger."""
    found = governed.do_look_up_record(
        _client(request), slug, payload.key, purpose=payload.purpose, fields=payload.fields
    )
    return _answer(request, _record_json(found) | {"withheld": _withheld_json(found.withheld)})


@router.post(
    "/shared/{slug}/batch-look-up",
    response={200: BatchLookUpOut, **GOVERNED_ERRORS},
    auth=client_auth,
)
def batch_look_up(request: HttpRequest, slug: str, payload: BatchLookUpIn) -> HttpResponse:
    """Read up to 1,000 records in one call; unknown and malformed keys are listed."""
    result = governed.do_look_up_records(
        _client(request), slug, payload.keys, purpose=payload.purpose, fields=payload.fields
    )
    return _answer(
        request,
        {
            "records": [_record_json(f) for f in result.found],
            "not_found": result.not_found,
            "bad_keys": result.bad_keys,
            "withheld": _withheld_json(result.withheld),
        },
    )


@router.post(
    "/shared/{slug}/verify", response={200: VerifyOut, **GOVERNED_ERRORS}, auth=client_auth
)
def verify(request: HttpRequest, slug: str, payload: VerifyIn) -> VerifyOut:
    """核验: does the record of this key hold these values? Answers per item, nothing more."""
    answers = governed.do_verify_record(
        _client(request), slug, payload.key, payload.claims, purpose=payload.purpose
    )
    return VerifyOut(
        results={code: str(a) for code, a in answers.items()},
        all_match=all(a == governed.Match.MATCH for a in answers.values()),
    )


@router.get(
    "/shared/{slug}/changes", response={200: SharedChangesOut, **RATE_ERRORS}, auth=client_auth
)
def shared_changes(
    request: HttpRequest, slug: str, params: Query[SharedChangesIn]
) -> SharedChangesOut:
    """Changes after a cursor, with the permitted items of each changed record; ``withheld``
    names the items left out and why."""
    feed = governed.do_read_changes(
        _client(request), slug, cursor=params.cursor, purpose=params.purpose, limit=params.limit
    )
    return SharedChangesOut(
        changes=[
            SharedChangeOut(seq=c.seq, kind=c.kind, key=c.key, at=c.at, values=c.values)
            for c in feed.changes
        ],
        next_cursor=feed.next_cursor,
        withheld=[WithheldOut(item=w.item, code=w.code) for w in feed.withheld],
    )


def _terms_change_out(change: GrantTermsChange) -> TermsChangeOut:
    return TermsChangeOut(
        changed_at=change.changed_at,
        reason=change.reason,
        old_rate_per_minute=change.old_rate_per_minute,
        rate_per_minute=change.rate_per_minute,
        old_expires_at=change.old_expires_at,
        expires_at=change.expires_at,
    )


def _shared_access_out(access: application_selectors.SharedAccess) -> SharedAccessOut:
    resource = access.resource
    grant = access.grant
    change = access.latest_terms_change
    return SharedAccessOut(
        resource_code=resource.code,
        resource_name=resource.name,
        provider_code=resource.provider.code,
        provider_name=resource.provider.name,
        share_attribute=resource.share_attribute,
        status=access.status,
        basis=access.basis,
        fields=access.fields,
        clear_fields=access.clear_fields,
        withheld=[WithheldOut(item=w.item, code=w.code) for w in access.withheld],
        rate_per_minute=access.rate_per_minute,
        served=access.served,
        grant=None
        if grant is None
        else HeldGrantOut(
            id=grant.pk,
            purpose=grant.purpose,
            fields=list(grant.fields),
            clear_fields=list(grant.clear_fields),
            starts_at=grant.starts_at,
            expires_at=grant.expires_at,
            rate_per_minute=grant.rate_per_minute,
            revoked_at=grant.revoked_at,
            status=application_selectors.grant_status(grant),
            latest_terms_change=_terms_change_out(change) if change is not None else None,
        ),
    )


# What a system may read is metadata, not data: these two reads name no key and
# return no record, so, unlike the governed reads, they write no access-log row
# or ledger entry and count against no rate. They still take the token and scope.


@router.get("/shared", response={200: SharedAccessListOut, **ERRORS}, auth=client_auth)
def list_shared_access(
    request: HttpRequest, params: Query[SharedAccessListIn]
) -> SharedAccessListOut:
    """The published resources your system may read now, by code: 无条件共享 ones (basis
    ``open``), your department's own (``own_department``) and those your grant in force covers
    (``grant``), each with the items a look-up without ``fields`` returns, which in clear, and
    the terms. ``limit`` resources of the catalog are looked at per page, so a page may list
    fewer; go on with ``next_cursor`` until it is null."""
    client = _client(request)
    problem = application_selectors.access_window_problem(params.cursor, params.limit)
    if problem is not None:
        raise problem
    found, next_cursor = application_selectors.shared_accesses(
        client, cursor=params.cursor, limit=params.limit
    )
    return SharedAccessListOut(
        resources=[_shared_access_out(a) for a in found], next_cursor=next_cursor
    )


@router.get("/shared/{slug}", response={200: SharedAccessOut, **ERRORS}, auth=client_auth)
def get_shared_access(request: HttpRequest, slug: str) -> SharedAccessOut:
    """What your system may read of one published resource, and on what terms; a resource it
    may not read answers 200 with ``status`` the code a look-up is refused with (not_granted,
    grant_expired, grant_revoked, negative_list). An unknown or unpublished resource answers
    404 ``resource_not_found``, as a look-up does."""
    return _shared_access_out(application_selectors.shared_access(_client(request), slug))


if settings.EXCHANGE_BENCH_BARE_LOOKUP:
    # bench/exchange.py's yardstick: the same row read through the same stack
    # with no governance at all. Mounted only when the setting is on, so it is
    # in neither production nor the OpenAPI document.

    @router.post("/bench/{slug}/bare-look-up", response={200: RecordOut, **ERRORS}, auth=None)
    def bare_look_up(request: HttpRequest, slug: str, payload: LookUpIn) -> RecordOut:
        """Read one record by key, ungoverned (benchmark only)."""
        record = (
            Record.objects.filter(
                dataset__resource__code=slug.replace("-", "/"), key=payload.key, deleted=False
            )
            .only("key", "values", "updated_at")
            .first()
        )
        if record is None:
            raise NotFound()
        return RecordOut(
            key=record.key, values=record.values, masked=[], updated_at=record.updated_at
        )


# --- Applications and grants (staff sessions) -------------------------------------------
#
# A department's data officers apply for their systems and answer for their
# resources; the data bureau also sees every overdue answer. Applications and
# grants of other departments are ``not_found``.

MAX_LISTED = 500


def application_out(application: AccessApplication) -> ApplicationOut:
    grant: Grant | None = getattr(application, "grant", None)
    return ApplicationOut(
        id=application.pk,
        resource_code=application.resource.code,
        resource_name=application.resource.name,
        provider_code=application.resource.provider.code,
        client_key_id=application.client.key_id,
        client_name=application.client.name,
        department_code=application.client.department.code,
        purpose=application.purpose,
        legal_basis=application.legal_basis,
        fields=list(application.fields),
        clear_fields=list(application.clear_fields),
        duration_days=application.duration_days,
        expected_per_day=application.expected_per_day,
        state=application.state,
        partial=application_selectors.granted_in_part(application),
        submitted_at=application.submitted_at,
        due_at=application.due_at,
        overdue=application.state == ApplicationState.PENDING
        and application.due_at < timezone.now(),
        answered_at=application.answered_at,
        answer_reason=application.answer_reason,
        grant_id=grant.pk if grant is not None else None,
    )


def grant_out(grant: Grant) -> GrantOut:
    now = timezone.now()
    status = application_selectors.grant_status(grant, now)
    return GrantOut(
        id=grant.pk,
        application_id=grant.application_id,
        resource_code=grant.resource.code,
        resource_name=grant.resource.name,
        provider_code=grant.resource.provider.code,
        client_key_id=grant.client.key_id,
        client_name=grant.client.name,
        department_code=grant.client.department.code,
        fields=list(grant.fields),
        clear_fields=list(grant.clear_fields),
        purpose=grant.purpose,
        starts_at=grant.starts_at,
        expires_at=grant.expires_at,
        rate_per_minute=grant.rate_per_minute,
        revoked_at=grant.revoked_at,
        revoke_reason=grant.revoke_reason,
        status=status,
        active=status == application_selectors.GRANT_ACTIVE and grant.starts_at <= now,
    )


def _invalid_box(box: str, boxes: list[str]) -> InvalidInput:
    return InvalidInput(
        _("不支持的列表类别。"),
        code="invalid_box",
        detail={"box": _echoed_word(box), "accepted": boxes},
    )


def _echoed_word(word: str) -> str:
    # A query value may be thousands of characters; every accepted one is short.
    return echoed_text(word, ECHOED_WORD_MAX_LENGTH)


@router.get("/applications", response={200: list[ApplicationOut], **ERRORS}, auth=session_auth)
def list_applications(
    request: HttpRequest, params: Query[AccessApplicationListIn]
) -> list[ApplicationOut]:
    """Your department's applications to answer (incoming) or made (outgoing); for the data
    bureau, every application (all) or those overdue (overdue) to or by the departments its
    review covers."""
    # As on the requests page: the boxes are about the officer's own
    # department; what a region-wide post reaches beyond it is oversight.
    departments = own_departments(request.user)
    if params.box == "incoming":
        found = application_selectors.applications_to_answer(departments)
    elif params.box == "outgoing":
        found = application_selectors.applications_made(departments)
    elif params.box in ("overdue", "all"):
        if not may_oversee(request.user):
            raise PermissionDenied()
        overseen = overseen_departments(request.user)
        found = (
            application_selectors.overdue_applications(overseen)
            if params.box == "overdue"
            else application_selectors.all_applications(overseen)
        )
    else:
        raise _invalid_box(params.box, ["incoming", "outgoing", "overdue", "all"])
    if params.state:
        # A state there is not would answer an empty list, which reads as
        # "none in that state": a caller asking for "Pending" or "approved"
        # would conclude that nothing waits for an answer.
        if params.state not in ApplicationState.values:
            raise InvalidInput(
                _("不支持的申请状态。"),
                code="invalid_state",
                detail={
                    "state": _echoed_word(params.state),
                    "accepted": list(ApplicationState.values),
                },
            )
        found = found.filter(state=params.state)
    return [application_out(a) for a in found.select_related("grant")[:MAX_LISTED]]


@router.post("/applications", response={201: ApplicationOut, **ERRORS}, auth=session_auth)
def create_application(request: HttpRequest, payload: ApplicationIn) -> Status[ApplicationOut]:
    """Apply, for one of your department's systems, to use items of another department's
    published resource; the provider answers within the platform's answer period (10 working
    days unless configured otherwise; ``due_at`` gives the day)."""
    resource = access_resource_by_code(request.user, payload.resource_code)
    client = access_client_for_applying(request.user, payload.client_key_id)
    application = actions.do_apply_for_access(
        resource,
        client,
        actions.ApplicationInput(
            purpose=payload.purpose,
            legal_basis=payload.legal_basis,
            fields=payload.fields,
            clear_fields=payload.clear_fields,
            duration_days=payload.duration_days,
            expected_per_day=payload.expected_per_day,
        ),
        actor=actor_of(request.user),
    )
    return Status(201, application_out(application))


@router.get(
    "/applications/{application_id}", response={200: ApplicationOut, **ERRORS}, auth=session_auth
)
def get_application(request: HttpRequest, application_id: int) -> ApplicationOut:
    """One application you may see: as provider, applicant or the data bureau."""
    return application_out(access_application_by_id(request.user, application_id))


@router.post(
    "/applications/{application_id}/grant",
    response={200: GrantOut, **ERRORS},
    auth=session_auth,
)
def grant_application(request: HttpRequest, application_id: int, payload: GrantIn) -> GrantOut:
    """Agree to an application for all or some of the items asked for (provider only)."""
    application = access_application_by_id(request.user, application_id)
    require_answer(request.user, application)
    grant = actions.do_grant_application(
        application,
        actor=actor_of(request.user),
        reason=payload.reason,
        fields=payload.fields,
        rate_per_minute=payload.rate_per_minute,
        clear_fields=payload.clear_fields,
        days=payload.days,
    )
    return grant_out(grant)


@router.post(
    "/applications/{application_id}/refuse",
    response={200: ApplicationOut, **ERRORS},
    auth=session_auth,
)
def refuse_application(
    request: HttpRequest, application_id: int, payload: AccessReasonIn
) -> ApplicationOut:
    """Refuse an application with a reason the applicant sees (provider only)."""
    application = access_application_by_id(request.user, application_id)
    require_answer(request.user, application)
    return application_out(
        actions.do_refuse_application(
            application, actor=actor_of(request.user), reason=payload.reason
        )
    )


@router.post(
    "/applications/{application_id}/withdraw",
    response={200: ApplicationOut, **ERRORS},
    auth=session_auth,
)
def withdraw_application(request: HttpRequest, application_id: int) -> ApplicationOut:
    """Withdraw a pending application of your department's system."""
    application = access_application_by_id(request.user, application_id)
    require_withdraw(request.user, application)
    return application_out(
        actions.do_withdraw_application(application, actor=actor_of(request.user))
    )


@router.get("/grants", response={200: list[GrantOut], **ERRORS}, auth=session_auth)
def list_grants(request: HttpRequest, params: Query[GrantListIn]) -> list[GrantOut]:
    """Grants of your department's resources (given) or held by its systems (held)."""
    departments = own_departments(request.user)
    if params.box == "given":
        found = application_selectors.grants_given(departments)
    elif params.box == "held":
        found = application_selectors.grants_held(departments)
    else:
        raise _invalid_box(params.box, ["given", "held"])
    return [grant_out(g) for g in found[:MAX_LISTED]]


@router.get("/grants/{grant_id}", response={200: GrantOut, **ERRORS}, auth=session_auth)
def get_grant(request: HttpRequest, grant_id: int) -> GrantOut:
    """One grant you may see: as provider, holder or the data bureau."""
    return grant_out(access_grant_by_id(request.user, grant_id))


@router.post("/grants/{grant_id}/revoke", response={200: GrantOut, **ERRORS}, auth=session_auth)
def revoke_grant(request: HttpRequest, grant_id: int, payload: AccessReasonIn) -> GrantOut:
    """End a grant of your department's resource at once; calls under it are refused."""
    grant = access_grant_by_id(request.user, grant_id)
    require_revoke(request.user, grant)
    return grant_out(
        actions.do_revoke_grant(grant, actor=actor_of(request.user), reason=payload.reason)
    )


@router.post("/grants/{grant_id}/terms", response={200: GrantOut, **ERRORS}, auth=session_auth)
def change_grant_terms(request: HttpRequest, grant_id: int, payload: GrantTermsIn) -> GrantOut:
    """Change the rate limit or the expiry of a grant of your department's resource in force;
    calls under it follow the new terms from the next request on."""
    grant = access_grant_by_id(request.user, grant_id)
    require_revoke(request.user, grant)
    return grant_out(
        actions.do_change_grant_terms(
            grant,
            actor=actor_of(request.user),
            reason=payload.reason,
            rate_per_minute=payload.rate_per_minute,
            expires_at=payload.expires_at,
        )
    )


# --- Records pushed by provider systems (G2G) --------------------------------------------


def _pusher(request: HttpRequest) -> SystemClient:
    require_scope(request, PUSH_RECORDS)
    client = principal_of(request)
    assert isinstance(client, SystemClient)
    return client


def _text(value: str | int | float | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _require_unicode(texts: Iterable[str], field: str) -> None:
    """Refuse text that is not valid Unicode (a lone surrogate escaped in JSON, "\\ud800").

    The database cannot store it: the load would fail as a server error.
    """
    try:
        for text in texts:
            text.encode()
    except UnicodeEncodeError:
        raise InvalidInput(
            _("请求中含有无效的Unicode字符（不成对的代理项）。"), detail={"field": field}
        ) from None


@router.post("/shared/{slug}/records", response={200: PushReportOut, **ERRORS}, auth=client_auth)
def push_records(request: HttpRequest, slug: str, payload: PushRecordsIn) -> PushReportOut:
    """Load records of your department's hosted dataset as a new version.

    Rows are checked as an uploaded file's are; bad rows are reported by their
    position in ``rows`` (from 1) and the good rows are kept.
    """
    client = _pusher(request)
    dataset = access_dataset_for_pushing(client, slug)
    rows = [{code: _text(value) for code, value in row.items()} for row in payload.rows]
    _require_unicode((text for row in rows for pair in row.items() for text in pair), "rows")
    report = actions.do_load_dataset_rows(
        dataset,
        rows,
        actor=actor_of(client),
        source_name=payload.source_name or f"api:{client.key_id}",
        report_blank_rows=True,
    )
    return PushReportOut(
        version=version_out(report.version),
        unchanged=report.unchanged,
        problems=[
            # The action numbers rows as a spreadsheet does (header is row 1).
            RowProblemOut(
                row=p.row - actions.FIRST_ROW + 1, item=p.item, reason=p.reason, code=p.code
            )
            for p in report.problems
        ],
    )


@router.post(
    "/shared/{slug}/records:delete", response={200: VersionOut, **ERRORS}, auth=client_auth
)
def delete_records(request: HttpRequest, slug: str, payload: DeleteRecordsIn) -> VersionOut:
    """Withdraw records of your department's hosted dataset by key, as a new version.

    Keys with no live record are skipped. When no key has one, nothing is
    written: ``nothing_to_delete``, each key listed in ``detail.problems``
    with ``unknown_key`` or ``already_deleted`` (at most 20 keys, each cut to
    100 characters; ``detail.more`` counts the keys left out).
    """
    client = _pusher(request)
    dataset = access_dataset_for_pushing(client, slug)
    _require_unicode(payload.keys, "keys")
    version = actions.do_delete_dataset_records(
        dataset,
        payload.keys,
        actor=actor_of(client),
        source_name=payload.source_name or f"api:{client.key_id}",
    )
    return version_out(version)

"""The exchange API, mounted at /api/exchange/.

The provider department's data officers register a published resource as a
hosted dataset, upload its data as CSV or XLSX, and read its versions and
change feed. Department systems read shared records under ``/shared/``:
look-up, batch look-up, verification and the change feed, each governed and
written to the ledger by ``governed.py``.
"""

import hashlib

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from zhengtong.catalog.access import access_resource_by_code, require_edit
from zhengtong.core.errors import InvalidInput
from zhengtong.core.schemas import ERROR_RESPONSES
from zhengtong.exchange import actions, governed
from zhengtong.exchange.access import access_hosted_dataset_by_code
from zhengtong.exchange.models import DatasetVersion, HostedDataset
from zhengtong.exchange.permissions import READ_SHARED
from zhengtong.exchange.rows import read_csv, read_xlsx
from zhengtong.exchange.schemas import (
    BatchLookUpIn,
    BatchLookUpOut,
    ChangeOut,
    ChangesOut,
    DatasetIn,
    DatasetOut,
    LoadReportOut,
    LookUpIn,
    RecordOut,
    RowProblemOut,
    SharedChangeOut,
    SharedChangesIn,
    SharedChangesOut,
    VerifyIn,
    VerifyOut,
    VersionOut,
)
from zhengtong.exchange.selectors import changes_since, dataset_versions
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import ClientTokenAuth, principal_of, require_scope, session_auth
from zhengtong.identity.models import SystemClient

router = Router(tags=["exchange"])
ERRORS = ERROR_RESPONSES
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class CursorIn(Schema):
    cursor: int = 0
    limit: int = 100


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


@router.get("/datasets/{slug}", response={200: DatasetOut, **ERRORS}, auth=session_auth)
def get_dataset(request: HttpRequest, slug: str) -> DatasetOut:
    """A hosted dataset; the resource code's "/" is written "-" in the address."""
    return dataset_out(access_hosted_dataset_by_code(request.user, slug))


@router.post("/datasets/{slug}/uploads", response={200: LoadReportOut, **ERRORS}, auth=session_auth)
def upload_rows(request: HttpRequest, slug: str, file: File[UploadedFile]) -> LoadReportOut:
    """Load a CSV or XLSX file (header row of item codes or names) as a new version.

    Bad rows are reported by row number and reason; the good rows are kept.
    """
    dataset = access_hosted_dataset_by_code(request.user, slug)
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
    )
    return LoadReportOut(
        version=version_out(report.version),
        unchanged=report.unchanged,
        problems=[RowProblemOut(row=p.row, item=p.item, reason=p.reason) for p in report.problems],
    )


@router.get(
    "/datasets/{slug}/versions", response={200: list[VersionOut], **ERRORS}, auth=session_auth
)
def list_versions(request: HttpRequest, slug: str) -> list[VersionOut]:
    """Every load of the dataset, newest first."""
    dataset = access_hosted_dataset_by_code(request.user, slug)
    return [version_out(v) for v in dataset_versions(dataset)]


@router.get("/datasets/{slug}/changes", response={200: ChangesOut, **ERRORS}, auth=session_auth)
def list_changes(request: HttpRequest, slug: str, params: Query[CursorIn]) -> ChangesOut:
    """The change feed after a cursor; keep ``next_cursor`` and pass it next time."""
    dataset = access_hosted_dataset_by_code(request.user, slug)
    changes = changes_since(dataset, params.cursor, params.limit)
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


def record_out(found: governed.Found) -> RecordOut:
    return RecordOut(
        key=found.key, values=found.values, masked=found.masked, updated_at=found.updated_at
    )


@router.post("/shared/{slug}/look-up", response={200: RecordOut, **ERRORS}, auth=client_auth)
def look_up(request: HttpRequest, slug: str, payload: LookUpIn) -> RecordOut:
    """Read one record by key: only the items your system may read, personal items masked
    unless your grant allows them in clear. Every call is written to the audit ledger."""
    found = governed.do_look_up_record(
        _client(request), slug, payload.key, purpose=payload.purpose, fields=payload.fields
    )
    return record_out(found)


@router.post(
    "/shared/{slug}/batch-look-up", response={200: BatchLookUpOut, **ERRORS}, auth=client_auth
)
def batch_look_up(request: HttpRequest, slug: str, payload: BatchLookUpIn) -> BatchLookUpOut:
    """Read up to 1,000 records in one call; unknown and malformed keys are listed."""
    result = governed.do_look_up_records(
        _client(request), slug, payload.keys, purpose=payload.purpose, fields=payload.fields
    )
    return BatchLookUpOut(
        records=[record_out(f) for f in result.found],
        not_found=result.not_found,
        bad_keys=result.bad_keys,
    )


@router.post("/shared/{slug}/verify", response={200: VerifyOut, **ERRORS}, auth=client_auth)
def verify(request: HttpRequest, slug: str, payload: VerifyIn) -> VerifyOut:
    """核验: does the record of this key hold these values? Answers per item, nothing more."""
    answers = governed.do_verify_record(
        _client(request), slug, payload.key, payload.claims, purpose=payload.purpose
    )
    return VerifyOut(
        results={code: str(a) for code, a in answers.items()},
        all_match=all(a == governed.Match.MATCH for a in answers.values()),
    )


@router.get("/shared/{slug}/changes", response={200: SharedChangesOut, **ERRORS}, auth=client_auth)
def shared_changes(
    request: HttpRequest, slug: str, params: Query[SharedChangesIn]
) -> SharedChangesOut:
    """Changes after a cursor, with the permitted items of each changed record."""
    feed = governed.do_read_changes(
        _client(request), slug, cursor=params.cursor, purpose=params.purpose, limit=params.limit
    )
    return SharedChangesOut(
        changes=[
            SharedChangeOut(seq=c.seq, kind=c.kind, key=c.key, at=c.at, values=c.values)
            for c in feed.changes
        ],
        next_cursor=feed.next_cursor,
    )

"""The exchange API, mounted at /api/exchange/.

The provider department's data officers register a published resource as a
hosted dataset, upload its data as CSV or XLSX, and read its versions and
change feed. Records themselves are not served here.
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
from zhengtong.exchange import actions
from zhengtong.exchange.access import access_hosted_dataset_by_code
from zhengtong.exchange.models import DatasetVersion, HostedDataset
from zhengtong.exchange.rows import read_csv, read_xlsx
from zhengtong.exchange.schemas import (
    ChangeOut,
    ChangesOut,
    DatasetIn,
    DatasetOut,
    LoadReportOut,
    RowProblemOut,
    VersionOut,
)
from zhengtong.exchange.selectors import changes_since, dataset_versions
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import session_auth

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

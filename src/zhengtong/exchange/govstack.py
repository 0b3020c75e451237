"""A GovStack compatibility profile of the exchange, mounted at /api/govstack/.

Two GovStack interfaces are offered over the same governed exchange, so that a
system built for GovStack can use the registries the departments share here:

* the Digital Registries **Data API** (``/data/{registryName}/{versionNumber}/...``):
  a registry is a published catalog resource with a hosted or proxied dataset,
  named by its resource code with ``-`` for ``/``. Reads go through ``governed.py``
  exactly like the native look-ups, so every read is granted, masked and
  written to the ledger the same way; writes go through the exchange actions
  and are open only to the provider department's own systems.
  ``myPersonalDataUsage`` tells a logged-in citizen which department systems
  read records keyed by their 身份证号.
* the Information Mediator **directory** (``/im/listClients``,
  ``/im/[r1/]{instance}/{class}/{member}/{application}/listMethods`` ...):
  departments are members, their systems are applications, and each
  department that provides registries has one providing application,
  ``registries``, whose services are those registries.

The calling system authenticates with its G2G bearer token. The GovStack
client header is required where the specifications require it: the Data
API's ``Information-Mediator-Client`` on every Data API operation, the
directory's ``X-GovStack-Client`` on every directory operation but
``listClients``; either name is taken for either. When sent it must name that
same system (for myPersonalDataUsage, whose caller is a person, it is checked
for its form only). Every governed read states its purpose in the
``Zhengtong-Purpose`` header (UTF-8, percent-encoded). See
docs/exchange-govstack.md.
"""

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlencode

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from zhengtong.catalog.models import InformationItem, Resource
from zhengtong.catalog.states import ResourceState
from zhengtong.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ZhengtongError,
)
from zhengtong.core.models import Department
from zhengtong.core.schemas import ErrorOut
from zhengtong.core.validators import normalise, validate_id_number
from zhengtong.exchange import actions, governed
from zhengtong.exchange.access import access_dataset_for_pushing
from zhengtong.exchange.models import HostedDataset, ProxiedDataset, Record
from zhengtong.exchange.permissions import PUSH_RECORDS, READ_SHARED
from zhengtong.exchange.rows import BadValue, clean_value
from zhengtong.exchange.schemas import UPSTREAM_ERRORS, FeedNumber
from zhengtong.exchange.selectors import (
    MAX_CHANGES,
    connected_proxied,
    data_uses,
    echoed_items,
    feed_window_problem,
    proxied_dataset_of,
)
from zhengtong.identity.actors import actor_of
from zhengtong.identity.auth import ClientTokenAuth, principal_of, require_scope, session_auth
from zhengtong.identity.models import SystemClient, User

router = Router(tags=["govstack"])
client_auth = ClientTokenAuth()

# The GovStack instance this platform is, and the member class of its departments.
INSTANCE = "ZHENGTONG"
MEMBER_CLASS = "GOV"
# The application through which a department provides its registries.
PROVIDER_APPLICATION = "registries"
# The one version of the registry interface served: records are always current.
VERSION = "1.0"
PURPOSE_HEADER = "Zhengtong-Purpose"
# The client header as each specification names it. Either is taken wherever a client
# header is checked: GovStack's own directory suite sends the Data API's name on /im/,
# and a client that sent one or the other before it was required keeps working.
DATA_CLIENT_HEADER = "Information-Mediator-Client"
DIRECTORY_CLIENT_HEADER = "X-GovStack-Client"
CLIENT_HEADERS = (DATA_CLIENT_HEADER, DIRECTORY_CLIENT_HEADER)
MAX_USAGE = 1000

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}", re.ASCII)
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)

ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    429: ErrorOut,
}


# --- Headers, as the OpenAPI documents describe them -----------------------------------------


def _client_header(name: str, *, required: bool = True) -> dict[str, Any]:
    """The GovStack client header as an OpenAPI parameter."""
    other = DIRECTORY_CLIENT_HEADER if name == DATA_CLIENT_HEADER else DATA_CLIENT_HEADER
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": "INSTANCE/CLASS/MEMBER/SUBSYSTEM; a department system gives its own "
        f"identifier, {INSTANCE}/{MEMBER_CLASS}/<department>/<key id>. "
        f"{other} is taken in its place.",
        "schema": {"type": "string"},
    }


def _purpose_header() -> dict[str, Any]:
    return {
        "name": PURPOSE_HEADER,
        "in": "header",
        "required": True,
        "description": "the purpose of the read, UTF-8 percent-encoded",
        "schema": {"type": "string"},
    }


# ``openapi_extra`` of the operations, adding their headers to /api/docs.
def _read_headers() -> dict[str, Any]:
    return {"parameters": [_client_header(DATA_CLIENT_HEADER), _purpose_header()]}


def _data_headers() -> dict[str, Any]:
    return {"parameters": [_client_header(DATA_CLIENT_HEADER)]}


def _directory_headers(*, required: bool = True) -> dict[str, Any]:
    return {"parameters": [_client_header(DIRECTORY_CLIENT_HEADER, required=required)]}


# --- Schemas ----------------------------------------------------------------------------


class ContentIn(Schema):
    model_config = ConfigDict(extra="allow")

    content: dict[str, Any] = Field(description="item code → value")


class RegistryIn(Schema):
    """``{"query": {"content": ...}, "write": {"content": ...}}``, as the operation needs.

    A flat object of item codes is also read as the content, as some GovStack
    test suites send it that way.
    """

    model_config = ConfigDict(extra="allow")

    query: ContentIn | None = None
    write: ContentIn | None = None


class ContentOut(Schema):
    content: dict[str, str] = Field(description="item code → value; an empty item is left out")


class AnswerOut(Schema):
    status: bool
    message: str


class ExistsOut(Schema):
    answer: AnswerOut


class ListOut(Schema):
    count: int = Field(description="the number of results on this page")
    next: str | None = Field(description="the address of the next page, if there may be one")
    previous: str | None = None
    results: list[dict[str, str]] = Field(description="records; an empty item is left out")


class ListIn(Schema):
    search: str | None = Field(None, max_length=200, description="a value to look for")
    filter: str | None = Field(None, max_length=40, description="the item code to look in")
    ordering: str | None = Field(None, description="ascending or descending by key")
    # Bounds checked by the operation, as the native change feed checks them:
    # 400 invalid_page, invalid_limit or invalid_cursor, whatever was wrong
    # with the value.
    page: FeedNumber = Field(
        1,
        description="only page 1: follow next for later pages (below 1 or no whole number: "
        "400 invalid_page)",
        json_schema_extra={"minimum": 1},
    )
    pageSize: FeedNumber = Field(
        100,
        description=f"records read at most (1 to {MAX_CHANGES}; else 400 invalid_limit)",
        json_schema_extra={"minimum": 1, "maximum": MAX_CHANGES},
    )
    cursor: FeedNumber = Field(
        0,
        description="where the next page starts (from next; else 400 invalid_cursor)",
        json_schema_extra={"minimum": 0},
    )


class RecordNotFoundOut(Schema):
    detail: str = Field(description='always "no record found"')
    code: str
    message: str


# A key with no record answers GovStack's "no record found"; a registry the
# caller may not use (or that does not exist) answers as every other operation.
NOT_FOUND = RecordNotFoundOut | ErrorOut


class ReferenceOut(Schema):
    ReferenceID: str


class PersonalDataUsageOut(Schema):
    id: str = Field(description="the ledger entry of the read")
    readerId: str = Field(description="the reading system as INSTANCE/CLASS/MEMBER/APPLICATION")
    readerInitials: str = Field(description='always "": systems read, not persons')
    readerInstitutionId: str
    readerInstitutionName: str
    readerApplicationName: str
    searchDateTime: str
    refrences: list[ReferenceOut] = Field(description="the registry read (spelt as in GovStack)")
    purpose: str
    fields: list[str]
    operation: str


# No length limits here: a userId or databaseId too long to be one is refused by the
# operation as not a 身份证号 or not a registry, with the specification's 400.
class UsageIn(Schema):
    userId: str | None = None
    userID: str | None = None
    databaseId: str | None = None
    DatabaseID: str | None = None


class ClientIdOut(Schema):
    objectType: str
    instanceId: str
    memberClass: str
    memberCode: str
    applicationCode: str | None = None


class MediatorClientOut(Schema):
    name: str
    id: ClientIdOut


class ClientListOut(Schema):
    member: list[MediatorClientOut]


class EndpointOut(Schema):
    method: str
    path: str


class EndpointListOut(Schema):
    member: list[EndpointOut]


class MediatorServiceOut(Schema):
    objectType: str
    serviceType: str
    instanceId: str
    memberClass: str
    memberCode: str
    applicationCode: str
    serviceCode: str
    serviceVersion: str
    endpointList: EndpointListOut


class ServiceListOut(Schema):
    member: list[MediatorServiceOut]


# --- Who is calling ---------------------------------------------------------------------


def client_identifier(client: SystemClient) -> str:
    """The GovStack identifier of a department system: INSTANCE/CLASS/MEMBER/APPLICATION."""
    return f"{INSTANCE}/{MEMBER_CLASS}/{client.department.code}/{client.key_id}"


def _system(request: HttpRequest) -> SystemClient:
    client = principal_of(request)
    if not isinstance(client, SystemClient):
        raise PermissionDenied()
    return client


def _caller(request: HttpRequest, *, required: str | None) -> SystemClient:
    client = _system(request)
    _check_client_headers(request, client, required=required)
    return client


def _check_client_headers(
    request: HttpRequest, client: SystemClient | None, *, required: str | None
) -> None:
    """Check the GovStack client headers the caller sent.

    ``required`` is the header the specification requires on the operation
    (None where it requires none); either of ``CLIENT_HEADERS`` stands for it.
    Without a system (``client`` None: a person, whom the session names) a
    header is checked for its form only.
    """
    sent = [
        (header, claimed.strip())
        for header in CLIENT_HEADERS
        if (claimed := request.headers.get(header)) is not None
    ]
    if not sent and required is not None:
        raise InvalidInput(
            _("请求头缺少 %(header)s。") % {"header": required},
            code="bad_client_header",
            detail={"header": required},
        )
    for header, claimed in sent:
        parts = claimed.split("/")
        # Each of INSTANCE, CLASS, MEMBER and SUBSYSTEM names something: none is empty.
        if len(parts) != 4 or not all(part.strip() for part in parts):
            raise InvalidInput(
                _("请求头应为 INSTANCE/CLASS/MEMBER/SUBSYSTEM 格式。"),
                code="bad_client_header",
                detail={"header": header},
            )
        # The token proves who calls; the header may only repeat it.
        if client is not None and claimed != client_identifier(client):
            raise PermissionDenied(
                _("请求头所称的接入系统与接口凭证不符。"),
                code="client_mismatch",
                detail={"header": header, "expected": client_identifier(client)},
            )


def _reader(request: HttpRequest, operation: governed.Operation, registry: str) -> SystemClient:
    require_scope(request, READ_SHARED)
    client = _system(request)
    with _refusals_logged(request, client, operation, registry):
        _check_client_headers(request, client, required=DATA_CLIENT_HEADER)
    return client


@contextlib.contextmanager
def _refusals_logged(
    request: HttpRequest, client: SystemClient, operation: governed.Operation, registry: str
) -> Iterator[None]:
    """Log what the profile refuses before the governed call: every read is in the ledger."""
    try:
        yield
    except ZhengtongError as refusal:
        governed.do_log_refused_call(client, operation, registry, purpose_of(request), refusal)
        raise


def purpose_of(request: HttpRequest) -> str:
    """The ``Zhengtong-Purpose`` header, decoded."""
    raw = request.headers.get(PURPOSE_HEADER, "")
    # A header that arrived as raw UTF-8 bytes reaches Django as Latin-1.
    with contextlib.suppress(UnicodeError):
        raw = raw.encode("latin-1").decode("utf-8")
    return unquote(raw)


def _registry_version(version: str) -> None:
    if version != VERSION:
        raise NotFound(
            _("该登记簿没有这个版本。"),
            code="unknown_version",
            detail={"versions": [VERSION]},
        )


# --- Reading bodies ---------------------------------------------------------------------


def _body(request: HttpRequest) -> dict[str, Any]:
    """The JSON object as it was sent.

    ``RegistryIn`` has already checked the ``query`` and ``write`` it declares, but
    django-ninja hands on only declared fields, and a flat object's items are extra.
    """
    body = json.loads(request.body or b"{}")
    if not isinstance(body, dict):
        # An array or a bare value is a mistake, not an empty query.
        raise InvalidInput(_("请求内容应为JSON对象。"), status=422)
    return body


def _content(part: Any) -> dict[str, Any] | None:
    if isinstance(part, Mapping) and isinstance(part.get("content"), Mapping):
        return dict(part["content"])
    return None


def _flat(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in {"query", "write"}}


def _given_query(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """``query.content``, or ``write.query.content`` as some GovStack suites send it."""
    query = _content(body.get("query"))
    if query is None and isinstance(body.get("write"), Mapping):
        query = _content(body["write"].get("query"))
    return query


def _query_content(request: HttpRequest) -> dict[str, Any]:
    body = _body(request)
    query = _given_query(body)
    return query if query is not None else _flat(body)


def _write_content(request: HttpRequest) -> dict[str, Any]:
    body = _body(request)
    write = _content(body.get("write"))
    return write if write is not None else _flat(body)


def _text(code: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise InvalidInput(
        _("信息项的值应为文本、数字或布尔值。"), code="invalid_value", detail={"item": code}
    )


def _resource(slug: str) -> Resource:
    resource = (
        Resource.objects.filter(code=slug.replace("-", "/"), state=ResourceState.PUBLISHED)
        .select_related("provider", "hosted_dataset")
        .first()
    )
    if resource is None:
        raise NotFound(_("没有这个已发布的目录资源。"), code="resource_not_found")
    return resource


def _source(slug: str) -> HostedDataset | ProxiedDataset:
    """Where the registry's records are read: the hosted copy, or the provider's own API.

    Reads by key go through ``governed`` either way; only a registry with
    neither is not connected (``not_hosted``).
    """
    resource = _resource(slug)
    dataset: HostedDataset | ProxiedDataset | None = getattr(
        resource, "hosted_dataset", None
    ) or proxied_dataset_of(resource)
    if dataset is None:
        raise Conflict(_("该目录资源的数据尚未接入共享交换平台。"), code="not_hosted", status=409)
    return dataset


def _split_key(slug: str, content: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    """The key item, its value and the other criteria of a query's content."""
    dataset = _source(slug)
    key_code = str(dataset.key_item_code)
    # The registry's items are public in the catalog: naming one it does not have is
    # a mistake to point out, for read as for exists, not a record that is missing.
    # "*" is not an item either: only list's search looks in any item.
    _check_items(dataset, content)
    criteria = {code: _text(code, value) for code, value in content.items()}
    key = criteria.pop(key_code, None)
    if not key:
        raise InvalidInput(
            _("查询条件须包含该登记簿的主键信息项。"),
            code="key_required",
            detail={"key_item": key_code},
        )
    return key_code, key, {c: v for c, v in criteria.items() if v is not None}


def _matches(values: Mapping[str, str | None], criteria: Mapping[str, str]) -> bool:
    """Whether the values as returned to the caller hold every criterion.

    Only what the caller receives anyway is compared, so a criterion on a
    masked or withheld item tells it nothing new; ``*`` means any item.
    """
    for code, wanted in criteria.items():
        if code == "*":
            if wanted not in values.values():
                return False
        elif values.get(code) != wanted:
            return False
    return True


def _shown(values: Mapping[str, str | None]) -> dict[str, str]:
    """A record as the Data API returns it: every value a string, empty items left out."""
    return {code: value for code, value in values.items() if value is not None}


def _not_found(refusal: ZhengtongError | None = None) -> Status[RecordNotFoundOut]:
    message = refusal.message if refusal is not None else _("没有与该主键对应的记录。")
    return Status(
        404, RecordNotFoundOut(detail="no record found", code="unknown_key", message=str(message))
    )


# --- The Data API: reads ---------------------------------------------------------------------


# Literal paths come before /data/{registry}/{version}, which would otherwise take them.
@router.get(
    "/data/myPersonalDataUsage",
    response={200: list[PersonalDataUsageOut], **ERRORS},
    auth=session_auth,
    openapi_extra=_data_headers(),
)
def my_personal_data_usage(
    request: HttpRequest, params: Query[UsageIn]
) -> list[PersonalDataUsageOut]:
    """Which department systems read records keyed by your 身份证号 (我的数据使用记录).

    Only for the logged-in citizen whose real-name identity is ``userId``;
    ``databaseId`` narrows the answer to one registry.
    """
    _check_client_headers(request, None, required=DATA_CLIENT_HEADER)
    user = request.user
    given = params.userId or params.userID or ""
    try:
        number = validate_id_number(given).number
    except InvalidInput:
        raise InvalidInput(
            _("userId应为有效的公民身份号码。"), code="bad_user_id", detail={}
        ) from None
    database = params.databaseId or params.DatabaseID
    resource_code = None
    if database:
        if not _CODE.fullmatch(database):
            raise InvalidInput(_("没有这个登记簿。"), code="unknown_database")
        resource = Resource.objects.filter(
            code=database.replace("-", "/"), state=ResourceState.PUBLISHED
        ).first()
        if resource is None:
            raise InvalidInput(_("没有这个登记簿。"), code="unknown_database")
        resource_code = resource.code
    person = user.person if isinstance(user, User) else None
    if person is None or normalise(person.id_number) != number:
        # Nobody, not even staff, reads another person's usage through this door.
        raise PermissionDenied(_("只能查询本人的数据使用记录。"), code="not_own_data")
    uses = [
        use
        for use in data_uses(governed.key_hash(number), limit=MAX_USAGE)
        if use.result == "ok"
        and use.outcome != "not_found"
        and (resource_code is None or use.resource_code == resource_code)
    ]
    return [
        PersonalDataUsageOut(
            id=str(use.ledger_seq),
            readerId=f"{INSTANCE}/{MEMBER_CLASS}/{use.data.get('department', '')}/"
            f"{use.data.get('client', '')}",
            readerInitials="",
            readerInstitutionId=str(use.data.get("department", "")),
            readerInstitutionName=use.department,
            readerApplicationName=use.system,
            searchDateTime=use.at.isoformat(),
            refrences=[ReferenceOut(ReferenceID=use.resource_code.replace("/", "-"))],
            purpose=use.purpose,
            fields=list(use.data.get("fields", [])),
            operation=use.operation,
        )
        for use in uses
    ]


router.add_api_operation(
    "/data/MyPersonalDataUsage/1.0",
    ["GET"],
    my_personal_data_usage,
    response={200: list[PersonalDataUsageOut], **ERRORS},
    auth=session_auth,
    include_in_schema=False,
)


@router.post(
    "/data/{registry}/{version}/read",
    response={
        200: ContentOut,
        404: NOT_FOUND,
        **{k: v for k, v in ERRORS.items() if k != 404},
        **UPSTREAM_ERRORS,
    },
    auth=client_auth,
    openapi_extra=_read_headers(),
)
def read(
    request: HttpRequest, registry: str, version: str, payload: RegistryIn
) -> ContentOut | Status[RecordNotFoundOut]:
    """Return one record by its key, with only the items your system may read, masked as the
    native look-up masks them. ``query.content`` must hold the registry's key item; other
    items in it must equal what you may read in clear. Every call is in the ledger."""
    client = _reader(request, governed.Operation.LOOK_UP, registry)
    with _refusals_logged(request, client, governed.Operation.LOOK_UP, registry):
        _registry_version(version)
        _, key, criteria = _split_key(registry, _query_content(request))
    try:
        found = governed.do_look_up_record(client, registry, key, purpose=purpose_of(request))
    except governed.Refused as refusal:
        if refusal.code == "unknown_key":
            return _not_found(refusal)
        raise
    if not _matches(found.values, criteria):
        return _not_found()
    return ContentOut(content=_shown(found.values))


@router.post(
    "/data/{registry}/{version}/exists",
    response={200: ExistsOut, **ERRORS, **UPSTREAM_ERRORS},
    auth=client_auth,
    openapi_extra=_read_headers(),
)
def exists(request: HttpRequest, registry: str, version: str, payload: RegistryIn) -> ExistsOut:
    """Say whether a record with this key exists; with more items in ``query.content``,
    whether it holds those values too (核验), disclosing nothing else."""
    client = _reader(request, governed.Operation.VERIFY, registry)
    with _refusals_logged(request, client, governed.Operation.VERIFY, registry):
        _registry_version(version)
        key_code, key, criteria = _split_key(registry, _query_content(request))
    purpose = purpose_of(request)
    try:
        if criteria:
            answers = governed.do_verify_record(client, registry, key, criteria, purpose=purpose)
            status = all(a == governed.Match.MATCH for a in answers.values())
        else:
            governed.do_look_up_record(client, registry, key, purpose=purpose, fields=[key_code])
            status = True
    except governed.Refused as refusal:
        if refusal.code != "unknown_key":
            raise
        status = False
    message = _("记录存在。") if status else _("没有符合条件的记录。")
    return ExistsOut(answer=AnswerOut(status=status, message=str(message)))


@router.get(
    "/data/{registry}/{version}/{key}/readValue/{field_ext}",
    response={
        200: str,
        404: NOT_FOUND,
        **{k: v for k, v in ERRORS.items() if k != 404},
        **UPSTREAM_ERRORS,
    },
    auth=client_auth,
    openapi_extra=_read_headers(),
)
def read_value(
    request: HttpRequest, registry: str, version: str, key: str, field_ext: str
) -> str | Status[RecordNotFoundOut]:
    """Return one item of one record as a JSON string (``{item}.json``), governed like a look-up;
    an empty item is ``""``."""
    client = _reader(request, governed.Operation.LOOK_UP, registry)
    field, _dot, ext = field_ext.rpartition(".")
    with _refusals_logged(request, client, governed.Operation.LOOK_UP, registry):
        _registry_version(version)
        if not field or ext != "json":
            raise InvalidInput(
                _("只支持 JSON 格式（.json）。"),
                code="unsupported_format",
                detail={"formats": ["json"]},
            )
    try:
        found = governed.do_look_up_record(
            client, registry, key, purpose=purpose_of(request), fields=[field]
        )
    except governed.Refused as refusal:
        if refusal.code == "unknown_key":
            return _not_found(refusal)
        raise
    return found.values.get(field) or ""


router.add_api_operation(
    "/data/{registry}/{version}/{key}/read-value/{field_ext}",
    ["GET"],
    read_value,
    response={
        200: str,
        404: NOT_FOUND,
        **{k: v for k, v in ERRORS.items() if k != 404},
        **UPSTREAM_ERRORS,
    },
    auth=client_auth,
    include_in_schema=False,
)


def _query_params(request: HttpRequest) -> dict[str, str]:
    """The list's ``query.<item>`` criteria as sent, the empty ones left out."""
    return {
        name: value
        for name in request.GET
        if name.startswith("query.") and (value := request.GET.get(name, ""))
    }


def _check_window(params: ListIn) -> None:
    """Refuse a page out of bounds, even for a look-up by key, which pages through nothing."""
    problem = feed_window_problem(params.cursor, params.pageSize)
    if problem is not None:
        if problem.detail.get("field") == "limit":
            problem.detail["field"] = "pageSize"
        raise problem
    # ``page`` chooses nothing (``next`` carries the cursor), but one below 1 is
    # refused as its neighbours are: in the ledger with a code of its own.
    if params.page < 1:
        raise InvalidInput(
            _("页码应为正整数。"), code="invalid_page", detail={"field": "page", "min": 1}
        )


def _list_url(request: HttpRequest, params: ListIn, cursor: int) -> str:
    # The next page keeps every criterion of this one, so following next filters alike.
    query: dict[str, Any] = {
        k: v for k, v in params.dict().items() if v is not None and k not in {"cursor", "page"}
    }
    query.update(_query_params(request))
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")


@router.get(
    "/data/{registry}/{version}",
    response={200: ListOut, **ERRORS, **UPSTREAM_ERRORS},
    auth=client_auth,
    openapi_extra=_read_headers(),
)
def list_records(
    request: HttpRequest, registry: str, version: str, params: Query[ListIn]
) -> ListOut:
    """List records. With the key item as criterion (``query.<key item>=...`` or
    ``filter=<key item>&search=...``) this is a look-up; otherwise it pages through the
    registry's change feed (each page one governed read, ``next`` gives the following page
    with the same criteria) and keeps the records whose readable items equal the criteria.
    A registry served from the provider's own system has no change feed: only the look-up is
    served, and a list without the key item is refused with ``not_supported_for_proxied``
    (409)."""
    client = _reader(request, governed.Operation.CHANGES, registry)
    with _refusals_logged(request, client, governed.Operation.CHANGES, registry):
        _registry_version(version)
        _check_window(params)
        source = _source(registry)
        criteria = {
            name.removeprefix("query."): value for name, value in _query_params(request).items()
        }
        # As read refuses them: an item the registry lacks matches nothing, and
        # "*" (any item) is what search without filter is for.
        _check_items(source, [*criteria, *([params.filter] if params.filter else [])])
    key_code = str(source.key_item_code)
    if params.search is not None and params.search != "":
        criteria[params.filter or "*"] = params.search
    purpose = purpose_of(request)
    key = criteria.pop(key_code, None)
    if key is None and isinstance(source, ProxiedDataset):
        # The provider's system answers one record by key and keeps no change
        # feed here to page through: the data is connected, but only a
        # look-up by key can be served.
        with _refusals_logged(request, client, governed.Operation.CHANGES, registry):
            raise Conflict(
                _(
                    "该登记簿的数据由提供部门自己的系统实时提供，不支持列出记录；"
                    "请以主键信息项为条件查询。"
                ),
                code="not_supported_for_proxied",
                status=409,
                detail={"key_item": key_code},
            )
    next_url = None
    # Sorted by the key as shown; records are told apart by the key's hash,
    # as two masked keys may look alike (430102********1057).
    rows: dict[tuple[str, str], dict[str, str | None]] = {}
    if key is not None:
        batch = governed.do_look_up_records(client, registry, [key], purpose=purpose)
        rows = {(found.key, ""): found.values for found in batch.found}
    else:
        feed = governed.do_read_changes(
            client, registry, cursor=params.cursor, purpose=purpose, limit=params.pageSize
        )
        # A key may change more than once in a page; its last change tells what it is now.
        for change in feed.changes:
            record = (change.key, change.key_hash)
            rows.pop(record, None)
            if change.values is not None:
                rows[record] = change.values
        if len(feed.changes) == params.pageSize:
            next_url = _list_url(request, params, feed.next_cursor)
    results = [
        _shown(values)
        for _record, values in sorted(rows.items(), reverse=params.ordering == "descending")
        if _matches(values, criteria)
    ]
    return ListOut(count=len(results), next=next_url, previous=None, results=results)


router.add_api_operation(
    "/data/{registry}/{version}/",
    ["GET"],
    list_records,
    response={200: ListOut, **ERRORS, **UPSTREAM_ERRORS},
    auth=client_auth,
    include_in_schema=False,
)


# --- The Data API: writes by the provider ----------------------------------------------------


def _pusher(
    request: HttpRequest, registry: str, version: str
) -> tuple[SystemClient, HostedDataset]:
    # Refused as the native push refuses it, and logged as such (refused_calls).
    require_scope(request, PUSH_RECORDS)
    client = _caller(request, required=DATA_CLIENT_HEADER)
    _registry_version(version)
    return client, access_dataset_for_pushing(client, registry)


def _items(dataset: HostedDataset | ProxiedDataset) -> dict[str, InformationItem]:
    return {item.code: item for item in dataset.resource.items.all()}


def _check_items(dataset: HostedDataset | ProxiedDataset, content: Iterable[str]) -> None:
    """Refuse a query or write that names items the registry does not have."""
    items = _items(dataset)
    unknown = [code for code in content if code not in items]
    if unknown:
        raise InvalidInput(
            _("该登记簿没有这些信息项。"), code="unknown_item", detail=echoed_items(unknown)
        )


def _clean(dataset: HostedDataset, content: Mapping[str, Any]) -> dict[str, str | None]:
    """Check every item before the action runs, so a bad write leaves no empty version behind."""
    _check_items(dataset, content)
    items = _items(dataset)
    cleaned: dict[str, str | None] = {}
    for code, value in content.items():
        text = _text(code, value)
        if text is None or not text.strip():
            cleaned[code] = None
            continue
        try:
            text.encode()
        except UnicodeEncodeError:
            # Refused here as the native push refuses it (400), not where the
            # database fails to store it.
            raise InvalidInput(
                _("请求中含有无效的Unicode字符（不成对的代理项）。"),
                detail={"field": "content", "item": code},
            ) from None
        try:
            cleaned[code] = clean_value(items[code], text)
        except BadValue as bad:
            raise InvalidInput(str(bad), code="invalid_value", detail={"item": code}) from None
    return cleaned


def _key_of(dataset: HostedDataset, value: Any) -> str:
    item = _items(dataset)[dataset.key_item_code]
    text = _text(item.code, value) or ""
    try:
        key = clean_value(item, text)
    except BadValue as bad:
        raise InvalidInput(str(bad), code="bad_key", detail={"item": item.code}) from None
    if not key:
        raise InvalidInput(
            _("须提供该登记簿的主键信息项。"), code="key_required", detail={"item": item.code}
        )
    if len(key) > actions.KEY_MAX_LENGTH:
        # The item may allow more than a key may hold; refused here, before any
        # version is made, rather than as a rejected row of a committed load.
        raise InvalidInput(
            _("主键过长。"),
            code="bad_key",
            detail={"item": item.code, "max_length": actions.KEY_MAX_LENGTH},
        )
    return key


class _NoRecord(Exception):
    """The record a write names is not there, or does not hold what its query says."""


def _write(
    client: SystemClient,
    dataset: HostedDataset,
    key: str,
    source: str,
    write: Callable[[Record | None], Mapping[str, str | None]],
) -> Record:
    """Write one record from what it holds now, read under the lock every write of it takes.

    Read, merged and written in one transaction: a record read first and saved
    later would lose another system's change committed in between.
    """
    return actions.do_write_record(
        dataset, key, write, actor=actor_of(client), source_name=f"govstack:{source}"
    )


def _new_values(
    dataset: HostedDataset, key: str, content: Mapping[str, Any]
) -> dict[str, str | None]:
    return {**_clean(dataset, content), dataset.key_item_code: key}


def _create(client: SystemClient, dataset: HostedDataset, content: Mapping[str, Any]) -> Record:
    key = _key_of(dataset, content.get(dataset.key_item_code))
    values = _new_values(dataset, key, content)

    def add(current: Record | None) -> dict[str, str | None]:
        if current is not None:
            raise Conflict(_("该主键的记录已经存在。"), code="already_exists", detail={})
        return values

    return _write(client, dataset, key, "create", add)


def _criteria(dataset: HostedDataset, query: Mapping[str, Any]) -> dict[str, str]:
    """A write query's items other than the key, as the record would hold them.

    An item the registry does not have is refused, as read refuses it, before
    anything is written.
    """
    _check_items(dataset, query)
    items = _items(dataset)
    criteria: dict[str, str] = {}
    for code, value in query.items():
        text = _text(code, value)
        if code == dataset.key_item_code or text is None:
            continue
        # Compared as stored, so "2020-1-5" finds a record holding 2020-01-05; a value
        # the item cannot hold is kept as given and so matches nothing.
        with contextlib.suppress(BadValue):
            text = clean_value(items[code], text)
        criteria[code] = text
    return criteria


def _merged(
    dataset: HostedDataset, record: Record, content: Mapping[str, Any]
) -> dict[str, str | None]:
    changes = _clean(dataset, content)
    given = changes.pop(dataset.key_item_code, None)
    if given is not None and given != record.key:
        raise InvalidInput(_("不能修改记录的主键。"), code="key_change", detail={})
    return {**record.values, **changes}


@router.post(
    "/data/{registry}/{version}/create",
    response={200: ContentOut, **ERRORS},
    auth=client_auth,
    openapi_extra=_data_headers(),
)
def create(request: HttpRequest, registry: str, version: str, payload: RegistryIn) -> ContentOut:
    """Add a record to your department's registry (``write.content``).

    Only the provider department's systems with the scope exchange.push_records may write."""
    client, dataset = _pusher(request, registry, version)
    record = _create(client, dataset, _write_content(request))
    return ContentOut(content=_shown(record.values))


def _update_one(
    request: HttpRequest, registry: str, version: str
) -> ContentOut | Status[RecordNotFoundOut]:
    client, dataset = _pusher(request, registry, version)
    write = _write_content(request)
    query = _given_query(_body(request))
    key = _key_of(dataset, (query or write).get(dataset.key_item_code))
    criteria = _criteria(dataset, query) if query is not None else {}

    def merge(current: Record | None) -> dict[str, str | None]:
        # The query names one record by its key; its other items are conditions on that
        # record, and a record that fails them is not the one the caller meant to change.
        if current is None or not _matches(current.values, criteria):
            raise _NoRecord
        return _merged(dataset, current, write)

    try:
        record = _write(client, dataset, key, "update", merge)
    except _NoRecord:
        return _not_found()
    return ContentOut(content=_shown(record.values))


_WRITE_RESPONSES: dict[int, Any] = {
    200: ContentOut,
    404: NOT_FOUND,
    **{k: v for k, v in ERRORS.items() if k != 404},
}


@router.put(
    "/data/{registry}/{version}/update",
    response=_WRITE_RESPONSES,
    auth=client_auth,
    openapi_extra=_data_headers(),
)
def update(
    request: HttpRequest, registry: str, version: str, payload: RegistryIn
) -> ContentOut | Status[RecordNotFoundOut]:
    """Change the record whose key is in ``query.content`` with the items of ``write.content``;
    items not named keep their values, an item given as null or "" is cleared."""
    return _update_one(request, registry, version)


@router.put(
    "/data/{registry}/{version}/updateEntries",
    response=_WRITE_RESPONSES,
    auth=client_auth,
    openapi_extra=_data_headers(),
)
def update_entries(
    request: HttpRequest, registry: str, version: str, payload: RegistryIn
) -> ContentOut | Status[RecordNotFoundOut]:
    """As ``update``: a query names records by their key, so it matches at most one."""
    return _update_one(request, registry, version)


router.add_api_operation(
    "/data/{registry}/{version}/update-entries",
    ["PUT"],
    update_entries,
    response=_WRITE_RESPONSES,
    auth=client_auth,
    include_in_schema=False,
)


@router.post(
    "/data/{registry}/{version}/updateOrCreate",
    response=_WRITE_RESPONSES,
    auth=client_auth,
    openapi_extra=_data_headers(),
)
def update_or_create(
    request: HttpRequest, registry: str, version: str, payload: RegistryIn
) -> ContentOut | Status[RecordNotFoundOut]:
    """Update the record whose key is in ``query.content``, or create it from ``write.content``
    when no record has that key. A record with the key that does not hold the query's other
    items is not changed: the answer is "no record found", as ``update`` gives."""
    client, dataset = _pusher(request, registry, version)
    write = _write_content(request)
    query = _given_query(_body(request))
    key = _key_of(dataset, (query or write).get(dataset.key_item_code))
    criteria = _criteria(dataset, query) if query is not None else {}

    def upsert(current: Record | None) -> dict[str, str | None]:
        if current is not None:
            if not _matches(current.values, criteria):
                raise _NoRecord
            return _merged(dataset, current, write)
        named = write.get(dataset.key_item_code)
        if _text(dataset.key_item_code, named) and _key_of(dataset, named) != key:
            raise InvalidInput(_("不能修改记录的主键。"), code="key_change", detail={})
        return _new_values(dataset, key, write)

    try:
        record = _write(client, dataset, key, "updateOrCreate", upsert)
    except _NoRecord:
        return _not_found()
    return ContentOut(content=_shown(record.values))


router.add_api_operation(
    "/data/{registry}/{version}/update-or-create",
    ["POST"],
    update_or_create,
    response=_WRITE_RESPONSES,
    auth=client_auth,
    include_in_schema=False,
)


@router.delete(
    "/data/{registry}/{version}/{key}/delete",
    response={204: None, 404: NOT_FOUND, **{k: v for k, v in ERRORS.items() if k != 404}},
    auth=client_auth,
    openapi_extra=_data_headers(),
)
def delete(
    request: HttpRequest, registry: str, version: str, key: str
) -> Status[None] | Status[RecordNotFoundOut]:
    """Withdraw a record of your department's registry by its key."""
    client, dataset = _pusher(request, registry, version)
    cleaned = _key_of(dataset, key)
    # Looked for under the lock the delete takes: of two deletes of one record
    # the second finds none, as a delete of a missing record does.
    try:
        actions.do_delete_record(
            dataset, cleaned, actor=actor_of(client), source_name="govstack:delete"
        )
    except NotFound as missing:
        if missing.code != "unknown_key":
            raise
        return _not_found(missing)
    return Status(204, None)


# --- The Information Mediator directory ------------------------------------------------------


def _member(department: Department) -> MediatorClientOut:
    return MediatorClientOut(
        name=department.name,
        id=ClientIdOut(
            objectType="MEMBER",
            instanceId=INSTANCE,
            memberClass=MEMBER_CLASS,
            memberCode=department.code,
        ),
    )


def _application(department: Department, code: str, name: str) -> MediatorClientOut:
    return MediatorClientOut(
        name=name,
        id=ClientIdOut(
            objectType="APPLICATION",
            instanceId=INSTANCE,
            memberClass=MEMBER_CLASS,
            memberCode=department.code,
            applicationCode=code,
        ),
    )


def _providers() -> set[int]:
    """The departments with a registry: a published resource with data connected."""
    return set(
        Resource.objects.filter(_CONNECTED, state=ResourceState.PUBLISHED).values_list(
            "provider_id", flat=True
        )
    )


# The directory's query parameters are codes; a longer one is an error in the request,
# which the specification answers with 400 (a schema's max_length would answer 422).
MAX_PARAMETER = 64


def _short(field: str, value: str | None) -> None:
    if value is not None and len(value) > MAX_PARAMETER:
        raise InvalidInput(
            _("查询参数过长（最多64个字符）。"),
            detail={"field": field, "max_length": MAX_PARAMETER},
        )


class ListClientsIn(Schema):
    instanceId: str | None = None


# A member has no applicationCode; the specification types it a string, so it is left out.
@router.get(
    "/im/listClients",
    response={200: ClientListOut, **ERRORS},
    auth=client_auth,
    exclude_none=True,
    openapi_extra=_directory_headers(required=False),
)
def list_clients(request: HttpRequest, params: Query[ListClientsIn]) -> ClientListOut:
    """The members (departments) and applications (their systems, and ``registries`` for each
    department that provides registries) of this instance; another instance has none here."""
    # The one directory operation whose specification does not require the header.
    _caller(request, required=None)
    _short("instanceId", params.instanceId)
    if params.instanceId and params.instanceId != INSTANCE:
        return ClientListOut(member=[])
    providers = _providers()
    clients = SystemClient.objects.filter(revoked_at__isnull=True).select_related("department")
    by_department: dict[int, list[SystemClient]] = {}
    for client in clients:
        by_department.setdefault(client.department_id, []).append(client)
    departments = Department.objects.filter(pk__in=set(by_department) | providers).order_by("code")
    out: list[MediatorClientOut] = []
    for department in departments:
        out.append(_member(department))
        if department.pk in providers:
            out.append(_application(department, PROVIDER_APPLICATION, str(_("数据共享登记簿"))))
        out.extend(
            _application(department, c.key_id, c.name) for c in by_department.get(department.pk, [])
        )
    return ClientListOut(member=out)


def _provider(instance: str, member_class: str, member: str, application: str) -> Department | None:
    """The department whose registries an application provides, or None for an application
    listClients lists that provides none (a department's own system).

    Malformed is 400; an identifier listClients does not list is 404.
    """
    if not (
        _NAME.fullmatch(instance)
        and _NAME.fullmatch(member_class)
        and _CODE.fullmatch(member)
        and _CODE.fullmatch(application)
    ):
        raise InvalidInput(_("服务提供方标识格式有误。"), code="invalid_identifier")
    department = (
        Department.objects.filter(code=member).first()
        if instance == INSTANCE and member_class == MEMBER_CLASS
        else None
    )
    if department is not None:
        if application == PROVIDER_APPLICATION and department.pk in _providers():
            return department
        if SystemClient.objects.filter(
            department=department, key_id=application, revoked_at__isnull=True
        ).exists():
            return None
    raise NotFound(_("没有这个服务提供方。"), code="unknown_provider")


def _registries(department: Department, service: str | None = None) -> list[Resource]:
    resources = (
        Resource.objects.filter(_CONNECTED, provider=department, state=ResourceState.PUBLISHED)
        .select_related("provider", "hosted_dataset")
        .prefetch_related("items")
        .order_by("code")
    )
    if service is not None:
        resources = resources.filter(code=service.replace("-", "/"))
    return list(resources)


def _is_hosted(resource: Resource) -> bool:
    """Whether the registry's records are held here; else the provider's own system
    answers look-ups by key, and nothing is written to it through the platform."""
    return getattr(resource, "hosted_dataset", None) is not None


def slug_of(resource: Resource) -> str:
    return resource.code.replace("/", "-")


# A published resource with its data connected: held here, or read through from the provider.
# A removed (断开) department API is no connection: only one not removed counts.
_CONNECTED = Q(hosted_dataset__isnull=False) | Q(connected_proxied())

READ_ENDPOINTS = (
    ("GET", ""),
    ("POST", "/read"),
    ("POST", "/exists"),
    ("GET", "/{ID}/readValue/{field}.json"),
)
WRITE_ENDPOINTS = (
    ("POST", "/create"),
    ("PUT", "/update"),
    ("PUT", "/updateEntries"),
    ("POST", "/updateOrCreate"),
    ("DELETE", "/{ID}/delete"),
)


def _base(resource: Resource) -> str:
    return f"/api/govstack/data/{slug_of(resource)}/{VERSION}"


def _service(
    department: Department, resource: Resource, endpoints: Iterable[tuple[str, str]]
) -> MediatorServiceOut:
    base = _base(resource)
    return MediatorServiceOut(
        objectType="SERVICE",
        serviceType="REST",
        instanceId=INSTANCE,
        memberClass=MEMBER_CLASS,
        memberCode=department.code,
        applicationCode=PROVIDER_APPLICATION,
        serviceCode=slug_of(resource),
        serviceVersion=VERSION,
        endpointList=EndpointListOut(
            member=[EndpointOut(method=m, path=base + p) for m, p in endpoints]
        ),
    )


def _may_read(client: SystemClient, resource: Resource) -> bool:
    """Whether a governed read would let any item of the resource leave for this client."""
    if READ_SHARED not in client.scopes:
        return False
    call = governed.Call(client, governed.Operation.LOOK_UP, slug_of(resource), "directory")
    try:
        governed.authorise(call, None)
    except governed.Refused:
        return False
    return True


class MethodsIn(Schema):
    serviceId: str | None = None


def _methods(
    request: HttpRequest,
    instance: str,
    member_class: str,
    member: str,
    application: str,
    service: str | None,
    *,
    allowed_only: bool,
) -> ServiceListOut:
    client = _caller(request, required=DIRECTORY_CLIENT_HEADER)
    _short("serviceId", service)
    department = _provider(instance, member_class, member, application)
    services: list[MediatorServiceOut] = []
    if department is None:
        # A system is an application that provides no services here.
        return ServiceListOut(member=services)
    for resource in _registries(department, service or None):
        writable = _is_hosted(resource)
        if not allowed_only:
            offered = READ_ENDPOINTS + (WRITE_ENDPOINTS if writable else ())
            services.append(_service(department, resource, offered))
            continue
        endpoints: list[tuple[str, str]] = []
        if _may_read(client, resource):
            endpoints.extend(READ_ENDPOINTS)
        if writable and PUSH_RECORDS in client.scopes and client.department_id == department.pk:
            endpoints.extend(WRITE_ENDPOINTS)
        if endpoints:
            services.append(_service(department, resource, endpoints))
    return ServiceListOut(member=services)


def list_methods(
    request: HttpRequest,
    instance: str,
    member_class: str,
    member: str,
    application: str,
    params: Query[MethodsIn],
) -> ServiceListOut:
    """The registries a department provides, each with all its operations."""
    return _methods(
        request, instance, member_class, member, application, params.serviceId, allowed_only=False
    )


def allowed_methods(
    request: HttpRequest,
    instance: str,
    member_class: str,
    member: str,
    application: str,
    params: Query[MethodsIn],
) -> ServiceListOut:
    """The registries and operations of a department that your system may call: reads where the
    catalog and your grants let at least one item leave, writes for your own department."""
    return _methods(
        request, instance, member_class, member, application, params.serviceId, allowed_only=True
    )


class OpenApiIn(Schema):
    serviceCode: str | None = None


def get_openapi(
    request: HttpRequest,
    instance: str,
    member_class: str,
    member: str,
    application: str,
    params: Query[OpenApiIn],
) -> str:
    """The OpenAPI 3 description of one registry's operations, as a JSON string."""
    _caller(request, required=DIRECTORY_CLIENT_HEADER)
    _short("serviceCode", params.serviceCode)
    code = params.serviceCode or ""
    if not _CODE.fullmatch(code):
        raise InvalidInput(_("请提供有效的 serviceCode。"), code="invalid_service_code")
    department = _provider(instance, member_class, member, application)
    resources = _registries(department, code) if department is not None else []
    if not resources:
        raise NotFound(_("没有这个服务。"), code="unknown_service")
    return json.dumps(registry_openapi(resources[0]), ensure_ascii=False)


_DIRECTORY = (
    ("listMethods", list_methods, ServiceListOut),
    ("allowedMethods", allowed_methods, ServiceListOut),
    ("getOpenAPI", get_openapi, str),
)
for _name, _view, _out in _DIRECTORY:
    # The specification puts the directory under /r1/; GovStack's test suite calls it without.
    for _prefix, _listed in (("/im/r1", True), ("/im", False)):
        router.add_api_operation(
            f"{_prefix}/{{instance}}/{{member_class}}/{{member}}/{{application}}/{_name}",
            ["GET"],
            _view,
            response={200: _out, **ERRORS},
            auth=client_auth,
            include_in_schema=_listed,
            openapi_extra=_directory_headers(),
        )


def _record_schema(resource: Resource) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for item in resource.items.all():
        if item.data_type == "BY":
            continue
        prop: dict[str, Any] = {"type": "string", "description": item.name}
        if item.length:
            prop["maxLength"] = item.length
        if item.is_personal:
            prop["x-personal"] = True
        properties[item.code] = prop
    return {"type": "object", "properties": properties}


def registry_openapi(resource: Resource) -> dict[str, Any]:
    """An OpenAPI 3 document for one registry: the GovStack operations over its items."""
    record = {"$ref": "#/components/schemas/Record"}
    content_body = {"type": "object", "properties": {"content": record}, "required": ["content"]}
    query_body = {
        "type": "object",
        "properties": {"query": content_body},
        "required": ["query"],
    }
    write_body = {
        "type": "object",
        "properties": {"query": content_body, "write": content_body},
        "required": ["write"],
    }
    client_header = _client_header(DATA_CLIENT_HEADER)
    # Every read states its purpose; the provider's own writes need none.
    read_headers = [_purpose_header(), client_header]
    write_headers = [client_header]
    key_param = {"name": "ID", "in": "path", "required": True, "schema": {"type": "string"}}

    def operation(
        op_id: str, summary: str, body: dict[str, Any] | None, ok: dict[str, Any]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "operationId": op_id,
            "summary": summary,
            "parameters": list(write_headers if body is write_body else read_headers),
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": ok}}},
                "default": {"description": "{code, message, detail}"},
            },
        }
        if body is not None:
            out["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": body}},
            }
        return out

    content_out = {"type": "object", "properties": {"content": record}}
    base = _base(resource)
    writes: dict[str, Any] = {
        f"{base}/create": {"post": operation("create", "create", write_body, content_out)},
        f"{base}/update": {"put": operation("update", "update", write_body, content_out)},
        f"{base}/updateEntries": {
            "put": operation("updateEntries", "updateEntries", write_body, content_out)
        },
        f"{base}/updateOrCreate": {
            "post": operation("updateOrCreate", "updateOrCreate", write_body, content_out)
        },
        f"{base}/{{ID}}/delete": {
            "delete": {
                "operationId": "delete",
                "summary": "delete",
                "parameters": [*write_headers, key_param],
                "responses": {"204": {"description": "deleted"}},
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"{resource.name} ({resource.code})",
            "version": VERSION,
            "description": resource.abstract,
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            base: {
                "get": operation(
                    "list",
                    "list",
                    None,
                    {
                        "type": "object",
                        "properties": {"results": {"type": "array", "items": record}},
                    },
                )
            },
            f"{base}/read": {"post": operation("read", "read", query_body, content_out)},
            f"{base}/exists": {
                "post": operation(
                    "exists",
                    "exists",
                    query_body,
                    {"type": "object", "properties": {"answer": {"type": "object"}}},
                )
            },
            f"{base}/{{ID}}/readValue/{{field}}.json": {
                "get": {
                    **operation("readValue", "readValue", None, {"type": "string"}),
                    "parameters": [
                        *read_headers,
                        key_param,
                        {
                            "name": "field",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                }
            },
            # A registry proxied to the provider's own system is read by key only.
            **(writes if _is_hosted(resource) else {}),
        },
        "components": {
            "schemas": {"Record": _record_schema(resource)},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }

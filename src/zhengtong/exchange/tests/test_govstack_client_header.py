"""GovStack's client header is required where the specifications require it.

The Data API requires ``Information-Mediator-Client`` on every operation,
myPersonalDataUsage included; the directory requires ``X-GovStack-Client`` on
every operation but listClients. A call without it is refused with 400
``bad_client_header`` once the caller is authenticated, before anything is
read or written; a governed read refused so is in the access log and the
ledger like every refused read. The market bureau's system (市场主体登记系统)
writes its enterprise registry; the county bureau's approval system reads it;
张三 asks who read his data.
"""

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from zhengtong.core.testing import make_credit_code
from zhengtong.exchange.govstack import (
    DATA_CLIENT_HEADER,
    DIRECTORY_CLIENT_HEADER,
    client_identifier,
)
from zhengtong.exchange.models import AccessLog, DatasetVersion, Record
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import ENTERPRISES, Sharing, logged_in, make_sharing
from zhengtong.ledger.models import LedgerEntry

FIRMS = ENTERPRISES.replace("/", "-")
DATA = f"/api/govstack/data/{FIRMS}/1.0"
PROVIDER = "/api/govstack/im/r1/ZHENGTONG/GOV/cs-market/registries"
PURPOSE = "企业名录核对"
NEW_SEQ = 77


@dataclass(frozen=True)
class Operation:
    who: str  # reader, pusher or citizen
    method: str
    path: str  # {uscc} and {id_number} are filled in
    body: dict[str, Any] | None
    header: str  # the header the specification requires
    ok: int
    logged_as: str | None = None  # a governed read's operation in the access log


def _query() -> dict[str, Any]:
    return {"query": {"content": {"uscc": "{uscc}"}}}


def _write(name: str) -> dict[str, Any]:
    return {"query": {"content": {"uscc": "{uscc}"}}, "write": {"content": {"name": name}}}


OPERATIONS = {
    "read": Operation(
        "reader", "post", f"{DATA}/read", _query(), DATA_CLIENT_HEADER, 200, "look_up"
    ),
    # With an item besides the key, exists verifies (核验): a verify either way.
    "exists": Operation(
        "reader",
        "post",
        f"{DATA}/exists",
        {"query": {"content": {"uscc": "{uscc}", "name": "某公司"}}},
        DATA_CLIENT_HEADER,
        200,
        "verify",
    ),
    "list": Operation("reader", "get", DATA, None, DATA_CLIENT_HEADER, 200, "read_changes"),
    "readValue": Operation(
        "reader",
        "get",
        f"{DATA}/{{uscc}}/readValue/name.json",
        None,
        DATA_CLIENT_HEADER,
        200,
        "look_up",
    ),
    "create": Operation(
        "pusher",
        "post",
        f"{DATA}/create",
        {"write": {"content": {"uscc": "{new}", "name": "新开张餐馆"}}},
        DATA_CLIENT_HEADER,
        200,
    ),
    "update": Operation(
        "pusher", "put", f"{DATA}/update", _write("改名餐馆"), DATA_CLIENT_HEADER, 200
    ),
    "updateEntries": Operation(
        "pusher", "put", f"{DATA}/updateEntries", _write("改名餐馆"), DATA_CLIENT_HEADER, 200
    ),
    "updateOrCreate": Operation(
        "pusher", "post", f"{DATA}/updateOrCreate", _write("改名餐馆"), DATA_CLIENT_HEADER, 200
    ),
    "delete": Operation(
        "pusher", "delete", f"{DATA}/{{uscc}}/delete", None, DATA_CLIENT_HEADER, 204
    ),
    "myPersonalDataUsage": Operation(
        "citizen",
        "get",
        "/api/govstack/data/myPersonalDataUsage?userId={id_number}",
        None,
        DATA_CLIENT_HEADER,
        200,
    ),
    "listMethods": Operation(
        "reader", "get", f"{PROVIDER}/listMethods", None, DIRECTORY_CLIENT_HEADER, 200
    ),
    "allowedMethods": Operation(
        "reader", "get", f"{PROVIDER}/allowedMethods", None, DIRECTORY_CLIENT_HEADER, 200
    ),
    "getOpenAPI": Operation(
        "reader",
        "get",
        f"{PROVIDER}/getOpenAPI?serviceCode={FIRMS}",
        None,
        DIRECTORY_CLIENT_HEADER,
        200,
    ),
}


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _fill(text: str, sharing: Sharing) -> str:
    return (
        text.replace("{uscc}", sharing.uscc)
        .replace("{new}", make_credit_code(seq=NEW_SEQ))
        .replace("{id_number}", sharing.person.id_number)
    )


def _http(sharing: Sharing, who: str) -> Client:
    if who == "citizen":
        return logged_in(sharing.citizen)
    return sharing.api(sharing.reader_token if who == "reader" else sharing.pusher_token)


def _identifier(sharing: Sharing, who: str) -> str:
    if who == "citizen":
        return "ZHENGTONG/GOV/cs-gov/portal"
    return client_identifier(sharing.reader if who == "reader" else sharing.pusher)


def _call(sharing: Sharing, operation: Operation, headers: dict[str, str]) -> Any:
    http = _http(sharing, operation.who)
    headers = {"Zhengtong-Purpose": quote(PURPOSE), **headers}
    path = _fill(operation.path, sharing)
    if operation.body is None:
        return http.generic(operation.method.upper(), path, headers=headers)
    body = _fill(json.dumps(operation.body, ensure_ascii=False), sharing)
    return http.generic(
        operation.method.upper(),
        path,
        body.encode(),
        content_type="application/json",
        headers=headers,
    )


def _state(sharing: Sharing) -> tuple[int, int, dict[str, Any], bool]:
    """The ledger's length, the registry's versions, the firm's record and whether the new
    firm was created."""
    records = Record.objects.filter(dataset__resource=sharing.enterprises)
    return (
        LedgerEntry.objects.count(),
        DatasetVersion.objects.filter(dataset__resource=sharing.enterprises).count(),
        records.get(key=sharing.uscc).values,
        records.filter(key=make_credit_code(seq=NEW_SEQ)).exists(),
    )


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_an_operation_without_the_client_header_is_refused_and_does_nothing(
    sharing: Sharing, name: str
) -> None:
    operation = OPERATIONS[name]
    ledger, versions, record, created = _state(sharing)
    answer = _call(sharing, operation, {})
    assert answer.status_code == 400, answer.content
    assert answer.json() == {
        "code": "bad_client_header",
        "message": f"请求头缺少 {operation.header}。",
        "detail": {"header": operation.header},
    }
    # Nothing written: no version, the record as it was, no new record.
    assert _state(sharing)[1:] == (versions, record, created)
    if operation.logged_as is None:
        assert LedgerEntry.objects.count() == ledger
        assert not AccessLog.objects.exists()
        return
    # A governed read refused so is in the log and the ledger, and read no key.
    log = AccessLog.objects.get()
    assert (log.operation, log.result) == (operation.logged_as, "bad_client_header")
    assert log.data["purpose"] == PURPOSE
    assert log.data["keys"] == []
    assert LedgerEntry.objects.count() == ledger + 1


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_an_operation_with_the_client_header_is_served(sharing: Sharing, name: str) -> None:
    operation = OPERATIONS[name]
    _ledger, versions, _record, _created = _state(sharing)
    identifier = _identifier(sharing, operation.who)
    answer = _call(sharing, operation, {operation.header: identifier})
    assert answer.status_code == operation.ok, answer.content
    if operation.logged_as is not None:
        log = AccessLog.objects.get()
        assert (log.operation, log.result) == (operation.logged_as, "ok")
    if operation.who == "pusher":
        assert _state(sharing)[1] == versions + 1


def test_a_call_without_credentials_is_refused_as_such_before_its_header(
    sharing: Sharing,
) -> None:
    for name in ("read", "create", "listMethods", "myPersonalDataUsage"):
        operation = OPERATIONS[name]
        path = _fill(operation.path, sharing)
        answer = Client().generic(operation.method.upper(), path)
        assert answer.status_code == 401, (name, answer.content)
    assert not AccessLog.objects.exists()


def test_either_name_of_the_header_is_taken_on_either_interface(sharing: Sharing) -> None:
    reader = sharing.api(sharing.reader_token)
    identifier = client_identifier(sharing.reader)
    for name in ("read", "list", "listMethods", "getOpenAPI"):
        for header in (DATA_CLIENT_HEADER, DIRECTORY_CLIENT_HEADER):
            answer = _call(sharing, OPERATIONS[name], {header: identifier})
            assert answer.status_code == 200, (name, header, answer.content)
    # listClients is the one directory operation the specification leaves it off.
    assert reader.get("/api/govstack/im/listClients").status_code == 200
    # Sent under both names, each must name the caller.
    both = _call(
        sharing,
        OPERATIONS["read"],
        {DATA_CLIENT_HEADER: identifier, DIRECTORY_CLIENT_HEADER: "ZHENGTONG/GOV/cs-market/x"},
    )
    assert both.status_code == 403 and both.json()["code"] == "client_mismatch"
    assert both.json()["detail"]["header"] == DIRECTORY_CLIENT_HEADER


def test_a_half_empty_client_header_is_malformed_for_a_system_and_a_person(
    sharing: Sharing,
) -> None:
    for name in ("read", "create", "allowedMethods", "myPersonalDataUsage"):
        operation = OPERATIONS[name]
        for claimed in ("ZHENGTONG/GOV//portal", "///", ""):
            answer = _call(sharing, operation, {operation.header: claimed})
            assert answer.status_code == 400, (name, claimed, answer.content)
            assert answer.json()["code"] == "bad_client_header"
            assert answer.json()["message"] == "请求头应为 INSTANCE/CLASS/MEMBER/SUBSYSTEM 格式。"
    # A person is not a system: any well-formed identifier is taken from them.
    usage = OPERATIONS["myPersonalDataUsage"]
    answer = _call(sharing, usage, {DATA_CLIENT_HEADER: "eGovStack/GOV/90000009/portal"})
    assert answer.status_code == 200, answer.content


def test_the_openapi_documents_say_the_client_header_is_required(sharing: Sharing) -> None:
    document = Client().get("/api/openapi.json").json()

    def header(path: str, name: str) -> dict[str, Any]:
        [operation] = document["paths"][path].values()
        [found] = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == name]
        return found  # type: ignore[no-any-return]

    data = [p for p in document["paths"] if p.startswith("/api/govstack/data/")]
    assert len(data) == 10
    for path in data:
        assert header(path, DATA_CLIENT_HEADER)["required"] is True, path
    directory = [p for p in document["paths"] if p.startswith("/api/govstack/im/r1/")]
    assert len(directory) == 3
    for path in directory:
        assert header(path, DIRECTORY_CLIENT_HEADER)["required"] is True, path
    assert header("/api/govstack/im/listClients", DIRECTORY_CLIENT_HEADER)["required"] is False
    # The registry's own description, from getOpenAPI, says so for each of its operations.
    answer = _call(
        sharing,
        OPERATIONS["getOpenAPI"],
        {DIRECTORY_CLIENT_HEADER: client_identifier(sharing.reader)},
    )
    registry = json.loads(answer.json())
    operations = [op for path in registry["paths"].values() for op in path.values()]
    assert len(operations) == 9
    for operation in operations:
        [client] = [p for p in operation["parameters"] if p["name"] == DATA_CLIENT_HEADER]
        assert client["required"] is True, operation["operationId"]

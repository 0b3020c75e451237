"""A system without the scope to read shared data is refused, and the refusal is logged.

Every call of a department system on the shared-data operations is one
access-log row and one ledger entry, the calls refused at the door for a
missing scope (``scope_missing``) included.
"""

from typing import Any
from urllib.parse import quote

import pytest

from zhengtong.exchange.models import AccessLog, DatasetVersion
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import PURPOSE, make_sharing
from zhengtong.ledger.models import LedgerEntry

SLUG = "102000000-000002"
GOVSTACK = f"/api/govstack/data/{SLUG}/1.0"
HEADERS = {"Zhengtong-Purpose": quote(PURPOSE)}


def _calls(uscc: str) -> list[tuple[str, str, str, dict[str, Any] | None]]:
    """(method, path, operation as logged, JSON body) of every governed read."""
    return [
        ("post", f"/api/exchange/shared/{SLUG}/look-up", "look_up", {"key": uscc}),
        ("post", f"/api/exchange/shared/{SLUG}/batch-look-up", "batch_look_up", {"keys": [uscc]}),
        (
            "post",
            f"/api/exchange/shared/{SLUG}/verify",
            "verify",
            {"key": uscc, "claims": {"name": "某公司"}},
        ),
        ("get", f"/api/exchange/shared/{SLUG}/changes?purpose=x&cursor=0", "read_changes", None),
        ("post", f"{GOVSTACK}/read", "look_up", {"query": {"content": {"uscc": uscc}}}),
        ("post", f"{GOVSTACK}/exists", "verify", {"query": {"content": {"uscc": uscc}}}),
        ("get", GOVSTACK, "read_changes", None),
        ("get", f"{GOVSTACK}/{uscc}/readValue/name.json", "look_up", None),
    ]


CALLS = [
    "look-up",
    "batch-look-up",
    "verify",
    "changes",
    "govstack-read",
    "govstack-exists",
    "govstack-list",
    "govstack-read-value",
]


@pytest.mark.parametrize("index", range(len(CALLS)), ids=CALLS)
def test_a_read_by_a_system_without_the_read_scope_is_refused_and_logged(
    cast: ExchangeCast, index: int
) -> None:
    sharing = make_sharing(cast)
    method, path, operation, body = _calls(sharing.uscc)[index]
    # The market bureau's pushing system holds exchange.push_records only.
    http = sharing.api(sharing.pusher_token)
    before = LedgerEntry.objects.count()
    if method == "post":
        body = {**(body or {}), "purpose": PURPOSE}
        answer = http.post(path, body, "application/json", headers=HEADERS)
    else:
        answer = http.get(path, headers=HEADERS)
    assert answer.status_code == 403, answer.content
    assert answer.json()["code"] == "scope_missing"
    log = AccessLog.objects.get()
    assert log.client_id == sharing.pusher.pk
    assert log.operation == operation
    assert log.result == log.data["result"] == "scope_missing"
    # No key was read, so none is named.
    assert log.data["keys"] == []
    entry = LedgerEntry.objects.get(seq=log.ledger_seq)
    assert entry.action == f"exchange.{operation}"
    assert LedgerEntry.objects.count() == before + 1


WRITES = {
    "push": ("post", f"/api/exchange/shared/{SLUG}/records", "load_dataset"),
    "delete": ("post", f"/api/exchange/shared/{SLUG}/records:delete", "delete_records"),
    "govstack-create": ("post", f"{GOVSTACK}/create", "load_dataset"),
    "govstack-update": ("put", f"{GOVSTACK}/update", "load_dataset"),
    "govstack-update-entries": ("put", f"{GOVSTACK}/updateEntries", "load_dataset"),
    "govstack-update-or-create": ("post", f"{GOVSTACK}/updateOrCreate", "load_dataset"),
    "govstack-delete": ("delete", f"{GOVSTACK}/{{key}}/delete", "delete_records"),
}


def _write_body(uscc: str, path: str) -> dict[str, Any]:
    if path.endswith("/records"):
        return {"rows": [{"uscc": uscc, "name": "某公司"}]}
    if path.endswith("records:delete"):
        return {"keys": [uscc]}
    return {"query": {"content": {"uscc": uscc}}, "write": {"content": {"name": "某公司"}}}


@pytest.mark.parametrize("name", list(WRITES))
def test_a_write_by_a_system_without_the_push_scope_is_refused_and_logged(
    cast: ExchangeCast, name: str
) -> None:
    sharing = make_sharing(cast)
    method, path, operation = WRITES[name]
    path = path.format(key=sharing.uscc)
    # The county bureau's reading system holds exchange.read_shared only.
    http = sharing.api(sharing.reader_token)
    before = LedgerEntry.objects.count()
    versions = DatasetVersion.objects.count()
    if method == "delete":
        answer = http.delete(path)
    else:
        call = http.post if method == "post" else http.put
        answer = call(path, _write_body(sharing.uscc, path), "application/json")
    assert answer.status_code == 403, answer.content
    assert answer.json()["code"] == "scope_missing"
    log = AccessLog.objects.get()
    assert log.client_id == sharing.reader.pk
    assert log.operation == operation
    assert log.result == log.data["result"] == "scope_missing"
    assert log.data["keys"] == []
    entry = LedgerEntry.objects.get(seq=log.ledger_seq)
    assert entry.action == f"exchange.{operation}"
    assert LedgerEntry.objects.count() == before + 1
    assert DatasetVersion.objects.count() == versions


def test_a_push_refused_for_another_reason_is_not_logged_as_a_call(cast: ExchangeCast) -> None:
    sharing = make_sharing(cast)
    # The pushing system holds the scope; its body lacks the rows it must have.
    answer = sharing.api(sharing.pusher_token).post(
        f"/api/exchange/shared/{SLUG}/records", {"rows": "某公司"}, "application/json"
    )
    assert answer.status_code == 422
    assert not AccessLog.objects.exists()

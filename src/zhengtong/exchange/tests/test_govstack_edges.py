"""The GovStack profile at its edges: concurrent writes, refused list parameters, long keys.

The market bureau's own system (市场主体登记系统) writes its enterprise
registry; the county bureau's approval system reads it.
"""

import threading
import time
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connections
from django.test import Client

from zhengtong.catalog.actions import ItemInput
from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.testing import make_credit_code
from zhengtong.exchange import actions
from zhengtong.exchange.models import AccessLog, DatasetVersion, HostedDataset, Record
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import ENTERPRISES, Sharing, make_sharing, publish
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry

FIRMS = ENTERPRISES.replace("/", "-")
CODES = "102000000-000008"
PURPOSE = {"Zhengtong-Purpose": quote("企业名录同步")}


def _data(registry: str, op: str = "") -> str:
    return f"/api/govstack/data/{registry}/1.0{op}"


def _ledger_and_log() -> tuple[int, int]:
    return LedgerEntry.objects.count(), AccessLog.objects.count()


# --- Concurrent writes ------------------------------------------------------------------------


def _skip_on_sqlite() -> None:
    if connections["default"].vendor == "sqlite":
        # The in-memory test database serialises every transaction; the lost
        # write needs two connections that really overlap (PostgreSQL runs this).
        pytest.skip("the SQLite test database lives in memory (PostgreSQL runs this)")


def _slow_row_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the gap between a write's reading the record and its storing the new one.

    Every write checks its row between the two, so two writes started together
    both read before either stores, unless the read is inside the write's lock.
    """
    check = actions._check_row

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)
        return check(*args, **kwargs)

    monkeypatch.setattr(actions, "_check_row", slow)


def _together(*calls: Any) -> list[Any]:
    start = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            start.wait()
            answers[index] = calls[index]()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_updates_of_one_record_both_stay(
    cast: ExchangeCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    _skip_on_sqlite()
    sharing = make_sharing(cast)
    _slow_row_checks(monkeypatch)

    def update(content: dict[str, str]) -> Any:
        return sharing.govstack(sharing.pusher_token).put(
            _data(FIRMS, "/update"),
            {"query": {"content": {"uscc": sharing.uscc}}, "write": {"content": content}},
            "application/json",
        )

    renamed, rephoned = _together(
        lambda: update({"name": "长沙新名称餐饮有限公司"}),
        lambda: update({"phone": "13900000000"}),
    )
    assert renamed.status_code == 200 and rephoned.status_code == 200
    record = Record.objects.get(dataset__resource=sharing.enterprises, key=sharing.uscc)
    assert record.values["name"] == "长沙新名称餐饮有限公司"
    assert record.values["phone"] == "13900000000"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_two_concurrent_creates_of_one_key_the_second_already_exists(
    cast: ExchangeCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    _skip_on_sqlite()
    sharing = make_sharing(cast)
    _slow_row_checks(monkeypatch)
    new = make_credit_code(seq=61)

    def create(name: str) -> Any:
        return sharing.govstack(sharing.pusher_token).post(
            _data(FIRMS, "/create"),
            {"write": {"content": {"uscc": new, "name": name}}},
            "application/json",
        )

    answers = _together(lambda: create("甲餐馆"), lambda: create("乙餐馆"))
    assert sorted(a.status_code for a in answers) == [200, 409]
    [refused] = [a for a in answers if a.status_code == 409]
    assert refused.json()["code"] == "already_exists"
    [kept] = [a for a in answers if a.status_code == 200]
    record = Record.objects.get(dataset__resource=sharing.enterprises, key=new)
    assert record.values["name"] == kept.json()["content"]["name"]
    # One version made the record; the refused create made none.
    assert DatasetVersion.objects.filter(dataset__resource=sharing.enterprises).count() == 2


# --- list parameters out of bounds ------------------------------------------------------------


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def test_a_list_refused_for_its_parameters_is_logged_like_any_refused_read(
    sharing: Sharing,
) -> None:
    http = sharing.govstack(sharing.reader_token)
    before_ledger, before_log = _ledger_and_log()
    refused = [
        http.get(_data(FIRMS), {"pageSize": 5000}, headers=PURPOSE),
        http.get(_data(FIRMS), {"pageSize": 0}, headers=PURPOSE),
        http.get(_data(FIRMS), {"cursor": -1}, headers=PURPOSE),
        http.get(_data(FIRMS), {"page": 0}, headers=PURPOSE),
        http.get(_data(FIRMS, "/"), {"pageSize": 5000}, headers=PURPOSE),
    ]
    # The page's window is refused as the native change feed refuses it.
    codes = ["invalid_limit", "invalid_limit", "invalid_cursor", "invalid_page", "invalid_limit"]
    assert [a.json()["code"] for a in refused] == codes
    assert [a.status_code for a in refused] == [400] * 5
    logs = list(AccessLog.objects.order_by("ledger_seq"))
    assert len(logs) == before_log + 5
    assert [(log.operation, log.result) for log in logs[before_log:]] == [
        ("read_changes", code) for code in codes
    ]
    assert {log.data["purpose"] for log in logs} == {"企业名录同步"}
    assert {log.data["resource"] for log in logs} == {FIRMS}
    assert LedgerEntry.objects.count() == before_ledger + 5
    # A list within bounds is logged once, as before.
    assert http.get(_data(FIRMS), {"pageSize": 1000}, headers=PURPOSE).status_code == 200
    assert AccessLog.objects.count() == before_log + 6


def test_a_writes_refusal_is_not_taken_for_a_read(sharing: Sharing) -> None:
    before = _ledger_and_log()
    bad = sharing.govstack(sharing.pusher_token).post(
        _data(FIRMS, "/create"), "[1]", "application/json"
    )
    assert bad.status_code == 422
    assert _ledger_and_log() == before


# --- Keys longer than a key may be ------------------------------------------------------------


def test_a_key_longer_than_a_key_may_be_is_refused_before_anything_is_written(
    sharing: Sharing,
) -> None:
    # The item allows 300 characters, more than any key is kept with.
    resource = publish(
        sharing.cast,
        replace(
            resource_input(CODES.replace("-", "/")),
            items=[ItemInput("code", "编号", "C", 300), ItemInput("name", "名称", "C", 40)],
        ),
    )
    dataset = actions.do_register_hosted_dataset(
        resource, "code", actor=actor_of(sharing.cast.catalog.officer)
    )
    http = sharing.govstack(sharing.pusher_token)
    long_key = "K" * (actions.KEY_MAX_LENGTH + 1)
    before = _ledger_and_log()
    answers = [
        http.post(
            _data(CODES, "/create"),
            {"write": {"content": {"code": long_key, "name": "甲"}}},
            "application/json",
        ),
        http.post(
            _data(CODES, "/updateOrCreate"),
            {"query": {"content": {"code": long_key}}, "write": {"content": {"name": "乙"}}},
            "application/json",
        ),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.json()
        assert answer.json()["code"] == "bad_key"
        assert answer.json()["detail"] == {"item": "code", "max_length": actions.KEY_MAX_LENGTH}
    assert not DatasetVersion.objects.filter(dataset=dataset).exists()
    assert _ledger_and_log() == before
    longest = "K" * actions.KEY_MAX_LENGTH
    kept = http.post(
        _data(CODES, "/create"),
        {"write": {"content": {"code": longest, "name": "丙"}}},
        "application/json",
    )
    assert kept.status_code == 200 and kept.json()["content"]["code"] == longest
    assert HostedDataset.objects.get(pk=dataset.pk).versions.count() == 1


def test_an_anonymous_list_is_not_logged(sharing: Sharing) -> None:
    before = _ledger_and_log()
    answer = Client().get(_data(FIRMS), {"pageSize": 5000}, headers=PURPOSE)
    assert answer.status_code in {401, 422}
    assert _ledger_and_log() == before


# --- Concurrent deletes -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_two_concurrent_deletes_of_one_record_the_second_finds_no_record(
    cast: ExchangeCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    _skip_on_sqlite()
    sharing = make_sharing(cast)
    # Each delete opens its version while it holds the dataset's lock: slowed
    # down, the first holds it while the second looks for the record.
    new_version = actions._new_version

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)
        return new_version(*args, **kwargs)

    monkeypatch.setattr(actions, "_new_version", slow)
    versions = DatasetVersion.objects.filter(dataset__resource=sharing.enterprises)
    before = versions.count()
    deletes = LedgerEntry.objects.filter(action="exchange.delete_records")

    def delete() -> Any:
        return sharing.govstack(sharing.pusher_token).delete(
            _data(FIRMS, f"/{sharing.uscc}/delete")
        )

    answers = _together(delete, delete)
    assert sorted(a.status_code for a in answers) == [204, 404]
    [missing] = [a for a in answers if a.status_code == 404]
    assert missing.json()["detail"] == "no record found"
    assert missing.json()["code"] == "unknown_key"
    # One version withdrew the record; the second delete made none.
    assert versions.count() == before + 1
    assert versions.order_by("-number").first().deleted == 1  # type: ignore[union-attr]
    assert deletes.count() == 1

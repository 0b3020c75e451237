"""Governed calls committed as a web server commits them: outside any test transaction.

Each call's ledger entry and access-log row are written by the group-commit
writer (or one transaction per call when it is switched off); the rate limit
is counted in that write (every authorised call, against a grant still in
force), and a call whose write fails gets no answer; it alone, not the other
calls of its batch.
"""

import datetime as dt
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connections
from django.test import Client, override_settings
from django.utils import timezone

from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.testing import TEST_ACTOR, documented_statuses, make_credit_code
from zhengtong.exchange import actions, audit_writer, governed
from zhengtong.exchange.models import AccessLog, AccessSubject, Grant
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.conftest import SOME_MINUTE
from zhengtong.exchange.tests.test_governed import SLUG, publish
from zhengtong.identity.actions import do_issue_client
from zhengtong.identity.actors import actor_of
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def granted(cast: ExchangeCast) -> dict[str, Any]:
    """A hosted record and a county system granted its phone item, two calls a minute."""
    officer = actor_of(cast.catalog.officer)
    resource = publish(cast, resource_input("102000000/000002"))
    dataset = actions.do_register_hosted_dataset(resource, "uscc", actor=officer)
    uscc = make_credit_code()
    actions.do_load_dataset_rows(
        dataset,
        [{"uscc": uscc, "name": "长沙某某餐饮有限公司", "phone": "13812345678"}],
        actor=officer,
        source_name="rows.csv",
    )
    client, secret = do_issue_client(
        cast.catalog.county, "芙蓉区审批系统", ["exchange.read_shared"], actor=TEST_ACTOR
    )
    application = actions.do_apply_for_access(
        resource,
        client,
        actions.ApplicationInput(
            purpose="食品经营许可审批中联系申请企业",
            legal_basis="《食品经营许可和备案管理办法》第十条",
            fields=["name", "phone"],
            duration_days=30,
            expected_per_day=10,
        ),
        actor=actor_of(cast.catalog.county_officer),
    )
    actions.do_grant_application(application, actor=officer, rate_per_minute=2)
    http = Client(HTTP_AUTHORIZATION=f"Bearer {client.key_id}.{secret}")
    return {"uscc": uscc, "http": http}


def _look_up(granted: dict[str, Any]) -> Any:
    return granted["http"].post(
        f"/api/exchange/shared/{SLUG}/look-up",
        {"key": granted["uscc"], "purpose": "联系企业", "fields": ["phone"]},
        "application/json",
    )


@pytest.mark.parametrize("group_commit", [True, False])
@pytest.mark.usefixtures("one_minute")
def test_calls_over_the_grants_rate_are_refused_and_each_call_is_logged_once(
    granted: dict[str, Any], group_commit: bool
) -> None:
    before = LedgerEntry.objects.count()
    with override_settings(EXCHANGE_GROUP_COMMIT=group_commit):
        answers = [_look_up(granted) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].json()["values"]["phone"] == "138****5678"
    assert answers[2].json()["code"] == "rate_limited"
    assert 429 in documented_statuses("POST", "/api/exchange/shared/{slug}/look-up")
    logs = list(AccessLog.objects.order_by("ledger_seq"))
    assert [log.result for log in logs] == ["ok", "ok", "rate_limited"]
    assert [log.data["result"] for log in logs] == ["ok", "ok", "rate_limited"]
    assert LedgerEntry.objects.count() == before + 3
    entries = LedgerEntry.objects.filter(seq__in=[log.ledger_seq for log in logs])
    assert {e.action for e in entries} == {"exchange.look_up"}
    assert AccessSubject.objects.filter(log__in=logs).count() == 3


@pytest.mark.parametrize("group_commit", [True, False])
def test_the_rate_counts_each_minute_afresh_however_many_calls_were_refused(
    granted: dict[str, Any], group_commit: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    minute = SOME_MINUTE
    clock = SimpleNamespace(time=lambda: minute * 60.0 + 30, monotonic=time.monotonic)
    monkeypatch.setattr(audit_writer, "time", clock)
    with override_settings(EXCHANGE_GROUP_COMMIT=group_commit):
        first = [_look_up(granted).status_code for _ in range(7)]
        minute += 1
        second = [_look_up(granted).status_code for _ in range(3)]
        third = [_look_up(granted).status_code for _ in range(1)]
        minute += 5
        fourth = [_look_up(granted).status_code for _ in range(3)]
    assert first == [200, 200, 429, 429, 429, 429, 429]
    assert second == [200, 200, 429]
    assert third == [429]
    assert fourth == [200, 200, 429]
    results = list(AccessLog.objects.order_by("ledger_seq").values_list("result", flat=True))
    assert results.count("ok") == 6 and results.count("rate_limited") == 8


@pytest.mark.usefixtures("one_minute")
def test_concurrent_calls_share_transactions_and_each_answer_follows_its_own_entry(
    granted: dict[str, Any],
) -> None:
    if connections["default"].vendor == "sqlite":
        # Its threads would share one in-memory database, which locks whole
        # tables against concurrent readers; bench/exchange.py checks the
        # same on a SQLite file under a real server.
        pytest.skip("the SQLite test database lives in memory (PostgreSQL runs this)")
    calls = 12
    start = threading.Barrier(calls)
    answers: list[Any] = []

    def call() -> None:
        try:
            start.wait()
            answers.append(_look_up(granted))
        finally:
            connections.close_all()

    # A long wait, so that a leader surely waits for the calls under way.
    with override_settings(EXCHANGE_GROUP_COMMIT=True, EXCHANGE_GROUP_COMMIT_WAIT_MS=500):
        threads = [threading.Thread(target=call) for _ in range(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [200] * 2 + [429] * (calls - 2)
    logs = list(AccessLog.objects.order_by("ledger_seq"))
    assert sorted(log.result for log in logs) == ["ok"] * 2 + ["rate_limited"] * (calls - 2)
    assert len({log.ledger_seq for log in logs}) == calls
    assert LedgerEntry.objects.filter(seq__in=[log.ledger_seq for log in logs]).count() == calls
    # Each call's key hash belongs to its own log row.
    subjects = AccessSubject.objects.filter(log__in=logs)
    assert sorted(subjects.values_list("log", flat=True)) == sorted(log.pk for log in logs)
    # A transaction stamps its rows with one time: fewer times than calls
    # means calls shared transactions.
    assert len({log.at for log in logs}) < calls


def _queued_behind_another_process(
    threads: list[threading.Thread], answered: Callable[[], int]
) -> tuple[int, int]:
    """Run the calls' threads while another web process's batch holds the write turn.

    Returns how many calls had queued, and how many were answered, by the time
    the other process let go; then waits for every thread.
    """
    other = connections.create_connection("default")
    other.ensure_connection()
    with other.connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [audit_writer._WRITE_TURN_KEY])
    try:
        with override_settings(EXCHANGE_GROUP_COMMIT=True, EXCHANGE_GROUP_COMMIT_WAIT_MS=0):
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 30
            while len(audit_writer._group.queue) < len(threads) and time.monotonic() < deadline:
                time.sleep(0.01)
            queued, answered_meanwhile = len(audit_writer._group.queue), answered()
            with other.connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [audit_writer._WRITE_TURN_KEY])
            for thread in threads:
                thread.join(timeout=60)
    finally:
        other.close()
    return queued, answered_meanwhile


@pytest.mark.usefixtures("one_minute")
def test_calls_arriving_while_another_process_writes_join_one_batch(
    granted: dict[str, Any],
) -> None:
    if connections["default"].vendor != "postgresql":
        pytest.skip("the write turn between processes is PostgreSQL's advisory lock")
    calls = 12
    answers: list[Any] = []

    def call() -> None:
        try:
            answers.append(_look_up(granted))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(calls)]
    queued, answered_while_waiting = _queued_behind_another_process(threads, lambda: len(answers))
    assert queued == calls and answered_while_waiting == 0
    assert sorted(a.status_code for a in answers) == [200] * 2 + [429] * (calls - 2)
    logs = list(AccessLog.objects.all())
    assert len(logs) == calls
    # One transaction stamps its rows with one time: the calls were one batch.
    assert len({log.at for log in logs}) == 1


def test_a_call_whose_audit_write_fails_gets_no_record(
    granted: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit_writer, "append_entries", broken)
    answer = _look_up(granted)
    assert answer.status_code == 500 and answer.json()["code"] == "internal_error"
    assert "values" not in answer.json()
    assert not AccessLog.objects.exists()


def _call(granted: dict[str, Any], path: str, key: str, **extra: Any) -> Any:
    body = {"key": key, "purpose": "联系企业", **extra}
    if path != "verify":  # a verification names its items by its claims
        body.setdefault("fields", ["phone"])
    return granted["http"].post(f"/api/exchange/shared/{SLUG}/{path}", body, "application/json")


@pytest.mark.parametrize("group_commit", [True, False])
@pytest.mark.usefixtures("one_minute")
def test_every_authorised_call_counts_against_the_rate_so_missing_keys_tell_nothing(
    granted: dict[str, Any], group_commit: bool
) -> None:
    missing = make_credit_code(seq=9000)
    with override_settings(EXCHANGE_GROUP_COMMIT=group_commit):
        answers = [
            _call(granted, "look-up", missing),
            _call(granted, "look-up", granted["uscc"]),
            # Over the rate a missing key and an existing one answer alike.
            _call(granted, "look-up", make_credit_code(seq=9001)),
            _call(granted, "look-up", granted["uscc"]),
            _call(granted, "verify", missing, claims={"phone": "13812345678"}),
            _call(granted, "look-up", "91430100XXXXXXXXXX"),
        ]
    assert [(a.status_code, a.json().get("code")) for a in answers] == [
        (404, "unknown_key"),
        (200, None),
        (429, "rate_limited"),
        (429, "rate_limited"),
        (429, "rate_limited"),
        (429, "rate_limited"),
    ]
    results = list(AccessLog.objects.order_by("ledger_seq").values_list("result", flat=True))
    assert results == ["unknown_key", "ok"] + ["rate_limited"] * 4


@pytest.mark.parametrize("group_commit", [True, False])
@pytest.mark.parametrize("lapse", ["revoked", "expired"])
def test_a_grant_that_lapses_while_a_call_is_under_way_does_not_answer_it(
    granted: dict[str, Any], group_commit: bool, lapse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    grant = Grant.objects.get()
    read = governed._hosted_records

    def lapse_then_read(*args: Any) -> Any:
        # The provider revokes the grant, or it runs out, after the call was
        # authorised and before its entry is written.
        if lapse == "revoked":
            actions.do_revoke_grant(grant, actor=TEST_ACTOR, reason="用途已结束")
        else:
            Grant.objects.filter(pk=grant.pk).update(
                expires_at=timezone.now() - dt.timedelta(seconds=1)
            )
        return read(*args)

    monkeypatch.setattr(governed, "_hosted_records", lapse_then_read)
    with override_settings(EXCHANGE_GROUP_COMMIT=group_commit):
        answer = _call(granted, "look-up", granted["uscc"])
    code = f"grant_{lapse}"
    assert answer.status_code == 403, answer.json()
    assert answer.json()["code"] == code and "values" not in answer.json()
    log = AccessLog.objects.get()
    assert log.result == log.data["result"] == code
    assert log.grant_id == grant.pk


def test_an_entry_that_cannot_be_written_fails_its_own_call_not_the_batch_it_shares(
    granted: dict[str, Any],
) -> None:
    # Another call of the process queued first, with data its ledger entry
    # cannot encode; the look-up below leads the batch that carries both.
    unwritable = audit_writer.LogEntry(
        actor=TEST_ACTOR,
        action="exchange.look_up",
        subject_type="catalog.Resource",
        subject_id="102000000/000002",
        client_id=0,
        resource_id=None,
        grant_id=None,
        operation="look_up",
        result="purpose_required",
        data={"purpose": "核对\ud800"},
        outcomes={},
    )
    audit_writer._group.queue.append(audit_writer._Waiter(unwritable))
    with override_settings(EXCHANGE_GROUP_COMMIT=True):
        answer = _look_up(granted)
    assert answer.status_code == 200, answer.json()
    assert isinstance(unwritable.error, UnicodeEncodeError)
    log = AccessLog.objects.get()
    assert log.result == "ok" and LedgerEntry.objects.filter(seq=log.ledger_seq).exists()


def test_a_purpose_that_is_not_unicode_is_refused_and_logged_under_group_commit(
    granted: dict[str, Any],
) -> None:
    with override_settings(EXCHANGE_GROUP_COMMIT=True):
        answer = _call(granted, "look-up", granted["uscc"], purpose="联系\udc00企业")
        after = _look_up(granted)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_input"
    assert after.status_code == 200
    logs = list(AccessLog.objects.order_by("ledger_seq"))
    assert [(log.result, log.data["purpose"]) for log in logs] == [
        ("invalid_input", "联系\ufffd企业"),
        ("ok", "联系企业"),
    ]


@pytest.mark.usefixtures("one_minute")
def test_concurrent_calls_of_one_batch_are_answered_though_one_entry_cannot_be_written(
    granted: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    if connections["default"].vendor != "postgresql":
        pytest.skip("the write turn between processes is PostgreSQL's advisory lock")
    # As before purposes were checked: one call's purpose reaches its ledger
    # entry, which cannot encode it, in the same batch as the others' calls.
    monkeypatch.setattr(governed, "_check_purpose", lambda call: None)
    calls = 6
    answers: list[Any] = []

    def call(purpose: str) -> None:
        try:
            answers.append(_call(granted, "look-up", granted["uscc"], purpose=purpose))
        finally:
            connections.close_all()

    purposes = ["联系企业"] * (calls - 1) + ["联系\ud800企业"]
    threads = [threading.Thread(target=call, args=(p,)) for p in purposes]
    queued, _answered = _queued_behind_another_process(threads, lambda: len(answers))
    assert queued == calls
    # The grant allows two calls a minute; the unwritable call fails alone, as
    # the caller's bad input it is.
    assert sorted(a.status_code for a in answers) == [200] * 2 + [422] + [429] * (calls - 3)
    assert [a.json()["code"] for a in answers if a.status_code == 422] == ["invalid_input"]
    assert AccessLog.objects.count() == calls - 1

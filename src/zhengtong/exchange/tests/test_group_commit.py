"""Governed calls committed as a web server commits them: outside any test transaction.

Each call's ledger entry and access-log row are written by the group-commit
writer (or one transaction per call when it is switched off); the rate limit
is counted in that write, and a call whose write fails gets no answer.
"""

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connections
from django.test import Client, override_settings

from zhengtong.catalog.tests.cast import resource_input
from zhengtong.core.testing import TEST_ACTOR, documented_statuses, make_credit_code
from zhengtong.exchange import actions, audit_writer
from zhengtong.exchange.models import AccessLog, AccessSubject
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

    # Another web process's batch holds the write turn meanwhile.
    other = connections.create_connection("default")
    other.ensure_connection()
    with other.connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [audit_writer._WRITE_TURN_KEY])
    try:
        with override_settings(EXCHANGE_GROUP_COMMIT=True, EXCHANGE_GROUP_COMMIT_WAIT_MS=0):
            threads = [threading.Thread(target=call) for _ in range(calls)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 30
            while len(audit_writer._group.queue) < calls and time.monotonic() < deadline:
                time.sleep(0.01)
            queued = len(audit_writer._group.queue)
            answered_while_waiting = len(answers)
            with other.connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [audit_writer._WRITE_TURN_KEY])
            for thread in threads:
                thread.join(timeout=60)
    finally:
        other.close()
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

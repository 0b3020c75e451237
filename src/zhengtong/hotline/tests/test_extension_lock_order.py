"""Deciding an extension while the department answers: both take the case row first.

A reply (or a return) locks the case and then withdraws its pending
extension; a decision on that extension must lock the same rows in the same
order, or each transaction holds the row the other waits for and PostgreSQL
aborts one of them. The interleaving is forced: the decision reaches the
case only once the reply holds it. SQLite serialises every write, so this
runs on PostgreSQL only.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from zhengtong.core.tests.races import WAIT_S
from zhengtong.hotline import actions
from zhengtong.hotline.models import Case, ExtensionRequest
from zhengtong.hotline.tests.api_calls import as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_race_cast
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def cast() -> HotlineCast:
    return make_race_cast()


def test_a_decision_and_a_reply_at_once_take_turns_without_a_server_error(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    extension = ok(
        post(handler, f"/cases/{number}/extensions", {"days": 5, "reason": "需要监测"}), 201
    )
    replied_holds_case = threading.Event()
    real_lock = actions._lock

    def lock_in_turn(case: Case) -> Case:
        if threading.current_thread().name == "decide":
            # The decision reaches the case row only after the reply holds it.
            replied_holds_case.wait(WAIT_S)
            return real_lock(case)
        locked = real_lock(case)
        replied_holds_case.set()
        return locked

    monkeypatch.setattr(actions, "_lock", lock_in_turn)
    statuses: dict[str, int] = {}

    def decide() -> None:
        http = as_user(cast.dispatcher)
        http.raise_request_exception = False
        try:
            path = f"/extensions/{extension['id']}/decision"
            statuses["decide"] = post(http, path, {"approve": True}).status_code
        finally:
            connections.close_all()

    def reply() -> None:
        http = as_user(cast.chenhuan)
        http.raise_request_exception = False
        try:
            # Let the decision take what it locks before the case.
            started.wait(WAIT_S)
            path = f"/cases/{number}/reply"
            statuses["reply"] = post(http, path, {"reply": "已责令该化工厂停产整改。"}).status_code
        finally:
            connections.close_all()

    started = threading.Event()
    threads = [threading.Thread(target=decide, name="decide"), threading.Thread(target=reply)]
    threads[0].start()
    # The decision runs up to its wait for the case row before the reply starts.
    threading.Timer(0.5, started.set).start()
    threads[1].start()
    for thread in threads:
        thread.join(WAIT_S * 2)
    assert statuses == {"reply": 200, "decide": 409}, statuses
    case = Case.objects.get(number=number)
    assert case.state == "replied" and case.reply_extension_days == 0
    assert ExtensionRequest.objects.get().state == "withdrawn"
    assert not LedgerEntry.objects.filter(action="hotline.decide_extension").exists()

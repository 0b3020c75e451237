"""A recall and a sign-for at once: exactly one of them wins.

Both lock the case's row first and decide under the lock: the one that
comes second sees what the first did. The interleaving is forced: the
second reaches the case only once the first holds it. SQLite serialises
every write, so this runs on PostgreSQL only.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from zhengtong.core.tests.races import WAIT_S
from zhengtong.hotline import actions
from zhengtong.hotline.models import Case, CaseEvent
from zhengtong.hotline.tests.api_calls import as_user, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_race_cast
from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def cast() -> HotlineCast:
    return make_race_cast()


@pytest.mark.parametrize("first", ["sign", "recall"])
def test_a_recall_and_a_sign_for_at_once_end_with_one_winner(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    number = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气")["number"]
    first_holds_case = threading.Event()
    real_lock = actions._lock

    def lock_in_turn(case: Case) -> Case:
        if threading.current_thread().name != first:
            first_holds_case.wait(WAIT_S)
            return real_lock(case)
        locked = real_lock(case)
        first_holds_case.set()
        # Hold the row while the other step asks for it.
        time.sleep(0.3)
        return locked

    monkeypatch.setattr(actions, "_lock", lock_in_turn)
    responses: dict[str, tuple[int, str]] = {}

    def run(name: str) -> None:
        http = as_user(cast.dispatcher if name == "recall" else cast.chenhuan)
        http.raise_request_exception = False
        try:
            data = {"reason": "派错部门"} if name == "recall" else {}
            response = post(http, f"/cases/{number}/{name}", data)
            responses[name] = (response.status_code, response.json().get("code", ""))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(name,), name=name) for name in ("sign", "recall")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S * 2)

    case = Case.objects.get(number=number)
    recalls = LedgerEntry.objects.filter(action="hotline.recall_case").count()
    signs = LedgerEntry.objects.filter(action="hotline.sign_case").count()
    if first == "sign":
        assert responses["sign"][0] == 200, responses
        assert responses["recall"] == (409, "already_signed"), responses
        assert case.state == "handling" and case.department == cast.furong_environment
        assert (signs, recalls) == (1, 0)
    else:
        assert responses["recall"][0] == 200, responses
        # Refused under the lock, or (once the recall is in) not found at all.
        assert responses["sign"][0] in (403, 404), responses
        assert case.state == "dispatching" and case.department is None
        assert (signs, recalls) == (0, 1)
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert len(kinds & {"signed", "recalled"}) == 1

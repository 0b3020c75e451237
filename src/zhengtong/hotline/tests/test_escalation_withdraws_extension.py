"""加急 of a case whose department has asked for time: the request is withdrawn.

The department asked for more working days against the deadline of the old
urgency. Once a more urgent repeat counts a shorter deadline, approving those
days would undo the escalation, so the request is withdrawn with the
escalation, the history and the department say so, and the department may
ask again against the new deadline.
"""

from __future__ import annotations

from typing import Any

import pytest

from zhengtong.hotline.models import Case, ExtensionRequest, Notification
from zhengtong.hotline.tests.api_calls import POLLUTION, URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.actions import record_entry
from zhengtong.ledger.models import LedgerEntry

CALLER = "13900001111"
WORSE = POLLUTION + "现在已经有人中毒晕倒！"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The hotline's ledger entries as written (the ledger keeps only a hash of the data)."""
    written: list[dict[str, Any]] = []
    real = record_entry

    def recording(**entry: Any) -> Any:
        written.append(entry)
        return real(**entry)

    monkeypatch.setattr("zhengtong.hotline.actions.record_entry", recording)
    return written


def _asked_for_time(cast: HotlineCast) -> tuple[str, int]:
    first = submit(as_user(cast.dispatcher), content=POLLUTION, contact_phone=CALLER)["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{first}/sign"))
    asked = ok(
        post(handler, f"/cases/{first}/extensions", {"days": 5, "reason": "需要环境监测报告"}),
        201,
    )
    return first, asked["id"]


def test_an_escalation_withdraws_the_pending_extension(
    cast: HotlineCast, ledger: list[dict[str, Any]]
) -> None:
    first, extension_id = _asked_for_time(cast)
    repeat = submit(
        as_user(cast.dispatcher), content=WORSE, contact_phone=CALLER, urgency="critical"
    )
    assert repeat["merged_into"] == first
    escalated_due = Case.objects.get(number=first).reply_due

    dispatcher = as_user(cast.dispatcher)
    assert ok(dispatcher.get(f"{URL}/extensions")) == []
    assert ExtensionRequest.objects.get(pk=extension_id).state == "withdrawn"
    late = post(dispatcher, f"/extensions/{extension_id}/decision", {"approve": True})
    assert late.status_code == 409 and late.json()["code"] == "extension_withdrawn"
    case = Case.objects.get(number=first)
    assert (case.reply_due, case.reply_extension_days) == (escalated_due, 0)

    handler = as_user(cast.chenhuan)
    original = ok(handler.get(f"{URL}/cases/{first}"))
    [note] = [e["note"] for e in original["events"] if e["kind"] == "repeated"]
    assert "延期申请已撤回" in note
    told = Notification.objects.get(case__number=first, kind="repeated")
    assert "延期申请已撤回" in told.text
    [entry] = [e for e in ledger if e["subject_id"] == repeat["number"]]
    assert entry["action"] == "hotline.submit_case"
    assert entry["data"]["extensions_withdrawn"] == 1

    # The department may ask again, against the new deadline.
    again = post(handler, f"/cases/{first}/extensions", {"days": 1, "reason": "需连夜监测"})
    assert again.status_code == 201, again.content.decode()


def test_a_repeat_that_does_not_shorten_the_deadline_leaves_the_request_pending(
    cast: HotlineCast, ledger: list[dict[str, Any]]
) -> None:
    first, extension_id = _asked_for_time(cast)
    repeat = submit(as_user(cast.dispatcher), content=WORSE, contact_phone=CALLER)
    assert repeat["merged_into"] == first
    assert ExtensionRequest.objects.get(pk=extension_id).state == "pending"
    [entry] = [e for e in ledger if e["subject_id"] == repeat["number"]]
    assert "extensions_withdrawn" not in entry["data"]


def test_the_escalation_is_in_the_ledger_under_the_case_it_escalated(
    cast: HotlineCast, ledger: list[dict[str, Any]]
) -> None:
    first, _extension_id = _asked_for_time(cast)
    repeat = submit(
        as_user(cast.dispatcher), content=WORSE, contact_phone=CALLER, urgency="critical"
    )
    assert repeat["merged_into"] == first

    trail = LedgerEntry.objects.filter(subject_type="hotline.case", subject_id=first)
    assert list(trail.values_list("action", flat=True)) == [
        "hotline.submit_case",
        "hotline.sign_case",
        "hotline.request_extension",
        "hotline.escalate_case",
    ]
    [entry] = [e for e in ledger if e["action"] == "hotline.escalate_case"]
    assert entry["subject_id"] == first
    assert entry["data"]["repeat"] == repeat["number"]
    assert entry["data"]["urgency"] == {"from": "normal", "to": "critical"}
    assert entry["data"]["extensions_withdrawn"] == 1
    # The repeat's own intake stays under its number.
    [intake] = [e for e in ledger if e["subject_id"] == repeat["number"]]
    assert intake["action"] == "hotline.submit_case"


def test_a_repeat_that_is_no_more_urgent_escalates_nothing_in_the_ledger(
    cast: HotlineCast, ledger: list[dict[str, Any]]
) -> None:
    first = submit(as_user(cast.dispatcher), content=POLLUTION, contact_phone=CALLER)["number"]
    repeat = submit(as_user(cast.dispatcher), content=WORSE, contact_phone=CALLER)
    assert repeat["merged_into"] == first
    assert not [e for e in ledger if e["action"] == "hotline.escalate_case"]

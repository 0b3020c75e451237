"""A dispatcher, or the department's head, grades an automatically routed case anew.

An online message comes in as 一般, and the model routes it to 陈环's
department without a dispatcher seeing it. 刘派 reads that it is a gas leak
and makes it 特急 from the case page or the API; 孙区, who heads the
department, may do the same. The reply deadline is counted again from the
acceptance, by the new urgency, as a dispatch counts it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from zhengtong.hotline.models import Case, CaseEvent, ExtensionRequest, Notification
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import (
    HotlineCast,
    make_furong_leader,
    make_hotline_cast,
    train_active_model,
)
from zhengtong.ledger.models import LedgerEntry

REPLY = "经现场核查，该化工厂确有废气排放问题，我局已依据《大气污染防治法》责令其整改，一周内复查。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _routed_by_the_model(cast: HotlineCast) -> Case:
    created = submit(as_user(cast.zhangsan))
    assert created["state"] == "assigned"
    case = Case.objects.get(number=created["number"])
    assert case.routed_by == "model" and case.urgency == "normal"
    return case


def test_a_dispatcher_makes_a_routed_case_critical_through_the_api(cast: HotlineCast) -> None:
    case = _routed_by_the_model(cast)
    assert case.dispatched_at is not None
    changed = ok(
        post(
            as_user(cast.dispatcher),
            f"/cases/{case.number}/urgency",
            {"urgency": "critical", "note": "燃气泄漏"},
        )
    )
    assert changed["urgency"] == "critical" and changed["state"] == "assigned"
    # 特急: two hours from the acceptance (the national default), not fifteen working days.
    accepted = case.dispatched_at
    case.refresh_from_db()
    assert case.dispatched_at == accepted
    assert case.reply_due == accepted + dt.timedelta(hours=2)

    event = CaseEvent.objects.get(case=case, kind="urgency_changed")
    assert event.note == "燃气泄漏"
    assert event.data["urgency"] == {"from": "normal", "to": "critical"}
    entry = LedgerEntry.objects.get(action="hotline.set_case_urgency")
    assert entry.subject_id == case.number
    notice = Notification.objects.get(case=case, kind="urgency_changed")
    assert notice.department == cast.furong_environment
    page = as_user(cast.chenhuan).get(f"/hotline/cases/{case.number}/").content.decode()
    assert "紧急程度由一般改为特急" in page
    # The citizen is not shown the centre's grading.
    mine = ok(as_user(cast.zhangsan).get(f"{URL}/cases/{case.number}"))
    assert "urgency_changed" not in [e["kind"] for e in mine["events"]]

    again = post(as_user(cast.dispatcher), f"/cases/{case.number}/urgency", {"urgency": "critical"})
    assert again.status_code == 409 and again.json()["code"] == "urgency_unchanged"
    wrong = post(as_user(cast.dispatcher), f"/cases/{case.number}/urgency", {"urgency": "x"})
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_urgency"


def test_the_head_of_the_department_sets_it_from_the_case_page_and_a_handler_cannot(
    cast: HotlineCast,
) -> None:
    case = _routed_by_the_model(cast)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{case.number}/sign"))
    ok(
        post(handler, f"/cases/{case.number}/extensions", {"days": 3, "reason": "需要现场监测"}),
        201,
    )
    assert 'value="urgency"' not in handler.get(f"/hotline/cases/{case.number}/").content.decode()
    refused = post(handler, f"/cases/{case.number}/urgency", {"urgency": "urgent"})
    assert refused.status_code == 403
    assert (
        handler.post(
            f"/hotline/cases/{case.number}/", {"action": "urgency", "urgency-urgency": "urgent"}
        ).status_code
        == 403
    )

    head = as_user(make_furong_leader(cast))
    assert 'value="urgency"' in head.get(f"/hotline/cases/{case.number}/").content.decode()
    response = head.post(
        f"/hotline/cases/{case.number}/",
        {"action": "urgency", "urgency-urgency": "urgent", "urgency-note": ""},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.urgency == "urgent" and case.state == "handling"
    assert case.dispatched_at is not None
    assert case.reply_due == case.dispatched_at + dt.timedelta(hours=24)
    # The days asked for were weighed against the old deadline: the request is withdrawn.
    assert ExtensionRequest.objects.get(case=case).state == "withdrawn"
    # A double click: the second finds the urgency set, and says what the first did.
    twice = head.post(
        f"/hotline/cases/{case.number}/",
        {"action": "urgency", "urgency-urgency": "urgent", "urgency-note": ""},
        follow=True,
    )
    assert "紧急程度已调整为紧急" in twice.content.decode()
    assert LedgerEntry.objects.filter(action="hotline.set_case_urgency").count() == 1


def test_a_replied_case_keeps_its_urgency(cast: HotlineCast) -> None:
    case = _routed_by_the_model(cast)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{case.number}/sign"))
    ok(post(handler, f"/cases/{case.number}/reply", {"reply": REPLY}))
    refused = post(as_user(cast.dispatcher), f"/cases/{case.number}/urgency", {"urgency": "urgent"})
    assert refused.status_code == 409 and refused.json()["code"] == "already_replied"
    assert not LedgerEntry.objects.filter(action="hotline.set_case_urgency").exists()


def test_a_reopened_case_keeps_its_reopen_window_unless_the_new_grade_is_shorter(
    cast: HotlineCast,
) -> None:
    case = _routed_by_the_model(cast)
    handler, dispatcher = as_user(cast.chenhuan), as_user(cast.dispatcher)
    ok(post(handler, f"/cases/{case.number}/sign"))
    ok(post(handler, f"/cases/{case.number}/reply", {"reply": REPLY}))
    ok(post(as_user(cast.zhangsan), f"/cases/{case.number}/rating", {"rating": "unsatisfied"}))
    case.refresh_from_db()
    assert case.reopened and case.state == "handling"
    window = case.reply_due
    reopened_at = case.dispatched_at
    assert window is not None and reopened_at is not None

    # 紧急 (24 hours) is shorter than the reopen window of working days: it applies.
    ok(post(dispatcher, f"/cases/{case.number}/urgency", {"urgency": "urgent"}))
    case.refresh_from_db()
    assert case.reply_due == reopened_at + dt.timedelta(hours=24) < window

    # Back to 一般 (fifteen working days): the reopen window, not a longer deadline.
    ok(post(dispatcher, f"/cases/{case.number}/urgency", {"urgency": "normal"}))
    case.refresh_from_db()
    assert case.reply_due == window

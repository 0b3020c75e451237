"""The centre recalls (撤回) a case the department has not signed for, and sends it again (改派).

A case sent to a department whose handlers have left, or to the wrong
department, would otherwise wait there until that department acts. 刘派
takes it back to the dispatch queue with a reason; once 陈环's department
has signed for it, only the department can send it back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from zhengtong.core.errors import Conflict
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline import actions, selectors
from zhengtong.hotline.models import Case, CaseEvent, ExtensionRequest, Notification
from zhengtong.hotline.states import ALLOWED_TRANSITIONS, CaseState, check_transition
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.encoding import canonical_json
from zhengtong.ledger.models import LedgerEntry
from zhengtong.ledger.selectors import tree_state

REASON = "派错部门：化工厂废气属市局直管企业"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def assigned_to_furong(cast: HotlineCast) -> str:
    """A citizen's message the model sent to 陈环's department, not yet signed for."""
    created = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气")
    assert created["state"] == "assigned"
    assert created["department_name"] == cast.furong_environment.name
    return str(created["number"])


def recall(cast: HotlineCast, number: str, reason: str = REASON) -> Any:
    return post(as_user(cast.dispatcher), f"/cases/{number}/recall", {"reason": reason})


def test_a_dispatcher_recalls_an_unsigned_case_and_sends_it_to_another_department(
    cast: HotlineCast,
) -> None:
    number = assigned_to_furong(cast)
    dispatcher = as_user(cast.dispatcher)
    recalled = ok(recall(cast, number))
    assert recalled["state"] == "dispatching"
    assert recalled["department_code"] is None and recalled["reply_due"] is None
    # The classification and the model's suggestion stay for the next dispatch.
    assert recalled["category"] == recalled["predicted_category"] == "环境保护"
    assert recalled["routed_by"] == "model"
    last = recalled["events"][-1]
    assert (last["kind"], last["state_after"]) == ("recalled", "dispatching")
    assert last["note"] == REASON and last["department"] == cast.furong_environment.name
    queue = ok(dispatcher.get(f"{URL}/queue"))
    assert [c["number"] for c in queue] == [number]

    dispatched = ok(
        post(
            dispatcher,
            f"/cases/{number}/dispatch",
            {"category": "环境保护", "department_code": cast.city_environment.code},
        )
    )
    assert dispatched["state"] == "assigned"
    assert dispatched["department_code"] == cast.city_environment.code
    assert dispatched["routed_by"] == "dispatcher" and dispatched["reply_due"] is not None
    assert [e["kind"] for e in dispatched["events"]][-2:] == ["recalled", "dispatched"]
    city = as_user(cast.lihuan)
    assert [c["number"] for c in ok(city.get(f"{URL}/department-cases"))] == [number]
    assert ok(post(city, f"/cases/{number}/sign"))["state"] == "handling"


def test_the_department_loses_the_recalled_case_and_is_told(cast: HotlineCast) -> None:
    number = assigned_to_furong(cast)
    handler = as_user(cast.chenhuan)
    assert [c["number"] for c in ok(handler.get(f"{URL}/department-cases"))] == [number]
    ok(recall(cast, number))
    assert ok(handler.get(f"{URL}/department-cases")) == []
    assert handler.get(f"{URL}/cases/{number}").status_code == 404
    assert post(handler, f"/cases/{number}/sign").status_code == 404
    notice = Notification.objects.get(kind="recalled")
    assert notice.department == cast.furong_environment
    assert number in notice.text and "撤回" in notice.text


def test_a_recall_writes_one_ledger_entry_and_one_history_row(cast: HotlineCast) -> None:
    number = assigned_to_furong(cast)
    ok(recall(cast, number))
    entry = LedgerEntry.objects.get(action="hotline.recall_case")
    assert entry.subject_id == number
    assert entry.actor_ref == f"user:{cast.dispatcher.pk}"
    recorded = {
        "state": "dispatching",
        "department": cast.furong_environment.code,
        "routed_by": "model",
        "extensions_withdrawn": 0,
    }
    assert bytes(entry.data_hash) == tree_state().hasher.digest(canonical_json(recorded))
    event = CaseEvent.objects.get(case__number=number, kind="recalled")
    assert event.department == cast.furong_environment and event.note == REASON


def test_a_recall_after_the_department_signed_is_refused(cast: HotlineCast) -> None:
    number = assigned_to_furong(cast)
    ok(post(as_user(cast.chenhuan), f"/cases/{number}/sign"))
    refused = recall(cast, number)
    assert refused.status_code == 409
    assert refused.json()["code"] == "already_signed"
    case = Case.objects.get(number=number)
    assert case.state == CaseState.HANDLING and case.department == cast.furong_environment
    assert not LedgerEntry.objects.filter(action="hotline.recall_case").exists()
    assert not CaseEvent.objects.filter(case=case, kind="recalled").exists()


def test_a_recall_of_a_case_in_any_other_state_is_refused_with_its_code(
    cast: HotlineCast,
) -> None:
    queued = submit(
        as_user(cast.zhangsan), content="公交线路公交车班次太少，司机拒载绕路，希望处理。"
    )["number"]
    refused = recall(cast, queued)
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_assigned"

    number = assigned_to_furong(cast)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    ok(post(handler, f"/cases/{number}/reply", {"reply": "已责令该化工厂停产整改。"}))
    replied = recall(cast, number)
    assert replied.json()["code"] == "already_signed"
    ok(post(as_user(cast.zhangsan), f"/cases/{number}/rating", {"rating": "satisfied"}))
    closed = recall(cast, number)
    assert closed.json()["code"] == "case_closed"
    assert not LedgerEntry.objects.filter(action="hotline.recall_case").exists()


def test_a_department_handler_cannot_recall(cast: HotlineCast) -> None:
    number = assigned_to_furong(cast)
    for handler in (cast.chenhuan, cast.wangzhu):
        response = post(as_user(handler), f"/cases/{number}/recall", {"reason": REASON})
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert Case.objects.get(number=number).state == CaseState.ASSIGNED


def test_a_recall_needs_a_reason(cast: HotlineCast) -> None:
    number = assigned_to_furong(cast)
    for reason in ("", "   "):
        refused = recall(cast, number, reason)
        assert refused.status_code == 400
        assert refused.json()["code"] == "reason_required"
    too_long = recall(cast, number, "理" * (actions.MAX_NOTE + 1))
    assert too_long.json()["code"] == "reason_too_long"
    assert Case.objects.get(number=number).state == CaseState.ASSIGNED


def test_the_citizen_sees_a_neutral_step_without_the_reason(cast: HotlineCast) -> None:
    number = assigned_to_furong(cast)
    ok(recall(cast, number))
    mine = ok(as_user(cast.zhangsan).get(f"{URL}/cases/{number}"))
    step = mine["events"][-1]
    assert step["kind"] == "recalled"
    assert step["note"] == "" and step["department"] is None
    case = Case.objects.get(number=number)
    tracked = ok(as_user(cast.zhangsan).get(f"{URL}/track/{case.tracking_code}"))
    assert tracked["events"][-1] == step
    page = as_user(cast.zhangsan).get(f"/hotline/mine/{number}/").content.decode()
    assert "12345热线重新派单" in page and REASON not in page


def test_a_recall_counts_in_the_routing_figures_as_a_return_does(cast: HotlineCast) -> None:
    first = assigned_to_furong(cast)
    second = assigned_to_furong_again(cast)
    ok(recall(cast, first))
    ok(post(as_user(cast.chenhuan), f"/cases/{second}/return", {"reason": "属于城管职责"}))
    figures = selectors.routing_figures()
    assert (figures.returned_after_model, figures.recalled_after_model) == (1, 1)
    assert figures.routed_automatically == 2 and figures.automatic_precision == 0.0
    assert figures.recall_reasons == [(REASON, 1)]
    overview = ok(as_user(cast.leader).get(f"{URL}/overview"))
    assert (overview["returns_after_model"], overview["recalls_after_model"]) == (1, 1)

    # Sent again by hand and recalled again: the dispatcher's routing, not the model's.
    ok(
        post(
            as_user(cast.dispatcher),
            f"/cases/{first}/dispatch",
            {"category": "环境保护", "department_code": cast.city_environment.code},
        )
    )
    ok(recall(cast, first, "部门人员调整，暂无人签收"))
    figures = selectors.routing_figures()
    assert (figures.recalled_after_model, figures.recalled_after_dispatcher) == (1, 1)


def assigned_to_furong_again(cast: HotlineCast) -> str:
    """Another person's message about another plant, routed the same way."""
    created = submit(
        as_user(cast.dispatcher),
        content="芙蓉区韶山路的搅拌站每天夜里排放刺鼻废气，附近居民都不敢开窗，希望尽快处理。",
        title="搅拌站排放刺鼻废气",
        contact_phone="13900002222",
    )
    assert created["state"] == "assigned", created
    return str(created["number"])


def test_a_recalled_case_has_an_hour_at_least_to_be_dispatched_again(cast: HotlineCast) -> None:
    number = assigned_to_furong(cast)
    # The first dispatch deadline passed long ago: the case was sent in time.
    Case.objects.filter(number=number).update(dispatch_due=timezone.now() - dt.timedelta(hours=20))
    before = timezone.now()
    ok(recall(cast, number))
    case = Case.objects.get(number=number)
    assert case.dispatch_due >= before + dt.timedelta(hours=1)
    assert case.reply_due is None and case.reply_limit_amount is None
    assert selectors.clock(case).what == "dispatch"
    assert selectors.clock(case).level != "red"
    overview = ok(as_user(cast.leader).get(f"{URL}/overview"))
    assert overview["overdue"] == 0


def test_a_recall_keeps_an_urgent_cases_remaining_dispatch_time(cast: HotlineCast) -> None:
    number = assigned_to_furong(cast)
    later = timezone.now() + dt.timedelta(hours=5)
    Case.objects.filter(number=number).update(dispatch_due=later)
    ok(recall(cast, number))
    assert Case.objects.get(number=number).dispatch_due == later


def test_a_pending_extension_request_is_withdrawn_with_the_recall(cast: HotlineCast) -> None:
    number = assigned_to_furong(cast)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/extensions", {"days": 5, "reason": "需要监测"}), 201)
    ok(recall(cast, number))
    assert ExtensionRequest.objects.get().state == "withdrawn"
    entry = LedgerEntry.objects.get(action="hotline.recall_case")
    recorded = {
        "state": "dispatching",
        "department": cast.furong_environment.code,
        "routed_by": "model",
        "extensions_withdrawn": 1,
    }
    assert bytes(entry.data_hash) == tree_state().hasher.digest(canonical_json(recorded))


def test_a_recall_read_before_a_sign_for_is_refused_under_the_lock(cast: HotlineCast) -> None:
    number = assigned_to_furong(cast)
    # The dispatcher's page was read while the case waited; the department signed since.
    stale = Case.objects.get(number=number)
    actions.do_sign_case(stale, actor=TEST_ACTOR, departments=[cast.furong_environment.pk])
    with pytest.raises(Conflict) as refused:
        actions.do_recall_case(stale, REASON, actor=TEST_ACTOR)
    assert refused.value.code == "already_signed"
    assert Case.objects.get(number=number).state == CaseState.HANDLING


def test_only_the_recall_and_the_return_send_an_assigned_case_back(cast: HotlineCast) -> None:
    back = (CaseState.ASSIGNED, CaseState.DISPATCHING)
    assert ALLOWED_TRANSITIONS[back] == {"return", "recall"}
    assert check_transition(*back, "recall") == "recall"
    with pytest.raises(Conflict) as refused:
        check_transition(CaseState.HANDLING, CaseState.DISPATCHING, "recall")
    assert refused.value.code == "invalid_transition"
    assert check_transition(CaseState.HANDLING, CaseState.DISPATCHING, "return") == "return"

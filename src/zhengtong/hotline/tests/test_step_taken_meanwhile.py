"""A step someone else took meanwhile: the page says so and keeps what was typed.

Two handlers of 芙蓉区's environment branch, 陈环 and 孙环, open the same case.
孙环 replies first; 陈环's reply, written at length, is then refused: the case
is answered. The reply form is no longer offered, so the page says why above
the case and shows the text 陈环 typed, to keep or to copy, instead of a page
that says nothing and a reply gone. So for the citizen whose callback a
dispatcher recorded by telephone while the rating form was open.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.access import handling_department_ids
from zhengtong.hotline.actions import (
    CaseInput,
    do_rate_case,
    do_reply_case,
    do_request_extension,
    do_sign_case,
    do_submit_case,
)
from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState, Channel, Rating
from zhengtong.hotline.tests.api_calls import POLLUTION
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import User

REPLY = (
    "经现场核查，该化工厂夜间存在废气直排现象，已依据《大气污染防治法》责令其立即停产整改，"
    "整改完成前不得恢复生产，我局将于十日内复查。联系电话 0731-84411234。"
)


@pytest.fixture
def cast(db: Any) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _colleague(cast: HotlineCast) -> User:
    return do_create_staff(
        "sunhuan",
        "Zhengtong-hotline-2026",
        "孙环",
        cast.furong_environment,
        ["hotline_handler"],
        actor=TEST_ACTOR,
    )


def _handled_case(cast: HotlineCast) -> Case:
    case = do_submit_case(
        CaseInput(content=POLLUTION, channel=Channel.PHONE, contact_phone="13900003333"),
        actor=TEST_ACTOR,
    )
    assert case.department == cast.furong_environment, case.state
    return do_sign_case(case, actor=TEST_ACTOR, departments=handling_department_ids(cast.chenhuan))


def _as(user: User) -> Client:
    http = Client()
    http.force_login(user)
    return http


def test_a_reply_refused_because_a_colleague_replied_first_says_so_and_keeps_the_text(
    cast: HotlineCast,
) -> None:
    case = _handled_case(cast)
    colleague = _colleague(cast)
    do_reply_case(
        case, "已处理。", actor=TEST_ACTOR, departments=handling_department_ids(colleague)
    )
    page = _as(cast.chenhuan).post(
        f"/hotline/cases/{case.number}/", {"action": "reply", "reply-reply": REPLY}
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "该工单已答复，正在等待回访，无需重复答复。" in html
    assert "工单当前的状态不允许此操作。" not in html
    assert REPLY in html
    assert Case.objects.get(pk=case.pk).reply == "已处理。"


def test_a_reply_sent_again_through_the_api_is_refused_as_answered(cast: HotlineCast) -> None:
    # A department system retrying a reply whose answer it never got, or a
    # colleague's reply after the case was answered: each told why, with a code
    # of its own, as 签收 and 派单 are.
    case = _handled_case(cast)
    handler = _as(cast.chenhuan)
    url = f"/api/hotline/cases/{case.number}/reply"
    assert handler.post(url, {"reply": REPLY}, content_type="application/json").status_code == 200
    again = handler.post(url, {"reply": REPLY}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "already_replied")
    assert again.json()["message"] == "该工单已答复，正在等待回访，无需重复答复。"
    do_rate_case(Case.objects.get(pk=case.pk), Rating.SATISFIED, actor=TEST_ACTOR)
    closed = handler.post(url, {"reply": REPLY}, content_type="application/json")
    assert (closed.status_code, closed.json()["code"]) == (409, "case_closed")


def test_an_extension_refused_because_a_colleague_asked_first_says_so_and_keeps_the_reason(
    cast: HotlineCast,
) -> None:
    case = _handled_case(cast)
    colleague = _colleague(cast)
    do_request_extension(
        case,
        3,
        "需要协调多个部门。",
        actor=TEST_ACTOR,
        departments=handling_department_ids(colleague),
    )
    reason = "需要委托第三方检测机构取样检测，检测报告约需十个工作日。"
    page = _as(cast.chenhuan).post(
        f"/hotline/cases/{case.number}/",
        {"action": "extension", "extension-days": "10", "extension-reason": reason},
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "已有待审批的延期申请。" in html
    assert reason in html
    assert Case.objects.get(pk=case.pk).state == CaseState.HANDLING


def test_a_rating_refused_because_the_callback_was_recorded_says_so_and_keeps_the_comment(
    cast: HotlineCast,
) -> None:
    case = _handled_case(cast)
    case = do_reply_case(
        case, REPLY, actor=TEST_ACTOR, departments=handling_department_ids(cast.chenhuan)
    )
    do_rate_case(case, Rating.SATISFIED, actor=TEST_ACTOR)
    comment = "厂子白天照样排放，晚上只是换了个时间偷排，根本没有整改到位。"
    page = Client().post(
        f"/hotline/track/{case.tracking_code}/", {"rating": "unsatisfied", "comment": comment}
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "该工单已评价，不能重复评价。" in html
    assert comment in html
    assert Case.objects.get(pk=case.pk).state == CaseState.CLOSED

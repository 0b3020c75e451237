"""A handler's step sent after the department lost the case keeps what was typed.

陈环 of 芙蓉区's environment branch writes a long reply while his colleague
孙环 returns the case to the centre as not theirs (or, before anyone signed
for it, the centre recalls it). 陈环's reply then reaches a case the
department may no longer open: the page says so (410), and shows the reply
he typed back to him to copy, instead of losing it, while still showing
nothing of the case.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.access import handling_department_ids
from zhengtong.hotline.actions import (
    CaseInput,
    do_recall_case,
    do_return_case,
    do_sign_case,
    do_submit_case,
)
from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState, Channel
from zhengtong.hotline.tests.api_calls import POLLUTION
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model

REPLY = (
    "经现场核查，该化工厂夜间存在废气直排现象，已依据《大气污染防治法》责令其立即停产整改，"
    "我局将于十日内复查。联系电话 0731-84411234。"
)


@pytest.fixture
def cast(db: Any) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _routed(cast: HotlineCast) -> Case:
    case = do_submit_case(
        CaseInput(content=POLLUTION, channel=Channel.PHONE, contact_phone="13900003333"),
        actor=TEST_ACTOR,
    )
    assert case.department == cast.furong_environment, case.state
    return case


def _as(user: Any) -> Client:
    http = Client()
    http.force_login(user)
    return http


def test_a_reply_sent_after_a_colleague_returned_the_case_is_shown_back_to_copy(
    cast: HotlineCast,
) -> None:
    departments = handling_department_ids(cast.chenhuan)
    case = do_sign_case(_routed(cast), actor=TEST_ACTOR, departments=departments)
    do_return_case(case, "属住建部门职责", actor=TEST_ACTOR, departments=departments)

    response = _as(cast.chenhuan).post(
        f"/hotline/cases/{case.number}/", {"action": "reply", "reply-reply": REPLY}
    )

    assert response.status_code == 410
    page = response.content.decode()
    assert "退回12345热线重新派单" in page
    assert "您填写的内容未提交" in page and REPLY in page
    # Still nothing of the case: not its message, nor the colleague's reason.
    assert POLLUTION[:12] not in page and "住建" not in page
    assert Case.objects.get(pk=case.pk).state == CaseState.DISPATCHING


def test_a_return_reason_sent_after_the_centre_recalled_the_case_is_shown_back(
    cast: HotlineCast,
) -> None:
    case = do_recall_case(_routed(cast), "派错部门", actor=TEST_ACTOR)

    response = _as(cast.chenhuan).post(
        f"/hotline/cases/{case.number}/",
        {"action": "return", "return-reason": "该厂位于雨花区，请转雨花区生态环境分局"},
    )

    assert response.status_code == 410
    page = response.content.decode()
    assert "该厂位于雨花区，请转雨花区生态环境分局" in page
    assert "派错部门" not in page


def test_a_link_followed_after_the_case_left_shows_no_unsent_text(cast: HotlineCast) -> None:
    case = do_recall_case(_routed(cast), "派错部门", actor=TEST_ACTOR)
    response = _as(cast.chenhuan).get(f"/hotline/cases/{case.number}/")
    assert response.status_code == 410
    assert "您填写的内容未提交" not in response.content.decode()

"""An extension decision sent twice is answered as the first was.

刘派 double-clicks 同意 on 陈环's request for three more working days. The
first click approves it; the second is refused as decided already, and the
page must say the request was approved, not show a failure for a decision
that was taken. A colleague's contrary decision taken first is still said.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.access import handling_department_ids
from zhengtong.hotline.actions import (
    CaseInput,
    do_decide_extension,
    do_request_extension,
    do_sign_case,
    do_submit_case,
)
from zhengtong.hotline.models import ExtensionRequest
from zhengtong.hotline.states import Channel, ExtensionState
from zhengtong.hotline.tests.api_calls import POLLUTION
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def cast(db: Any) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _requested(cast: HotlineCast) -> ExtensionRequest:
    departments = handling_department_ids(cast.chenhuan)
    case = do_submit_case(
        CaseInput(content=POLLUTION, channel=Channel.PHONE, contact_phone="13900003333"),
        actor=TEST_ACTOR,
    )
    case = do_sign_case(case, actor=TEST_ACTOR, departments=departments)
    reason = "需要第三方检测"
    return do_request_extension(case, 3, reason, actor=TEST_ACTOR, departments=departments)


def _said(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_an_approval_clicked_twice_is_answered_as_approved_both_times(cast: HotlineCast) -> None:
    request = _requested(cast)
    dispatcher = Client()
    dispatcher.force_login(cast.dispatcher)
    url = f"/hotline/extensions/{request.pk}/"

    first = dispatcher.post(url, {"decision": "approve"})
    # The first answer is read (its page shown) before the second arrives.
    dispatcher.get("/hotline/dispatch/")
    second = dispatcher.post(url, {"decision": "approve"})

    approved = f"已同意工单 {request.case.number} 延期 3 个工作日。"
    assert _said(first) == [("success", approved)]
    assert _said(second) == [("success", approved)]
    assert ExtensionRequest.objects.get(pk=request.pk).state == ExtensionState.APPROVED
    assert LedgerEntry.objects.filter(action="hotline.decide_extension").count() == 1


def test_an_approval_after_a_colleagues_refusal_says_it_was_decided(cast: HotlineCast) -> None:
    request = _requested(cast)
    do_decide_extension(request, False, actor=TEST_ACTOR, note="可按期完成")
    dispatcher = Client()
    dispatcher.force_login(cast.dispatcher)

    response = dispatcher.post(f"/hotline/extensions/{request.pk}/", {"decision": "approve"})

    assert _said(response) == [("error", "该延期申请已审批。")]
    assert ExtensionRequest.objects.get(pk=request.pk).state == ExtensionState.REFUSED

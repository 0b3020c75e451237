"""A department that replies to a case it has not signed for (签收) is told to sign first.

The reply was refused as a transition the state table lacks, with the
generic message; it now has its own code, ``not_signed_for``, and words.
"""

from __future__ import annotations

import pytest

from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState
from zhengtong.hotline.tests.api_calls import as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.hotline.tests.test_sign_for_twice import assigned_pollution_case
from zhengtong.ledger.models import LedgerEntry

REPLY = "您好，您反映的化工厂夜间排放废气问题已收悉，我局已派员现场核查并责令整改，请您放心。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def test_the_api_refuses_a_reply_before_the_sign_for_as_not_signed_for(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    refused = ok(post(as_user(cast.chenhuan), f"/cases/{case.number}/reply", {"reply": REPLY}), 409)
    assert refused["code"] == "not_signed_for"
    assert refused["message"] == "请先签收该诉求，再答复。"
    assert Case.objects.get(pk=case.pk).state == CaseState.ASSIGNED
    assert not LedgerEntry.objects.filter(action="hotline.reply_case").exists()


def test_the_case_page_asks_to_sign_for_the_case_first(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    response = as_user(cast.chenhuan).post(
        f"/hotline/cases/{case.number}/", {"action": "reply", "reply-reply": REPLY}
    )
    page = response.content.decode()
    assert "请先签收该诉求，再答复。" in page
    assert "工单当前的状态不允许此操作。" not in page
    # The typed reply is kept to copy once the case is signed for.
    assert "派员现场核查" in page
    assert Case.objects.get(pk=case.pk).state == CaseState.ASSIGNED

"""A return (退回) of a case answered meanwhile is refused by name; one sent twice is taken once.

The return of a replied case was refused as a transition the state table
lacks, ``invalid_transition`` with the words 工单当前的状态不允许此操作。, which
tell the handler nothing; it is now ``already_replied`` (``case_closed`` once
closed). 退回 clicked twice answered the second click with the page of a
case the department has lost and the reason under "not submitted", though
the first click had sent it: the second click is now answered as the first.
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
REASON = "该化工厂位于雨花区，不属于本分局辖区。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def replied_case(cast: HotlineCast) -> Case:
    case = assigned_pollution_case(cast)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{case.number}/sign"))
    ok(post(handler, f"/cases/{case.number}/reply", {"reply": REPLY}))
    return case


def test_the_api_refuses_to_return_a_replied_case_as_already_replied(cast: HotlineCast) -> None:
    case = replied_case(cast)
    refused = ok(
        post(as_user(cast.chenhuan), f"/cases/{case.number}/return", {"reason": REASON}), 409
    )
    assert refused["code"] == "already_replied"
    assert refused["message"] == "该工单已答复，不能再退回。"
    assert Case.objects.get(pk=case.pk).state == CaseState.REPLIED
    assert not LedgerEntry.objects.filter(action="hotline.return_case").exists()


def test_the_api_refuses_to_return_a_closed_case_as_case_closed(cast: HotlineCast) -> None:
    case = replied_case(cast)
    ok(post(as_user(cast.dispatcher), f"/cases/{case.number}/rating", {"rating": "satisfied"}))
    refused = ok(
        post(as_user(cast.chenhuan), f"/cases/{case.number}/return", {"reason": REASON}), 409
    )
    assert refused["code"] == "case_closed"
    assert refused["message"] == "该工单已办结，不能再退回。"


def test_the_case_page_says_the_case_was_answered_when_a_return_comes_late(
    cast: HotlineCast,
) -> None:
    case = replied_case(cast)
    sent = as_user(cast.chenhuan).post(
        f"/hotline/cases/{case.number}/", {"action": "return", "return-reason": REASON}
    )
    assert sent.status_code == 400
    page = sent.content.decode()
    assert "该工单已答复，不能再退回。" in page
    assert "工单当前的状态不允许此操作。" not in page
    assert REASON in page


def test_a_return_clicked_twice_is_answered_as_returned_both_times(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    handler = as_user(cast.chenhuan)
    form = {"action": "return", "return-reason": REASON}
    first = handler.post(f"/hotline/cases/{case.number}/", form)
    assert first.status_code == 302
    handler.get(first["Location"])  # the first click's answer, read
    again = handler.post(f"/hotline/cases/{case.number}/", form)
    assert again.status_code == 302
    page = handler.get(again["Location"]).content.decode()
    assert "已退回12345热线重新派单。" in page
    # Not offered to copy as if it had not been sent.
    assert "您填写的内容未提交" not in page
    assert LedgerEntry.objects.filter(action="hotline.return_case").count() == 1
    assert Case.objects.get(pk=case.pk).return_count == 1
    # A return with other words is no twin of the first: its text is kept to copy.
    other = handler.post(
        f"/hotline/cases/{case.number}/", {"action": "return", "return-reason": "另一个理由"}
    )
    assert other.status_code == 410
    assert "另一个理由" in other.content.decode()

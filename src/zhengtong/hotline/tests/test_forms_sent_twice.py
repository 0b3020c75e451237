"""A form sent twice is one message.

A citizen on a slow phone taps 提交诉求 again, or the browser resends the
form after a timeout; an agent double-clicks 登记. Each page form carries a
one-time key: the same form with the same text registers one case, and the
second sending is shown that case. A form changed and sent again (back in
the browser, edited) is a message of its own. A reply, an extension request
or a rating sent twice is taken once, and the second answer says what the
first did rather than that the step was refused.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.access import handling_department_ids
from zhengtong.hotline.actions import CaseInput, do_reply_case, do_sign_case, do_submit_case
from zhengtong.hotline.models import Case, ExtensionRequest, Notification
from zhengtong.hotline.states import CaseState, Channel
from zhengtong.hotline.tests.api_calls import POLLUTION
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def cast(db: Any) -> HotlineCast:
    return make_hotline_cast()


def _form_key(page: Any) -> str:
    found = re.search(r'name="submission" value="([0-9a-f]{32})"', page.content.decode())
    assert found is not None, "the form carries its one-time key"
    return found.group(1)


def test_a_visitor_sending_the_same_form_twice_gets_one_case(cast: HotlineCast) -> None:
    visitor = Client()
    key = _form_key(visitor.get("/hotline/new/"))
    form = {"content": POLLUTION, "contact_phone": "13900001111", "submission": key}
    first = visitor.post("/hotline/new/", form)
    again = visitor.post("/hotline/new/", form)
    assert first.status_code == again.status_code == 302
    case = Case.objects.get()
    track = f"/hotline/track/{case.tracking_code}/?submitted=1"
    assert first["Location"] == again["Location"] == track
    # Another visit is another form: another message.
    other = {**form, "submission": _form_key(visitor.get("/hotline/new/"))}
    assert visitor.post("/hotline/new/", other).status_code == 302
    assert Case.objects.count() == 2


def test_a_form_changed_and_sent_again_is_a_message_of_its_own(cast: HotlineCast) -> None:
    visitor = Client()
    key = _form_key(visitor.get("/hotline/new/"))
    form = {"content": POLLUTION, "contact_phone": "13900001111", "submission": key}
    visitor.post("/hotline/new/", form)
    edited = {**form, "content": "小区门口下雨积水严重，出行困难，希望尽快疏通排水管。"}
    assert visitor.post("/hotline/new/", edited).status_code == 302
    assert sorted(Case.objects.values_list("content", flat=True)) == sorted(
        [POLLUTION, edited["content"]]
    )


def test_a_refused_form_keeps_its_key_and_the_text_typed(cast: HotlineCast) -> None:
    visitor = Client()
    key = _form_key(visitor.get("/hotline/new/"))
    refused = visitor.post("/hotline/new/", {"content": POLLUTION, "submission": key})
    assert refused.status_code == 400
    assert _form_key(refused) == key and POLLUTION in refused.content.decode()
    form = {"content": POLLUTION, "contact_phone": "13900001111", "submission": key}
    assert visitor.post("/hotline/new/", form).status_code == 302
    assert visitor.post("/hotline/new/", form).status_code == 302
    assert Case.objects.count() == 1


def test_a_key_the_page_did_not_make_is_ignored(cast: HotlineCast) -> None:
    visitor = Client()
    form = {"content": POLLUTION, "contact_phone": "13900001111", "submission": "x" * 500}
    assert visitor.post("/hotline/new/", form).status_code == 302
    assert Case.objects.get().submission_key == ""


def test_an_agent_double_clicking_save_registers_the_call_once(cast: HotlineCast) -> None:
    agent = Client()
    agent.force_login(cast.dispatcher)
    key = _form_key(agent.get("/hotline/calls/new/"))
    call = {
        "content": POLLUTION,
        "contact_phone": "13900002222",
        "urgency": "normal",
        "submission": key,
    }
    assert agent.post("/hotline/calls/new/", call).status_code == 302
    assert agent.post("/hotline/calls/new/", call).status_code == 302
    assert Case.objects.count() == 1


REPLY = (
    "经现场核查，该化工厂夜间存在废气直排现象，已依据《大气污染防治法》责令其立即停产整改，"
    "我局将于十日内复查。联系电话 0731-84411234。"
)


def _signed_case(cast: HotlineCast) -> Case:
    train_active_model()
    case = do_submit_case(
        CaseInput(content=POLLUTION, channel=Channel.PHONE, contact_phone="13900003333"),
        actor=TEST_ACTOR,
    )
    assert case.department == cast.furong_environment
    return do_sign_case(case, actor=TEST_ACTOR, departments=handling_department_ids(cast.chenhuan))


def test_a_reply_sent_twice_is_answered_as_sent_both_times(cast: HotlineCast) -> None:
    case = _signed_case(cast)
    handler = Client()
    handler.force_login(cast.chenhuan)
    form = {"action": "reply", "reply-reply": REPLY}
    first = handler.post(f"/hotline/cases/{case.number}/", form)
    again = handler.post(f"/hotline/cases/{case.number}/", form, follow=True)
    assert first.status_code == 302
    assert again.redirect_chain and again.status_code == 200
    assert "已答复，等待回访评价。" in again.content.decode()
    assert LedgerEntry.objects.filter(action="hotline.reply_case").count() == 1


def test_an_extension_request_sent_twice_is_one_request(cast: HotlineCast) -> None:
    case = _signed_case(cast)
    handler = Client()
    handler.force_login(cast.chenhuan)
    form = {"action": "extension", "extension-days": "5", "extension-reason": "需要第三方检测。"}
    assert handler.post(f"/hotline/cases/{case.number}/", form).status_code == 302
    again = handler.post(f"/hotline/cases/{case.number}/", form, follow=True)
    assert again.redirect_chain and again.status_code == 200
    assert "已有待审批的延期申请。" not in again.content.decode()
    assert ExtensionRequest.objects.filter(case=case).count() == 1


def test_an_unsatisfied_rating_tapped_twice_reopens_the_case_once(cast: HotlineCast) -> None:
    case = _signed_case(cast)
    do_reply_case(case, REPLY, actor=TEST_ACTOR, departments=handling_department_ids(cast.chenhuan))
    visitor = Client()
    form = {"rating": "unsatisfied", "comment": "晚上还在排。"}
    assert visitor.post(f"/hotline/track/{case.tracking_code}/", form).status_code == 302
    again = visitor.post(f"/hotline/track/{case.tracking_code}/", form, follow=True)
    assert again.redirect_chain and again.status_code == 200
    assert "已收到您的评价。工单已重新交办理部门办理。" in again.content.decode()
    assert Case.objects.get(pk=case.pk).state == CaseState.HANDLING
    assert LedgerEntry.objects.filter(action="hotline.rate_case").count() == 1


def _urge_key(page: Any) -> str:
    found = re.search(r'name="submission" value="([0-9a-f]{32})"', page.content.decode())
    assert found is not None, "the urge form carries its one-time key"
    return found.group(1)


def test_a_double_click_on_urge_tells_the_department_once(cast: HotlineCast) -> None:
    case = _signed_case(cast)
    dispatcher = Client()
    dispatcher.force_login(cast.dispatcher)
    key = _urge_key(dispatcher.get(f"/hotline/cases/{case.number}/"))
    form = {"note": "请今天内答复。", "submission": key}
    for _click in range(2):
        assert dispatcher.post(f"/hotline/cases/{case.number}/urge/", form).status_code == 302
    assert Case.objects.get(pk=case.pk).urge_count == 1
    assert Notification.objects.filter(case=case, kind="urged").count() == 1
    assert LedgerEntry.objects.filter(action="hotline.urge_case").count() == 1
    # The same page's 督办 (back in the browser) is a step of its own.
    supervise = {**form, "supervise": "on"}
    assert dispatcher.post(f"/hotline/cases/{case.number}/urge/", supervise).status_code == 302
    assert Case.objects.get(pk=case.pk).supervised
    # A later visit's 催办 is another one.
    again = {"submission": _urge_key(dispatcher.get(f"/hotline/cases/{case.number}/"))}
    assert dispatcher.post(f"/hotline/cases/{case.number}/urge/", again).status_code == 302
    assert Case.objects.get(pk=case.pk).urge_count == 2

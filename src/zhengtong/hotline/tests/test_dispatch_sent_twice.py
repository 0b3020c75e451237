"""派单 clicked twice, or by two dispatchers, dispatches the case once.

htmx sends the dispatcher's form again on a double click: the second request,
for the same case and department, is answered as the first was, with the row
showing where the case went, and no second ledger entry. A colleague's
dispatch elsewhere is said plainly (to which department, by whom). The API
refuses a second dispatch with its own code, ``already_dispatched``, not as a
transition the state table lacks.
"""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.actions import CaseInput, do_submit_case
from zhengtong.hotline.models import Case, CaseEvent
from zhengtong.hotline.states import CaseState, Channel, EventKind
from zhengtong.hotline.tests.api_calls import as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.ledger.models import LedgerEntry

UNSURE = "请问社保卡丢了怎么补办，要带什么材料，芙蓉区哪里可以办"
GENERIC = "工单当前的状态不允许此操作。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def _queued() -> Case:
    # No model is active: the message waits for a dispatcher.
    case = do_submit_case(
        CaseInput(content=UNSURE, channel=Channel.WEB, contact_phone="13900005555"),
        actor=TEST_ACTOR,
    )
    assert case.state == CaseState.DISPATCHING
    return case


def _form(case: Case, department: str) -> dict[str, str]:
    prefix = f"c{case.pk}"
    return {f"{prefix}-category": "环境保护", f"{prefix}-department": department}


def test_a_dispatch_clicked_twice_with_htmx_is_answered_as_dispatched_both_times(
    cast: HotlineCast,
) -> None:
    case = _queued()
    dispatcher = Client()
    dispatcher.force_login(cast.dispatcher)
    form = _form(case, cast.furong_environment.code)
    url = f"/hotline/dispatch/{case.number}/"
    first = dispatcher.post(url, form, headers={"HX-Request": "true"})
    again = dispatcher.post(url, form, headers={"HX-Request": "true"})
    assert first.status_code == again.status_code == 200
    row = again.content.decode()
    assert "已派单" in row and "长沙市生态环境局芙蓉分局" in row
    assert GENERIC not in row and 'class="errorlist"' not in row
    assert LedgerEntry.objects.filter(action="hotline.dispatch_case").count() == 1
    assert CaseEvent.objects.filter(case=case, kind=EventKind.DISPATCHED).count() == 1


def test_a_dispatch_sent_twice_without_htmx_says_dispatched_both_times(cast: HotlineCast) -> None:
    case = _queued()
    dispatcher = as_user(cast.dispatcher)
    form = _form(case, cast.furong_environment.code)
    url = f"/hotline/dispatch/{case.number}/"
    dispatcher.post(url, form)
    page = dispatcher.post(url, form, follow=True).content.decode()
    assert f"工单 {case.number} 已派至 长沙市生态环境局芙蓉分局。" in page
    assert GENERIC not in page
    assert LedgerEntry.objects.filter(action="hotline.dispatch_case").count() == 1


def test_the_case_page_answers_a_second_dispatch_as_the_first(cast: HotlineCast) -> None:
    case = _queued()
    dispatcher = as_user(cast.dispatcher)
    form = {
        "action": "dispatch",
        **_form(case, cast.furong_environment.code),
    }
    url = f"/hotline/cases/{case.number}/"
    assert dispatcher.post(url, form).status_code == 302
    again = dispatcher.post(url, form, follow=True)
    page = again.content.decode()
    assert "已派单。" in page and GENERIC not in page
    assert LedgerEntry.objects.filter(action="hotline.dispatch_case").count() == 1


def test_a_colleagues_dispatch_elsewhere_is_named_with_who_sent_it(cast: HotlineCast) -> None:
    case = _queued()
    dispatcher = as_user(cast.dispatcher)
    url = f"/hotline/dispatch/{case.number}/"
    dispatcher.post(url, _form(case, cast.furong_environment.code))
    response = dispatcher.post(
        url, _form(case, cast.city_environment.code), headers={"HX-Request": "true"}
    )
    row = response.content.decode()
    assert "由刘派派至长沙市生态环境局芙蓉分局，无需重复派单" in row
    assert GENERIC not in row
    assert Case.objects.get(pk=case.pk).department == cast.furong_environment
    assert LedgerEntry.objects.filter(action="hotline.dispatch_case").count() == 1


def test_the_api_refuses_a_second_dispatch_as_already_dispatched(cast: HotlineCast) -> None:
    case = _queued()
    dispatcher = as_user(cast.dispatcher)
    payload = {"category": "环境保护", "department_code": cast.furong_environment.code}
    ok(post(dispatcher, f"/cases/{case.number}/dispatch", payload))
    refused = ok(post(dispatcher, f"/cases/{case.number}/dispatch", payload), 409)
    assert refused["code"] == "already_dispatched"
    assert refused["detail"]["department"] == cast.furong_environment.code
    assert refused["detail"]["dispatched_by"] == "刘派"
    assert "长沙市生态环境局芙蓉分局" in refused["message"]
    assert LedgerEntry.objects.filter(action="hotline.dispatch_case").count() == 1

"""签收 clicked twice, or by two handlers of the department, signs the case once.

The page answers the second click as it answered the first; the API refuses
it with its own code, not as a transition the state table lacks.
"""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.actions import CaseInput, do_submit_case
from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState, Channel
from zhengtong.hotline.tests.api_calls import POLLUTION, as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def assigned_pollution_case(cast: HotlineCast) -> Case:
    """A phone message about pollution, routed at once to 芙蓉区's environment bureau."""
    train_active_model()
    case = do_submit_case(
        CaseInput(content=POLLUTION, channel=Channel.PHONE, contact_phone="13900003333"),
        actor=TEST_ACTOR,
    )
    assert (case.state, case.department) == (CaseState.ASSIGNED, cast.furong_environment)
    return case


def test_a_sign_for_clicked_twice_is_answered_as_signed_both_times(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    handler = Client()
    handler.force_login(cast.chenhuan)
    form = {"action": "sign"}
    first = handler.post(f"/hotline/cases/{case.number}/", form)
    again = handler.post(f"/hotline/cases/{case.number}/", form, follow=True)
    assert first.status_code == 302
    page = again.content.decode()
    assert "已签收，请在答复期限内办理。" in page
    assert "工单当前的状态不允许此操作。" not in page
    assert LedgerEntry.objects.filter(action="hotline.sign_case").count() == 1


def test_the_api_refuses_a_second_sign_for_as_already_signed(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{case.number}/sign"))
    refused = ok(post(handler, f"/cases/{case.number}/sign"), 409)
    assert refused["code"] == "already_signed"
    assert Case.objects.get(pk=case.pk).state == CaseState.HANDLING

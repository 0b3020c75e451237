"""The dispatcher records the callback (回访) on the case page.

Most messages come by telephone: the caller has no account and never opens
the tracking link, so the centre calls them back and records what they say.
The page offered the full number "for the callback" but no way to record
it; only the API could, and a case answered by telephone waited for a
rating nobody could enter until the callback period ran out.
"""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState
from zhengtong.hotline.tests.api_calls import POLLUTION, URL, as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.models import LedgerEntry

REPLY = (
    "经现场核查，该化工厂夜间存在废气直排现象，已依据《大气污染防治法》责令其立即停产整改，"
    "我局将于十日内复查。联系电话 0731-84411234。"
)


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _answered_call(cast: HotlineCast) -> str:
    centre = Client(HTTP_AUTHORIZATION=f"Bearer {cast.call_centre_token}")
    created = ok(
        centre.post(
            f"{URL}/cases",
            {"content": POLLUTION, "contact_phone": "13900004444"},
            content_type="application/json",
        ),
        201,
    )
    number = str(created["number"])
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    ok(post(handler, f"/cases/{number}/reply", {"reply": REPLY}))
    return number


def test_the_dispatcher_records_an_unsatisfied_callback_once(cast: HotlineCast) -> None:
    number = _answered_call(cast)
    url = f"/hotline/cases/{number}/"
    dispatcher = as_user(cast.dispatcher)
    assert 'name="rate-rating"' in dispatcher.get(url).content.decode()
    # The department answers; the centre asks the citizen.
    assert 'name="rate-rating"' not in as_user(cast.chenhuan).get(url).content.decode()

    form = {"action": "rate", "rate-rating": "unsatisfied", "rate-comment": "晚上还在排。"}
    assert dispatcher.post(url, form).status_code == 302
    again = dispatcher.post(url, form, follow=True)
    assert again.redirect_chain and again.status_code == 200
    assert "已记录回访评价：不满意。工单已重新交办理部门办理。" in again.content.decode()
    case = Case.objects.get(number=number)
    assert (case.state, case.reopened) == (CaseState.HANDLING, True)
    assert LedgerEntry.objects.filter(action="hotline.rate_case").count() == 1

    ok(post(as_user(cast.chenhuan), f"/cases/{number}/reply", {"reply": REPLY + "已复查。"}))
    done = dispatcher.post(url, {"action": "rate", "rate-rating": "satisfied"}, follow=True)
    assert "已记录回访评价，工单已办结。" in done.content.decode()
    assert Case.objects.get(number=number).rating == "satisfied"


def test_only_the_centre_records_the_callback(cast: HotlineCast) -> None:
    number = _answered_call(cast)
    refused = as_user(cast.chenhuan).post(
        f"/hotline/cases/{number}/", {"action": "rate", "rate-rating": "satisfied"}
    )
    assert refused.status_code == 403
    assert Case.objects.get(number=number).state == CaseState.REPLIED


def test_a_callback_without_a_rating_is_refused_on_the_form(cast: HotlineCast) -> None:
    number = _answered_call(cast)
    page = as_user(cast.dispatcher).post(f"/hotline/cases/{number}/", {"action": "rate"})
    assert page.status_code == 400
    assert "rate-rating" in page.content.decode()
    assert Case.objects.get(number=number).state == CaseState.REPLIED

"""A replied case nobody rates closes when its callback period (回访期限) runs out.

Before, a citizen who never answered the callback nor rated online left the
case 已答复待回访, counted 在办 on every leader's overview, for ever.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from zhengtong.core.calendar import add_working_days
from zhengtong.hotline.models import Case
from zhengtong.hotline.tasks import close_unrated_cases
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.models import LedgerEntry

REPLY = "您好，经现场调查，已责令化工厂停产整改，本月底前复查。联系电话 0731-12345678。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _replied(cast: HotlineCast, phone: str) -> tuple[str, str]:
    # Calls from three lines: three callers, none merged into another's case.
    call_centre = Client(HTTP_AUTHORIZATION=f"Bearer {cast.call_centre_token}")
    created = submit(call_centre, contact_phone=phone)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{created['number']}/sign"))
    ok(post(handler, f"/cases/{created['number']}/reply", {"reply": REPLY}))
    return created["number"], created["tracking_code"]


def _replied_days_ago(number: str, working_days: int) -> None:
    now = timezone.now()
    # The moment from which ``working_days`` working days end just before now.
    at = now - dt.timedelta(days=working_days)
    while add_working_days(at, working_days) > now:
        at -= dt.timedelta(days=1)
    Case.objects.filter(number=number).update(replied_at=at)


@override_settings(HOTLINE_CALLBACK_WORKING_DAYS=5)
def test_an_unrated_reply_closes_after_the_callback_period_and_a_recent_one_waits(
    cast: HotlineCast,
) -> None:
    lapsed, code = _replied(cast, "13900001111")
    recent, _code = _replied(cast, "13900002222")
    rated, _rated_code = _replied(cast, "13900003333")
    _replied_days_ago(lapsed, 5)
    _replied_days_ago(rated, 5)
    ok(post(as_user(cast.dispatcher), f"/cases/{rated}/rating", {"rating": "satisfied"}))

    assert close_unrated_cases.call() == 1

    closed = ok(as_user(cast.dispatcher).get(f"{URL}/cases/{lapsed}"))
    assert (closed["state"], closed["rating"]) == ("closed", "")
    assert closed["events"][-1]["kind"] == "callback_lapsed"
    assert Case.objects.get(number=recent).state == "replied"
    assert Case.objects.get(number=rated).rating == "satisfied"
    assert LedgerEntry.objects.filter(action="hotline.close_unrated_cases").count() == 1
    # The citizen's tracking page says it closed; a late rating is refused.
    page = Client().get(f"/hotline/track/{code}/").content.decode()
    assert "已办结" in page
    late = post(as_user(cast.dispatcher), f"/cases/{lapsed}/rating", {"rating": "satisfied"})
    assert late.status_code == 409 and late.json()["code"] == "case_closed"
    # Nothing left to close: nothing written.
    assert close_unrated_cases.call() == 0
    assert LedgerEntry.objects.filter(action="hotline.close_unrated_cases").count() == 1


@override_settings(HOTLINE_CALLBACK_WORKING_DAYS=5)
def test_a_case_replied_again_after_reopening_counts_from_its_latest_reply(
    cast: HotlineCast,
) -> None:
    number, _code = _replied(cast, "13900001111")
    _replied_days_ago(number, 4)
    assert close_unrated_cases.call() == 0
    assert Case.objects.get(number=number).state == "replied"

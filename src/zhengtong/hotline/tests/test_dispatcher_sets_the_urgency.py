"""The centre sets how urgent a citizen's online message is when it dispatches it.

The citizens' form asks for no urgency (every online message comes in as
一般): the dispatcher who reads a gas leak makes it 特急, and the department's
reply deadline is that of 特急, not fifteen working days.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast

GAS = "芙蓉区五一大道一个小区楼道里燃气管道漏气，味道很大，楼里还有老人和小孩，请马上派人处理。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    # Without a routing model every message waits for a dispatcher.
    return make_hotline_cast()


def _queued_online_message() -> Case:
    sent = Client().post(
        "/hotline/new/", {"content": GAS, "contact_phone": "13900001111", "title": "燃气漏气"}
    )
    assert sent.status_code == 302
    case = Case.objects.get()
    assert case.state == "dispatching" and case.urgency == "normal"
    return case


def test_the_dispatch_page_makes_the_message_critical_and_its_deadline_that_of_critical(
    cast: HotlineCast,
) -> None:
    case = _queued_online_message()
    dispatcher = as_user(cast.dispatcher)
    assert f'name="c{case.pk}-urgency"' in dispatcher.get("/hotline/dispatch/").content.decode()
    response = dispatcher.post(
        f"/hotline/dispatch/{case.number}/",
        {
            f"c{case.pk}-category": "环境保护",
            f"c{case.pk}-department": cast.furong_environment.code,
            f"c{case.pk}-urgency": "critical",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.urgency == "critical" and case.state == "assigned"
    # 特急: a reply within two hours (the national default), not in fifteen working days.
    assert case.reply_due is not None
    assert case.reply_due <= timezone.now() + dt.timedelta(hours=2)
    page = as_user(cast.chenhuan).get(f"/hotline/cases/{case.number}/").content.decode()
    assert "紧急程度改为特急" in page


def test_the_api_sets_the_urgency_and_refuses_an_unknown_one(cast: HotlineCast) -> None:
    case = _queued_online_message()
    dispatcher = as_user(cast.dispatcher)
    sent = {"category": "环境保护", "department_code": cast.furong_environment.code}
    refused = post(dispatcher, f"/cases/{case.number}/dispatch", {**sent, "urgency": "asap"})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_urgency"
    dispatched = ok(
        post(dispatcher, f"/cases/{case.number}/dispatch", {**sent, "urgency": "urgent"})
    )
    assert dispatched["urgency"] == "urgent"

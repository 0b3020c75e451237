"""A case reopened by 不满意 waits for the callback on its second reply.

The first reply's 不满意 stays in the history; the second reply was shown
as rated 不满意 before anyone was asked about it, and the API said the case
was rated while it awaited its callback.
"""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model

REPLY = (
    "您好，经现场调查，该化工厂废气处理设施故障，我局已责令其停产整改，"
    "并将于本月底前复查。联系电话 0731-12345678。"
)


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def test_the_second_reply_is_not_shown_as_rated_before_its_callback(cast: HotlineCast) -> None:
    citizen = as_user(cast.zhangsan)
    created = submit(citizen)
    number, code = created["number"], created["tracking_code"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    ok(post(handler, f"/cases/{number}/reply", {"reply": REPLY}))
    reopened = ok(post(citizen, f"/cases/{number}/rating", {"rating": "unsatisfied"}))
    assert reopened["state"] == "handling"

    ok(post(handler, f"/cases/{number}/reply", {"reply": REPLY + "已于今日复查合格。"}))
    case = ok(as_user(cast.dispatcher).get(f"{URL}/cases/{number}"))
    assert (case["state"], case["rating"]) == ("replied", "")
    # The first callback is still told in the history.
    rated = [e for e in case["events"] if e["kind"] == "rated"]
    assert len(rated) == 1
    assert ok(Client().get(f"{URL}/track/{code}"))["rating"] == ""
    page = Client().get(f"/hotline/track/{code}/").content.decode()
    assert "您的评价" not in page and "回访评价" in page
    staff_page = as_user(cast.dispatcher).get(f"/hotline/cases/{number}/").content.decode()
    assert "回访评价：<strong>不满意</strong>" not in staff_page

    closed = ok(post(citizen, f"/cases/{number}/rating", {"rating": "satisfied"}))
    assert (closed["state"], closed["rating"]) == ("closed", "satisfied")


def test_a_second_rating_of_the_reopened_reply_says_it_was_rated(cast: HotlineCast) -> None:
    citizen = as_user(cast.zhangsan)
    created = submit(citizen)
    number, code = created["number"], created["tracking_code"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    ok(post(handler, f"/cases/{number}/reply", {"reply": REPLY}))
    ok(post(citizen, f"/cases/{number}/rating", {"rating": "unsatisfied"}))

    # The app's request retried, or a second tab: not "rate after the reply",
    # which the citizen, looking at the reply, cannot make sense of.
    again = post(citizen, f"/cases/{number}/rating", {"rating": "unsatisfied"})
    assert (again.status_code, again.json()["code"]) == (409, "already_rated")
    page = Client().post(f"/hotline/track/{code}/", {"rating": "basically", "comment": "还行"})
    assert page.status_code == 400
    text = page.content.decode()
    assert "该答复已评价为不满意，工单已重新办理" in text and "答复后才能评价" not in text

"""The leaders' satisfaction rate counts the 不满意 that reopened a case.

Reopening clears the rating from the case, so that the next reply awaits a
callback of its own; the overview counted only the ratings left on the
cases, and a reopened case's 不满意 vanished from the rate until the citizen
was called again, if ever: one 满意 and one 不满意 read as 100%.
"""

from __future__ import annotations

import pytest

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


def _replied(cast: HotlineCast, content: str) -> str:
    number = str(submit(as_user(cast.zhangsan), content)["number"])
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    ok(post(handler, f"/cases/{number}/reply", {"reply": REPLY}))
    return number


def test_a_reopening_unsatisfied_rating_counts_until_the_case_is_rated_again(
    cast: HotlineCast,
) -> None:
    citizen = as_user(cast.zhangsan)
    pleased = _replied(cast, "芙蓉区五一大道旁边的化工厂每天晚上排放刺鼻废气，希望尽快处理。")
    ok(post(citizen, f"/cases/{pleased}/rating", {"rating": "satisfied"}))
    reopened = _replied(cast, "芙蓉区韶山路的搅拌站夜间噪音污染严重，吵得睡不着，希望处理。")
    assert (
        ok(post(citizen, f"/cases/{reopened}/rating", {"rating": "unsatisfied"}))["state"]
        == "handling"
    )

    leader = as_user(cast.leader)
    assert ok(leader.get(f"{URL}/overview"))["satisfaction"] == 0.5
    page = leader.get("/hotline/overview/").content.decode()
    assert "50%" in page and "100%" not in page

    # Answered again and rated 满意 at its own callback: that is the case's word now.
    ok(post(as_user(cast.chenhuan), f"/cases/{reopened}/reply", {"reply": REPLY + "已复查合格。"}))
    ok(post(citizen, f"/cases/{reopened}/rating", {"rating": "satisfied"}))
    assert ok(leader.get(f"{URL}/overview"))["satisfaction"] == 1.0

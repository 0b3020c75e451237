"""A department's system reads through the API what the worklist page shows its people.

The department's head is notified when a callback of 不满意 reopens a case;
a department that works from its own system, not the pages, reads the same
notices from the API.
"""

from __future__ import annotations

import pytest

from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import (
    HotlineCast,
    make_furong_leader,
    make_hotline_cast,
    train_active_model,
)

REPLY = "经现场核查，该化工厂确有废气排放问题，我局已依据《大气污染防治法》责令其整改，一周内复查。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def test_a_reopened_case_is_told_to_the_handlers_and_the_head_through_the_api(
    cast: HotlineCast,
) -> None:
    citizen = as_user(cast.zhangsan)
    number = submit(citizen)["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    ok(post(handler, f"/cases/{number}/reply", {"reply": REPLY}))
    ok(post(citizen, f"/cases/{number}/rating", {"rating": "unsatisfied", "comment": "没解决"}))

    head = as_user(make_furong_leader(cast))
    # The head follows the department's cases from the API as from the worklist page.
    assert [c["number"] for c in ok(head.get(f"{URL}/department-cases"))] == [number]
    for reader in (handler, head):
        notices = ok(reader.get(f"{URL}/notifications"))
        assert [(n["kind"], n["case_number"]) for n in notices] == [("reopened", number)]
        assert notices[0]["department_code"] == cast.furong_environment.code
        assert "回访不满意" in notices[0]["text"] and notices[0]["handled_by_department"]
    # Another department's handler is told nothing of it; a citizen may not ask.
    assert ok(as_user(cast.wangzhu).get(f"{URL}/notifications")) == []
    assert citizen.get(f"{URL}/notifications").status_code == 403

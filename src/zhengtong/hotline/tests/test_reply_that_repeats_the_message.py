"""A draft reply that pastes the citizen's message back earns nothing for the copy.

Scored before it is sent, such a reply shared every word with the message
and came out fully relevant, with no hint that it says nothing of its own.
"""

from __future__ import annotations

from typing import Any

import pytest

from zhengtong.hotline.tests.api_calls import POLLUTION, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model

TITLE = "化工厂排放刺鼻废气"
SPECIFIC = (
    "您好，经芙蓉区生态环境分局现场核查，五一大道旁化工厂废气处理设施故障属实，"
    "我局已责令其停产整改，并将于本月底前复查。联系电话 0731-12345678。"
)


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _score(cast: HotlineCast, number: str, reply: str) -> dict[str, Any]:
    score: dict[str, Any] = ok(
        post(as_user(cast.chenhuan), f"/cases/{number}/reply-score", {"reply": reply})
    )
    return score


def test_a_reply_that_only_repeats_the_message_is_told_it_says_nothing(
    cast: HotlineCast,
) -> None:
    number = submit(as_user(cast.zhangsan), title=TITLE)["number"]
    for echo in (POLLUTION, f"您好，您反映的“{POLLUTION}”问题已收悉。", f"{TITLE}。{POLLUTION}"):
        score = _score(cast, number, echo)
        assert score["relevance"] == 0, echo
        assert "答复过于简短，请针对留言反映的问题具体说明" in score["advice"]
    specific = _score(cast, number, SPECIFIC)
    assert specific["relevance"] > 80
    # Quoting the message before answering it costs the answer nothing.
    quoted = _score(cast, number, f"您好，您反映的“{POLLUTION}”问题已收悉。{SPECIFIC}")
    assert quoted["relevance"] == specific["relevance"]

"""The reply-quality preview scores drafts up to the page's limit, and refuses longer ones.

The page cuts a draft at 20,000 characters (the reply itself may have 5,000);
the API scored any length, so a client could make the server score megabytes.
"""

from __future__ import annotations

import pytest

from zhengtong.hotline.actions import MAX_REPLY, MAX_REPLY_DRAFT
from zhengtong.hotline.tests.api_calls import as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model

DRAFT = "您好，经现场调查，该化工厂废气处理设施故障，我局已责令其停产整改。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def test_a_draft_longer_than_the_page_takes_is_refused_and_one_at_the_limit_scored(
    cast: HotlineCast,
) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    url = f"/cases/{number}/reply-score"
    at_limit = (DRAFT * (MAX_REPLY_DRAFT // len(DRAFT) + 1))[:MAX_REPLY_DRAFT]
    assert MAX_REPLY < len(at_limit) == MAX_REPLY_DRAFT
    assert isinstance(ok(post(handler, url, {"reply": at_limit}))["total"], int)
    refused = post(handler, url, {"reply": at_limit + "。"})
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "reply_too_long"
    assert "20000" in body["message"]
    huge = post(handler, url, {"reply": "答" * 200_000})
    assert (huge.status_code, huge.json()["code"]) == (400, "reply_too_long")

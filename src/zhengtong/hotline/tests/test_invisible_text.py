"""Text of nothing but invisible characters is no text.

A message or a reply made of zero-width spaces (U+200B) or byte-order marks
(U+FEFF), as pasted from a web page, was taken as filled in: a case with no
content to read, a reply that told the citizen nothing.
"""

from __future__ import annotations

import pytest

from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model

INVISIBLE = "\u200b\ufeff\u200b \u2060"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def test_a_message_of_invisible_characters_is_refused_as_empty(cast: HotlineCast) -> None:
    refused = post(as_user(cast.zhangsan), "/cases", {"content": INVISIBLE})
    assert refused.status_code == 400
    assert refused.json()["code"] == "content_required"
    assert not Case.objects.exists()


def test_a_reply_of_invisible_characters_is_refused_as_empty(cast: HotlineCast) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    refused = post(handler, f"/cases/{number}/reply", {"reply": INVISIBLE})
    assert refused.status_code == 400
    assert refused.json()["code"] == "reply_required"
    assert Case.objects.get(number=number).state == "handling"

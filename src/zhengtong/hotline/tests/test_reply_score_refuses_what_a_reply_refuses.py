"""A draft the reply would refuse for its text is refused its score too.

``POST /cases/{number}/reply-score`` scored an empty draft, one of blanks or
invisible characters, and one of punctuation alone (“。。。”) with 200, while
sending it as the reply is refused (``reply_required``, ``reply_without_words``)
and the page showed no score for a blank draft. The API now answers as the
reply does, and the page shows no score for any draft the reply refuses.
"""

from __future__ import annotations

import pytest

from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState
from zhengtong.hotline.tests.api_calls import as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.hotline.tests.test_sign_for_twice import assigned_pollution_case


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def signed_case(cast: HotlineCast) -> Case:
    case = assigned_pollution_case(cast)
    ok(post(as_user(cast.chenhuan), f"/cases/{case.number}/sign"))
    return case


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        ("", "reply_required"),
        ("   ", "reply_required"),
        ("\r\n\t\u200b\ufeff", "reply_required"),
        ("。。。", "reply_without_words"),
        ("……！！", "reply_without_words"),
        (" 👍 ", "reply_without_words"),
    ],
)
def test_the_score_is_refused_as_the_reply_is(cast: HotlineCast, draft: str, code: str) -> None:
    case = signed_case(cast)
    handler = as_user(cast.chenhuan)
    scored = ok(post(handler, f"/cases/{case.number}/reply-score", {"reply": draft}), 400)
    sent = ok(post(handler, f"/cases/{case.number}/reply", {"reply": draft}), 400)
    assert scored["code"] == code
    # The same refusal, message and field, as sending the draft gets.
    assert scored == sent
    assert scored["detail"] == {"fields": {"reply": scored["message"]}}
    assert Case.objects.get(pk=case.pk).state == CaseState.HANDLING


def test_the_page_shows_no_score_for_a_draft_without_words(cast: HotlineCast) -> None:
    case = signed_case(cast)
    handler = as_user(cast.chenhuan)
    url = f"/hotline/cases/{case.number}/reply-score/"
    for draft in ("。。。", "👍", " ？ \u200b"):
        preview = handler.post(url, {"reply-reply": draft})
        assert preview.status_code == 200
        assert "score-total" not in preview.content.decode(), draft
    # A draft in words is scored, however short.
    assert "score-total" in handler.post(url, {"reply-reply": "已处理。"}).content.decode()

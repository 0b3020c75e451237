"""A reply, or a department's reason, of punctuation or symbols alone is refused.

"。。。" passed as a reply: the case went to the callback with an answer that
said nothing, and a return or an extension went to the centre without a
reason. Each is now refused, ``<field>_without_words``, on the page as in the API.
"""

from __future__ import annotations

import pytest

from zhengtong.hotline.models import Case, ExtensionRequest
from zhengtong.hotline.states import CaseState
from zhengtong.hotline.tests.api_calls import as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.hotline.tests.test_sign_for_twice import assigned_pollution_case
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def signed_case(cast: HotlineCast) -> Case:
    case = assigned_pollution_case(cast)
    ok(post(as_user(cast.chenhuan), f"/cases/{case.number}/sign"))
    return case


@pytest.mark.parametrize("reply", ["。。。", "……！！", "👍", " ？ \u200b"])
def test_the_api_refuses_a_reply_without_words(cast: HotlineCast, reply: str) -> None:
    case = signed_case(cast)
    refused = ok(post(as_user(cast.chenhuan), f"/cases/{case.number}/reply", {"reply": reply}), 400)
    assert refused["code"] == "reply_without_words"
    assert refused["message"] == "答复内容不能只有标点或符号，请用文字写明。"
    assert refused["detail"]["fields"]["reply"] == refused["message"]
    assert Case.objects.get(pk=case.pk).state == CaseState.HANDLING
    assert not LedgerEntry.objects.filter(action="hotline.reply_case").exists()


def test_the_api_refuses_a_return_or_an_extension_without_words(cast: HotlineCast) -> None:
    case = signed_case(cast)
    handler = as_user(cast.chenhuan)
    returned = ok(post(handler, f"/cases/{case.number}/return", {"reason": "？？？"}), 400)
    assert returned["code"] == "reason_without_words"
    assert returned["message"] == "退回理由不能只有标点或符号，请用文字写明。"
    extension = ok(
        post(handler, f"/cases/{case.number}/extensions", {"days": 3, "reason": "……"}), 400
    )
    assert extension["code"] == "reason_without_words"
    assert extension["message"] == "延期理由不能只有标点或符号，请用文字写明。"
    assert Case.objects.get(pk=case.pk).state == CaseState.HANDLING
    assert not ExtensionRequest.objects.filter(case=case).exists()


def test_the_case_page_refuses_a_reply_without_words_next_to_the_field(cast: HotlineCast) -> None:
    case = signed_case(cast)
    handler = as_user(cast.chenhuan)
    sent = handler.post(
        f"/hotline/cases/{case.number}/", {"action": "reply", "reply-reply": "。。。"}
    )
    assert sent.status_code == 400
    assert "答复内容不能只有标点或符号，请用文字写明。" in sent.content.decode()
    assert Case.objects.get(pk=case.pk).state == CaseState.HANDLING
    # A short reply in words is an answer, however brief.
    taken = handler.post(
        f"/hotline/cases/{case.number}/", {"action": "reply", "reply-reply": "已处理。"}
    )
    assert taken.status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.REPLIED


def test_the_score_preview_waits_for_a_draft_with_visible_text(cast: HotlineCast) -> None:
    case = signed_case(cast)
    preview = as_user(cast.chenhuan).post(
        f"/hotline/cases/{case.number}/reply-score/", {"reply-reply": "\u200b\u200b"}
    )
    assert preview.status_code == 200
    assert "score-total" not in preview.content.decode()

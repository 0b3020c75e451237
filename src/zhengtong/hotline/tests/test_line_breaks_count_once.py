"""A line break is one character, as the textarea that took it counts it.

A browser sends each line break of a textarea as CR LF, while the textarea's
``maxlength`` counts it as one. 陈环's reply of fifty paragraphs fits the
reply box's 5,000 characters; the page must not refuse it as 5,000-odd by a
count he cannot see, nor store two kinds of line break. So for 张三's long
message on the 我要反映 page.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.access import handling_department_ids
from zhengtong.hotline.actions import (
    MAX_CONTENT,
    MAX_REPLY,
    CaseInput,
    do_sign_case,
    do_submit_case,
)
from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState, Channel
from zhengtong.hotline.tests.api_calls import POLLUTION
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model


@pytest.fixture
def cast(db: Any) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _paragraphs(limit: int) -> tuple[str, str]:
    """Text of ``limit`` characters counting each line break once, as the browser sends it."""
    paragraph = "经现场核查，该化工厂夜间存在废气直排现象，已责令整改，我局将于十日内复查。"
    count = limit // (len(paragraph) + 1)
    lines = [paragraph] * count
    lines[-1] += "复" * (limit - (len(paragraph) + 1) * count + 1)
    typed = "\n".join(lines)
    assert len(typed) == limit
    return typed, typed.replace("\n", "\r\n")


def test_a_long_reply_of_many_paragraphs_the_box_took_is_sent(cast: HotlineCast) -> None:
    case = do_submit_case(
        CaseInput(content=POLLUTION, channel=Channel.PHONE, contact_phone="13900003333"),
        actor=TEST_ACTOR,
    )
    case = do_sign_case(case, actor=TEST_ACTOR, departments=handling_department_ids(cast.chenhuan))
    typed, sent = _paragraphs(MAX_REPLY)
    handler = Client()
    handler.force_login(cast.chenhuan)

    response = handler.post(
        f"/hotline/cases/{case.number}/", {"action": "reply", "reply-reply": sent}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    replied = Case.objects.get(pk=case.pk)
    assert replied.state == CaseState.REPLIED and replied.reply == typed


def test_a_long_message_of_many_paragraphs_is_taken(cast: HotlineCast) -> None:
    typed, sent = _paragraphs(MAX_CONTENT)
    response = Client().post("/hotline/new/", {"content": sent, "contact_phone": "13900003333"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Case.objects.get().content == typed

"""Hot issues count people by who is known to have written, as repeats are merged.

A number typed on the public form proves nothing, so it joins no two messages
into one author: each such message is its own voice. A signed-in citizen is
their account and a number the centre registered (a call) is the caller's.
"""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model

VICTIM = "13900001111"
NOISE = "芙蓉区魅力之城小区楼下餐馆油烟噪音扰民，晚上吵得睡不着。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _post_form(title: str, content: str, phone: str) -> Case:
    response = Client().post(
        "/hotline/new/", {"title": title, "content": content, "contact_phone": phone}
    )
    assert response.status_code == 302, response.content.decode()
    return Case.objects.latest("pk")


def _hot_issues(cast: HotlineCast) -> list[dict[str, object]]:
    issues: list[dict[str, object]] = ok(as_user(cast.leader).get(f"{URL}/hot-issues?days=7"))
    return issues


def test_two_visitors_typing_the_same_number_are_two_voices(cast: HotlineCast) -> None:
    first = _post_form("魅力之城小区油烟噪音扰民", NOISE, VICTIM)
    second = _post_form("魅力之城小区餐馆噪音太大", NOISE + "请尽快处理。", VICTIM)
    [issue] = _hot_issues(cast)
    assert set(issue["cases"]) == {first.number, second.number}  # type: ignore[call-overload]
    assert issue["message_count"] == 2


def test_a_visitor_typing_a_callers_number_does_not_silence_the_call(cast: HotlineCast) -> None:
    title = "魅力之城小区油烟噪音扰民"
    call = submit(as_user(cast.dispatcher), content=NOISE, title=title, contact_phone=VICTIM)
    planted = _post_form(title, NOISE + "请尽快处理。", VICTIM)
    [issue] = _hot_issues(cast)
    assert set(issue["cases"]) == {call["number"], planted.number}  # type: ignore[call-overload]
    assert issue["message_count"] == 2


def test_calls_the_centre_registered_from_one_number_are_one_person(cast: HotlineCast) -> None:
    agent = as_user(cast.dispatcher)
    submit(agent, content=NOISE, title="魅力之城小区油烟噪音扰民", contact_phone=VICTIM)
    submit(
        agent,
        content="魅力之城小区楼下的餐馆又开始排油烟，噪音也大，邻居都受不了。",
        title="魅力之城小区餐馆噪音太大",
        contact_phone=VICTIM,
    )
    assert _hot_issues(cast) == []

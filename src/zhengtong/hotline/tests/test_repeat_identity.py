"""A repeat joins an open case only when the same person is known to have sent both.

A number typed on the public form proves nothing: anybody can type anybody's
number. Such a message is linked (并单) to a similar case, which the sender
never sees, and is never merged into another person's case.
"""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.hotline.models import Case, CaseLink
from zhengtong.hotline.tests.api_calls import POLLUTION, URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model

VICTIM = "13900001111"
AGAIN = POLLUTION + "到现在还没有人来处理！"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _post_form(http: Client, content: str, phone: str) -> Case:
    response = http.post(
        "/hotline/new/",
        {"title": "化工厂排放刺鼻废气", "content": content, "contact_phone": phone},
    )
    assert response.status_code == 302, response.content.decode()
    return Case.objects.latest("pk")


def test_a_visitor_typing_someone_elses_number_is_not_merged_into_their_case(
    cast: HotlineCast,
) -> None:
    agent = as_user(cast.dispatcher)
    first = submit(agent, content=POLLUTION, contact_phone=VICTIM)["number"]

    visitor = Client()
    response = visitor.post(
        "/hotline/new/",
        {"title": "化工厂排放刺鼻废气", "content": AGAIN, "contact_phone": VICTIM},
    )
    assert response.status_code == 302
    mine = Case.objects.latest("pk")
    assert mine.number != first
    assert mine.state != "merged" and mine.merged_into is None
    page = visitor.get(response["Location"]).content.decode()
    assert first not in page
    assert "已合并到工单" not in page
    # The centre still sees the two messages side by side (并单).
    assert CaseLink.objects.filter(case=mine, related__number=first).exists()
    assert CaseLink.objects.filter(case__number=first, related=mine).exists()
    handler = as_user(cast.chenhuan)
    assert ok(handler.get(f"{URL}/cases/{first}"))["state"] == "assigned"


def test_a_call_is_not_merged_into_a_visitors_message_with_the_same_number(
    cast: HotlineCast,
) -> None:
    planted = _post_form(Client(), POLLUTION, VICTIM)
    agent = as_user(cast.dispatcher)
    call = submit(agent, content=AGAIN, contact_phone=VICTIM)
    assert call["merged_into"] is None
    assert call["state"] != "merged"
    assert CaseLink.objects.filter(case__number=call["number"], related=planted).exists()


def test_two_visitors_with_the_same_typed_number_are_kept_apart(cast: HotlineCast) -> None:
    first = _post_form(Client(), POLLUTION, VICTIM)
    second = _post_form(Client(), AGAIN, VICTIM)
    assert second.merged_into is None and second.state != "merged"
    assert CaseLink.objects.filter(case=second, related=first).exists()
    first.refresh_from_db()
    assert first.state != "merged"


def test_the_call_centre_still_merges_a_callers_repeat(cast: HotlineCast) -> None:
    http = Client(HTTP_AUTHORIZATION=f"Bearer {cast.call_centre_token}")
    first = ok(post(http, "/cases", {"content": POLLUTION, "contact_phone": VICTIM}), 201)
    again = ok(post(http, "/cases", {"content": AGAIN, "contact_phone": "139-0000-1111"}), 201)
    assert again["state"] == "merged" and again["merged_into"] == first["number"]


def test_a_signed_in_citizen_still_has_their_repeat_merged(cast: HotlineCast) -> None:
    citizen = as_user(cast.zhangsan)
    first = _post_form(citizen, POLLUTION, "")
    again = _post_form(citizen, AGAIN, "")
    assert again.state == "merged" and again.merged_into == first


def test_a_signed_in_citizen_is_not_merged_into_a_call_from_the_number_they_type(
    cast: HotlineCast,
) -> None:
    first = submit(as_user(cast.dispatcher), content=POLLUTION, contact_phone=VICTIM)["number"]
    mine = _post_form(as_user(cast.zhangsan), AGAIN, VICTIM)
    assert mine.merged_into is None
    assert CaseLink.objects.filter(case=mine, related__number=first).exists()

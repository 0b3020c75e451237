"""Bad input to the suggestion (classify) and the dispatch is refused as its neighbours refuse it.

Classify read a message of any length, where registering the same message
refuses it past 5000 characters (``content_too_long``), and its missing
content carried another detail than registration's. A dispatch without a
department code was told no department has the code “”, where a missing
category is ``category_required``; and an unknown code of any length was
echoed back whole in the message.
"""

from __future__ import annotations

import pytest

from zhengtong.hotline.tests.api_calls import POLLUTION, as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.hotline.tests.test_sign_for_twice import assigned_pollution_case

TOO_LONG = "字" * 5001


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"content": TOO_LONG}, "content_too_long"),
        ({"content": POLLUTION, "title": "题" * 201}, "title_too_long"),
        ({"content": POLLUTION, "location_text": "地" * 201}, "location_text_too_long"),
        ({"content": " \u200b "}, "content_required"),
    ],
)
def test_classify_refuses_what_registering_refuses(
    cast: HotlineCast, fields: dict[str, str], code: str
) -> None:
    dispatcher = as_user(cast.dispatcher)
    refused = ok(post(dispatcher, "/classify", fields), 400)
    registered = ok(post(dispatcher, "/cases", fields), 400)
    assert refused["code"] == registered["code"] == code
    assert refused["detail"] == registered["detail"]


def test_classify_still_suggests_for_a_message_within_the_limits(cast: HotlineCast) -> None:
    ok(post(as_user(cast.dispatcher), "/classify", {"content": f"  {POLLUTION}  "}))


@pytest.mark.parametrize("department_code", ["", "   "])
def test_a_dispatch_without_a_department_code_is_refused_as_required(
    cast: HotlineCast, department_code: str
) -> None:
    case = assigned_pollution_case(cast)
    ok(
        post(
            as_user(cast.chenhuan), f"/cases/{case.number}/return", {"reason": "不属于本分局辖区。"}
        )
    )
    refused = ok(
        post(
            as_user(cast.dispatcher),
            f"/cases/{case.number}/dispatch",
            {"category": "环境保护", "department_code": department_code},
        ),
        400,
    )
    assert refused["code"] == "department_code_required"
    assert refused["detail"] == {"fields": {"department_code": refused["message"]}}


def test_an_unknown_department_code_is_echoed_only_when_it_could_be_one(
    cast: HotlineCast,
) -> None:
    case = assigned_pollution_case(cast)
    ok(
        post(
            as_user(cast.chenhuan), f"/cases/{case.number}/return", {"reason": "不属于本分局辖区。"}
        )
    )
    dispatcher = as_user(cast.dispatcher)
    path = f"/cases/{case.number}/dispatch"
    short = ok(post(dispatcher, path, {"category": "环境保护", "department_code": "no-such"}), 400)
    assert short["code"] == "unknown_department" and "no-such" in short["message"]
    long = ok(post(dispatcher, path, {"category": "环境保护", "department_code": "x" * 5000}), 400)
    assert long["code"] == "unknown_department"
    assert "x" * 65 not in long["message"]
    # A code sent with blanks around it is the code.
    sent = ok(
        post(
            dispatcher,
            path,
            {"category": "环境保护", "department_code": f" {cast.furong_environment.code} "},
        )
    )
    assert sent["department_code"] == cast.furong_environment.code

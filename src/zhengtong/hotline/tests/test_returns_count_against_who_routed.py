"""A return counts against whoever sent the case: the model, or the dispatcher.

The model routed 张三's message to 陈环's department, which returned it (the
model's misroute). 刘派 sent it there again by hand, and the department
returned it once more: that second return is the dispatcher's, and must not
lower the model's precision on the statistics page or in the API.
"""

from __future__ import annotations

import pytest

from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def test_a_return_after_the_dispatcher_sent_the_case_again_is_the_dispatchers(
    cast: HotlineCast,
) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    handler = as_user(cast.chenhuan)
    returned = ok(post(handler, f"/cases/{number}/return", {"reason": "不属于本分局职责"}))
    assert returned["routed_by"] == "model"
    dispatcher = as_user(cast.dispatcher)
    again = ok(
        post(
            dispatcher,
            f"/cases/{number}/dispatch",
            {"category": "环境保护", "department_code": cast.furong_environment.code},
        )
    )
    assert again["routed_by"] == "dispatcher"
    ok(post(handler, f"/cases/{number}/return", {"reason": "仍不属于本分局职责"}))

    overview = ok(as_user(cast.leader).get(f"{URL}/overview"))
    assert overview["returns_after_model"] == 1
    assert overview["returns_after_dispatcher"] == 1
    assert overview["recalls_after_dispatcher"] == 0
    # One automatic routing, one misroute of it: the dispatcher's return is not the model's.
    assert overview["routing_automatic_precision"] == 0.0

    page = dispatcher.get("/hotline/dispatch/").content.decode()
    assert "自动分拨被退回" in page and "人工派单被退回" in page

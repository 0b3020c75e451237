"""A message is sent on by itself only to a department where someone can sign for it.

An assigned case leaves its department only when the department signs for it
or sends it back, and a dispatcher cannot send an assigned case elsewhere: a
case routed where nobody handles 12345 cases would wait for ever. Such a
message waits for a dispatcher, who sees why.
"""

from __future__ import annotations

import pytest

from zhengtong.core.models import Department
from zhengtong.core.testing import TEST_ACTOR, make_department
from zhengtong.hotline.models import RoutingRule
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import (
    PASSWORD,
    HotlineCast,
    make_hotline_cast,
    train_active_model,
)
from zhengtong.identity.actions import do_create_staff

BUSES = "公交线路公交车班次太少，司机拒载绕路，希望处理。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


@pytest.fixture
def transport(cast: HotlineCast) -> Department:
    """The city transport bureau: the city routes 交通运输 to it, but nobody there handles cases."""
    bureau = make_department("长沙市交通运输局", code="cs-transport", region=cast.tree.city)
    RoutingRule.objects.create(region=cast.tree.city, category="交通运输", department=bureau)
    return bureau


def test_a_message_for_a_department_without_handlers_waits_for_a_dispatcher(
    cast: HotlineCast, transport: Department
) -> None:
    created = submit(as_user(cast.zhangsan), content=BUSES)
    assert created["state"] == "dispatching"
    assert created["department_name"] is None
    dispatcher = as_user(cast.dispatcher)
    assert [c["number"] for c in ok(dispatcher.get(f"{URL}/queue"))] == [created["number"]]
    page = dispatcher.get("/hotline/dispatch/").content.decode()
    assert "分拨规则指定的部门没有能签收工单的承办人员" in page
    suggestion = ok(post(dispatcher, "/classify", {"content": BUSES}))
    assert suggestion["department_code"] == transport.code
    assert suggestion["automatic"] is False


def test_once_the_department_has_a_handler_the_same_message_is_routed(
    cast: HotlineCast, transport: Department
) -> None:
    do_create_staff("zhaojiao", PASSWORD, "赵交", transport, ["hotline_handler"], actor=TEST_ACTOR)
    created = submit(as_user(cast.zhangsan), content=BUSES)
    assert created["state"] == "assigned"
    assert created["department_name"] == transport.name

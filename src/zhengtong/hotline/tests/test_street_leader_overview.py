"""A street's leader (街道办事处) sees the messages placed in the street.

The leader view covers the area the post answers for; a street lies below
every district, and its post saw no message at all, since messages were
matched by their district alone.
"""

from __future__ import annotations

import pytest

from zhengtong.core.testing import TEST_ACTOR, make_department
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, submit
from zhengtong.hotline.tests.cast import PASSWORD, HotlineCast, make_hotline_cast
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import User

IN_THE_STREET = "芙蓉区文艺路街道的工地每天夜间噪音污染严重，附近居民无法休息。"
ELSEWHERE = "芙蓉区五一大道旁边的化工厂每天晚上排放刺鼻废气，附近居民都不敢开窗。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


@pytest.fixture
def street_leader(cast: HotlineCast) -> User:
    office = make_department("芙蓉区文艺路街道办事处", code="fr-wyl", region=cast.tree.wenyilu)
    return do_create_staff(
        "zhoujie", PASSWORD, "周街", office, ["leader"], actor=TEST_ACTOR, scope="region"
    )


def test_a_street_leader_sees_the_streets_messages_and_no_others(
    cast: HotlineCast, street_leader: User
) -> None:
    ours = submit(as_user(cast.dispatcher), content=IN_THE_STREET, contact_phone="13900001111")
    other = submit(as_user(cast.dispatcher), content=ELSEWHERE, contact_phone="13900002222")
    leader = as_user(street_leader)
    overview = ok(leader.get(f"{URL}/overview?days=7"))
    assert overview["total"] == 1 and overview["open"] == 1
    assert [row["name"] for row in overview["by_district"]] == ["芙蓉区"]
    assert leader.get(f"{URL}/cases/{ours['number']}").status_code == 200
    assert leader.get(f"{URL}/cases/{other['number']}").status_code == 404
    page = leader.get("/hotline/overview/?days=7")
    assert page.status_code == 200

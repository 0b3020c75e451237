"""A district leader finds the district's hot issues however busy the city is.

A busy window is read from the hourly snapshot instead of being mined per
request; the district's issues are looked for among many more of the city's
than the city's own view shows, and the snapshot must hold as many.
"""

from __future__ import annotations

import pytest

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline import selectors
from zhengtong.hotline.actions import CaseInput, do_refresh_hot_issues, do_submit_case
from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import URL, as_user, ok
from zhengtong.hotline.tests.cast import (
    HotlineCast,
    make_furong_leader,
    make_hotline_cast,
    train_active_model,
)
from zhengtong.identity.models import User

# Twenty-one estates of 天心区, each with a busier issue than 芙蓉区's.
ESTATES = (
    "金桂",
    "银杉",
    "翠竹",
    "青松",
    "红枫",
    "白杨",
    "紫荆",
    "丹桂",
    "碧水",
    "蓝天",
    "彩虹",
    "朝阳",
    "明月",
    "清风",
    "春晖",
    "秋实",
    "冬青",
    "夏荷",
    "东湖",
    "西湖",
    "南湖",
)


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


@pytest.fixture
def furong_leader(cast: HotlineCast) -> User:
    return make_furong_leader(cast)


def _call(content: str, phone: str) -> Case:
    return do_submit_case(
        CaseInput(content=content, channel="phone", contact_phone=phone), actor=TEST_ACTOR
    )


def test_a_district_leader_sees_the_districts_issue_from_the_snapshot(
    cast: HotlineCast, furong_leader: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n, estate in enumerate(ESTATES):
        for m in range(3):
            _call(
                f"天心区{estate}小区楼下烧烤店油烟扰民，晚上吵得睡不着，第{m}次反映。",
                f"139{n:04d}{m:04d}",
            )
    ours = {
        _call(f"芙蓉区魅力之城小区楼下餐馆油烟噪音扰民，晚上吵得睡不着，第{m}次反映。", phone)
        for m, phone in enumerate(("13700001111", "13700002222"))
    }
    leader = as_user(furong_leader)
    live = ok(leader.get(f"{URL}/hot-issues?days=7"))
    assert [set(issue["cases"]) for issue in live] == [{case.number for case in ours}]
    city = ok(as_user(cast.leader).get(f"{URL}/hot-issues?days=7"))
    assert len(city) == selectors.CITY_ISSUES
    assert all("魅力之城" not in issue["place"] for issue in city)

    # Busy: read from the snapshot the hourly task leaves.
    monkeypatch.setattr(selectors, "LIVE_MINING_LIMIT", 2)
    do_refresh_hot_issues(actor=TEST_ACTOR)
    assert ok(leader.get(f"{URL}/hot-issues?days=7")) == live
    assert ok(as_user(cast.leader).get(f"{URL}/hot-issues?days=7")) == city
    page = leader.get("/hotline/overview/?days=7").content.decode()
    assert "魅力之城" in page


FUMES = "五一大道化工厂每天晚上排放刺鼻废气，附近居民都不敢开窗，第{m}次反映。"


def test_a_district_leader_counts_only_the_districts_messages_of_a_wider_issue(
    cast: HotlineCast, furong_leader: User
) -> None:
    # One factory's fumes, reported from two districts and from nowhere named:
    # the city sees one issue of nine messages, 芙蓉区 its own three of them.
    ours = {_call("芙蓉区" + FUMES.format(m=m), f"1370000{m:04d}").number for m in range(3)}
    for m in range(4):
        _call("天心区" + FUMES.format(m=m), f"1380000{m:04d}")
    for m in range(2):
        _call(FUMES.format(m=m), f"1390000{m:04d}")
    [city] = ok(as_user(cast.leader).get(f"{URL}/hot-issues?days=7"))
    assert city["message_count"] == 9 and len(city["cases"]) == 9

    [district] = ok(as_user(furong_leader).get(f"{URL}/hot-issues?days=7"))
    assert set(district["cases"]) == ours
    assert district["message_count"] == 3
    assert district["heat"] < city["heat"]
    assert district["label"] == city["label"]
    page = as_user(furong_leader).get("/hotline/overview/?days=7").content.decode()
    assert "<dt>诉求数</dt><dd>3</dd>" in page

"""The hot-issue API answers only for the windows it can answer for however busy the city is.

A busy city's hot issues are read from the hourly snapshots of the 7-, 30-
and 90-day windows; any other window was answered with no hot issues at all,
for as long as the city stayed busy.
"""

from __future__ import annotations

import pytest

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline import selectors
from zhengtong.hotline.actions import CaseInput, do_refresh_hot_issues, do_submit_case
from zhengtong.hotline.tests.api_calls import URL, as_user, ok
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast

NOISE = "芙蓉区魅力之城小区楼下餐馆油烟噪音扰民，晚上吵得睡不着，第{m}次反映。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def test_a_window_without_hourly_snapshots_is_refused_rather_than_empty(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    for m in range(3):
        do_submit_case(
            CaseInput(content=NOISE.format(m=m), channel="phone", contact_phone=f"1370000{m:04d}"),
            actor=TEST_ACTOR,
        )
    # Busy: read from the snapshots the hourly task leaves.
    monkeypatch.setattr(selectors, "LIVE_MINING_LIMIT", 2)
    do_refresh_hot_issues(actor=TEST_ACTOR)
    leader = as_user(cast.leader)
    [issue] = ok(leader.get(f"{URL}/hot-issues?days=7"))
    assert "魅力之城" in issue["place"]
    refused = ok(leader.get(f"{URL}/hot-issues?days=14"), 400)
    assert refused["code"] == "invalid_days"
    assert refused["message"] == "热点问题的时间范围只能是 7、30 或 90 天。"
    assert ok(leader.get(f"{URL}/hot-issues"))[0]["place"] == issue["place"]

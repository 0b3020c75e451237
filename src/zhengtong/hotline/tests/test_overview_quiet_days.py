"""The leader's daily volumes list every day of the window, the quiet ones as 0.

A series that skipped the days without messages drew the days around a quiet
spell as neighbours in any chart made from the API.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.hotline.tests.api_calls import URL, as_user, ok, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def test_the_daily_volumes_have_a_zero_for_each_quiet_day(cast: HotlineCast) -> None:
    received = timezone.now() - dt.timedelta(days=3)
    submit(
        as_user(cast.dispatcher),
        content="公交线路公交车班次太少，司机拒载绕路，希望处理。",
        contact_phone="13900001111",
        received_at=received.isoformat(),
    )
    overview = ok(as_user(cast.leader).get(f"{URL}/overview?days=7"))
    days = [dt.date.fromisoformat(day) for day, _n in overview["by_day"]]
    first = timezone.localtime(timezone.now() - dt.timedelta(days=7)).date()
    assert days == [first + dt.timedelta(days=n) for n in range(8)]
    counts = dict(zip(days, (n for _day, n in overview["by_day"]), strict=True))
    assert counts[timezone.localtime(received).date()] == 1
    assert sum(counts.values()) == 1

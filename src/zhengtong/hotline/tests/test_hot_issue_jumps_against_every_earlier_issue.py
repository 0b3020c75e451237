"""An issue's heat jump is measured against its own earlier heat, however it ranked then.

The window before is mined for the issues' earlier selves. An issue that
was not among the hottest then (twenty busier ones elsewhere) was still
there: compared with a lone message instead, a steady issue would be shown
to leaders as a sudden jump.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.actions import CaseInput, do_refresh_hot_issues, do_submit_case
from zhengtong.hotline.models import HotIssueAlert
from zhengtong.hotline.tests.api_calls import URL, as_user, ok
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.hotline.tests.test_hot_issues_by_district import ESTATES

OURS = "芙蓉区魅力之城小区楼下餐馆油烟噪音扰民，晚上吵得睡不着，第{m}次反映。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def _call(content: str, phone: str, *, days_ago: int, supporters: int = 0) -> None:
    do_submit_case(
        CaseInput(
            content=content,
            channel="phone",
            contact_phone=phone,
            received_at=timezone.now() - dt.timedelta(days=days_ago),
            supporters=supporters,
        ),
        actor=TEST_ACTOR,
    )


def test_a_steady_issue_below_the_hottest_of_the_week_before_has_not_jumped(
    cast: HotlineCast,
) -> None:
    # The week before: twenty-one busier issues in 天心区, and ours with three callers.
    for n, estate in enumerate(ESTATES):
        for m in range(3):
            _call(
                f"天心区{estate}小区楼下烧烤店油烟扰民，晚上吵得睡不着，第{m}次反映。",
                f"139{n:04d}{m:04d}",
                days_ago=10,
                supporters=10,
            )
    for m in range(3):
        _call(OURS.format(m=m), f"1370000{m:04d}", days_ago=10)
    # This week: five callers, less than twice as hot as it was.
    for m in range(5):
        _call(OURS.format(m=m + 3), f"1370001{m:04d}", days_ago=5)

    [issue] = ok(as_user(cast.leader).get(f"{URL}/hot-issues?days=7"))
    assert "魅力之城" in issue["place"] and issue["message_count"] == 5
    assert issue["jumped_by"] is None
    assert do_refresh_hot_issues(actor=TEST_ACTOR) == []
    assert not HotIssueAlert.objects.exists()

"""The menu's count of new heat-jump alerts is what the leader's alert log shows 未确认.

The count was of the notices the leader was given when each alert was
raised, while the log follows the area the leader's overview covers now: a
leader who moved from 芙蓉区 to 天心区 was still counted an alert their log
no longer shows, and a leader whose post came after an alert was shown it
未确认 in the log but counted none.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR, make_department
from zhengtong.hotline.actions import CaseInput, do_refresh_hot_issues, do_submit_case
from zhengtong.hotline.models import HotIssueAlert, HotIssueAlertNotice
from zhengtong.hotline.tests.api_calls import URL, as_user, ok
from zhengtong.hotline.tests.cast import HotlineCast, make_furong_leader, make_hotline_cast
from zhengtong.identity.actions import do_assign_post, do_end_post
from zhengtong.identity.models import StaffPost, User

FUMES = "芙蓉区魅力之城小区楼下餐馆油烟噪音扰民，晚上吵得睡不着，第{m}次反映。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def _jump() -> HotIssueAlert:
    """Six callers about one restaurant in 芙蓉区, then the hourly refresh: one alert."""
    received = timezone.now() - dt.timedelta(hours=2)
    for m in range(6):
        do_submit_case(
            CaseInput(
                content=FUMES.format(m=m),
                channel="phone",
                contact_phone=f"1390000100{m}",
                received_at=received - dt.timedelta(minutes=m),
            ),
            actor=TEST_ACTOR,
        )
    [alert] = do_refresh_hot_issues(actor=TEST_ACTOR, now=received + dt.timedelta(hours=1))
    return alert


def _shown(user: User) -> tuple[int, int]:
    """(the menu's count of new alerts, the alerts the log shows 未确认) on the overview page."""
    page = as_user(user).get("/hotline/overview/?days=7").content.decode()
    counted = re.search(r"(\d+) 条新预警", page)
    log = re.search(r'<section class="section alert-log".*?</section>', page, re.S)
    assert log is not None
    return (int(counted.group(1)) if counted else 0, log.group(0).count("未确认"))


def test_a_leader_moved_to_another_district_is_not_counted_the_old_districts_alert(
    cast: HotlineCast,
) -> None:
    leader = make_furong_leader(cast)
    _jump()
    assert HotIssueAlertNotice.objects.filter(user=leader, acknowledged_at=None).count() == 1
    assert _shown(leader) == (1, 1)
    office = make_department("长沙市天心区人民政府", code="tx-gov", region=cast.tree.tianxin)
    do_assign_post(leader, office, "leader", actor=TEST_ACTOR, scope="region")
    for post in StaffPost.objects.filter(user=leader, department=cast.furong_environment):
        do_end_post(post, actor=TEST_ACTOR)
    assert ok(as_user(leader).get(f"{URL}/hot-issues/alerts")) == []
    assert _shown(leader) == (0, 0)
    # Every hotline page's menu says the same.
    assert "新预警" not in as_user(leader).get("/hotline/overview/").content.decode()


def test_a_leader_whose_post_came_after_the_alert_is_counted_it(cast: HotlineCast) -> None:
    alert = _jump()
    leader = make_furong_leader(cast)
    assert not HotIssueAlertNotice.objects.filter(user=leader).exists()
    [listed] = ok(as_user(leader).get(f"{URL}/hot-issues/alerts"))
    assert listed["id"] == alert.pk and listed["acknowledged_at"] is None
    assert _shown(leader) == (1, 1)


def test_the_count_goes_once_the_alert_is_acknowledged(cast: HotlineCast) -> None:
    alert = _jump()
    leader = cast.leader
    assert _shown(leader) == (1, 1)
    as_user(leader).post(f"/hotline/overview/alerts/{alert.pk}/acknowledge/", {"days": "7"})
    assert _shown(leader) == (0, 0)

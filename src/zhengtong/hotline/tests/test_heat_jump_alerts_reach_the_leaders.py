"""A heat jump is told to the leaders of the place, and kept in their overview's alert log.

A refresh that records an alert gives a notice to every leader whose overview
covers the issue's messages: the city's leader and 芙蓉区's, not 天心区's. The
alert log keeps the alert after the week's jumps are gone; each leader
acknowledges it once, in the ledger, and only an alert of their own area.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR, make_department
from zhengtong.hotline.actions import CaseInput, do_refresh_hot_issues, do_submit_case
from zhengtong.hotline.models import HotIssueAlert, HotIssueAlertNotice
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post
from zhengtong.hotline.tests.cast import (
    PASSWORD,
    HotlineCast,
    make_furong_leader,
    make_hotline_cast,
)
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import User
from zhengtong.ledger.actions import record_entry
from zhengtong.ledger.models import LedgerEntry

ALERTS = f"{URL}/hot-issues/alerts"
FUMES = "芙蓉区魅力之城小区楼下餐馆油烟噪音扰民，晚上吵得睡不着，第{m}次反映。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


@pytest.fixture
def furong_leader(cast: HotlineCast) -> User:
    return make_furong_leader(cast)


@pytest.fixture
def tianxin_leader(cast: HotlineCast) -> User:
    office = make_department("长沙市天心区人民政府", code="tx-gov", region=cast.tree.tianxin)
    return do_create_staff(
        "qianqu", PASSWORD, "钱区", office, ["leader"], actor=TEST_ACTOR, scope="region"
    )


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The hotline's ledger entries as written (the ledger keeps only a hash of the data)."""
    written: list[dict[str, Any]] = []

    def recording(**entry: Any) -> Any:
        written.append(entry)
        return record_entry(**entry)

    monkeypatch.setattr("zhengtong.hotline.actions.record_entry", recording)
    return written


def _jump(*, days_ago: int = 0) -> HotIssueAlert:
    """Six callers about one restaurant in 芙蓉区, then the hourly refresh: one alert."""
    received = timezone.now() - dt.timedelta(days=days_ago)
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


def _page(user: User, days: int = 7) -> str:
    response = as_user(user).get(f"/hotline/overview/?days={days}")
    assert response.status_code == 200
    return str(response.content.decode())


def _alert_log(page: str) -> str:
    match = re.search(r'<section class="section alert-log".*?</section>', page, re.S)
    assert match is not None
    return match.group(0)


def test_a_jump_tells_the_city_and_district_leaders_and_not_another_districts(
    cast: HotlineCast,
    furong_leader: User,
    tianxin_leader: User,
    ledger: list[dict[str, Any]],
) -> None:
    alert = _jump()

    told = HotIssueAlertNotice.objects.filter(alert=alert, acknowledged_at=None)
    assert sorted(told.values_list("user__username", flat=True)) == ["sunqu", "zhaoliu"]
    [entry] = [e for e in ledger if e["action"] == "hotline.record_heat_jumps"]
    assert entry["data"]["told"] == ["zhaoliu", "sunqu"]
    assert LedgerEntry.objects.filter(action="hotline.record_heat_jumps").count() == 1

    for leader in (cast.leader, furong_leader):
        [listed] = ok(as_user(leader).get(ALERTS))
        assert listed["id"] == alert.pk and "魅力之城" in listed["place"]
        assert listed["message_count"] == 6 and listed["ratio"] > 1
        assert sorted(listed["cases"]) == sorted(alert.case_numbers)
        assert listed["notified_at"] is not None and listed["acknowledged_at"] is None
        assert "1 条新预警" in _page(leader)
    assert ok(as_user(tianxin_leader).get(ALERTS)) == []
    assert "新预警" not in _page(tianxin_leader)


def test_the_alert_log_keeps_an_alert_after_its_jump_is_gone(
    cast: HotlineCast, furong_leader: User, tianxin_leader: User
) -> None:
    # Raised three weeks ago: the week's hot issues no longer show the jump.
    alert = _jump(days_ago=21)
    page = _page(furong_leader, days=7)
    assert 'id="heat-jumps"' not in page
    log = _alert_log(page)
    assert f'id="alert-{alert.pk}"' in log and alert.label in log
    assert (
        alert.created_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M")
        in log
    )
    for number in alert.case_numbers:
        assert f'href="/hotline/cases/{number}/"' in log
    assert f'action="/hotline/overview/alerts/{alert.pk}/acknowledge/"' in log
    # The linked cases open for the leader who is shown them.
    number = alert.case_numbers[0]
    assert as_user(furong_leader).get(f"/hotline/cases/{number}/").status_code == 200

    other = _alert_log(_page(tianxin_leader, days=7))
    assert f'id="alert-{alert.pk}"' not in other and "暂无热度骤升预警" in other


def test_a_leader_acknowledges_an_alert_once_and_it_is_in_the_ledger(
    cast: HotlineCast, furong_leader: User
) -> None:
    alert = _jump()
    leader = as_user(furong_leader)

    done = ok(post(leader, f"/hot-issues/alerts/{alert.pk}/acknowledge"))
    assert done["id"] == alert.pk and done["acknowledged_at"] is not None
    entry = LedgerEntry.objects.get(action="hotline.acknowledge_heat_alert")
    assert (entry.subject_type, entry.subject_id) == ("hotline.HotIssueAlert", str(alert.pk))
    assert entry.actor_ref == f"user:{furong_leader.pk}"

    again = post(leader, f"/hot-issues/alerts/{alert.pk}/acknowledge")
    assert again.status_code == 409 and again.json()["code"] == "heat_alert_acknowledged"
    assert LedgerEntry.objects.filter(action="hotline.acknowledge_heat_alert").count() == 1
    [listed] = ok(leader.get(ALERTS))
    assert listed["acknowledged_at"] == done["acknowledged_at"]
    assert "新预警" not in _page(furong_leader)
    # The acknowledgement is the district leader's: the city's leader still has it to see.
    [city] = ok(as_user(cast.leader).get(ALERTS))
    assert city["acknowledged_at"] is None


def test_the_page_acknowledges_an_alert_and_goes_back_to_the_log(
    cast: HotlineCast, furong_leader: User
) -> None:
    alert = _jump()
    leader = as_user(furong_leader)
    url = f"/hotline/overview/alerts/{alert.pk}/acknowledge/"

    response = leader.post(url, {"days": "7"})
    assert response.status_code == 302
    assert response["Location"] == "/hotline/overview/?days=7#alert-log"
    log = _alert_log(_page(furong_leader))
    assert "已确认" in log and url not in log
    # Sent again (a second tab): said on the page, acknowledged once.
    again = leader.post(url, {"days": "7"}, follow=True)
    assert "您已确认过该热点预警。" in again.content.decode()
    assert LedgerEntry.objects.filter(action="hotline.acknowledge_heat_alert").count() == 1


def test_an_alert_of_another_area_or_none_at_all_is_not_found(
    cast: HotlineCast, tianxin_leader: User
) -> None:
    alert = _jump()
    other = as_user(tianxin_leader)

    for alert_id in (alert.pk, alert.pk + 1000):
        refused = post(other, f"/hot-issues/alerts/{alert_id}/acknowledge")
        assert refused.status_code == 404 and refused.json()["code"] == "heat_alert_not_found"
    page = other.post(f"/hotline/overview/alerts/{alert.pk}/acknowledge/")
    assert page.status_code == 404
    # Staff without the overview are refused the list and the acknowledgement.
    handler = as_user(cast.chenhuan)
    listing = handler.get(ALERTS)
    assert listing.status_code == 403 and listing.json()["code"] == "permission_denied"
    assert post(handler, f"/hot-issues/alerts/{alert.pk}/acknowledge").status_code == 403
    assert not LedgerEntry.objects.filter(action="hotline.acknowledge_heat_alert").exists()
    assert not HotIssueAlertNotice.objects.filter(acknowledged_at__isnull=False).exists()


def test_a_leader_appointed_after_the_alert_finds_it_and_may_acknowledge_it(
    cast: HotlineCast,
) -> None:
    alert = _jump()
    newcomer = do_create_staff(
        "liqu",
        PASSWORD,
        "李区",
        cast.furong_environment,
        ["leader"],
        actor=TEST_ACTOR,
        scope="region",
    )
    [listed] = ok(as_user(newcomer).get(ALERTS))
    assert listed["id"] == alert.pk and listed["notified_at"] is None
    done = ok(post(as_user(newcomer), f"/hot-issues/alerts/{alert.pk}/acknowledge"))
    assert done["notified_at"] is not None and done["acknowledged_at"] is not None

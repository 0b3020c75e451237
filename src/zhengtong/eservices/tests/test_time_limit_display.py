"""What the time-limit warning says once an application is finished, on every view of it."""

import datetime as dt

import pytest

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.eservices.application_actions import do_refresh_time_limits
from zhengtong.eservices.models import WorkTask
from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
    ApplicationsCast,
    cast,
    logged_in,
)
from zhengtong.eservices.tests.test_applications_flow import (
    URL,
    _ok,
    ask_for_correction,
    do_step,
    freeze,
    next_monday,
    submitted,
)

__all__ = ["cast"]

WORK = "/services/work/"


def _accepted(cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dt.datetime]:
    """An application accepted on a Monday at 10:00 (5 working days to its deadline)."""
    accepted = next_monday()
    freeze(monkeypatch, accepted)
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    do_step(logged_in(cast.clerk), number, passed=True, opinion="予以受理")
    return number, accepted


def _decide(cast: ApplicationsCast, number: str) -> None:
    do_step(logged_in(cast.reviewer), number, passed=True)
    do_step(logged_in(cast.leader), number, passed=True)


def _warnings(cast: ApplicationsCast, number: str) -> tuple[str, str, str, str]:
    """The warning as the API's list, its detail, 我的办件 and the application's page show it."""
    applicant = logged_in(cast.applicant)
    [listed] = [a for a in _ok(applicant.get(f"{URL}/")) if a["number"] == number]
    detail = _ok(applicant.get(f"{URL}/{number}"))
    mine = applicant.get("/services/mine/").content.decode()
    page = applicant.get(f"/services/mine/{number}/").content.decode()
    # The badges, not the timeline, which keeps the warnings given on the way.
    shown_mine = "normal"
    if 'tag-red">红牌超期' in mine:
        shown_mine = "red"
    elif 'tag-soon">黄牌预警' in mine:
        shown_mine = "yellow"
    shown_page = (
        "red"
        if 'tag-red">已超期' in page
        else "yellow"
        if 'tag-soon">即将到期' in page
        else "normal"
    )
    assert detail["warning_level"] == listed["warning_level"]
    return listed["warning_level"], detail["time_limit"]["level"], shown_mine, shown_page


def test_an_application_decided_in_time_no_longer_says_its_deadline_is_near(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, accepted = _accepted(cast, monkeypatch)
    # A week later 5 of the 5.6 working days are used: the refresh turns it yellow.
    freeze(monkeypatch, accepted + dt.timedelta(days=7))
    assert do_refresh_time_limits(actor=TEST_ACTOR) == [number]
    assert _warnings(cast, number) == ("yellow", "yellow", "yellow", "yellow")

    _decide(cast, number)

    assert _warnings(cast, number) == ("normal", "normal", "normal", "normal")


def test_an_application_decided_late_says_so_before_any_refresh(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, accepted = _accepted(cast, monkeypatch)
    # Decided two weeks later, the deadline passed; no refresh ran meanwhile.
    freeze(monkeypatch, accepted + dt.timedelta(days=14))

    _decide(cast, number)

    assert _warnings(cast, number) == ("red", "red", "red", "red")


def test_an_application_withdrawn_in_time_carries_no_warning(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, accepted = _accepted(cast, monkeypatch)
    freeze(monkeypatch, accepted + dt.timedelta(days=7))
    do_refresh_time_limits(actor=TEST_ACTOR)

    _ok(
        logged_in(cast.applicant).post(
            f"{URL}/{number}/withdraw", {"note": "不开了"}, content_type="application/json"
        )
    )

    assert _warnings(cast, number) == ("normal", "normal", "normal", "normal")


def test_the_workbench_says_the_clock_is_paused_only_while_it_stands_still(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, _accepted_at = _accepted(cast, monkeypatch)
    reviewer = logged_in(cast.reviewer)
    review = WorkTask.objects.get(application__number=number, completed_at=None)
    assert "· 计时暂停" not in reviewer.get(f"{WORK}{review.pk}/").content.decode()
    ask_for_correction(reviewer, number, "请补充功能分区")
    assert "· 计时暂停" in reviewer.get(f"{WORK}{review.pk}/").content.decode()
    _ok(
        logged_in(cast.applicant).post(
            f"{URL}/{number}/correction", {"note": "已补"}, content_type="application/json"
        )
    )

    _decide(cast, number)

    # Decided, the clock neither runs nor is paused: the pages say nothing of a pause.
    decision = WorkTask.objects.get(application__number=number, step="decide")
    page = logged_in(cast.leader).get(f"{WORK}{decision.pk}/").content.decode()
    assert "该环节已于" in page and "· 计时暂停" not in page
    applicant_page = logged_in(cast.applicant).get(f"/services/mine/{number}/").content.decode()
    assert "办理时限暂停计算中" not in applicant_page

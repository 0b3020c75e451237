"""Special procedures run for their maximum working days at most without costing the limit.

公共场所卫生许可: 卫生检测 stops the clock for 15 working days at most, 现场审核
is counted in the limit and has 5. The planned end is shown to staff and the
applicant; past it the procedure is flagged, and a stopped clock runs again.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from zhengtong.core.calendar import add_working_days, working_days_between
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.eservices.application_actions import do_refresh_time_limits
from zhengtong.eservices.models import Application, Notification, ServiceItem
from zhengtong.eservices.tests.test_applications_cast import (
    ApplicationsCast,
    cast,
    logged_in,
)
from zhengtong.eservices.tests.test_applications_flow import (
    URL,
    _ok,
    freeze,
    hygiene_reviewed,
    next_monday,
    same_instant,
)
from zhengtong.identity.models import User
from zhengtong.ledger.models import LedgerEntry

__all__ = ["cast"]


@dataclass
class Hygiene:
    item: ServiceItem
    leader: User
    number: str
    accepted: dt.datetime


def _reviewed(cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch) -> Hygiene:
    """A 公共场所卫生许可 accepted and reviewed on a Monday, waiting for the leader."""
    accepted = next_monday()
    freeze(monkeypatch, accepted)
    case = hygiene_reviewed(cast)
    return Hygiene(case.item, case.leader, case.number, accepted)


def _start(case: Hygiene, name: str) -> Any:
    procedure = case.item.special_procedures.get(name=name)
    return _ok(
        logged_in(case.leader).post(
            f"{URL}/{case.number}/special-procedures",
            {"procedure_id": procedure.pk, "note": ""},
            content_type="application/json",
        )
    )


def _at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def test_a_procedure_shows_its_planned_end_to_staff_and_the_applicant(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _reviewed(cast, monkeypatch)
    tested = case.accepted + dt.timedelta(days=1)
    freeze(monkeypatch, tested)
    body = _start(case, "卫生检测")
    (suspension,) = body["suspensions"]
    planned = add_working_days(tested, 15)
    assert same_instant(_at(suspension["planned_end_at"]), planned)
    assert suspension["overdue"] is False
    assert LedgerEntry.objects.filter(action="eservices.start_special_procedure").count() == 1

    shown = f"最长至 {planned.astimezone(dt.UTC).astimezone(tested.tzinfo):%Y-%m-%d %H:%M}"
    page = logged_in(cast.applicant).get(f"/services/mine/{case.number}/").content.decode()
    assert shown in page and "特别程序超期" not in page
    task = Application.objects.get(number=case.number).tasks.get(completed_at=None)
    work = logged_in(case.leader).get(f"/services/work/{task.pk}/").content.decode()
    assert shown in work and "特别程序超期" not in work


def test_a_procedure_past_its_maximum_days_stops_the_clock_no_longer(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _reviewed(cast, monkeypatch)
    tested = case.accepted + dt.timedelta(days=1)
    freeze(monkeypatch, tested)
    _start(case, "卫生检测")
    planned = add_working_days(tested, 15)
    expected = add_working_days(case.accepted, 5, [(tested, planned)])

    # Six working days past its planned end the test still runs.
    late = add_working_days(tested, 21)
    freeze(monkeypatch, late)
    leader = logged_in(case.leader)
    body = _ok(leader.get(f"{URL}/{case.number}"))
    (suspension,) = body["suspensions"]
    assert suspension["ended_at"] is None and suspension["overdue"] is True
    limit = body["time_limit"]
    # The clock runs again from the planned end: 1 + 6 days are used, the deadline
    # is fixed and passed.
    assert limit["running"] is True
    assert same_instant(_at(limit["deadline_at"]), expected)
    assert limit["used_days"] == pytest.approx(7, abs=0.01)
    assert limit["level"] == "red"
    # Stopped from the start to the end of the 15th working day after it, no longer.
    assert limit["stopped_days"] == pytest.approx(working_days_between(tested, planned), abs=0.01)

    # The refresh stores the deadline, tells the applicant and flags it on the workbench.
    assert do_refresh_time_limits(actor=TEST_ACTOR) == [case.number]
    application = Application.objects.get(number=case.number)
    assert application.deadline_at is not None and same_instant(application.deadline_at, expected)
    assert application.events.filter(kind="procedure_overran").exists()
    told = Notification.objects.get(user=cast.applicant, text__contains="超过最长时限")
    assert case.number in told.text
    worklist = leader.get("/services/work/").content.decode()
    assert "特别程序超期" in worklist
    page = logged_in(cast.applicant).get(f"/services/mine/{case.number}/").content.decode()
    assert "特别程序超期" in page and "办理时限暂停计算中" not in page

    # Ended late, it moves the deadline by its maximum days, not by the days it ran.
    body = _ok(leader.post(f"{URL}/{case.number}/special-procedures/end"))
    assert same_instant(_at(body["deadline_at"]), expected)
    assert body["suspensions"][0]["overdue"] is True
    assert LedgerEntry.objects.filter(action="eservices.end_special_procedure").count() == 1


def test_a_procedure_ended_in_time_moves_the_deadline_by_the_days_it_ran(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _reviewed(cast, monkeypatch)
    tested = case.accepted + dt.timedelta(days=1)
    freeze(monkeypatch, tested)
    _start(case, "卫生检测")
    done = add_working_days(tested, 4)
    freeze(monkeypatch, done)
    body = _ok(logged_in(case.leader).post(f"{URL}/{case.number}/special-procedures/end"))
    deadline = add_working_days(case.accepted, 5, [(tested, done)])
    assert same_instant(_at(body["deadline_at"]), deadline)
    assert body["suspensions"][0]["overdue"] is False
    # Told when it started, the applicant is told when it ends, with the deadline it leaves.
    told = Notification.objects.get(user=cast.applicant, text__contains="已结束")
    assert "卫生检测" in told.text and f"{deadline:%Y-%m-%d}" in told.text


def test_a_counted_procedure_past_its_days_is_flagged_and_the_clock_is_unchanged(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _reviewed(cast, monkeypatch)
    visited = case.accepted + dt.timedelta(days=1)
    freeze(monkeypatch, visited)
    _start(case, "现场审核")
    freeze(monkeypatch, add_working_days(visited, 6))
    leader = logged_in(case.leader)
    body = _ok(leader.get(f"{URL}/{case.number}"))
    assert body["suspensions"][0]["overdue"] is True
    assert same_instant(_at(body["time_limit"]["deadline_at"]), add_working_days(case.accepted, 5))
    assert "特别程序超期" in leader.get("/services/work/").content.decode()

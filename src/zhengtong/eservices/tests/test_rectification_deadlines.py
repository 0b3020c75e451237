"""Bad ratings' rectifications: the soonest due comes first and one past its deadline says so."""

import datetime as dt

import pytest

from zhengtong.eservices.models import Rectification
from zhengtong.eservices.tests.test_applications_cast import (
    AUTOMATIC_FORM,
    ApplicationsCast,
    cast,
    logged_in,
)
from zhengtong.eservices.tests.test_applications_flow import (
    URL,
    _ok,
    freeze,
    next_monday,
    submitted,
)

__all__ = ["cast"]

WORK = "/services/work/rectifications/"


def _rated_badly(cast: ApplicationsCast, comment: str) -> str:
    """An application approved at once (秒批) and rated 不满意; its number."""
    applicant = logged_in(cast.applicant)
    number = str(submitted(applicant, cast, AUTOMATIC_FORM)["number"])
    _ok(
        applicant.post(
            f"{URL}/{number}/ratings",
            {"level": 2, "comment": comment},
            content_type="application/json",
        ),
        201,
    )
    return number


def test_the_rectification_due_first_is_listed_first_and_marked_once_overdue(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monday = next_monday()
    # Rated on Thursday first, then (recorded later) one rated on Monday: due sooner.
    freeze(monkeypatch, monday + dt.timedelta(days=3))
    later = _rated_badly(cast, "周四的差评")
    freeze(monkeypatch, monday)
    sooner = _rated_badly(cast, "周一的差评")
    due = Rectification.objects.get(rating__application__number=sooner).due_at
    assert due < Rectification.objects.get(rating__application__number=later).due_at

    freeze(monkeypatch, due + dt.timedelta(hours=1))
    leader = logged_in(cast.leader)
    listed = _ok(leader.get(f"{URL}/rectifications"))
    assert [r["application_number"] for r in listed] == [sooner, later]
    page = leader.get(WORK).content.decode()
    assert page.index(sooner) < page.index(later)
    sooner_part, later_part = (
        page[page.index(sooner) : page.index(later)],
        page[page.index(later) :],
    )
    assert "已逾期" in sooner_part and "已逾期" not in later_part

    # The applicant is not told that the department will answer by a day gone by.
    applicant = logged_in(cast.applicant)
    overdue = applicant.get(f"/services/mine/{sooner}/").content.decode()
    assert "前整改答复，已逾期。" in overdue and "部门将在" not in overdue
    waiting = applicant.get(f"/services/mine/{later}/").content.decode()
    assert "部门将在" in waiting and "已逾期" not in waiting


def test_an_answer_sent_twice_is_told_as_answered_already(cast: ApplicationsCast) -> None:
    number = _rated_badly(cast, "态度不好")
    row = Rectification.objects.get(rating__application__number=number)
    leader = logged_in(cast.leader)
    answer = {"rectification": row.pk, f"r{row.pk}-response": "已约谈窗口人员并整改"}
    assert leader.post(WORK, answer).status_code == 302

    # The button pressed twice: the second post finds it answered and says so.
    again = leader.post(WORK, answer, follow=True)

    assert again.status_code == 200
    assert "该差评已经答复。" in again.content.decode()
    row.refresh_from_db()
    assert row.response == "已约谈窗口人员并整改"

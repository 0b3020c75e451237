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


def test_a_rectification_left_unanswered_past_its_deadline_is_flagged_to_the_department_once(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhengtong.eservices.models import Notification
    from zhengtong.eservices.tasks import flag_overdue_rectifications
    from zhengtong.ledger.models import LedgerEntry

    monday = next_monday()
    # As above: a second licence for the same premises is issued at once only
    # when the first is not yet in force, so the later rating is made first.
    freeze(monkeypatch, monday + dt.timedelta(days=3))
    answered = _rated_badly(cast, "等了很久")
    freeze(monkeypatch, monday)
    overdue = _rated_badly(cast, "窗口推诿")
    leader = logged_in(cast.leader)
    rows = {r.rating.application.number: r for r in Rectification.objects.all()}
    assert (
        leader.post(
            WORK, {"rectification": rows[answered].pk, f"r{rows[answered].pk}-response": "已整改"}
        ).status_code
        == 302
    )
    due = rows[overdue].due_at

    def told() -> list[Notification]:
        return list(Notification.objects.filter(text__startswith="差评整改逾期"))

    # Before the deadline there is nothing to tell.
    freeze(monkeypatch, due - dt.timedelta(minutes=1))
    flag_overdue_rectifications.enqueue()
    assert told() == []

    freeze(monkeypatch, due + dt.timedelta(minutes=1))
    flag_overdue_rectifications.enqueue()
    [notice] = told()
    # Those who answer the department's ratings hear of it; the window clerk does not.
    assert notice.user_id == cast.leader.pk
    assert overdue in notice.text and answered not in notice.text
    assert notice.link == WORK
    # The worklist, where the leader's day starts, says so too (a new day's session).
    leader = logged_in(cast.leader)
    assert "1 件已逾期" in leader.get("/services/work/").content.decode()

    # Once only, however often the scheduler runs it.
    flag_overdue_rectifications.enqueue()
    assert len(told()) == 1
    assert LedgerEntry.objects.filter(action="eservices.flag_overdue_rectifications").count() == 1

    # Once answered, it is no longer counted as overdue.
    row = rows[overdue]
    assert (
        leader.post(
            WORK, {"rectification": row.pk, f"r{row.pk}-response": "已约谈窗口人员"}
        ).status_code
        == 302
    )
    assert "件已逾期" not in leader.get("/services/work/").content.decode()

"""Answered rectifications: late answers read as late, and staff can look answered ones up.

The department's rectifications page and API list the open ones by default;
``state=answered`` and ``state=all`` show what was said, when, whether it came
late and the applicant's rating after it. A department sees its own only.
"""

import datetime as dt

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.eservices.models import Rectification
from zhengtong.eservices.tests.test_applications_cast import (
    PASSWORD,
    ApplicationsCast,
    cast,
    logged_in,
)
from zhengtong.eservices.tests.test_applications_flow import (
    URL,
    _ok,
    freeze,
    next_monday,
)
from zhengtong.eservices.tests.test_rectification_deadlines import (
    _rated_badly as rated_badly,
)
from zhengtong.identity.actions import do_create_staff

__all__ = ["cast"]

WORK = "/services/work/rectifications/"
LATE = "逾期答复"


def _rated_badly(cast: ApplicationsCast, comment: str) -> Rectification:
    """An application approved at once (秒批) and rated 不满意; its rectification."""
    number = rated_badly(cast, comment)
    return Rectification.objects.get(rating__application__number=number)


def _answer(staff: Client, row: Rectification, response: str) -> None:
    answered = staff.post(WORK, {"rectification": row.pk, f"r{row.pk}-response": response})
    assert answered.status_code == 302
    assert answered["Location"].startswith(WORK)


def _rating_of(applicant: Client, row: Rectification) -> dict[str, object]:
    detail = _ok(applicant.get(f"{URL}/{row.rating.application.number}"))
    [rating] = [r for r in detail["ratings"] if r["rectification_id"] == row.pk]
    assert isinstance(rating, dict)
    return rating


def _panel(page: str, number: str) -> str:
    """The part of a rectifications page about one application."""
    start = page.index(f"<code>{number}</code>")
    end = page.find("<section", start)
    return page[start : end if end != -1 else len(page)]


def test_an_answer_after_the_deadline_reads_as_late_to_the_applicant_and_the_department(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(monkeypatch, next_monday())
    row = _rated_badly(cast, "窗口推诿")
    # Sessions are logged in anew after the clock moves: days later they would have expired.
    freeze(monkeypatch, row.due_at + dt.timedelta(hours=2))
    leader = logged_in(cast.leader)
    _answer(leader, row, "已约谈窗口人员\n并加强培训")

    applicant = logged_in(cast.applicant)
    rating = _rating_of(applicant, row)
    assert rating["answered_late"] is True
    assert rating["rectification_overdue"] is False
    page = applicant.get(f"/services/mine/{row.rating.application.number}/").content.decode()
    # A line break in the answer stays one for the applicant.
    assert "已约谈窗口人员<br>并加强培训" in page and LATE in page

    [listed] = _ok(leader.get(f"{URL}/rectifications", {"state": "answered"}))
    assert listed["answered_late"] is True and listed["overdue"] is False
    answered = leader.get(WORK, {"state": "answered"}).content.decode()
    assert LATE in _panel(answered, row.rating.application.number)


def test_an_answer_in_time_says_nothing_of_lateness(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(monkeypatch, next_monday())
    row = _rated_badly(cast, "等了很久")
    freeze(monkeypatch, row.due_at - dt.timedelta(hours=1))
    _answer(logged_in(cast.leader), row, "已缩短办理时间")
    # Read long after the deadline: the answer came in time all the same.
    freeze(monkeypatch, row.due_at + dt.timedelta(days=30))
    leader = logged_in(cast.leader)

    applicant = logged_in(cast.applicant)
    rating = _rating_of(applicant, row)
    assert rating["answered_late"] is False and rating["rectification_overdue"] is False
    page = applicant.get(f"/services/mine/{row.rating.application.number}/").content.decode()
    assert "已缩短办理时间" in page
    assert LATE not in page and "已逾期" not in page

    [listed] = _ok(leader.get(f"{URL}/rectifications", {"state": "answered"}))
    assert listed["answered_late"] is False and listed["overdue"] is False
    answered = leader.get(WORK, {"state": "answered"}).content.decode()
    panel = _panel(answered, row.rating.application.number)
    assert LATE not in panel and "已逾期" not in panel


def test_a_rectification_unanswered_past_its_deadline_is_overdue_in_the_api(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(monkeypatch, next_monday())
    row = _rated_badly(cast, "材料被退回三次")
    applicant = logged_in(cast.applicant)
    leader = logged_in(cast.leader)
    assert _rating_of(applicant, row)["rectification_overdue"] is False
    assert _ok(leader.get(f"{URL}/rectifications"))[0]["overdue"] is False

    freeze(monkeypatch, row.due_at)
    applicant = logged_in(cast.applicant)
    leader = logged_in(cast.leader)
    rating = _rating_of(applicant, row)
    assert rating["rectification_overdue"] is True and rating["answered_late"] is False
    [listed] = _ok(leader.get(f"{URL}/rectifications"))
    assert listed["overdue"] is True and listed["answered_late"] is False


def test_staff_choose_open_answered_or_all_rectifications_and_see_the_rating_after_the_answer(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monday = next_monday()
    # A second licence for the same premises is issued at once only when the
    # first is not yet in force, so the later rating is made first.
    freeze(monkeypatch, monday + dt.timedelta(days=1))
    answered = _rated_badly(cast, "态度生硬")
    freeze(monkeypatch, monday)
    waiting = _rated_badly(cast, "排队太久")
    answered_number = answered.rating.application.number
    waiting_number = waiting.rating.application.number
    freeze(monkeypatch, monday + dt.timedelta(days=2))
    _answer(logged_in(cast.leader), answered, "已对窗口人员批评教育\n并调整排班")
    freeze(monkeypatch, monday + dt.timedelta(days=3))
    applicant = logged_in(cast.applicant)
    leader = logged_in(cast.leader)
    _ok(
        applicant.post(
            f"{URL}/{answered_number}/ratings",
            {"level": 4, "comment": "改进明显"},
            content_type="application/json",
        ),
        201,
    )

    # The default is the open ones, as before, each with its answer form.
    default = leader.get(WORK).content.decode()
    assert waiting_number in default and answered_number not in default
    assert [r["application_number"] for r in _ok(leader.get(f"{URL}/rectifications"))] == [
        waiting_number
    ]

    # The answered ones: what was said, when, and what the applicant thought of it.
    page = leader.get(WORK, {"state": "answered"}).content.decode()
    assert waiting_number not in page
    panel = _panel(page, answered_number)
    assert "已对窗口人员批评教育<br>并调整排班" in panel
    assert "钱决" in panel and "满意" in panel and "改进明显" in panel
    assert 'name="rectification"' not in panel
    [listed] = _ok(leader.get(f"{URL}/rectifications", {"state": "answered"}))
    assert listed["application_number"] == answered_number
    assert listed["response"] == "已对窗口人员批评教育\n并调整排班"
    assert listed["follow_up"]["level"] == 4
    assert listed["follow_up"]["comment"] == "改进明显"

    # All of them: the open one first, with its form; the answered one after it.
    everything = leader.get(WORK, {"state": "all"}).content.decode()
    assert everything.index(waiting_number) < everything.index(answered_number)
    assert 'name="rectification"' in _panel(everything, waiting_number)
    listed_all = _ok(leader.get(f"{URL}/rectifications", {"state": "all"}))
    assert [r["application_number"] for r in listed_all] == [waiting_number, answered_number]
    assert listed_all[0]["follow_up"] is None


def test_an_answer_given_from_the_full_list_returns_to_it(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = _rated_badly(cast, "态度不好")
    leader = logged_in(cast.leader)
    answered = leader.post(
        f"{WORK}?state=all", {"rectification": row.pk, f"r{row.pk}-response": "已整改"}
    )
    assert answered.status_code == 302
    assert answered["Location"] == f"{WORK}?state=all"


def test_an_unknown_filter_is_refused_by_the_api_and_explained_on_the_page(
    cast: ApplicationsCast,
) -> None:
    row = _rated_badly(cast, "态度不好")
    leader = logged_in(cast.leader)

    refused = leader.get(f"{URL}/rectifications", {"state": "done"})
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "unknown_filter"
    assert body["detail"]["known"] == ["open", "answered", "all"]

    page = leader.get(WORK, {"state": "done"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "没有这个筛选条件" in text
    # It falls back to the open ones.
    assert row.rating.application.number in text


def test_a_department_sees_only_its_own_answered_rectifications(
    cast: ApplicationsCast,
) -> None:
    row = _rated_badly(cast, "态度不好")
    leader = logged_in(cast.leader)
    _answer(leader, row, "已整改")
    number = row.rating.application.number
    assert number in leader.get(WORK, {"state": "answered"}).content.decode()
    health_leader = do_create_staff(
        "zhaojue", PASSWORD, "赵决", cast.health, ["leader"], actor=TEST_ACTOR
    )
    other = logged_in(health_leader)

    for state in ("answered", "all"):
        assert _ok(other.get(f"{URL}/rectifications", {"state": state})) == []
        assert number not in other.get(WORK, {"state": state}).content.decode()


@pytest.mark.parametrize(
    ("response", "code"),
    [
        ("已整改" * 700, "note_too_long"),
        ("已整改\x1b[31m", "control_characters"),
        ("\u200b \u3000\n", "note_required"),
    ],
)
def test_an_answer_too_long_with_control_characters_or_blank_is_refused_and_leaves_it_open(
    cast: ApplicationsCast, response: str, code: str
) -> None:
    row = _rated_badly(cast, "态度不好")
    leader = logged_in(cast.leader)

    refused = leader.post(
        f"{URL}/rectifications/{row.pk}/respond",
        {"response": response},
        content_type="application/json",
    )

    assert refused.status_code == 400
    assert refused.json()["code"] == code
    page = leader.post(WORK, {"rectification": row.pk, f"r{row.pk}-response": response})
    assert page.status_code == 400
    row.refresh_from_db()
    assert row.responded_at is None and row.response == ""
    assert [r["id"] for r in _ok(leader.get(f"{URL}/rectifications"))] == [row.pk]

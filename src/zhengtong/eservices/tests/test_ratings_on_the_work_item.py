"""Staff handling an application see its ratings, and a bad rating's rectification, on its page.

李四 accepted 好味道餐饮's application; when the applicant rates the service
badly, his page of that step shows the rating and where its rectification
stands (deadline, 已逾期, the answer, 逾期答复) as the rectifications page does.
The department's rectifications list in the API is read a page at a time.
"""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.eservices.models import Rectification, WorkTask
from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
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
from zhengtong.eservices.tests.test_rectification_answers import _rated_badly
from zhengtong.eservices.tests.test_workbench_pages import decide

__all__ = ["cast"]

WORK = "/services/work/"


def _ratings_panel(staff: Client, task: WorkTask) -> str:
    """The 好差评 part of a work item page; empty when the page has none."""
    page = staff.get(f"{WORK}{task.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    start = html.find('id="work-ratings"')
    return "" if start == -1 else html[start : html.index("</section>", start)]


def _approved_through_the_steps(cast: ApplicationsCast) -> tuple[str, WorkTask]:
    """An application accepted, reviewed and granted by staff; its 受理 task."""
    number = str(submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"])
    decide(logged_in(cast.clerk), number, passed="1")
    decide(logged_in(cast.reviewer), number, passed="1")
    decide(logged_in(cast.leader), number, passed="1")
    accept = WorkTask.objects.get(application__number=number, step="accept")
    assert accept.application.state == "approved"
    return number, accept


def _rate(cast: ApplicationsCast, number: str, **rating: object) -> None:
    _ok(
        logged_in(cast.applicant).post(
            f"{URL}/{number}/ratings", rating, content_type="application/json"
        ),
        201,
    )


def test_the_work_item_shows_the_ratings_and_where_the_rectification_stands(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze(monkeypatch, next_monday())
    number, accept = _approved_through_the_steps(cast)
    assert _ratings_panel(logged_in(cast.clerk), accept) == ""

    _rate(cast, number, level=2, tags=["long_wait"], comment="窗口推诿\n来回跑了三趟")
    row = Rectification.objects.get(rating__application__number=number)
    # The clerk answers no ratings, but handled the application and sees what was said.
    panel = _ratings_panel(logged_in(cast.clerk), accept)
    assert "不满意" in panel and "等待时间长" in panel
    assert "窗口推诿<br>来回跑了三趟" in panel
    assert "整改期限" in panel
    assert timezone.localtime(row.due_at).strftime("%Y-%m-%d %H:%M") in panel
    assert "已逾期" not in panel and "整改情况" not in panel
    answer_link = f'href="{WORK}rectifications/#rect-{row.pk}"'
    assert answer_link not in panel
    # The leader answers bad ratings for the department: the page leads to the answer form.
    decided = WorkTask.objects.get(application__number=number, step="decide")
    assert answer_link in _ratings_panel(logged_in(cast.leader), decided)

    # Past the deadline, unanswered.
    freeze(monkeypatch, row.due_at + dt.timedelta(hours=1))
    assert "已逾期" in _ratings_panel(logged_in(cast.clerk), accept)

    leader = logged_in(cast.leader)
    answered = leader.post(
        f"{WORK}rectifications/",
        {"rectification": row.pk, f"r{row.pk}-response": "已约谈窗口人员"},
    )
    assert answered.status_code == 302
    panel = _ratings_panel(logged_in(cast.clerk), accept)
    assert "已约谈窗口人员" in panel and "逾期答复" in panel and "已逾期" not in panel
    assert answer_link not in _ratings_panel(logged_in(cast.leader), decided)

    # Rated again after the answer: both ratings are shown, the later one too.
    _rate(cast, number, level=5, comment="整改后很满意")
    panel = _ratings_panel(logged_in(cast.clerk), accept)
    assert "非常满意" in panel and "整改后很满意" in panel and "窗口推诿" in panel


def test_the_work_item_of_another_department_stays_closed_with_its_ratings(
    cast: ApplicationsCast,
) -> None:
    number, accept = _approved_through_the_steps(cast)
    _rate(cast, number, level=1, comment="态度不好")
    assert logged_in(cast.outsider).get(f"{WORK}{accept.pk}/").status_code == 404
    assert "态度不好" in _ratings_panel(logged_in(cast.clerk), accept)


def test_the_rectifications_api_is_read_a_page_at_a_time(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monday = next_monday()
    rows = []
    # A second licence for the same premises is issued at once only while the
    # first is not yet in force: the later applications are made first.
    for days, comment in ((2, "推诿"), (1, "拖延"), (0, "态度差")):
        freeze(monkeypatch, monday + dt.timedelta(days=days))
        rows.append(_rated_badly(cast, comment))
    leader = logged_in(cast.leader)
    everything = [r["id"] for r in _ok(leader.get(f"{URL}/rectifications", {"state": "all"}))]
    assert sorted(everything) == sorted(r.pk for r in rows)

    first = _ok(leader.get(f"{URL}/rectifications", {"state": "all", "limit": "2"}))
    rest = _ok(leader.get(f"{URL}/rectifications", {"state": "all", "limit": "2", "offset": "2"}))
    assert [r["id"] for r in first + rest] == everything
    assert len(first) == 2
    assert _ok(leader.get(f"{URL}/rectifications", {"offset": 2**31 - 1})) == []

    refusals: list[dict[str, int]] = [{"limit": 0}, {"limit": 501}, {"offset": -1}]
    # Past what any database takes as an offset: refused, not a failure.
    refusals.append({"offset": 10**20})
    for bad in refusals:
        refused = leader.get(f"{URL}/rectifications", bad)
        assert refused.status_code == 422, bad
        assert refused.json()["code"] == "invalid_input", bad

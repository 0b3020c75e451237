"""Ratings (好差评) as the applicant and the department meet them.

A rating sent twice is one rating; a withdrawn application is rated like any
finished service; the department reads a bad rating's tags and cannot close
it with an answer that shows nothing.
"""

from django.test import Client

from zhengtong.eservices.models import Rating, Rectification
from zhengtong.eservices.tests.test_applications_cast import (
    AUTOMATIC_FORM,
    MANUAL_FORM,
    ApplicationsCast,
    cast,
    logged_in,
)
from zhengtong.eservices.tests.test_applications_flow import (
    URL,
    _ok,
    complete_draft,
    submitted,
)
from zhengtong.ledger.models import LedgerEntry

__all__ = ["cast"]

MINE = "/services/mine/"
WORK = "/services/work/rectifications/"


def _rated_badly(applicant: Client, cast: ApplicationsCast, **rating: object) -> Rectification:
    """An application approved at once (秒批) and rated 非常不满意; its rectification."""
    number = str(submitted(applicant, cast, AUTOMATIC_FORM)["number"])
    _ok(
        applicant.post(
            f"{URL}/{number}/ratings", {"level": 1, **rating}, content_type="application/json"
        ),
        201,
    )
    return Rectification.objects.get(rating__application__number=number)


def test_a_rating_sent_twice_is_recorded_once_and_thanked_for_both_times(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = str(submitted(applicant, cast, AUTOMATIC_FORM)["number"])
    url = f"{MINE}{number}/"
    rating = {"action": "rate", "level": "2", "tags": ["long_wait"], "comment": "等了很久"}
    assert applicant.post(url, rating).status_code == 302

    # The button pressed twice: the page the applicant ends on thanks them,
    # not tells them they have rated already.
    again = applicant.post(url, rating, follow=True)

    assert again.status_code == 200
    html = again.content.decode()
    assert "感谢您的评价。" in html and "您已评价过" not in html
    assert Rating.objects.filter(application__number=number).count() == 1
    assert Rectification.objects.filter(rating__application__number=number).count() == 1
    assert LedgerEntry.objects.filter(action="eservices.rate_application").count() == 1
    # A client's retry through the API gets the rating it gave, once.
    [given] = Rating.objects.filter(application__number=number)
    retried = _ok(
        applicant.post(
            f"{URL}/{number}/ratings",
            {"level": 2, "tags": ["long_wait"], "comment": "等了很久"},
            content_type="application/json",
        ),
        201,
    )
    assert retried["id"] == given.pk
    assert Rating.objects.filter(application__number=number).count() == 1
    # A different rating before the department answered is still refused.
    other = applicant.post(f"{URL}/{number}/ratings", {"level": 5}, content_type="application/json")
    assert other.status_code == 409 and other.json()["code"] == "already_rated"


def test_an_application_withdrawn_after_submission_is_rated_and_a_withdrawn_draft_is_not(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = str(submitted(applicant, cast, MANUAL_FORM)["number"])
    _ok(
        applicant.post(
            f"{URL}/{number}/withdraw", {"note": "窗口让我先撤回"}, content_type="application/json"
        )
    )
    url = f"{MINE}{number}/"
    assert 'name="action" value="rate"' in applicant.get(url).content.decode()

    rated = applicant.post(
        url, {"action": "rate", "level": "1", "comment": "窗口劝我撤回，没有说明理由"}
    )

    assert rated.status_code == 302
    # The department answers for it like for any bad rating.
    listed = _ok(logged_in(cast.leader).get(f"{URL}/rectifications"))
    assert [row["application_number"] for row in listed] == [number]

    # A draft withdrawn before it was sent reached no department: nothing to rate.
    never_sent = complete_draft(applicant, cast, MANUAL_FORM)
    _ok(applicant.post(f"{URL}/{never_sent}/withdraw", {}, content_type="application/json"))
    refused = applicant.post(
        f"{URL}/{never_sent}/ratings", {"level": 5}, content_type="application/json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "never_submitted"
    assert 'value="rate"' not in applicant.get(f"{MINE}{never_sent}/").content.decode()


def test_the_department_reads_the_tags_of_a_bad_rating_given_without_a_comment(
    cast: ApplicationsCast,
) -> None:
    row = _rated_badly(logged_in(cast.applicant), cast, tags=["long_wait", "unclear"])

    [listed] = _ok(logged_in(cast.leader).get(f"{URL}/rectifications"))

    assert listed["id"] == row.pk and listed["comment"] == ""
    assert listed["tags"] == ["long_wait", "unclear"]


def test_a_bad_rating_is_not_answered_with_invisible_characters(cast: ApplicationsCast) -> None:
    row = _rated_badly(logged_in(cast.applicant), cast, comment="态度不好")
    leader = logged_in(cast.leader)
    respond = f"{URL}/rectifications/{row.pk}/respond"

    blank = leader.post(respond, {"response": "\u200b\ufeff"}, content_type="application/json")
    assert blank.status_code == 400, blank.content
    assert blank.json()["code"] == "note_required"
    assert blank.json()["detail"]["field"] == "response"
    on_page = leader.post(WORK, {"rectification": row.pk, f"r{row.pk}-response": "\u200b"})
    assert on_page.status_code == 400
    assert "请填写说明。" in on_page.content.decode()

    escaped = leader.post(respond, {"response": "已整改\x1b[31m"}, content_type="application/json")
    assert escaped.status_code == 400, escaped.content
    body = escaped.json()
    assert body["code"] == "control_characters"
    assert body["detail"] == {"field": "response", "character": "U+001B"}
    assert "U+001B" in body["message"]

    row.refresh_from_db()
    assert row.responded_at is None and row.response == ""
    assert [r["id"] for r in _ok(leader.get(f"{URL}/rectifications"))] == [row.pk]
    # Line breaks are text: a report in paragraphs is taken.
    _ok(leader.post(respond, {"response": "已约谈\n已整改"}, content_type="application/json"))


def test_a_bad_rating_of_invisible_characters_alone_is_asked_for_a_reason(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = str(submitted(applicant, cast, AUTOMATIC_FORM)["number"])

    refused = applicant.post(
        f"{MINE}{number}/", {"action": "rate", "level": "1", "comment": "\u200b\u200b"}
    )

    assert refused.status_code == 400
    html = refused.content.decode()
    assert "差评请选择问题标签或填写意见，以便部门整改。" in html
    # The field to put right is marked as such.
    assert 'class="field field-invalid">\n            <label for="rating-comment">' in html
    assert not Rating.objects.filter(application__number=number).exists()

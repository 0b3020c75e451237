"""Who may act on an application, and what an answer to a 补正 saves or hands in."""

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.eservices.models import Application
from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
    PASSWORD,
    ApplicationsCast,
    cast,
    logged_in,
)
from zhengtong.eservices.tests.test_applications_flow import (
    URL,
    _ok,
    ask_for_correction,
    draft,
    open_task,
    submitted,
)
from zhengtong.eservices.tests.test_govstack_registration import _json, _refused, applicant_id
from zhengtong.identity.actions import do_create_staff

__all__ = ["cast"]

GOVSTACK = "/api/govstack/registration"


def test_saving_a_correction_as_a_draft_does_not_hand_it_in(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    ask_for_correction(logged_in(cast.clerk), number, "请更正联系电话")
    url = f"{GOVSTACK}/applications/{number}"
    body = {
        "applicantId": applicant_id(cast.applicant),
        "formData": {"data": {"phone": "13900001111"}},
    }

    saved = _ok(_json(applicant, "put", f"{url}?draft=true", body))
    assert saved["status"]["code"] == "SENDBACK"
    application = Application.objects.get(number=number)
    assert application.state == "correcting"
    assert application.suspensions.filter(kind="correction", ended_at=None).exists()
    # Only the corrected field changed; the others kept their values.
    assert application.form_data["phone"] == "13900001111"
    assert application.form_data["business_items"] == MANUAL_FORM["business_items"]

    # Handed in later, without draft=true.
    handed_in = _ok(_json(applicant, "put", url, {"applicantId": applicant_id(cast.applicant)}))
    assert handed_in["status"]["code"] == "PENDING"
    assert Application.objects.get(number=number).form_data["phone"] == "13900001111"


def test_a_colleague_cannot_act_on_a_task_someone_else_has_claimed(
    cast: ApplicationsCast,
) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    clerk = logged_in(cast.clerk)
    task = open_task(clerk, number)
    _ok(clerk.post(f"{URL}/tasks/{task['id']}/claim"))
    colleague = logged_in(
        do_create_staff("lier", PASSWORD, "李二", cast.market, ["acceptor"], actor=TEST_ACTOR)
    )

    asked = colleague.post(
        f"{URL}/{number}/request-correction", {"note": "请补充"}, content_type="application/json"
    )
    _refused(asked, 409, "already_claimed")
    application = Application.objects.get(number=number)
    assert application.state == "submitted"
    assert not application.suspensions.exists()
    # The one who claimed it still can.
    assert ask_for_correction(clerk, number, "请补充")["state"] == "correcting"


def test_staff_who_answer_ratings_do_not_see_a_draft(cast: ApplicationsCast) -> None:
    """钱决 answers the market bureau's bad ratings; 赵六's draft is not submitted yet."""
    number = draft(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    leader = logged_in(cast.leader)
    _refused(leader.get(f"{URL}/{number}"), 404, "not_found")
    _refused(leader.get(f"{GOVSTACK}/applications/{number}"), 404, "not_found")
    assert _ok(leader.get(f"{GOVSTACK}/applications")) == []

    # Once submitted it is the department's business.
    _ok(logged_in(cast.applicant).post(f"{URL}/{number}/withdraw", {}, "application/json"))
    submitted_number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    assert _ok(leader.get(f"{URL}/{submitted_number}"))["number"] == submitted_number
    listed = _ok(leader.get(f"{GOVSTACK}/applications"))
    assert [row["fileId"] for row in listed] == [submitted_number]


def test_a_correction_may_not_clear_what_the_licence_needs(cast: ApplicationsCast) -> None:
    """The 法定代表人 is not required by the form, but the 食品经营许可证 prints it."""
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    ask_for_correction(logged_in(cast.clerk), number, "请核对联系电话")
    refused = applicant.post(
        f"{URL}/{number}/correction",
        {"note": "已更正", "form_data": {"legal_rep": None, "phone": "13900001111"}},
        content_type="application/json",
    )
    body = _refused(refused, 400, "invalid_form")
    assert "legal_rep" in body["detail"]["fields"]
    application = Application.objects.get(number=number)
    assert application.state == "correcting"
    assert application.form_data["legal_rep"] == "赵六"
    assert application.form_data["phone"] == MANUAL_FORM["phone"]


def test_tasks_without_a_due_date_come_last_in_either_order(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    accepted = submitted(applicant, cast, MANUAL_FORM)["number"]
    clerk = logged_in(cast.clerk)
    task = open_task(clerk, accepted)
    _ok(clerk.post(f"{URL}/tasks/{task['id']}/complete", {}, "application/json"))
    waiting = submitted(applicant, cast, MANUAL_FORM)["number"]
    both = logged_in(
        do_create_staff(
            "liushen", PASSWORD, "刘审", cast.market, ["acceptor", "reviewer"], actor=TEST_ACTOR
        )
    )
    for query in ("", "?sortBy=dueDate&sortOrder=asc", "?sortBy=dueDate&sortOrder=desc"):
        listed = _ok(both.get(f"{GOVSTACK}/tasks{query}"))
        assert [t["fileId"] for t in listed] == [accepted, waiting], query

    # Likewise a draft, never registered, after the registered applications.
    unsent = draft(applicant, cast, MANUAL_FORM)["number"]
    for order in ("asc", "desc"):
        listed = _ok(applicant.get(f"{GOVSTACK}/applications?sortBy=registered&sortOrder={order}"))
        assert [a["fileId"] for a in listed][-1] == unsent, order

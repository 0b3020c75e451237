"""Who may act on an application, what an answer to a 补正 saves or hands in, and the clock."""

import copy
import datetime as dt
from dataclasses import replace

import pytest
from django.utils import timezone

from zhengtong.core.calendar import add_working_days
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.eservices.actions import do_update_service_item
from zhengtong.eservices.demo import FOOD
from zhengtong.eservices.models import Application, ApplicationMaterial
from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
    PASSWORD,
    ApplicationsCast,
    cast,
    material,
    pdf,
    promise_day,
)
from zhengtong.eservices.tests.test_applications_flow import (
    URL,
    _ok,
    ask_for_correction,
    complete_draft,
    do_step,
    draft,
    freeze,
    hygiene_reviewed,
    next_monday,
    open_task,
    same_instant,
    submitted,
)
from zhengtong.eservices.tests.test_govstack_registration import (
    _json,
    _refused,
    applicant_id,
    logged_in,
)
from zhengtong.identity.actions import do_create_staff, do_end_post
from zhengtong.identity.models import StaffPost
from zhengtong.licences.actions import Holder, do_issue_licence, do_revoke_licence
from zhengtong.licences.models import Licence
from zhengtong.licences.selectors import get_licence_type

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


def test_saving_the_form_during_a_correction_keeps_the_fields_not_sent(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    ask_for_correction(logged_in(cast.clerk), number, "请更正联系电话")

    saved = _ok(
        applicant.put(
            f"{URL}/{number}",
            {"form_data": {"phone": "13900001111"}},
            content_type="application/json",
        )
    )
    assert saved["state"] == "correcting"
    assert saved["form_data"]["phone"] == "13900001111"
    # What was submitted and not corrected is still there.
    for name in ("business_type", "business_items", "area"):
        assert saved["form_data"][name] == MANUAL_FORM[name], name

    # Handed in as saved: nothing is missing.
    handed_in = _ok(
        applicant.post(
            f"{URL}/{number}/correction", {"note": "已更正"}, content_type="application/json"
        )
    )
    assert handed_in["state"] == "submitted"
    assert handed_in["form_data"]["phone"] == "13900001111"
    assert handed_in["form_data"]["business_items"] == MANUAL_FORM["business_items"]


def _business_licence(cast: ApplicationsCast) -> Licence:
    return Licence.objects.get(
        holder_id=cast.enterprise.credit_code, licence_type__code="business_licence"
    )


def test_a_licence_revoked_since_submission_no_longer_stands_for_its_material(
    cast: ApplicationsCast,
) -> None:
    """赵六's 营业执照 stood for the material at submission; it is revoked during the 补正."""
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    licence_material = material(cast.food, "营业执照")
    revoked = _business_licence(cast)
    ask_for_correction(logged_in(cast.clerk), number, "请更正联系电话")
    do_revoke_licence(revoked, "注销登记", actor=TEST_ACTOR)

    refused = applicant.post(
        f"{URL}/{number}/correction",
        {"note": "已更正", "form_data": {"phone": "13900001111"}},
        content_type="application/json",
    )
    body = _refused(refused, 400, "missing_materials")
    assert list(body["detail"]["materials"]) == [str(licence_material.pk)]
    assert Application.objects.get(number=number).state == "correcting"

    # A new licence issued since stands for the material in its place.
    licence_type = get_licence_type("business_licence")
    assert licence_type is not None
    renewed = do_issue_licence(
        licence_type,
        Holder.of(cast.enterprise),
        {
            "enterprise_type": "有限责任公司",
            "legal_representative": "赵六",
            "established_on": "2020-01-01",
            "residence": cast.enterprise.address,
            "business_scope": "餐饮服务",
        },
        cast.market,
        actor=TEST_ACTOR,
    )
    handed_in = _ok(
        applicant.post(
            f"{URL}/{number}/correction",
            {"note": "已更正", "form_data": {"phone": "13900001111"}},
            content_type="application/json",
        )
    )
    assert handed_in["state"] == "submitted"
    rows = [m for m in handed_in["materials"] if m["material_id"] == licence_material.pk]
    assert [(m["kind"], m["licence_number"]) for m in rows] == [("licence", renewed.number)]


def test_a_promise_whose_day_passed_while_the_draft_waited_is_not_accepted(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = complete_draft(applicant, cast, MANUAL_FORM)
    rules = material(cast.food, "规章制度")
    # The draft waited: the day promised is yesterday by the time it is submitted.
    ApplicationMaterial.objects.filter(application__number=number, material=rules).update(
        promised_on=timezone.localdate() - dt.timedelta(days=1)
    )

    body = _refused(applicant.post(f"{URL}/{number}/submit"), 400, "missing_materials")
    assert list(body["detail"]["materials"]) == [str(rules.pk)]
    assert Application.objects.get(number=number).state == "draft"

    # Promised again for a day to come, it is accepted (容缺受理).
    _ok(
        applicant.post(
            f"{URL}/{number}/materials/{rules.pk}/promise",
            {"promised_on": promise_day().isoformat()},
            content_type="application/json",
        )
    )
    assert _ok(applicant.post(f"{URL}/{number}/submit"))["state"] == "submitted"


def test_a_promise_due_today_is_still_accepted(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = complete_draft(applicant, cast, MANUAL_FORM)
    ApplicationMaterial.objects.filter(application__number=number, kind="commitment").update(
        promised_on=timezone.localdate()
    )
    assert _ok(applicant.post(f"{URL}/{number}/submit"))["state"] == "submitted"


def test_a_special_procedure_still_running_at_the_decision_ends_with_it(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """公共场所卫生许可: 卫生检测 (not counted) runs Tuesday to Thursday, when the leader decides.

    The licence is still to be handed over (送达): from the decision on, the clock runs.
    """
    accepted = next_monday()
    tested, decided = accepted + dt.timedelta(days=1), accepted + dt.timedelta(days=3)
    freeze(monkeypatch, accepted)
    case = hygiene_reviewed(cast)
    item, leader, number = case.item, case.leader, case.number

    freeze(monkeypatch, tested)
    procedure = item.special_procedures.get(name="卫生检测")
    _ok(
        logged_in(leader).post(
            f"{URL}/{number}/special-procedures",
            {"procedure_id": procedure.pk, "note": "送检"},
            content_type="application/json",
        )
    )
    freeze(monkeypatch, decided)
    body = do_step(logged_in(leader), number)

    assert body["state"] == "accepted"
    assert [t["step"] for t in body["tasks"] if t["completed_at"] is None] == ["deliver"]
    (suspension,) = body["suspensions"]
    assert same_instant(dt.datetime.fromisoformat(suspension["ended_at"]), decided)
    assert body["time_limit"]["running"] is True
    # The deadline moved by the two working days the test stopped the clock, no more.
    expected = add_working_days(accepted, 5, [(tested, decided)])
    assert same_instant(dt.datetime.fromisoformat(body["deadline_at"]), expected)
    assert same_instant(dt.datetime.fromisoformat(body["time_limit"]["deadline_at"]), expected)

    # A working day later, still not handed over, that day counts.
    freeze(monkeypatch, decided + dt.timedelta(days=1))
    later = _ok(logged_in(cast.outsider).get(f"{URL}/{number}"))
    assert later["time_limit"]["used_days"] == pytest.approx(body["time_limit"]["used_days"] + 1)


def test_the_decision_does_not_grant_on_a_licence_revoked_since_submission(
    cast: ApplicationsCast,
) -> None:
    """赵六's 营业执照 stood for the material at submission and is revoked before 钱决 decides."""
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    do_step(logged_in(cast.clerk), number, passed=True)
    do_step(logged_in(cast.reviewer), number, passed=True)
    do_revoke_licence(_business_licence(cast), "注销登记", actor=TEST_ACTOR)
    licence_material = material(cast.food, "营业执照")
    leader = logged_in(cast.leader)
    task = open_task(leader, number)

    refused = leader.post(
        f"{URL}/tasks/{task['id']}/complete", {"passed": True}, content_type="application/json"
    )
    body = _refused(refused, 409, "licence_material_invalid")
    assert list(body["detail"]["materials"]) == [str(licence_material.pk)]
    application = Application.objects.get(number=number)
    assert application.state == "accepted" and application.licence is None
    assert open_task(leader, number)["id"] == task["id"]

    # The leader asks for 补正; the applicant hands in a scan of the paper licence.
    ask_for_correction(leader, number, "营业执照已注销，请提交有效的营业执照")
    _ok(applicant.post(f"{URL}/{number}/materials/{licence_material.pk}", {"file": pdf()}), 201)
    _ok(
        applicant.post(
            f"{URL}/{number}/correction", {"note": "已提交"}, content_type="application/json"
        )
    )
    decided = _ok(
        leader.post(
            f"{URL}/tasks/{task['id']}/complete", {"passed": True}, content_type="application/json"
        )
    )
    assert decided["state"] == "approved" and decided["licence_number"]


def test_during_a_correction_the_page_asks_for_a_revoked_licence_to_be_uploaded(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    ask_for_correction(logged_in(cast.clerk), number, "营业执照已注销，请提交有效的营业执照")
    revoked = _business_licence(cast)
    do_revoke_licence(revoked, "注销登记", actor=TEST_ACTOR)
    licence_material = material(cast.food, "营业执照")

    html = applicant.get(f"/services/mine/{number}/").content.decode()
    assert f"已关联有效电子证照 {revoked.number}" not in html
    assert f'name="file-{licence_material.pk}" form="correction-form"' in html

    uploaded = applicant.post(
        f"/services/mine/{number}/",
        {"action": "upload", "material": licence_material.pk, "file": pdf("营业执照.pdf")},
    )
    assert uploaded.status_code == 302
    handed_in = _ok(
        applicant.post(
            f"{URL}/{number}/correction", {"note": "已提交"}, content_type="application/json"
        )
    )
    assert handed_in["state"] == "submitted"
    rows = [m for m in handed_in["materials"] if m["material_id"] == licence_material.pk]
    assert [m["kind"] for m in rows] == ["upload"]


def _drop_from_form(cast: ApplicationsCast, name: str) -> None:
    """The department edits the published item's form: the field ``name`` is gone."""
    schema = copy.deepcopy(FOOD.form_schema)
    del schema["properties"][name]
    schema["required"] = [n for n in schema["required"] if n != name]
    schema["x-ui-order"] = [n for n in schema["x-ui-order"] if n != name]
    do_update_service_item(cast.food, replace(FOOD, form_schema=schema), actor=TEST_ACTOR)


def test_a_correction_is_answered_after_the_form_dropped_a_field_sent_before(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    ask_for_correction(logged_in(cast.clerk), number, "请补充经营面积说明")
    _drop_from_form(cast, "phone")

    handed_in = _ok(
        applicant.post(
            f"{URL}/{number}/correction",
            {"note": "已更正", "form_data": {"area": 100}},
            content_type="application/json",
        )
    )
    assert handed_in["state"] == "submitted"
    assert handed_in["form_data"]["area"] == 100
    # The value of the field no longer asked for is left behind, not refused.
    assert "phone" not in handed_in["form_data"]


def test_a_draft_is_saved_and_submitted_after_the_form_dropped_a_prefilled_field(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = complete_draft(applicant, cast, MANUAL_FORM)
    assert "address" in Application.objects.get(number=number).prefilled
    _drop_from_form(cast, "address")

    page = f"/services/apply/?item={cast.food.code}&number={number}"
    posted = {k: str(v) for k, v in MANUAL_FORM.items()}
    saved = applicant.post(page, {"action": "save", **posted})
    assert saved.status_code == 302, saved.content.decode()
    sent = _ok(applicant.post(f"{URL}/{number}/submit"))
    assert sent["state"] == "submitted"
    assert "address" not in sent["form_data"] and "address" not in sent["prefilled"]


def test_a_task_claimed_by_a_clerk_who_left_the_post_is_taken_over(
    cast: ApplicationsCast,
) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    leaving = logged_in(cast.clerk)
    task = open_task(leaving, number)
    _ok(leaving.post(f"{URL}/tasks/{task['id']}/claim"))
    colleague_user = do_create_staff(
        "zhouqi", PASSWORD, "周七", cast.market, ["acceptor"], actor=TEST_ACTOR
    )
    colleague = logged_in(colleague_user)
    # While the clerk holds the post, the task is theirs.
    assert [t for t in _ok(colleague.get(f"{URL}/tasks")) if t["id"] == task["id"]] == []
    refused = colleague.post(f"{URL}/tasks/{task['id']}/claim")
    assert refused.status_code == 409 and refused.json()["code"] == "already_claimed"

    do_end_post(StaffPost.objects.get(user=cast.clerk, is_active=True), actor=TEST_ACTOR)

    # Listed on the colleague's workbench with a button to take it over.
    assert open_task(colleague, number)["id"] == task["id"]
    page = colleague.get("/services/work/").content.decode()
    assert "李四 已不在岗，可接办" in page
    assert f'action="/services/work/{task["id"]}/claim/"' in page
    taken = _ok(colleague.post(f"{URL}/tasks/{task['id']}/claim"))
    assert taken["claimed_by"] == "周七"
    accepted = _ok(
        colleague.post(
            f"{URL}/tasks/{task['id']}/complete", {"passed": True}, content_type="application/json"
        )
    )
    assert accepted["state"] == "accepted"

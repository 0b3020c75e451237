"""What applicants and staff type and press: full-width codes, presses twice, wrong order."""

from django.test import Client

from zhengtong.eservices.models import Application, WorkTask
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
    draft,
    hygiene_reviewed,
    submitted,
)

__all__ = ["cast"]

# 138 1234 5678 as a Chinese input method types it in full-width mode.
FULL_WIDTH_PHONE = "１３８１２３４５６７８"
WORK = "/services/work/"
MINE = "/services/mine/"


def test_a_phone_number_typed_in_full_width_is_kept_in_ascii(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = draft(applicant, cast, {})["number"]

    saved = _ok(
        applicant.put(
            f"{URL}/{number}",
            {"form_data": {**MANUAL_FORM, "phone": FULL_WIDTH_PHONE}},
            content_type="application/json",
        )
    )

    assert saved["form_data"]["phone"] == "13812345678"
    assert Application.objects.get(number=number).form_data["phone"] == "13812345678"


def test_text_that_is_not_a_code_stays_as_typed(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = draft(applicant, cast, {})["number"]
    items = "热食类食品制售（含冷食）　ＡＢ"

    saved = _ok(
        applicant.put(
            f"{URL}/{number}",
            {"form_data": {**MANUAL_FORM, "business_items": items}},
            content_type="application/json",
        )
    )

    assert saved["form_data"]["business_items"] == items


def test_the_applicants_own_credit_code_typed_in_full_width_is_not_a_change(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = draft(applicant, cast, MANUAL_FORM)["number"]
    typed = cast.enterprise.credit_code.translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"}
    )

    saved = _ok(
        applicant.put(
            f"{URL}/{number}",
            {"form_data": {**MANUAL_FORM, "uscc": typed}},
            content_type="application/json",
        )
    )

    assert saved["form_data"]["uscc"] == cast.enterprise.credit_code
    assert saved["prefilled"]["uscc"]["value"] == cast.enterprise.credit_code


def test_a_correction_typed_in_full_width_on_a_phone_is_handed_in(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    ask_for_correction(logged_in(cast.clerk), number, "请更正联系电话")

    response = applicant.post(
        f"{MINE}{number}/",
        {
            "action": "correction",
            "note": "已更正",
            **{k: str(v) for k, v in MANUAL_FORM.items()},
            "phone": FULL_WIDTH_PHONE,
            "area": "１２０",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    application = Application.objects.get(number=number)
    assert application.state == "submitted"
    assert application.form_data["phone"] == "13812345678"
    assert application.form_data["area"] == 120


def test_a_decision_refused_while_the_applicant_corrects_is_a_conflict(
    cast: ApplicationsCast,
) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    clerk = logged_in(cast.clerk)
    ask_for_correction(clerk, number, "请补充布局图")
    task = WorkTask.objects.get(application__number=number, completed_at=None)

    blocked = clerk.post(f"{WORK}{task.pk}/", {"action": "decision", "decision-passed": "1"})

    # As the API answers it (application_suspended): nothing typed was wrong.
    assert blocked.status_code == 409
    assert "办件正在补正，暂停办理" in blocked.content.decode()
    # A refusal left without reasons is the form's fault, and stays 400.
    without_reasons = clerk.post(
        f"{WORK}{task.pk}/", {"action": "correction", "correction-note": ""}
    )
    assert without_reasons.status_code == 400


def test_staff_are_told_before_starting_that_only_applicants_apply(
    cast: ApplicationsCast,
) -> None:
    clerk = logged_in(cast.clerk)
    url = f"/services/apply/?item={cast.food.code}"

    shown = clerk.get(url)

    assert shown.status_code == 403
    page = shown.content.decode()
    assert "只有实名认证的个人或企业用户可以在线申请" in page
    assert "开始填写" not in page
    # Posted all the same, no draft is made.
    assert clerk.post(url).status_code == 403
    assert not Application.objects.filter(applicant=cast.clerk).exists()
    # Nor does the guide offer the button that leads there.
    guide = clerk.get(f"/services/guides/{cast.food.code}/").content.decode()
    assert "只有实名认证的个人或企业用户可以在线申请" in guide
    assert url.replace("&", "&amp;") not in guide and "在线办理</a>" not in guide
    # A visitor is still shown it, and logs in on the way.
    visitor = Client().get(f"/services/guides/{cast.food.code}/").content.decode()
    assert "在线办理</a>" in visitor


def test_the_delivery_step_offers_no_correction_or_procedure_once_decided(
    cast: ApplicationsCast,
) -> None:
    case = hygiene_reviewed(cast)
    do_step(logged_in(case.leader), case.number)
    window = logged_in(cast.outsider)  # the health commission's window (送达)
    task = WorkTask.objects.get(application__number=case.number, completed_at=None)
    assert task.step == "deliver"

    page = window.get(f"{WORK}{task.pk}/").content.decode()

    # Both would be refused (already_decided): the window clerk only hands the licence over.
    assert 'value="correction"' not in page
    assert 'value="start_procedure"' not in page
    assert "已送达" in page


def test_a_withdrawal_sent_twice_says_it_is_withdrawn_not_decided(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    url = f"{URL}/{number}/withdraw"
    _ok(applicant.post(url, {"note": "不办了"}, content_type="application/json"))

    again = applicant.post(url, {"note": "不办了"}, content_type="application/json")

    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert again.json()["message"] == "该申请已经撤回。"
    # The page's second press says the same, beside the state it is in.
    page = applicant.post(f"{MINE}{number}/", {"action": "withdraw", "reason": "不办了"})
    assert page.status_code == 409
    assert "该申请已经撤回。" in page.content.decode()
    assert "申请已经办结" not in page.content.decode()


def test_a_step_on_a_withdrawn_application_says_the_applicant_withdrew_it(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    clerk = logged_in(cast.clerk)
    task = WorkTask.objects.get(application__number=number, completed_at=None)
    _ok(applicant.post(f"{URL}/{number}/withdraw", {}, content_type="application/json"))

    claimed = clerk.post(f"{URL}/tasks/{task.pk}/claim")
    completed = clerk.post(
        f"{URL}/tasks/{task.pk}/complete", {"passed": True}, content_type="application/json"
    )

    for refused in (claimed, completed):
        assert refused.status_code == 409
        assert refused.json()["code"] == "task_completed"
        assert refused.json()["message"] == "申请人已撤回该申请，无需继续办理。"
    assert Application.objects.get(number=number).state == "withdrawn"


def test_the_clerk_who_took_the_step_is_told_of_the_withdrawal(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    clerk = logged_in(cast.clerk)
    task = WorkTask.objects.get(application__number=number, completed_at=None)
    assert clerk.post(f"{URL}/tasks/{task.pk}/claim").status_code == 200

    _ok(applicant.post(f"{URL}/{number}/withdraw", {}, content_type="application/json"))

    notes = [n["text"] for n in _ok(clerk.get(f"{URL}/notifications"))]
    assert any(number in text and "已撤回" in text for text in notes), notes
    # A colleague who had not taken it is not told.
    reviewer_notes = [n["text"] for n in _ok(logged_in(cast.reviewer).get(f"{URL}/notifications"))]
    assert not any(number in text for text in reviewer_notes)


def test_a_decision_other_than_json_true_or_false_is_refused(cast: ApplicationsCast) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    clerk = logged_in(cast.clerk)
    task = WorkTask.objects.get(application__number=number, completed_at=None)
    _ok(clerk.post(f"{URL}/tasks/{task.pk}/claim"))
    for passed in ("yes", "no", "true", "1", 1, 0, None):
        refused = clerk.post(
            f"{URL}/tasks/{task.pk}/complete", {"passed": passed}, content_type="application/json"
        )
        assert refused.status_code == 422, (passed, refused.content.decode())
        body = refused.json()
        assert body["code"] == "invalid_input", passed
        assert body["detail"]["errors"][0]["loc"][-1] == "passed", passed
    task.refresh_from_db()
    assert task.completed_at is None
    assert Application.objects.get(number=number).state == "submitted"
    accepted = _ok(
        clerk.post(
            f"{URL}/tasks/{task.pk}/complete", {"passed": True}, content_type="application/json"
        )
    )
    assert accepted["state"] == "accepted"

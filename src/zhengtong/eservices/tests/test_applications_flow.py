"""Applications end to end through the API: manual path with 补正, 秒批, rejection, withdrawal."""

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.calendar import (
    SHANGHAI,
    add_working_days,
    is_working_day,
    working_days_between,
)
from zhengtong.core.testing import TEST_ACTOR
from zhengtong.eservices import application_actions
from zhengtong.eservices.actions import do_create_service_item, do_publish_service_item
from zhengtong.eservices.demo import HYGIENE
from zhengtong.eservices.models import Application, ServiceItem
from zhengtong.eservices.tests.test_applications_cast import (
    AUTOMATIC_FORM,
    MANUAL_FORM,
    PASSWORD,
    ApplicationsCast,
    cast,
    logged_in,
    material,
    pdf,
    promise_day,
)
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import User
from zhengtong.ledger.actions import record_entry
from zhengtong.ledger.models import LedgerEntry
from zhengtong.licences.models import Licence
from zhengtong.licences.selectors import find_valid_licence, licence_by_number, verify_licence

__all__ = ["cast"]

URL = "/api/services/applications"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def draft(http: Client, cast: ApplicationsCast, form: dict[str, Any]) -> Any:
    return _ok(
        http.post(
            f"{URL}/",
            {"item_code": cast.food.code, "form_data": form},
            content_type="application/json",
        ),
        201,
    )


def complete_draft(http: Client, cast: ApplicationsCast, form: dict[str, Any]) -> str:
    """Create a draft with every material provided; return its number."""
    number = str(draft(http, cast, form)["number"])
    layout = material(cast.food, "设备设施")
    _ok(http.post(f"{URL}/{number}/materials/{layout.pk}", {"file": pdf()}), 201)
    rules = material(cast.food, "规章制度")
    if form is AUTOMATIC_FORM:
        # A 秒批 case hands in everything: an outstanding 容缺 promise goes to staff.
        _ok(http.post(f"{URL}/{number}/materials/{rules.pk}", {"file": pdf()}), 201)
        return number
    _ok(
        http.post(
            f"{URL}/{number}/materials/{rules.pk}/promise",
            {"promised_on": promise_day().isoformat()},
            content_type="application/json",
        )
    )
    return number


def submitted(
    http: Client, cast: ApplicationsCast, form: dict[str, Any], *, scanned_licence: bool = False
) -> Any:
    number = complete_draft(http, cast, form)
    if scanned_licence:  # no e-licence: the applicant uploads a scan instead
        licence = material(cast.food, "营业执照")
        _ok(http.post(f"{URL}/{number}/materials/{licence.pk}", {"file": pdf("执照.pdf")}), 201)
    return _ok(http.post(f"{URL}/{number}/submit"))


def open_task(http: Client, number: str) -> Any:
    tasks = [t for t in _ok(http.get(f"{URL}/tasks")) if t["application_number"] == number]
    assert len(tasks) == 1, tasks
    return tasks[0]


def ask_for_correction(http: Client, number: str, note: str) -> Any:
    """Staff on an open task ask for 补正 (or add to an open one); the application as it stands."""
    return _ok(
        http.post(
            f"{URL}/{number}/request-correction", {"note": note}, content_type="application/json"
        )
    )


def do_step(http: Client, number: str, **result: Any) -> Any:
    task = open_task(http, number)
    _ok(http.post(f"{URL}/tasks/{task['id']}/claim"))
    return _ok(
        http.post(f"{URL}/tasks/{task['id']}/complete", result, content_type="application/json")
    )


def next_monday() -> dt.datetime:
    """10:00 on the first Monday after today that starts five working days.

    A week with a public holiday in it (国庆, 春节) is skipped, so the counts
    below hold whenever the tests run.
    """
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday())
    while not all(is_working_day(monday + dt.timedelta(days=n)) for n in range(5)):
        monday += dt.timedelta(days=7)
    return dt.datetime.combine(monday, dt.time(10), tzinfo=SHANGHAI)


def same_instant(a: dt.datetime, b: dt.datetime) -> bool:
    # The API gives times to the millisecond.
    return abs(a - b) < dt.timedelta(milliseconds=1)


def freeze(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_the_draft_is_prefilled_from_the_exchange_and_marked_verified(
    cast: ApplicationsCast,
) -> None:
    body = draft(logged_in(cast.applicant), cast, MANUAL_FORM)
    assert body["number"].startswith("SQ")
    assert body["state"] == "draft"
    assert body["form_data"]["uscc"] == cast.enterprise.credit_code
    assert body["form_data"]["enterprise_name"] == cast.enterprise.name
    assert body["form_data"]["legal_rep"] == "赵六"
    assert body["prefilled"]["legal_rep"] == {
        "value": "赵六",
        "source": "102000000/000001",
        "verified": True,
    }
    assert body["prefilled"]["uscc"]["source"] == "applicant"


def test_a_draft_created_again_answers_the_open_draft_as_the_apply_page_does(
    cast: ApplicationsCast,
) -> None:
    http = logged_in(cast.applicant)
    first = draft(http, cast, MANUAL_FORM)
    # A client's retry: the same request again.
    again = http.post(
        f"{URL}/",
        {"item_code": cast.food.code, "form_data": MANUAL_FORM},
        content_type="application/json",
    )
    assert again.status_code == 200, again.content.decode()
    assert again.json() == first
    # Named by its credit code, the enterprise is the same: the same draft.
    named = http.post(
        f"{URL}/",
        {"item_code": cast.food.code, "credit_code": cast.enterprise.credit_code},
        content_type="application/json",
    )
    assert named.status_code == 200 and named.json()["number"] == first["number"]
    # The apply page reopens the same draft.
    page = http.post(f"/services/apply/?item={cast.food.code}")
    assert page.status_code == 302 and page["Location"].endswith(f"number={first['number']}")
    assert Application.objects.filter(applicant=cast.applicant).count() == 1


def test_a_draft_for_another_enterprise_is_a_draft_of_its_own(cast: ApplicationsCast) -> None:
    from zhengtong.identity.models import EnterpriseMembership

    EnterpriseMembership.objects.create(
        user=cast.applicant, enterprise=cast.flagged, relation="agent"
    )
    http = logged_in(cast.applicant)

    def create(credit_code: str) -> Any:
        return http.post(
            f"{URL}/",
            {"item_code": cast.food.code, "credit_code": credit_code},
            content_type="application/json",
        )

    mine = create(cast.enterprise.credit_code)
    other = create(cast.flagged.credit_code)
    assert (mine.status_code, other.status_code) == (201, 201)
    assert mine.json()["number"] != other.json()["number"]
    again = create(cast.flagged.credit_code)
    assert again.status_code == 200 and again.json()["number"] == other.json()["number"]
    # Without naming one, who acts for two enterprises is still asked to choose.
    unnamed = create("")
    assert unnamed.status_code == 400 and unnamed.json()["code"] == "enterprise_required"
    assert Application.objects.filter(applicant=cast.applicant).count() == 2


def test_a_changed_prefilled_value_is_no_longer_verified(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    number = draft(http, cast, MANUAL_FORM)["number"]
    body = _ok(
        http.put(
            f"{URL}/{number}",
            {"form_data": {**MANUAL_FORM, "legal_rep": "别人"}},
            content_type="application/json",
        )
    )
    assert body["form_data"]["legal_rep"] == "别人"
    assert "legal_rep" not in body["prefilled"]


def test_the_manual_path_with_correction_ends_in_a_verifiable_licence(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Accepted next Monday 10:00 (after the cast's business licence was issued),
    # 补正 asked on Tuesday and answered on Thursday.
    accepted = next_monday()
    asked, answered = accepted + dt.timedelta(days=1), accepted + dt.timedelta(days=3)
    freeze(monkeypatch, accepted)
    applicant = logged_in(cast.applicant)
    body = submitted(applicant, cast, MANUAL_FORM)
    number = body["number"]
    assert body["state"] == "submitted"
    assert body["credit_check"]["status"] == "clean"
    kinds = {m["material_name"]: m["kind"] for m in body["materials"]}
    assert kinds["营业执照"] == "licence"
    assert kinds["主体登记信息"] == "exchange"
    assert [kind for name, kind in kinds.items() if "规章制度" in name] == ["commitment"]
    assert [t["step"] for t in body["tasks"]] == ["accept"]

    clerk = logged_in(cast.clerk)
    body = do_step(clerk, number, passed=True, opinion="材料齐全，予以受理")
    assert body["state"] == "accepted"
    first_deadline = dt.datetime.fromisoformat(body["deadline_at"])
    assert same_instant(first_deadline, add_working_days(accepted, 5))

    freeze(monkeypatch, asked)
    reviewer = logged_in(cast.reviewer)
    body = ask_for_correction(reviewer, number, "请补充经营场所平面布局图中的功能分区标注")
    assert body["state"] == "correcting"
    assert body["time_limit"]["running"] is False
    task = open_task(reviewer, number)
    refused = reviewer.post(
        f"{URL}/tasks/{task['id']}/complete", {"passed": True}, content_type="application/json"
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "application_suspended"

    freeze(monkeypatch, answered)
    applicant = logged_in(cast.applicant)
    layout = material(cast.food, "设备设施")
    _ok(applicant.post(f"{URL}/{number}/materials/{layout.pk}", {"file": pdf("新布局图.pdf")}), 201)
    body = _ok(
        applicant.post(
            f"{URL}/{number}/correction",
            {"note": "已补充功能分区"},
            content_type="application/json",
        )
    )
    assert body["state"] == "accepted"
    moved = dt.datetime.fromisoformat(body["deadline_at"])
    # The deadline moves by the working time the clock stood still.
    stopped = working_days_between(asked, answered)
    assert stopped >= 1
    assert same_instant(moved, add_working_days(accepted, 5, [(asked, answered)]))
    assert moved > first_deadline
    assert body["time_limit"]["stopped_days"] == pytest.approx(stopped, abs=0.01)
    assert [s["kind"] for s in body["suspensions"]] == ["correction"]

    reviewer = logged_in(cast.reviewer)
    body = do_step(reviewer, number, passed=True, opinion="符合许可条件")
    assert body["state"] == "accepted"
    body = do_step(logged_in(cast.leader), number, passed=True, opinion="准予许可")
    assert body["state"] == "approved"
    licence = licence_by_number(body["licence_number"])
    assert licence is not None
    assert licence.holder_id == cast.enterprise.credit_code
    assert licence.data["business_premises"]
    assert verify_licence(licence).valid
    assert find_valid_licence(cast.enterprise.credit_code, "food_business_licence") == licence
    events = [e["kind"] for e in body["timeline"]]
    assert events[:2] == ["create", "upload_material"]
    assert "request_correction" in events and "submit_correction" in events
    assert events[-1] == "issue_licence"
    notes = [n["text"] for n in _ok(applicant.get(f"{URL}/notifications"))]
    assert any("需要补正" in text for text in notes)
    assert any("已准予" in text for text in notes)


def test_a_small_shop_is_approved_by_the_table_with_no_human_step(
    cast: ApplicationsCast,
) -> None:
    body = submitted(logged_in(cast.applicant), cast, AUTOMATIC_FORM)
    assert body["state"] == "approved"
    assert body["tasks"] == []
    licence = licence_by_number(body["licence_number"])
    assert licence is not None and verify_licence(licence).valid
    assert licence.data["main_business_form"] == "食品销售"
    assert _ok(logged_in(cast.clerk).get(f"{URL}/tasks")) == []


def test_the_timeline_of_a_small_shop_does_not_name_the_applicant_as_approving(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    body = submitted(applicant, cast, AUTOMATIC_FORM)
    (approval,) = [e for e in body["timeline"] if e["to_state"] == "approved"]
    assert approval["actor"] == "eservices.auto_approval"
    html = applicant.get(f"/services/mine/{body['number']}/").content.decode()
    steps = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "状态变为“准予” · 系统自动办理" in steps
    assert "eservices.auto_approval" not in steps


def test_an_approval_that_fails_to_save_leaves_no_licence(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = logged_in(cast.applicant)
    number = complete_draft(http, cast, AUTOMATIC_FORM)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    # The approval's last write fails after the licence was issued in its transaction.
    monkeypatch.setattr(application_actions, "_apply_task_changes", fail)
    application = Application.objects.get(number=number)
    licences = Licence.objects.count()
    with pytest.raises(RuntimeError):
        application_actions.do_submit_application(application, acting_user=cast.applicant)
    application.refresh_from_db()
    assert application.state == "draft"
    assert Licence.objects.count() == licences


def test_a_rejection_carries_reasons_and_legal_basis(cast: ApplicationsCast) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    do_step(logged_in(cast.clerk), number, passed=True)
    do_step(logged_in(cast.reviewer), number, passed=True)
    leader = logged_in(cast.leader)
    task = open_task(leader, number)
    missing = leader.post(
        f"{URL}/tasks/{task['id']}/complete", {"passed": False}, content_type="application/json"
    )
    assert missing.status_code == 400
    assert set(missing.json()["detail"]["fields"]) == {"reasons", "legal_basis"}
    body = do_step(
        leader,
        number,
        passed=False,
        reasons="经营场所与有毒、有害场所距离不符合规定",
        legal_basis="《食品经营许可和备案管理办法》第十二条",
    )
    assert body["state"] == "rejected"
    assert body["rejection_reasons"].startswith("经营场所")
    assert body["rejection_basis"].startswith("《食品经营许可")
    assert body["licence_number"] == ""


def test_not_accepting_rejects_the_application(cast: ApplicationsCast) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    body = do_step(
        logged_in(cast.clerk),
        number,
        passed=False,
        reasons="不属于本机关职权范围",
        legal_basis="《中华人民共和国行政许可法》第三十二条",
    )
    assert body["state"] == "rejected"
    assert body["tasks"][0]["result"]["passed"] is False


def test_the_applicant_withdraws_and_the_task_disappears(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    body = _ok(
        applicant.post(
            f"{URL}/{number}/withdraw", {"note": "不再经营"}, content_type="application/json"
        )
    )
    assert body["state"] == "withdrawn"
    assert _ok(logged_in(cast.clerk).get(f"{URL}/tasks")) == []
    again = applicant.post(f"{URL}/{number}/withdraw", {}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


def test_a_withdrawn_draft_is_said_to_be_withdrawn_not_submitted(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = complete_draft(applicant, cast, MANUAL_FORM)
    withdrawn = _ok(
        applicant.post(f"{URL}/{number}/withdraw", {"note": ""}, content_type="application/json")
    )
    assert withdrawn["state"] == "withdrawn" and withdrawn["submitted_at"] is None
    sent = applicant.post(f"{URL}/{number}/submit")
    assert sent.status_code == 409
    assert sent.json()["code"] == "invalid_transition"
    assert sent.json()["message"] == "该申请已经撤回。"
    saved = applicant.put(
        f"{URL}/{number}", {"form_data": MANUAL_FORM}, content_type="application/json"
    )
    assert saved.status_code == 409
    assert saved.json()["code"] == "not_editable"
    assert saved.json()["message"] == "该申请已经撤回。"


def test_an_enterprise_on_the_dishonesty_list_is_flagged_to_the_reviewer(
    cast: ApplicationsCast,
) -> None:
    # Even the small-shop data is not approved at once for a flagged enterprise.
    body = submitted(logged_in(cast.flagged_applicant), cast, AUTOMATIC_FORM, scanned_licence=True)
    assert body["state"] == "submitted"
    assert {m["material_name"]: m["kind"] for m in body["materials"]}["营业执照"] == "upload"
    assert body["credit_check"]["flag"] is True
    assert body["credit_check"]["status"] == "flagged"
    assert body["credit_check"]["records"][0]["reason"] == "拒不履行法院生效判决"
    number = body["number"]
    do_step(logged_in(cast.clerk), number, passed=True)
    seen = _ok(logged_in(cast.reviewer).get(f"{URL}/{number}"))
    assert seen["credit_check"]["flag"] is True


def test_an_unavailable_exchange_does_not_block_submission(
    cast: ApplicationsCast, settings: Any
) -> None:
    settings.ESERVICES_EXCHANGE_CLIENT = "no-such-client"
    body = submitted(logged_in(cast.applicant), cast, {**MANUAL_FORM, **_identity(cast)})
    assert body["state"] == "submitted"
    assert body["credit_check"]["status"] == "unavailable"


def _identity(cast: ApplicationsCast) -> Any:
    return {
        "enterprise_name": cast.enterprise.name,
        "legal_rep": "赵六",
        "address": "长沙市芙蓉区五一大道100号",
        "premises": "长沙市芙蓉区五一大道100号",
    }


def test_every_action_writes_one_ledger_entry_without_personal_values(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[dict[str, Any]] = []
    original = record_entry

    def spy(**entry: Any) -> LedgerEntry:
        written.append(entry)
        return original(**entry)

    monkeypatch.setattr(application_actions, "record_entry", spy)
    before = LedgerEntry.objects.count()
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    assert [e["action"] for e in written] == [
        "eservices.create_application",
        "eservices.upload_material",
        "eservices.promise_material",
        "eservices.submit_application",
    ]
    actions = list(LedgerEntry.objects.filter(seq__gte=before).values_list("action", flat=True))
    # The first submission on a process version also records the version, as
    # its own action with its own entry (the version is no one's application).
    assert [a for a in actions if a.startswith("eservices.")] == [
        *[e["action"] for e in written[:-1]],
        "eservices.record_process_version",
        written[-1]["action"],
    ]
    application = Application.objects.get(number=number)
    for entry in written:
        text = str(entry["data"])
        assert application.applicant_id_number not in text
        assert "赵六" not in text and cast.enterprise.name not in text
        assert entry["subject_id"] == application.pk


def test_once_decided_the_application_can_be_neither_withdrawn_nor_reopened(
    cast: ApplicationsCast,
) -> None:
    # 公共场所卫生许可: after the decision to grant, the window still hands the
    # licence over (送达); the application is decided and can no longer be withdrawn.
    case = hygiene_reviewed(cast)
    number, applicant = case.number, logged_in(cast.applicant)
    body = do_step(logged_in(case.leader), number)
    assert body["state"] == "accepted"
    assert [t["step"] for t in body["tasks"] if t["completed_at"] is None] == ["deliver"]
    refused = applicant.post(f"{URL}/{number}/withdraw", {}, content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "already_decided"
    page = applicant.get(f"/services/mine/{number}/")
    assert 'value="withdraw"' not in page.content.decode()
    # Nor can the window, which holds the 送达 task, reopen the decided form
    # by a 补正 or stop the clock by a special procedure.
    window = logged_in(cast.outsider)
    asked = window.post(
        f"{URL}/{number}/request-correction", {"note": "地址有误"}, content_type="application/json"
    )
    assert asked.status_code == 409 and asked.json()["code"] == "already_decided"
    procedure = case.item.special_procedures.get(name="卫生检测")
    started = window.post(
        f"{URL}/{number}/special-procedures",
        {"procedure_id": procedure.pk, "note": "补测"},
        content_type="application/json",
    )
    assert started.status_code == 409 and started.json()["code"] == "already_decided"
    assert _ok(applicant.get(f"{URL}/{number}"))["state"] == "accepted"
    done = do_step(logged_in(cast.outsider), number)
    assert done["state"] == "approved"
    assert done["licence_number"]


def test_the_applicant_hands_in_a_promised_material_after_acceptance(
    cast: ApplicationsCast,
) -> None:
    # 容缺受理: accepted on a promise; the material follows by the promised date.
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    do_step(logged_in(cast.clerk), number, passed=True)
    rules = material(cast.food, "规章制度")
    page = applicant.get(f"/services/mine/{number}/").content.decode()
    assert f'id="file-{rules.pk}"' in page
    body = _ok(
        applicant.post(f"{URL}/{number}/materials/{rules.pk}", {"file": pdf("制度.pdf")}), 201
    )
    assert body["kind"] == "upload"
    seen = _ok(logged_in(cast.reviewer).get(f"{URL}/{number}"))
    kinds = {m["material_name"]: m["kind"] for m in seen["materials"]}
    assert kinds[rules.name] == "upload"
    assert seen["state"] == "accepted"
    # Other materials stay as submitted until staff ask for 补正.
    layout = material(cast.food, "设备设施")
    refused = applicant.post(f"{URL}/{number}/materials/{layout.pk}", {"file": pdf()})
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_editable"


def test_a_correction_of_one_field_keeps_the_others(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    ask_for_correction(logged_in(cast.clerk), number, "经营场所面积与平面图不符")
    body = _ok(
        applicant.post(
            f"{URL}/{number}/correction",
            {"note": "已更正面积", "form_data": {"area": 150}},
            content_type="application/json",
        )
    )
    assert body["state"] == "submitted"
    expected = {**MANUAL_FORM, "area": 150}
    assert {name: body["form_data"].get(name) for name in expected} == expected


def test_a_correction_request_sent_twice_asks_the_applicant_once(cast: ApplicationsCast) -> None:
    from zhengtong.eservices.models import Notification

    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    clerk = logged_in(cast.clerk)
    ask_for_correction(clerk, number, "请补充经营场所平面图")
    [read] = _ok(applicant.get(f"{URL}/{number}"))["suspensions"]
    told = Notification.objects.filter(user=cast.applicant).count()

    # The button pressed twice (or the page posted again): nothing new is asked.
    again = clerk.post(
        f"{URL}/{number}/request-correction",
        {"note": "请补充经营场所平面图"},
        content_type="application/json",
    )
    assert again.status_code == 409, again.content.decode()
    assert again.json()["code"] == "correction_already_requested"
    task = open_task(clerk, number)
    page = clerk.post(
        f"/services/work/{task['id']}/",
        {"action": "correction", "correction-note": "请补充经营场所平面图"},
    )
    assert "申请人已收到这条补正要求。" in page.content.decode()

    [still] = _ok(applicant.get(f"{URL}/{number}"))["suspensions"]
    assert still["note"] == "请补充经营场所平面图"
    assert Notification.objects.filter(user=cast.applicant).count() == told
    # The applicant's answer to the request as read is not refused as out of date.
    body = _ok(
        applicant.post(
            f"{URL}/{number}/correction",
            {"note": "已补充", "request_version": read["version"]},
            content_type="application/json",
        )
    )
    assert body["state"] == "submitted"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_staff_member_who_asks_for_a_correction_hears_of_the_answer(
    cast: ApplicationsCast, language: str
) -> None:
    """Both hear of it; what is stored does not depend on the language they work in."""
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    clerk = logged_in(cast.clerk)
    for http in (applicant, clerk):
        http.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    # Asked straight from the queue, without claiming the task first.
    ask_for_correction(clerk, number, "请补充经营场所平面图")
    task = open_task(clerk, number)
    assert task["claimed_by"] == cast.clerk.display_name
    to_applicant = [
        n["text"]
        for n in _ok(applicant.get(f"{URL}/notifications", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    ]
    assert f"您的申请 {number} 需要补正：请补充经营场所平面图" in to_applicant
    _ok(
        applicant.post(
            f"{URL}/{number}/correction", {"note": "已补充"}, content_type="application/json"
        )
    )
    to_clerk = [
        n["text"] for n in _ok(clerk.get(f"{URL}/notifications", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    ]
    assert f"办件 {number} 已补正，请继续办理。" in to_clerk
    in_english = [
        n["text"] for n in _ok(clerk.get(f"{URL}/notifications", HTTP_ACCEPT_LANGUAGE="en"))
    ]
    assert f"办件 {number} 已补正，请继续办理。" not in in_english and in_english


def test_a_promise_is_kept_after_approval_and_flagged_when_overdue(
    cast: ApplicationsCast,
) -> None:
    from zhengtong.eservices.models import ApplicationMaterial, Notification
    from zhengtong.eservices.tasks import flag_overdue_promises

    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    rules = material(cast.food, "规章制度")
    do_step(logged_in(cast.clerk), number, passed=True)
    do_step(logged_in(cast.reviewer), number, passed=True, opinion="符合许可条件")
    # The decider is warned of the promise before deciding.
    leader = logged_in(cast.leader)
    task = open_task(leader, number)
    page = leader.get(f"/services/work/{task['id']}/").content.decode()
    assert "容缺材料尚未补交" in page and rules.name in page
    assert do_step(leader, number, passed=True, opinion="准予许可")["state"] == "approved"
    # The promised day passes with the material still missing.
    ApplicationMaterial.objects.filter(application__number=number, material=rules).update(
        promised_on=timezone.localdate() - dt.timedelta(days=1)
    )
    before = Notification.objects.count()
    flag_overdue_promises.enqueue()
    told = Notification.objects.order_by("pk")[before:]
    assert {n.user_id for n in told} >= {cast.applicant.pk, cast.clerk.pk}
    assert all("逾期" in n.text for n in told)
    # Once only.
    flag_overdue_promises.enqueue()
    assert Notification.objects.count() == before + len(told)
    # The applicant can still hand the material in, after approval.
    body = _ok(
        applicant.post(f"{URL}/{number}/materials/{rules.pk}", {"file": pdf("制度.pdf")}), 201
    )
    assert body["kind"] == "upload"


def test_a_correction_answered_before_acceptance_stopped_no_clock(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = next_monday()
    freeze(monkeypatch, start)
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    ask_for_correction(logged_in(cast.clerk), number, "请补充经营场所面积")
    freeze(monkeypatch, start + dt.timedelta(hours=3))
    _ok(
        applicant.post(
            f"{URL}/{number}/correction", {"note": "已补充"}, content_type="application/json"
        )
    )
    freeze(monkeypatch, start + dt.timedelta(hours=4))
    do_step(logged_in(cast.clerk), number, passed=True)
    freeze(monkeypatch, start + dt.timedelta(hours=5))
    assert _ok(applicant.get(f"{URL}/{number}"))["time_limit"]["stopped_days"] == 0
    assert "<dt>暂停计时</dt>" not in applicant.get(f"/services/mine/{number}/").content.decode()
    # A correction after acceptance stops it, and shows for as long as it ran.
    ask_for_correction(logged_in(cast.reviewer), number, "请补充设备清单")
    freeze(monkeypatch, start + dt.timedelta(hours=6, minutes=30))
    _ok(
        applicant.post(
            f"{URL}/{number}/correction", {"note": "已补充"}, content_type="application/json"
        )
    )
    page = applicant.get(f"/services/mine/{number}/").content.decode()
    assert "<dt>暂停计时</dt>" in page and "1 小时 30 分钟" in page


def test_every_view_of_a_suspended_application_shows_the_same_deadline(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Accepted Monday 10:00; 补正 asked on Tuesday 10:00 and still open a minute later.
    accepted = next_monday()
    asked = accepted + dt.timedelta(days=1)
    freeze(monkeypatch, accepted)
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    do_step(logged_in(cast.clerk), number, passed=True, opinion="予以受理")
    freeze(monkeypatch, asked)
    reviewer = logged_in(cast.reviewer)
    ask_for_correction(reviewer, number, "请补充功能分区")
    freeze(monkeypatch, asked + dt.timedelta(minutes=1))
    applicant, reviewer = logged_in(cast.applicant), logged_in(cast.reviewer)
    body = _ok(applicant.get(f"{URL}/{number}"))
    stored = dt.datetime.fromisoformat(body["deadline_at"])
    assert same_instant(stored, dt.datetime.fromisoformat(body["time_limit"]["deadline_at"]))
    day = timezone.localtime(stored).strftime("%Y-%m-%d")
    [listed] = [a for a in _ok(applicant.get(f"{URL}/")) if a["number"] == number]
    assert same_instant(dt.datetime.fromisoformat(listed["deadline_at"]), stored)
    mine = applicant.get("/services/mine/").content.decode()
    detail = applicant.get(f"/services/mine/{number}/").content.decode()
    assert day in mine and day in detail
    work = reviewer.get("/services/work/").content.decode()
    item = reviewer.get(f"/services/work/{open_task(reviewer, number)['id']}/").content.decode()
    assert day in work and day in item

    # Answered after a minute: the deadline moves to the end of a later working day
    # and the page says how long the clock stood still in minutes, not "0.0 days".
    body = _ok(
        applicant.post(
            f"{URL}/{number}/correction", {"note": "已补"}, content_type="application/json"
        )
    )
    moved = dt.datetime.fromisoformat(body["deadline_at"])
    assert same_instant(moved, dt.datetime.fromisoformat(body["time_limit"]["deadline_at"]))
    detail = applicant.get(f"/services/mine/{number}/").content.decode()
    stopped_row = re.search(r"<dt>暂停计时</dt>\s*<dd>([^<]*)</dd>", detail)
    assert stopped_row is not None
    assert stopped_row.group(1).startswith("1 分钟")
    assert timezone.localtime(moved).strftime("%Y-%m-%d") in detail


@dataclass
class HygieneCase:
    """A 公共场所卫生许可 of the health commission, and who decides it."""

    item: ServiceItem
    leader: User
    number: str


def hygiene_reviewed(cast: ApplicationsCast) -> HygieneCase:
    """A 公共场所卫生许可 submitted, accepted and reviewed: the leader decides next."""
    item = do_publish_service_item(
        do_create_service_item(cast.health, HYGIENE, actor=TEST_ACTOR), actor=TEST_ACTOR
    )
    reviewer = do_create_staff(
        "kongli", PASSWORD, "孔丽", cast.health, ["reviewer"], actor=TEST_ACTOR
    )
    leader = do_create_staff("fanghe", PASSWORD, "方禾", cast.health, ["leader"], actor=TEST_ACTOR)
    applicant = logged_in(cast.applicant)
    form = {"place_type": "宾馆", "premises": "五一大道100号", "area": 800, "phone": "13812345678"}
    number = _ok(
        applicant.post(
            f"{URL}/", {"item_code": item.code, "form_data": form}, content_type="application/json"
        ),
        201,
    )["number"]
    for each in item.materials.all():
        if each.requirement == "deferrable":
            _ok(
                applicant.post(
                    f"{URL}/{number}/materials/{each.pk}/promise",
                    {"promised_on": promise_day().isoformat()},
                    content_type="application/json",
                )
            )
        elif each.source == "upload" and each.position > 0:
            _ok(applicant.post(f"{URL}/{number}/materials/{each.pk}", {"file": pdf()}), 201)
    _ok(applicant.post(f"{URL}/{number}/submit"))
    do_step(logged_in(cast.outsider), number)
    do_step(logged_in(reviewer), number)
    return HygieneCase(item, leader, str(number))

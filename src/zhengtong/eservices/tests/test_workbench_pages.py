"""The staff workbench pages: task lists, handling steps, materials and 差评整改."""

import re
from typing import Any

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.eservices import application_actions, application_selectors
from zhengtong.eservices.models import Application, Notification, Rectification, WorkTask
from zhengtong.eservices.tests.test_applications_cast import (
    AUTOMATIC_FORM,
    MANUAL_FORM,
    PASSWORD,
    PDF,
    ApplicationsCast,
    cast,
    logged_in,
)
from zhengtong.eservices.tests.test_applications_flow import do_step, submitted
from zhengtong.identity.actions import do_create_staff
from zhengtong.licences.selectors import verify_licence

__all__ = ["cast"]

WORK = "/services/work/"


def open_task(number: str) -> WorkTask:
    return WorkTask.objects.get(application__number=number, completed_at=None)


def decide(http: Client, number: str, **fields: Any) -> Any:
    task = open_task(number)
    data = {"action": "decision", **{f"decision-{k}": v for k, v in fields.items()}}
    return http.post(f"{WORK}{task.pk}/", data)


def test_the_worklist_shows_the_queue_and_a_task_is_claimed_with_htmx(
    cast: ApplicationsCast,
) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    clerk = logged_in(cast.clerk)
    page = clerk.get(WORK).content.decode()
    assert number in page and "好味道餐饮" in page and "认领" in page
    assert "待办 1 件" in page
    assert number not in clerk.get(WORK, {"scope": "mine"}).content.decode()
    # Another department's clerk does not see it.
    assert number not in logged_in(cast.outsider).get(WORK).content.decode()

    task = open_task(number)
    row = clerk.post(f"{WORK}{task.pk}/claim/", headers={"HX-Request": "true"})
    assert row.status_code == 200
    assert "我已认领" in row.content.decode()
    assert "<html" not in row.content.decode()
    task.refresh_from_db()
    assert task.claimed_by == cast.clerk
    assert number in clerk.get(WORK, {"scope": "mine"}).content.decode()


def test_the_worklist_is_paged_soonest_first_and_pages_out_of_range_show_the_last(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(application_selectors, "WORKLIST_PAGE_SIZE", 2)
    applicant = logged_in(cast.applicant)
    numbers = [submitted(applicant, cast, MANUAL_FORM)["number"] for _ in range(3)]
    clerk = logged_in(cast.clerk)
    first = clerk.get(WORK).content.decode()
    assert "待办 3 件" in first and "第 1 页，共 2 页" in first and "page=2" in first
    second = clerk.get(WORK, {"page": "2"}).content.decode()
    assert "第 2 页，共 2 页" in second and "page=1" in second
    shown = [n for n in numbers if n in first] + [n for n in numbers if n in second]
    assert sorted(shown) == sorted(numbers)  # every task once, over the two pages
    assert "第 2 页，共 2 页" in clerk.get(WORK, {"page": "9"}).content.decode()
    assert "第 1 页，共 2 页" in clerk.get(WORK, {"page": "x"}).content.decode()
    partial = clerk.get(WORK, {"page": "2"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "第 2 页" in partial


def test_tasks_with_a_deadline_come_before_applications_not_yet_accepted(
    cast: ApplicationsCast,
) -> None:
    # One person at a small office both accepts and reviews: the applications already
    # running against their time limit come first, on SQLite as on PostgreSQL.
    both = do_create_staff(
        "zhoushou", PASSWORD, "周受", cast.market, ["acceptor", "reviewer"], actor=TEST_ACTOR
    )
    applicant = logged_in(cast.applicant)
    waiting = submitted(applicant, cast, MANUAL_FORM)["number"]
    running = submitted(applicant, cast, MANUAL_FORM)["number"]
    do_step(logged_in(both), running, passed=True)
    page = logged_in(both).get(WORK).content.decode()
    assert running in page and waiting in page
    assert page.index(running) < page.index(waiting)


def test_staff_of_another_department_and_applicants_are_kept_out(
    cast: ApplicationsCast,
) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    task = open_task(number)
    layout = Application.objects.get(number=number).provided_materials.get(kind="upload")
    outsider = logged_in(cast.outsider)
    assert outsider.get(f"{WORK}{task.pk}/").status_code == 404
    assert outsider.get(f"{WORK}{task.pk}/materials/{layout.material_id}/").status_code == 404
    assert outsider.post(f"{WORK}{task.pk}/claim/").status_code == 404
    assert decide(outsider, number, passed="1").status_code == 404
    # The reviewer has no say over the 受理 step.
    assert logged_in(cast.reviewer).get(f"{WORK}{task.pk}/").status_code == 404
    assert logged_in(cast.applicant).get(f"{WORK}{task.pk}/").status_code == 403
    assert Client().get(WORK).status_code == 302
    assert open_task(number).claimed_by is None


def test_the_clerk_opens_an_uploaded_material(cast: ApplicationsCast) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    task = open_task(number)
    layout = Application.objects.get(number=number).provided_materials.get(kind="upload")
    clerk = logged_in(cast.clerk)
    page = clerk.get(f"{WORK}{task.pk}/").content.decode()
    link = f"{WORK}{task.pk}/materials/{layout.material_id}/"
    assert link in page
    response = clerk.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    # A material that was not uploaded (shared data) has no file.
    shared = (
        Application.objects.get(number=number).provided_materials.filter(kind="exchange").first()
    )
    assert shared is not None
    assert clerk.get(f"{WORK}{task.pk}/materials/{shared.material_id}/").status_code == 404


def test_the_reviewer_sees_the_serious_dishonesty_flag(cast: ApplicationsCast) -> None:
    body = submitted(logged_in(cast.flagged_applicant), cast, AUTOMATIC_FORM, scanned_licence=True)
    number = body["number"]
    clerk = logged_in(cast.clerk)
    assert "严重失信" in clerk.get(f"{WORK}{open_task(number).pk}/").content.decode()
    assert decide(clerk, number, passed="1", opinion="材料齐全").status_code == 302
    page = logged_in(cast.reviewer).get(f"{WORK}{open_task(number).pk}/").content.decode()
    assert 'id="credit-flag"' in page
    assert "严重失信主体" in page and "拒不履行法院生效判决" in page
    assert "<dt>uscc</dt>" not in page  # the list's item names, not their codes
    # A clean applicant has no such notice.
    clean = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    page = clerk.get(f"{WORK}{open_task(clean).pk}/").content.decode()
    assert 'id="credit-flag"' not in page and "未发现失信记录" in page


def test_accept_review_and_decide_through_the_pages_issue_the_licence(
    cast: ApplicationsCast,
) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    clerk = logged_in(cast.clerk)
    page = clerk.get(f"{WORK}{open_task(number).pk}/").content.decode()
    assert "予以受理" in page and "已核验" in page and "赵六" in page
    done = decide(clerk, number, passed="1", opinion="材料齐全，予以受理")
    assert done.status_code == 302 and done["Location"] == WORK
    assert Application.objects.get(number=number).state == "accepted"

    reviewer = logged_in(cast.reviewer)
    assert "审查通过" in reviewer.get(f"{WORK}{open_task(number).pk}/").content.decode()
    assert decide(reviewer, number, passed="1", opinion="符合许可条件").status_code == 302

    leader = logged_in(cast.leader)
    assert "准予许可" in leader.get(f"{WORK}{open_task(number).pk}/").content.decode()
    last = open_task(number)
    response = decide(leader, number, passed="1", opinion="准予许可")
    assert response.status_code == 302
    application = Application.objects.get(number=number)
    assert application.state == "approved"
    assert application.licence is not None and verify_licence(application.licence).valid
    assert "已准予并签发电子证照" in leader.get(WORK).content.decode()
    # The finished step's page says so and offers no form.
    page = leader.get(f"{WORK}{last.pk}/").content.decode()
    assert "该环节已于" in page and 'value="decision"' not in page
    assert application.licence.number in page


def test_a_refusal_without_reasons_is_refused_in_chinese(cast: ApplicationsCast) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    response = decide(logged_in(cast.clerk), number, passed="0")
    assert response.status_code == 400
    page = response.content.decode()
    assert "不予决定须写明理由和法律依据" in page
    assert "请写明不予的理由" in page and "请写明法律依据" in page
    assert Application.objects.get(number=number).state == "submitted"
    # A decision not chosen: the group of choices names its error for screen readers.
    page = decide(logged_in(cast.clerk), number).content.decode()
    group = re.search(r'<fieldset aria-describedby="([^"]+)">\s*<legend>办理结果', page)
    assert group is not None
    assert re.search(rf'<ul class="errorlist" id="{group.group(1)}"><li>[^<]+</li>', page)
    refused = decide(
        logged_in(cast.clerk),
        number,
        passed="0",
        reasons="经营场所不符合要求",
        legal_basis="《食品经营许可和备案管理办法》第十二条",
    )
    assert refused.status_code == 302
    application = Application.objects.get(number=number)
    assert application.state == "rejected"
    assert application.rejection_basis.startswith("《食品经营许可")


def test_the_reviewer_requests_a_correction(cast: ApplicationsCast) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    decide(logged_in(cast.clerk), number, passed="1")
    reviewer = logged_in(cast.reviewer)
    task = open_task(number)
    empty = reviewer.post(f"{WORK}{task.pk}/", {"action": "correction", "correction-note": ""})
    assert empty.status_code == 400
    assert "这个字段是必填项" in empty.content.decode()
    response = reviewer.post(
        f"{WORK}{task.pk}/",
        {"action": "correction", "correction-note": "请补充功能分区标注"},
    )
    assert response.status_code == 302
    assert Application.objects.get(number=number).state == "correcting"
    page = reviewer.get(f"{WORK}{task.pk}/").content.decode()
    assert "办件正在补正" in page and "请补充功能分区标注" in page
    # Completing the step while the clock stands still is refused with the reason.
    blocked = decide(reviewer, number, passed="1")
    assert blocked.status_code == 409
    assert "办件正在补正，暂停办理" in blocked.content.decode()


def test_the_leader_answers_a_bad_rating(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, AUTOMATIC_FORM)["number"]
    rated = applicant.post(
        f"/api/services/applications/{number}/ratings",
        {"level": 1, "comment": "态度不好"},
        content_type="application/json",
    )
    assert rated.status_code == 201, rated.content
    leader = logged_in(cast.leader)
    assert "差评整改" in leader.get(WORK).content.decode()
    page = leader.get(f"{WORK}rectifications/").content.decode()
    assert number in page and "态度不好" in page
    row = Rectification.objects.get(rating__application__number=number)
    empty = leader.post(
        f"{WORK}rectifications/", {"rectification": row.pk, f"r{row.pk}-response": ""}
    )
    assert empty.status_code == 400
    answered = leader.post(
        f"{WORK}rectifications/",
        {"rectification": row.pk, f"r{row.pk}-response": "已约谈窗口人员并整改"},
    )
    assert answered.status_code == 302
    row.refresh_from_db()
    assert row.response == "已约谈窗口人员并整改" and row.responded_at is not None
    assert number not in leader.get(f"{WORK}rectifications/").content.decode()
    assert logged_in(cast.clerk).get(f"{WORK}rectifications/").status_code == 403
    assert logged_in(cast.outsider).post(
        f"{WORK}rectifications/", {"rectification": row.pk}
    ).status_code in (403, 404)


def test_staff_are_told_when_the_applicant_already_holds_such_a_licence(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    clerk = logged_in(cast.clerk)
    waiting = submitted(applicant, cast, MANUAL_FORM)["number"]
    url = f"{WORK}{open_task(waiting).pk}/"
    assert 'id="licence-held"' not in clerk.get(url).content.decode()
    # Meanwhile a small shop's application is approved at once with a food licence.
    approved = submitted(applicant, cast, AUTOMATIC_FORM)
    assert approved["state"] == "approved"
    held = Application.objects.get(number=approved["number"]).licence
    assert held is not None
    page = clerk.get(url).content.decode()
    assert 'id="licence-held"' in page and held.number in page
    assert "长沙市芙蓉区五一大道100号" in page or "经营场所" in page


def test_the_workbench_shows_the_staff_members_messages(cast: ApplicationsCast) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    decide(logged_in(cast.clerk), number, passed="1")
    application = Application.objects.get(number=number)
    application_actions.do_request_correction(application, "请补充", acting_user=cast.reviewer)
    application_actions.do_submit_correction(application, "已补", acting_user=cast.applicant)
    notice = Notification.objects.filter(user=cast.reviewer).latest("created_at")
    assert number in notice.text
    reviewer = logged_in(cast.reviewer)
    html = reviewer.get(WORK).content.decode()
    assert notice.text in html and "notification-unread" in html
    reviewer.post("/services/notifications/read/", {"next": WORK})
    html = reviewer.get(WORK).content.decode()
    assert notice.text in html and "notification-unread" not in html


def test_the_english_work_item_translates_the_step_and_the_credit_record(
    cast: ApplicationsCast,
) -> None:
    body = submitted(logged_in(cast.flagged_applicant), cast, AUTOMATIC_FORM, scanned_licence=True)
    number = body["number"]
    decide(logged_in(cast.clerk), number, passed="1", opinion="材料齐全")
    reviewer = logged_in(cast.reviewer)
    reviewer.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = reviewer.get(f"{WORK}{open_task(number).pk}/").content.decode()
    assert "Current step: Review" in page and "审查</" not in page
    for chinese, english in (
        ("列入事由", "Reason for listing"),
        ("认定部门", "Deciding authority"),
    ):
        assert f"<dt>{english}</dt>" in page and f"<dt>{chinese}</dt>" not in page
    # The message after the decision names the step in English too.
    assert decide(reviewer, number, passed="1", opinion="符合条件").status_code == 302
    worklist = reviewer.get(WORK).content.decode()
    assert "“Review” step" in worklist and "“审查”" not in worklist


def test_staff_still_see_a_material_replaced_during_correction(cast: ApplicationsCast) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhengtong.eservices.tests.test_applications_cast import material

    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    decide(logged_in(cast.clerk), number, passed="1")
    application = Application.objects.get(number=number)
    application_actions.do_request_correction(application, "布局图不清", acting_user=cast.reviewer)
    layout = material(cast.food, "设备设施")
    newer = b"%PDF-1.4\n% the corrected layout\n"
    application_actions.do_upload_material(
        application,
        layout.pk,
        SimpleUploadedFile("新布局图.pdf", newer, content_type="application/pdf"),
        acting_user=cast.applicant,
    )
    application_actions.do_submit_correction(application, "已更换", acting_user=cast.applicant)
    task = open_task(number)
    reviewer = logged_in(cast.reviewer)
    page = reviewer.get(f"{WORK}{task.pk}/").content.decode()
    assert "新布局图.pdf" in page and "布局图.pdf" in page.replace("新布局图.pdf", "")
    assert "已被替换" in page
    current = reviewer.get(f"{WORK}{task.pk}/materials/{layout.pk}/")
    assert b"".join(current.streaming_content) == newer  # type: ignore[attr-defined]
    earlier = page.split("已被替换")[1].split('href="')[1].split('"')[0]
    response = reviewer.get(earlier)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    # Only staff who may handle the task open it.
    assert logged_in(cast.outsider).get(earlier).status_code in (403, 404)


def test_a_clerk_gives_back_a_claimed_task_and_a_colleague_takes_it(
    cast: ApplicationsCast,
) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    colleague = do_create_staff(
        "zhouqi", PASSWORD, "周七", cast.market, ["acceptor"], actor=TEST_ACTOR
    )
    clerk, other = logged_in(cast.clerk), logged_in(colleague)
    task = open_task(number)
    clerk.post(f"{WORK}{task.pk}/claim/")
    assert number not in other.get(WORK).content.decode()
    assert "放弃认领" in clerk.get(f"{WORK}{task.pk}/").content.decode()
    # Only whoever claimed it gives it back.
    refused = other.post(f"/api/services/applications/tasks/{task.pk}/release")
    assert refused.status_code == 409 and refused.json()["code"] == "not_claimed"

    released = clerk.post(f"{WORK}{task.pk}/release/")

    assert released.status_code == 302 and released["Location"] == WORK
    task.refresh_from_db()
    assert task.claimed_by is None and task.claimed_at is None
    assert number in other.get(WORK).content.decode()
    assert "release_task" in {e.kind for e in application_selectors.timeline(task.application)}
    assert "放弃认领 · 李四" in other.get(f"{WORK}{task.pk}/").content.decode()
    claimed = other.post(f"/api/services/applications/tasks/{task.pk}/claim")
    assert claimed.status_code == 200, claimed.content.decode()
    # The first clerk's second press finds the task with the colleague.
    again = clerk.post(f"{WORK}{task.pk}/release/", follow=True)
    assert "您没有认领该任务。" in again.content.decode()
    task.refresh_from_db()
    assert task.claimed_by == colleague

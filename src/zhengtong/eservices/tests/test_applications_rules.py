"""Applications: who may do what, form and upload checks, ratings, time limits, the state table."""

import datetime as dt
import importlib
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from zhengtong.core.calendar import add_working_days
from zhengtong.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from zhengtong.core.testing import TEST_ACTOR, make_department, make_holiday, make_person
from zhengtong.eservices import application_actions as actions
from zhengtong.eservices import process
from zhengtong.eservices.actions import (
    MaterialInput,
    do_create_service_item,
    do_publish_service_item,
    do_update_service_item,
)
from zhengtong.eservices.application_access import (
    access_application_by_number,
    access_task_by_id,
)
from zhengtong.eservices.application_selectors import open_tasks_for
from zhengtong.eservices.application_states import (
    ALLOWED_TRANSITIONS,
    ApplicationState,
    check_application_transition,
)
from zhengtong.eservices.demo import FOOD, PENSION_ENROLMENT
from zhengtong.eservices.forms_engine import form_problems
from zhengtong.eservices.models import Application, Notification, Rating, WorkTask
from zhengtong.eservices.tasks import refresh_time_limits
from zhengtong.eservices.tests.process_cases import run_to_end
from zhengtong.eservices.tests.test_applications_cast import (
    AUTOMATIC_FORM,
    MANUAL_FORM,
    PNG,
    ApplicationsCast,
    cast,
    host_people_and_insurance,
    logged_in,
    material,
    pdf,
    promise_day,
)
from zhengtong.eservices.time_limits import time_limit_of
from zhengtong.exchange.governed import key_hash
from zhengtong.exchange.models import AccessLog
from zhengtong.identity.actions import (
    do_create_citizen,
    do_create_enterprise_user,
    do_create_staff,
)
from zhengtong.ledger.models import LedgerEntry
from zhengtong.licences.models import LicenceType
from zhengtong.operations.schedule import periodic_tasks

__all__ = ["cast"]

URL = "/api/services/applications"


def new_draft(cast: ApplicationsCast, form: dict[str, Any] | None = None) -> Application:
    return actions.do_save_draft(cast.food, form or MANUAL_FORM, acting_user=cast.applicant)


def submitted(cast: ApplicationsCast, form: dict[str, Any] | None = None) -> Application:
    application = new_draft(cast, form)
    actions.do_upload_material(
        application, material(cast.food, "设备设施").pk, pdf(), acting_user=cast.applicant
    )
    actions.do_promise_material(
        application, material(cast.food, "规章制度").pk, promise_day(), acting_user=cast.applicant
    )
    return actions.do_submit_application(application, acting_user=cast.applicant)


def open_task(application: Application) -> WorkTask:
    return application.tasks.get(completed_at=None)


def accepted(cast: ApplicationsCast) -> Application:
    application = submitted(cast)
    return actions.do_complete_task(
        open_task(application), actions.TaskResult(passed=True), acting_user=cast.clerk
    )


def approved(cast: ApplicationsCast) -> Application:
    application = accepted(cast)
    application = actions.do_complete_task(
        open_task(application), actions.TaskResult(), acting_user=cast.reviewer
    )
    return actions.do_complete_task(
        open_task(application), actions.TaskResult(), acting_user=cast.leader
    )


# --- permissions ---------------------------------------------------------------------


def test_staff_of_another_department_cannot_claim_or_see_the_task(
    cast: ApplicationsCast,
) -> None:
    application = submitted(cast)
    task = open_task(application)
    with pytest.raises(PermissionDenied) as refused:
        actions.do_claim_task(task, acting_user=cast.outsider)
    assert refused.value.code == "not_task_role"
    with pytest.raises(NotFound):
        access_task_by_id(cast.outsider, task.pk)
    assert list(open_tasks_for(cast.outsider)) == []
    response = logged_in(cast.outsider).post(f"{URL}/tasks/{task.pk}/claim")
    assert response.status_code == 404
    assert logged_in(cast.outsider).get(f"{URL}/{application.number}").status_code == 404


def test_a_reviewer_cannot_do_the_acceptance_step(cast: ApplicationsCast) -> None:
    task = open_task(submitted(cast))
    with pytest.raises(PermissionDenied):
        actions.do_complete_task(task, actions.TaskResult(), acting_user=cast.reviewer)


def test_a_task_claimed_by_one_clerk_is_not_claimed_by_another(cast: ApplicationsCast) -> None:
    colleague = do_create_staff(
        "zhouba", "Zhengtong-applications-2026", "周八", cast.market, ["acceptor"], actor=TEST_ACTOR
    )
    task = open_task(submitted(cast))
    actions.do_claim_task(task, acting_user=cast.clerk)
    with pytest.raises(Conflict) as taken:
        actions.do_claim_task(task, acting_user=colleague)
    assert taken.value.code == "already_claimed"
    assert list(open_tasks_for(colleague)) == []
    assert [t.pk for t in open_tasks_for(cast.clerk, mine_only=True)] == [task.pk]


def test_a_task_claimed_while_a_colleague_completes_it_stays_with_who_claimed_it(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    colleague = do_create_staff(
        "zhouba", "Zhengtong-applications-2026", "周八", cast.market, ["acceptor"], actor=TEST_ACTOR
    )
    task = open_task(submitted(cast))
    worked_out = actions._task_changes

    def claimed_meanwhile(*args: Any, **kwargs: Any) -> Any:
        # The clerk claims the task after the colleague read it, before the
        # colleague's completion is written.
        actions.do_claim_task(task, acting_user=cast.clerk)
        return worked_out(*args, **kwargs)

    monkeypatch.setattr(actions, "_task_changes", claimed_meanwhile)
    with pytest.raises(Conflict) as taken:
        actions.do_complete_task(task, actions.TaskResult(passed=True), acting_user=colleague)
    assert taken.value.code == "changed_meanwhile"
    kept = WorkTask.objects.get(pk=task.pk)
    assert kept.completed_at is None and kept.claimed_by_id == cast.clerk.pk
    assert Application.objects.get(pk=task.application_id).state == ApplicationState.SUBMITTED


def test_another_applicant_cannot_see_or_withdraw_the_application(
    cast: ApplicationsCast,
) -> None:
    application = submitted(cast)
    with pytest.raises(NotFound):
        access_application_by_number(cast.flagged_applicant, application.number)
    with pytest.raises(PermissionDenied):
        actions.do_withdraw_application(application, acting_user=cast.flagged_applicant)
    http = logged_in(cast.flagged_applicant)
    response = http.post(f"{URL}/{application.number}/withdraw", {}, "application/json")
    assert response.status_code == 404


def test_an_agent_whose_authorisation_has_ended_holds_none_of_the_enterprises_applications(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = timezone.localdate()
    agent = do_create_enterprise_user(
        "zhouba",
        "Zhengtong-applications-2026",
        make_person("周八"),
        cast.enterprise,
        "agent",
        actor=TEST_ACTOR,
        valid_until=today + dt.timedelta(days=30),
    )
    draft = actions.do_save_draft(cast.food, MANUAL_FORM, acting_user=agent)
    http = logged_in(agent)
    assert [a["number"] for a in http.get(f"{URL}/").json()] == [draft.number]
    # A month and a day later the authorisation has run out.
    real_localdate = timezone.localdate
    monkeypatch.setattr(
        timezone,
        "localdate",
        lambda value=None, timezone=None: (
            real_localdate(value, timezone) if value is not None else today + dt.timedelta(days=31)
        ),
    )
    assert http.get(f"{URL}/").json() == []
    assert http.get(f"{URL}/{draft.number}").status_code == 404
    assert http.post(f"{URL}/{draft.number}/submit").status_code == 404
    assert http.get(f"/services/mine/{draft.number}/").status_code == 404
    with pytest.raises(PermissionDenied) as refused:
        actions.do_withdraw_application(draft, acting_user=agent)
    assert refused.value.code == "not_applicant"
    assert Application.objects.get(pk=draft.pk).state == ApplicationState.DRAFT


def test_a_citizen_cannot_apply_for_a_licence_only_enterprises_hold(
    cast: ApplicationsCast,
) -> None:
    form = {**MANUAL_FORM, "uscc": cast.enterprise.credit_code, "enterprise_name": "某某"}
    with pytest.raises(PermissionDenied) as refused:
        actions.do_save_draft(cast.food, form, acting_user=cast.citizen)
    assert refused.value.code == "applicant_kind_not_allowed"
    assert str(refused.value.message) == "该事项的证照不向此类申请人发放。"
    assert actions.applicant_refusal(cast.food, cast.citizen) == str(refused.value.message)
    assert actions.applicant_refusal(cast.food, cast.applicant) == ""
    assert actions.applicant_kinds_for(cast.food) == ["法人和其他组织"]

    # A draft started while persons could still hold the licence is refused at submission.
    licences = LicenceType.objects.filter(code="food_business_licence")
    licences.update(holder_kinds=["enterprise", "person"])
    application = actions.do_save_draft(cast.food, form, acting_user=cast.citizen)
    licences.update(holder_kinds=["enterprise"])
    with pytest.raises(PermissionDenied) as refused:
        actions.do_submit_application(application, acting_user=cast.citizen)
    assert refused.value.code == "applicant_kind_not_allowed"


def test_staff_cannot_apply(cast: ApplicationsCast) -> None:
    response = logged_in(cast.clerk).post(
        f"{URL}/", {"item_code": cast.food.code}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_an_applicant"


# --- forms and materials -------------------------------------------------------------


def test_form_errors_are_reported_by_field(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    response = http.post(
        f"{URL}/",
        {
            "item_code": cast.food.code,
            "form_data": {"business_type": "卖药", "area": 0, "phone": "12345", "nope": "x"},
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_form"
    assert set(body["detail"]["fields"]) == {"business_type", "area", "phone", "nope"}


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_a_number_json_cannot_store_is_a_field_problem(cast: ApplicationsCast, number: str) -> None:
    body = f'{{"item_code": "{cast.food.code}", "form_data": {{"area": {number}}}}}'
    response = logged_in(cast.applicant).post(f"{URL}/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_form"
    assert set(response.json()["detail"]["fields"]) == {"area"}
    assert not Application.objects.exists()


def test_submission_needs_the_required_fields(cast: ApplicationsCast) -> None:
    application = new_draft(cast, {"business_type": "餐饮服务"})
    with pytest.raises(Exception) as refused:
        actions.do_submit_application(application, acting_user=cast.applicant)
    assert getattr(refused.value, "code", "") == "invalid_form"
    assert set(refused.value.detail["fields"]) == {"area", "phone"}  # type: ignore[attr-defined]


def test_a_refused_submission_names_the_fields_and_the_materials_together(
    cast: ApplicationsCast,
) -> None:
    http = logged_in(cast.applicant)
    response = http.post(
        f"{URL}/",
        {"item_code": cast.food.code, "form_data": {"business_type": "餐饮服务"}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content.decode()
    response = http.post(f"{URL}/{response.json()['number']}/submit")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_form"
    assert set(body["detail"]["fields"]) == {"area", "phone"}
    layout = material(cast.food, "设备设施")
    rules = material(cast.food, "规章制度")
    assert set(body["detail"]["materials"]) == {str(layout.pk), str(rules.pk)}


def test_the_schema_subset_checks_types_formats_and_bounds() -> None:
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "id_number"},
            "code": {"type": "string", "format": "credit_code"},
            "day": {"type": "string", "format": "date"},
            "count": {"type": "integer", "minimum": 1, "maximum": 3},
            "name": {"type": "string", "minLength": 2, "maxLength": 4},
            "ok": {"type": "boolean"},
        },
        "required": ["name"],
    }
    problems = form_problems(
        schema,
        {
            "id": "110101199003070000",
            "code": "91430100MA4L000000",
            "day": "2026-02-30",
            "count": 4,
            "ok": "yes",
        },
        complete=True,
    )
    assert set(problems) == {"id", "code", "day", "count", "ok", "name"}
    assert form_problems(schema, {"name": "张三丰", "count": 2, "ok": True}, complete=True) == {}
    assert form_problems(schema, {"count": 1.5}, complete=False) == {"count": "应为整数。"}


def test_missing_materials_are_listed(cast: ApplicationsCast) -> None:
    application = new_draft(cast)
    with pytest.raises(Exception) as refused:
        actions.do_submit_application(application, acting_user=cast.applicant)
    assert getattr(refused.value, "code", "") == "missing_materials"
    missing = refused.value.detail["materials"]  # type: ignore[attr-defined]
    assert set(missing) == {
        str(material(cast.food, "设备设施").pk),
        str(material(cast.food, "规章制度").pk),
    }


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("图.gif", b"GIF89a" + b"\x00" * 10, "file_type"),
        ("伪装.pdf", PNG, "file_type"),
        ("空.pdf", b"", "file_empty"),
        ("大.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "file_too_large"),
    ],
)
def test_uploads_are_checked_for_type_and_size(
    cast: ApplicationsCast, name: str, content: bytes, code: str
) -> None:
    application = new_draft(cast)
    target = material(cast.food, "设备设施")
    response = logged_in(cast.applicant).post(
        f"{URL}/{application.number}/materials/{target.pk}",
        {"file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_a_png_upload_is_kept_with_its_digest(cast: ApplicationsCast) -> None:
    application = new_draft(cast)
    row = actions.do_upload_material(
        application,
        material(cast.food, "设备设施").pk,
        SimpleUploadedFile("照片.png", PNG),
        acting_user=cast.applicant,
    )
    assert row.content_type == "image/png"
    assert len(row.sha256) == 64
    assert row.file.read() == PNG


def test_only_deferrable_materials_can_be_promised(cast: ApplicationsCast) -> None:
    application = new_draft(cast)
    with pytest.raises(Exception) as refused:
        actions.do_promise_material(
            application,
            material(cast.food, "设备设施").pk,
            promise_day(),
            acting_user=cast.applicant,
        )
    assert getattr(refused.value, "code", "") == "not_deferrable"


# --- ratings and rectification -------------------------------------------------------


def test_a_bad_rating_opens_a_rectification_and_the_applicant_rates_again(
    cast: ApplicationsCast,
) -> None:
    application = approved(cast)
    applicant = logged_in(cast.applicant)
    response = applicant.post(
        f"{URL}/{application.number}/ratings",
        {"level": 2, "tags": ["long_wait"], "comment": "等了很久"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["rectification_id"] is not None
    again = applicant.post(
        f"{URL}/{application.number}/ratings", {"level": 5}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_rated"
    # The leader of the department is told and answers.
    assert Notification.objects.filter(user=cast.leader, text__contains="差评").exists()
    leader = logged_in(cast.leader)
    open_rows = leader.get(f"{URL}/rectifications").json()
    assert [r["application_number"] for r in open_rows] == [application.number]
    outsider = logged_in(cast.outsider)
    assert (
        outsider.post(
            f"{URL}/rectifications/{open_rows[0]['id']}/respond",
            {"response": "x"},
            content_type="application/json",
        ).status_code
        == 404
    )
    answered = leader.post(
        f"{URL}/rectifications/{open_rows[0]['id']}/respond",
        {"response": "已增加窗口人员，缩短审查时间"},
        content_type="application/json",
    )
    assert answered.status_code == 200
    assert leader.get(f"{URL}/rectifications").json() == []
    detail = applicant.get(f"{URL}/{application.number}").json()
    assert detail["ratings"][0]["response"].startswith("已增加")
    again = applicant.post(
        f"{URL}/{application.number}/ratings", {"level": 4}, content_type="application/json"
    )
    assert again.status_code == 201
    assert again.json()["rectification_id"] is None


def test_a_rating_given_as_true_is_refused_not_read_as_very_dissatisfied(
    cast: ApplicationsCast,
) -> None:
    application = approved(cast)
    applicant = logged_in(cast.applicant)
    refused = applicant.post(
        f"{URL}/{application.number}/ratings", {"level": True}, content_type="application/json"
    )
    assert refused.status_code == 422, refused.content
    assert refused.json()["code"] == "invalid_input"
    assert not Rating.objects.filter(application=application).exists()
    # The applicant may still give the rating meant, with no rectification opened by mistake.
    rated = applicant.post(
        f"{URL}/{application.number}/ratings", {"level": 5}, content_type="application/json"
    )
    assert rated.status_code == 201, rated.content
    assert rated.json()["rectification_id"] is None


def test_a_running_application_cannot_be_rated(cast: ApplicationsCast) -> None:
    application = submitted(cast)
    with pytest.raises(Conflict) as refused:
        actions.do_rate_application(application, 5, acting_user=cast.applicant)
    assert refused.value.code == "not_finished"


# --- time limits ---------------------------------------------------------------------


def test_the_warning_turns_yellow_at_80_percent_and_red_when_overdue(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    application = accepted(cast)
    start = application.accepted_at
    assert start is not None and application.deadline_at is not None
    assert application.deadline_at == add_working_days(start, 5)

    def run_at(moment: dt.datetime) -> str:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        refresh_time_limits.enqueue()
        return Application.objects.get(pk=application.pk).warning_level

    assert run_at(start + dt.timedelta(hours=1)) == "normal"
    # Midday of the fifth and last working day: 90 % of the time used, whether
    # the application was accepted on a working day (which counts in part) or
    # on a rest day (where the fourth day's end is exactly 80 %).
    assert run_at(application.deadline_at - dt.timedelta(hours=12)) == "yellow"
    assert run_at(application.deadline_at + dt.timedelta(hours=1)) == "red"
    # The red warning urges (催办) whoever can handle the open review task.
    assert Notification.objects.filter(user=cast.reviewer, text__startswith="催办").exists()
    kinds = list(application.events.filter(kind="warning").values_list("note", flat=True))
    assert kinds == ["黄牌预警", "红牌超期"]


def test_refreshing_twice_changes_nothing_the_second_time(cast: ApplicationsCast) -> None:
    accepted(cast)
    assert actions.do_refresh_time_limits(actor=TEST_ACTOR) == []


def test_an_item_s_new_limit_binds_new_applications_not_accepted_ones(
    cast: ApplicationsCast,
) -> None:
    running = accepted(cast)
    promised = running.deadline_at
    assert running.limit_days == 5 and promised is not None

    do_update_service_item(cast.food, replace(FOOD, committed_limit_days=8), actor=TEST_ACTOR)

    assert actions.do_refresh_time_limits(actor=TEST_ACTOR) == []
    kept = Application.objects.get(pk=running.pk)
    assert kept.deadline_at == promised
    assert time_limit_of(kept, timezone.now()).deadline_at == promised
    later = accepted(cast)
    assert later.limit_days == 8
    assert later.deadline_at == add_working_days(later.accepted_at, 8)  # type: ignore[arg-type]


def test_the_migration_finds_the_limit_a_running_application_was_accepted_under(
    cast: ApplicationsCast,
) -> None:
    edited_since = accepted(cast)
    unexplained = accepted(cast)
    do_update_service_item(cast.food, replace(FOOD, committed_limit_days=8), actor=TEST_ACTOR)
    # As they were before the limit was kept; the second one's deadline is
    # not the end of any number of working days from its acceptance.
    Application.objects.filter(pk__in=[edited_since.pk, unexplained.pk]).update(limit_days=None)
    assert unexplained.deadline_at is not None
    Application.objects.filter(pk=unexplained.pk).update(
        deadline_at=unexplained.deadline_at - dt.timedelta(hours=3)
    )
    migration = importlib.import_module(
        "zhengtong.eservices.migrations.0011_application_limit_days"
    )
    migration.limits_of_accepted_applications(apps, SimpleNamespace(connection=connection))

    assert Application.objects.get(pk=edited_since.pk).limit_days == 5
    assert Application.objects.get(pk=unexplained.pk).limit_days == 8
    assert actions.do_refresh_time_limits(actor=TEST_ACTOR) == [unexplained.number]
    assert Application.objects.get(pk=edited_since.pk).deadline_at == edited_since.deadline_at


def test_a_holiday_notice_recorded_later_moves_running_deadlines_and_tells_the_applicant(
    cast: ApplicationsCast,
) -> None:
    application = accepted(cast)
    stored = application.deadline_at
    assert stored is not None
    last_day = timezone.localtime(stored).date()
    # The notice makes the limit's last day a holiday: the limit ends a working day later.
    make_holiday(last_day)
    moved = add_working_days(application.accepted_at, 5)  # type: ignore[arg-type]
    assert moved.date() > last_day

    assert actions.do_refresh_time_limits(actor=TEST_ACTOR) == [application.number]

    assert Application.objects.get(pk=application.pk).deadline_at == moved
    event = application.events.get(kind="deadline_recounted")
    assert event.note == moved.date().isoformat()
    told = Notification.objects.get(user=cast.applicant, text__contains="重新计算")
    assert application.number in told.text and moved.date().isoformat() in told.text
    entry = LedgerEntry.objects.filter(action="eservices.refresh_time_limits").get()
    assert entry.subject_id == "time_limits"
    assert actions.do_refresh_time_limits(actor=TEST_ACTOR) == []


def test_the_scheduler_refreshes_time_limits_every_ten_minutes() -> None:
    entries = {t.task_path: t.interval_s for t in periodic_tasks()}
    assert entries["zhengtong.eservices.tasks.refresh_time_limits"] == 600


def test_a_special_procedure_not_counted_in_the_limit_stops_the_clock(
    cast: ApplicationsCast,
) -> None:
    application = accepted(cast)
    hearing = cast.food.special_procedures.get(name="听证")
    suspension = actions.do_start_special_procedure(
        application, hearing, "申请人要求听证", acting_user=cast.reviewer
    )
    assert suspension.stops_clock is True
    with pytest.raises(Conflict):
        actions.do_start_special_procedure(application, hearing, "", acting_user=cast.reviewer)
    ended = actions.do_end_special_procedure(application, acting_user=cast.reviewer)
    assert ended.deadline_at is not None and application.deadline_at is not None
    assert ended.deadline_at >= application.deadline_at
    inspection = cast.food.special_procedures.get(name="现场核查")
    counted = actions.do_start_special_procedure(ended, inspection, "", acting_user=cast.reviewer)
    assert counted.stops_clock is False


@pytest.mark.parametrize("decision", ["approve", "refuse", "withdraw"])
def test_the_end_of_an_application_ends_its_running_special_procedure(
    cast: ApplicationsCast, decision: str
) -> None:
    application = accepted(cast)
    other = accepted(cast)
    hearing = cast.food.special_procedures.get(name="听证")
    running = actions.do_start_special_procedure(
        application, hearing, "申请人要求听证", acting_user=cast.reviewer
    )
    elsewhere = actions.do_start_special_procedure(other, hearing, "", acting_user=cast.reviewer)
    if decision == "withdraw":
        application = actions.do_withdraw_application(application, acting_user=cast.applicant)
    else:
        application = actions.do_complete_task(
            open_task(application), actions.TaskResult(), acting_user=cast.reviewer
        )
        result = actions.TaskResult(
            passed=decision == "approve", reasons="场所不符合要求", legal_basis="《食品安全法》"
        )
        application = actions.do_complete_task(
            open_task(application), result, acting_user=cast.leader
        )
    assert application.state == {"approve": "approved", "refuse": "rejected"}.get(
        decision, "withdrawn"
    )
    running.refresh_from_db()
    assert running.ended_at is not None and running.ended_at == application.finished_at
    # Another application's procedure runs on.
    elsewhere.refresh_from_db()
    assert elsewhere.ended_at is None


# --- the state table -----------------------------------------------------------------


def test_every_transition_of_the_table_is_allowed_and_nothing_else() -> None:
    states = list(ApplicationState.values)
    for source in states:
        for target in states:
            if (source, target) in ALLOWED_TRANSITIONS:
                assert check_application_transition(source, target)
            else:
                with pytest.raises(Conflict):
                    check_application_transition(source, target)


def test_a_submitted_application_cannot_be_edited(cast: ApplicationsCast) -> None:
    application = submitted(cast, AUTOMATIC_FORM)
    with pytest.raises(Conflict) as refused:
        actions.do_save_draft(
            cast.food, MANUAL_FORM, acting_user=cast.applicant, application=application
        )
    assert refused.value.code == "not_editable"


def test_a_young_local_resident_is_enrolled_at_once_with_a_certificate(
    cast: ApplicationsCast,
) -> None:
    person = make_person("刘青", birth=dt.date(1995, 6, 1))
    item = _pension(cast, (person, ""))
    citizen = do_create_citizen("liuqing", "Zhengtong-applications-2026", person, actor=TEST_ACTOR)
    draft = actions.do_save_draft(
        item,
        {"name": "刘青", "contribution_level": 300, "phone": "13912345678"},
        acting_user=citizen,
    )
    assert draft.form_data["id_number"] == person.id_number
    done = actions.do_submit_application(draft, acting_user=citizen)
    assert done.state == ApplicationState.APPROVED
    assert done.licence is not None
    assert done.licence.licence_type.code == "pension_insurance_certificate"
    assert done.licence.data["contribution_grade"] == 300


def _pension(cast: ApplicationsCast, *insured: Any) -> Any:
    """The pension item, with the population and social-insurance registers on the exchange."""
    hrss = make_department("长沙市人力资源和社会保障局", code="cs-hrss", region=cast.market.region)
    item = do_create_service_item(hrss, PENSION_ENROLMENT, actor=TEST_ACTOR)
    item = do_publish_service_item(item, actor=TEST_ACTOR)
    host_people_and_insurance(
        hrss,
        [{"id_number": p.id_number, "name": p.name, "address": "长沙市"} for p, _ in insured],
        [
            {"id_number": p.id_number, "insurance": kind, "status": "正常参保", "since": ""}
            for p, kind in insured
            if kind
        ],
    )
    return item


def _enrol(item: Any, login: str, person: Any) -> Application:
    citizen = do_create_citizen(login, "Zhengtong-applications-2026", person, actor=TEST_ACTOR)
    draft = actions.do_save_draft(
        item,
        {"name": person.name, "contribution_level": 300, "phone": "13912345678"},
        acting_user=citizen,
    )
    return actions.do_submit_application(draft, acting_user=citizen)


def test_a_rejection_by_a_table_at_submission_reads_in_the_readers_language(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No shipped process rejects at submission (the ineligible wait for staff);
    # a city's own may, with a decision table's reason or without one.
    fifteen = timezone.localdate() - dt.timedelta(days=15 * 365)
    child, other = make_person("李小", birth=fifteen), make_person("王小", birth=fifteen)
    item = _pension(cast, (child, ""), (other, ""))
    start = process.start
    table_says: dict[str, str] = {}

    def rejecting_at_submission(process_id: str, data: dict[str, Any]) -> process.Instance:
        finished, _seen = run_to_end(start(process_id, data), persist=False, refuse_at="accept")
        finished._workflow.data.pop("ineligible_reason", None)
        finished._workflow.data.update(table_says)
        return finished

    monkeypatch.setattr(process, "start", rejecting_at_submission)
    table_says["ineligible_reason"] = "未满16周岁"
    by_table = _enrol(item, "lixiao", child)
    assert by_table.state == ApplicationState.REJECTED
    # The table's own reason is the process file's text: shown as written to every reader.
    assert _reasons_read_by(by_table, "en") == "未满16周岁"

    # Without a reason: the platform's default, stored in its language, read in the reader's.
    table_says.clear()
    by_default = _enrol(item, "wangxiao", other)
    assert by_default.state == ApplicationState.REJECTED
    assert by_default.rejection_reasons == "不符合办理条件。"
    assert _reasons_read_by(by_default, "zh-hans") == "不符合办理条件。"
    english = "The conditions for this service item are not met."
    assert _reasons_read_by(by_default, "en") == english
    http = Client()
    http.force_login(by_default.applicant)
    http.cookies["django_language"] = "en"
    shown = http.get(f"/services/mine/{by_default.number}/", HTTP_ACCEPT_LANGUAGE="en")
    assert english in shown.content.decode() and "不符合办理条件" not in shown.content.decode()


def test_an_application_number_typed_in_full_width_or_lower_case_is_found(
    cast: ApplicationsCast,
) -> None:
    person = make_person("郑查", birth=dt.date(1990, 3, 1))
    application = _enrol(_pension(cast, (person, "")), "zhengcha", person)
    http = Client()
    http.force_login(application.applicant)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in application.number)
    for typed in (full_width, f" {application.number.lower()} "):
        answer = http.get(f"/api/services/applications/{typed}")
        assert answer.status_code == 200, (typed, answer.content)
        assert answer.json()["number"] == application.number


def _reasons_read_by(application: Application, language: str) -> str:
    http = Client()
    http.force_login(application.applicant)
    http.cookies["django_language"] = language
    answer = http.get(
        f"/api/services/applications/{application.number}", HTTP_ACCEPT_LANGUAGE=language
    )
    assert answer.status_code == 200
    reasons: str = answer.json()["rejection_reasons"]
    return reasons


def test_someone_already_insured_is_not_enrolled_again_by_the_table(
    cast: ApplicationsCast,
) -> None:
    insured = make_person("周保", birth=dt.date(1985, 3, 1))
    fresh = make_person("吴新", birth=dt.date(1995, 3, 1))
    item = _pension(cast, (insured, "企业职工基本养老保险"), (fresh, ""))
    done = _enrol(item, "zhoubao", insured)
    assert done.state != ApplicationState.APPROVED
    assert done.licence is None
    # The check was a governed read of the social-insurance register, for this item.
    read = AccessLog.objects.filter(
        resource__code="303000000/000001", subjects__key_hash=key_hash(insured.id_number)
    )
    assert read.exists()
    # Someone the register does not know is still enrolled at once.
    assert _enrol(item, "wuxin", fresh).state == ApplicationState.APPROVED


def test_a_holder_of_a_valid_certificate_is_handled_by_staff(cast: ApplicationsCast) -> None:
    person = make_person("郑持", birth=dt.date(1990, 3, 1))
    item = _pension(cast, (person, ""))
    first = _enrol(item, "zhengchi", person)
    assert first.state == ApplicationState.APPROVED
    second = actions.do_submit_application(
        actions.do_save_draft(
            item,
            {"name": person.name, "contribution_level": 500, "phone": "13912345678"},
            acting_user=first.applicant,
        ),
        acting_user=first.applicant,
    )
    assert second.state == ApplicationState.SUBMITTED
    assert second.licence is None
    assert [t.step for t in second.tasks.all()] == ["accept"]


def test_without_the_insurance_register_the_table_does_not_decide(
    cast: ApplicationsCast,
) -> None:
    hrss = make_department("长沙市人力资源和社会保障局", code="cs-hrss", region=cast.market.region)
    item = do_publish_service_item(
        do_create_service_item(hrss, PENSION_ENROLMENT, actor=TEST_ACTOR), actor=TEST_ACTOR
    )
    done = _enrol(item, "chenwu", make_person("陈无", birth=dt.date(1995, 6, 1)))
    assert done.state == ApplicationState.SUBMITTED


def test_an_applicant_over_sixty_is_handled_by_staff_not_by_the_table(
    cast: ApplicationsCast,
) -> None:
    hrss = make_department("长沙市人力资源和社会保障局", code="cs-hrss", region=cast.market.region)
    item = do_create_service_item(hrss, PENSION_ENROLMENT, actor=TEST_ACTOR)
    item = do_publish_service_item(item, actor=TEST_ACTOR)
    person = make_person("郭老", birth=dt.date(1950, 6, 1))
    citizen = do_create_citizen("guolao", "Zhengtong-applications-2026", person, actor=TEST_ACTOR)
    draft = actions.do_save_draft(
        item,
        {"name": "郭老", "contribution_level": 300, "phone": "13912345678"},
        acting_user=citizen,
    )
    done = actions.do_submit_application(draft, acting_user=citizen)
    assert done.state == ApplicationState.SUBMITTED
    assert [t.step for t in done.tasks.all()] == ["accept"]
    assert [t.department for t in done.tasks.all()] == [hrss]


def test_the_applicant_reads_the_messages(cast: ApplicationsCast) -> None:
    submitted(cast)
    http = logged_in(cast.applicant)
    unread = [n for n in http.get(f"{URL}/notifications").json() if n["read_at"] is None]
    assert [n["text"][:5] for n in unread] == ["您的申请 "]
    response = http.post(f"{URL}/notifications/read", {}, content_type="application/json")
    assert response.json() == {"count": 1}
    assert all(n["read_at"] for n in http.get(f"{URL}/notifications").json())
    # Nobody else's messages are touched.
    other = logged_in(cast.clerk).post(
        f"{URL}/notifications/read", {}, content_type="application/json"
    )
    assert other.json() == {"count": 0}


def test_the_enterprise_sees_the_prefill_and_credit_reads_as_uses_of_its_data(
    cast: ApplicationsCast,
) -> None:
    submitted(cast)
    uses = AccessLog.objects.filter(
        subjects__key_hash=key_hash(cast.enterprise.credit_code)
    ).order_by("ledger_seq")
    assert [(u.data["resource"], u.data["purpose"], u.result) for u in uses] == [
        ("102000000/000001", "办理食品经营许可证核发", "ok"),
        ("104000000/000002", "办理食品经营许可证核发", "unknown_key"),
    ]


def test_a_step_refuses_when_the_application_changed_while_it_was_worked_out(
    cast: ApplicationsCast, monkeypatch: pytest.MonkeyPatch
) -> None:
    application = accepted(cast)
    task = open_task(application)
    before = LedgerEntry.objects.count()
    restore = process.restore

    def restore_while_a_colleague_asks_for_correction(*args: Any, **kwargs: Any) -> Any:
        # The reviewer's step is being worked out when the clerk's 补正 request lands.
        instance = restore(*args, **kwargs)
        monkeypatch.setattr(process, "restore", restore)
        actions.do_request_correction(application, "请补充平面图", acting_user=cast.reviewer)
        return instance

    monkeypatch.setattr(process, "restore", restore_while_a_colleague_asks_for_correction)
    with pytest.raises(Conflict) as refused:
        actions.do_complete_task(task, actions.TaskResult(), acting_user=cast.reviewer)
    assert refused.value.code == "changed_meanwhile"
    # Only the correction request was written; the step is still open.
    assert Application.objects.get(pk=application.pk).state == "correcting"
    assert open_task(application).pk == task.pk
    assert LedgerEntry.objects.count() == before + 1


# --- the applicant's identity and the decision ------------------------------------------


def test_an_applicant_cannot_apply_under_someone_elses_id_number(cast: ApplicationsCast) -> None:
    # The 身份证号 comes from the login: typing a younger person's number into
    # the form must not let someone over 60 through the 秒批 table (under 60).
    hrss = make_department("长沙市人力资源和社会保障局", code="cs-hrss", region=cast.market.region)
    item = do_create_service_item(hrss, PENSION_ENROLMENT, actor=TEST_ACTOR)
    item = do_publish_service_item(item, actor=TEST_ACTOR)
    elder = make_person("郭老", birth=dt.date(1950, 6, 1))
    young = make_person("刘青", birth=dt.date(1995, 6, 1))
    citizen = do_create_citizen("guolao", "Zhengtong-applications-2026", elder, actor=TEST_ACTOR)
    form = {"name": "郭老", "contribution_level": 300, "phone": "13912345678"}
    with pytest.raises(InvalidInput) as refused:
        actions.do_save_draft(item, {**form, "id_number": young.id_number}, acting_user=citizen)
    assert refused.value.code == "invalid_form"
    assert "id_number" in refused.value.detail["fields"]
    draft = actions.do_save_draft(item, form, acting_user=citizen)
    http = logged_in(citizen)
    changed = http.put(
        f"{URL}/{draft.number}",
        {"form_data": {**form, "id_number": young.id_number}},
        content_type="application/json",
    )
    assert changed.status_code == 400
    assert "id_number" in changed.json()["detail"]["fields"]
    kept = Application.objects.get(pk=draft.pk)
    assert kept.form_data["id_number"] == elder.id_number
    assert kept.prefilled["id_number"]["verified"] is True
    done = actions.do_submit_application(kept, acting_user=citizen)
    assert done.state == ApplicationState.SUBMITTED
    assert done.licence is None


def test_a_published_guide_can_be_edited_while_applications_hold_its_materials(
    cast: ApplicationsCast,
) -> None:
    application = submitted(cast)
    layout = material(cast.food, "设备设施")
    hearing = cast.food.special_procedures.get(name="听证")
    accepted_one = accepted(cast)
    actions.do_start_special_procedure(accepted_one, hearing, "", acting_user=cast.reviewer)
    # A new material goes first and the hours change: what was handed in stays
    # the material it was handed in as.
    changed = replace(
        FOOD,
        hours="工作日9:00—17:00",
        materials=[MaterialInput("授权委托书", requirement="optional"), *FOOD.materials],
    )
    item = do_update_service_item(cast.food, changed, actor=TEST_ACTOR)
    assert item.hours == "工作日9:00—17:00"
    assert [m.name for m in item.materials.all()] == [m.name for m in changed.materials]
    kept = material(item, "设备设施")
    assert kept.pk == layout.pk and kept.position == layout.position + 1
    uploaded = application.provided_materials.get(kind="upload")
    assert uploaded.material_id == layout.pk
    assert item.special_procedures.get(name="听证").pk == hearing.pk
    # A material or procedure someone has already used cannot simply vanish.
    without = replace(FOOD, materials=[m for m in FOOD.materials if "设备设施" not in m.name])
    with pytest.raises(Conflict) as refused:
        do_update_service_item(item, without, actor=TEST_ACTOR)
    assert refused.value.code == "material_in_use"
    no_hearing = replace(
        FOOD, special_procedures=[p for p in FOOD.special_procedures if p.name != "听证"]
    )
    with pytest.raises(Conflict) as refused:
        do_update_service_item(item, no_hearing, actor=TEST_ACTOR)
    assert refused.value.code == "procedure_in_use"
    assert material(item, "设备设施").pk == layout.pk


def test_ratings_store_tag_codes_and_refuse_unknown_tags(cast: ApplicationsCast) -> None:
    application = approved(cast)
    applicant = logged_in(cast.applicant)
    refused = applicant.post(
        f"{URL}/{application.number}/ratings",
        {"level": 5, "tags": ["不存在的标签"]},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "unknown_tag"
    assert not application.ratings.exists()
    response = applicant.post(
        f"{URL}/{application.number}/ratings",
        {"level": 5, "tags": ["convenient", "few_materials"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["tags"] == ["convenient", "few_materials"]
    english = applicant.get(
        f"/services/mine/{application.number}/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Convenient service" in english and "Few materials required" in english
    chinese = applicant.get(f"/services/mine/{application.number}/").content.decode()
    assert "办事便捷、材料精简" in chinese
    # The Chinese label is taken for its code, as older clients send it.
    other = approved(cast)
    response = applicant.post(
        f"{URL}/{other.number}/ratings",
        {"level": 4, "tags": ["办事便捷"]},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["tags"] == ["convenient"]


def test_ratings_stored_with_chinese_tags_still_show(cast: ApplicationsCast) -> None:
    application = approved(cast)
    Rating.objects.create(
        application=application, level=4, tags=["办事便捷", "办理慢"], at=timezone.now()
    )
    english = (
        logged_in(cast.applicant)
        .get(f"/services/mine/{application.number}/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "Convenient service" in english and "办理慢" in english


def test_a_date_field_takes_only_the_year_month_day_it_asks_for(cast: ApplicationsCast) -> None:
    from zhengtong.eservices.actions import do_create_service_item, do_publish_service_item

    schema = {
        **FOOD.form_schema,
        "properties": {
            **FOOD.form_schema["properties"],
            "opened_on": {"type": "string", "title": "开业日期", "format": "date"},
        },
    }
    item = do_create_service_item(
        cast.market, replace(FOOD, code="010011700199", form_schema=schema), actor=TEST_ACTOR
    )
    item = do_publish_service_item(item, actor=TEST_ACTOR)
    applicant = Client()
    applicant.force_login(cast.applicant)

    def saved(day: str) -> Any:
        return applicant.post(
            "/api/services/applications/",
            {"item_code": item.code, "form_data": {**MANUAL_FORM, "opened_on": day}},
            content_type="application/json",
        )

    # Python reads these as dates too (ISO 8601's basic and week forms), but
    # the field says YYYY-MM-DD, and the licence would print them as typed.
    for day in ("20260301", "2026-W09-7", "2026W097"):
        refused = saved(day)
        assert refused.status_code == 400, (day, refused.content.decode())
        assert refused.json()["detail"]["fields"] == {"opened_on": "日期格式应为 YYYY-MM-DD。"}
    created = saved("2026-03-01")
    assert created.status_code == 201, created.content.decode()
    assert created.json()["form_data"]["opened_on"] == "2026-03-01"


def test_a_bad_rating_needs_a_tag_or_a_comment_for_the_department_to_act_on(
    cast: ApplicationsCast,
) -> None:
    application = approved(cast)
    applicant = logged_in(cast.applicant)
    refused = applicant.post(
        f"{URL}/{application.number}/ratings", {"level": 2}, content_type="application/json"
    )
    assert refused.status_code == 400, refused.content
    assert refused.json()["code"] == "reason_required"
    assert refused.json()["detail"]["field"] == "comment"
    assert not Rating.objects.filter(application=application).exists()
    # A good rating needs no reason; a bad one with a tag alone is taken.
    tagged = applicant.post(
        f"{URL}/{application.number}/ratings",
        {"level": 1, "tags": ["long_wait"]},
        content_type="application/json",
    )
    assert tagged.status_code == 201, tagged.content
    assert tagged.json()["rectification_id"] is not None

"""Drafts the applicant gives up: deleted with their materials, leaving no files behind."""

from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from zhengtong.eservices import application_actions
from zhengtong.eservices.models import Application, ApplicationMaterial
from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
    ApplicationsCast,
    cast,
    logged_in,
    material,
    pdf,
    promise_day,
)
from zhengtong.eservices.tests.test_applications_flow import URL, draft, submitted
from zhengtong.ledger.actions import record_entry
from zhengtong.ledger.models import LedgerEntry

__all__ = ["cast"]

MINE = "/services/mine/"
APPLY = "/services/apply/"


def _uploaded(http: Client, cast: ApplicationsCast, number: str) -> str:
    """Upload the layout plan to the draft; return the stored file's name."""
    layout = material(cast.food, "设备设施")
    response = http.post(f"{URL}/{number}/materials/{layout.pk}", {"file": pdf()})
    assert response.status_code == 201, response.content.decode()
    name = ApplicationMaterial.objects.get(application__number=number, material=layout).file.name
    assert name and default_storage.exists(name)
    return str(name)


def _page(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.content.decode()[:2000]
    return str(response.content.decode())


# --- the API -----------------------------------------------------------------------------


def test_the_applicant_deletes_a_draft_with_its_materials_and_their_files(
    cast: ApplicationsCast,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    http = logged_in(cast.applicant)
    number = draft(http, cast, MANUAL_FORM)["number"]
    stored = _uploaded(http, cast, number)
    pk = Application.objects.get(number=number).pk
    written: list[dict[str, Any]] = []

    def spy(**entry: Any) -> LedgerEntry:
        written.append(entry)
        return record_entry(**entry)

    monkeypatch.setattr(application_actions, "record_entry", spy)

    with django_capture_on_commit_callbacks(execute=False) as pending:
        response = http.delete(f"{URL}/{number}")
        assert response.status_code == 204, response.content.decode()
        # Not before the commit: a deletion rolled back must find its files.
        assert default_storage.exists(stored)
    for callback in pending:
        callback()

    assert not default_storage.exists(stored)
    assert not Application.objects.filter(number=number).exists()
    assert not ApplicationMaterial.objects.filter(application_id=pk).exists()
    assert http.get(f"{URL}/{number}").status_code == 404
    assert [a["number"] for a in http.get(f"{URL}/").json()] == []
    [entry] = written
    assert entry["action"] == "eservices.delete_draft"
    assert entry["subject_type"] == "eservices.Application" and entry["subject_id"] == pk
    assert entry["data"]["number"] == number
    assert cast.enterprise.credit_code not in str(entry["data"])
    assert cast.enterprise.name not in str(entry["data"])
    assert LedgerEntry.objects.filter(subject_id=str(pk), action="eservices.delete_draft").exists()
    # Gone: asked again, it is not found.
    again = http.delete(f"{URL}/{number}")
    assert again.status_code == 404 and again.json()["code"] == "not_found"


def test_a_submitted_application_cannot_be_deleted(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    number = submitted(http, cast, MANUAL_FORM)["number"]

    response = http.delete(f"{URL}/{number}")

    assert response.status_code == 409
    assert response.json()["code"] == "not_a_draft"
    assert response.json()["message"] == "只能删除尚未提交的草稿。"
    assert Application.objects.get(number=number).state == "submitted"


def test_a_draft_withdrawn_before_it_was_sent_is_deleted_from_the_api_and_the_pages(
    cast: ApplicationsCast,
) -> None:
    # Withdrawn through the API while a draft, it never reached anyone: it
    # would otherwise stay in 我的办件 as 已撤回 for good.
    http = logged_in(cast.applicant)

    def withdrawn_draft() -> str:
        number = str(draft(http, cast, MANUAL_FORM)["number"])
        withdrawn = http.post(f"{URL}/{number}/withdraw", {}, content_type="application/json")
        assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
        return number

    first = withdrawn_draft()
    action = f'action="/services/mine/{first}/delete/"'
    assert action in _page(http.get(MINE))
    assert action in _page(http.get(f"{MINE}{first}/"))
    response = http.post(f"{MINE}{first}/delete/")
    assert response.status_code == 302 and response["Location"] == MINE
    assert f"草稿 {first} 已删除。" in _page(http.get(MINE))

    second = withdrawn_draft()
    assert http.delete(f"{URL}/{second}").status_code == 204
    assert not Application.objects.filter(number__in=[first, second]).exists()


def test_an_application_withdrawn_after_submission_stays(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    number = submitted(http, cast, MANUAL_FORM)["number"]
    withdrawn = http.post(f"{URL}/{number}/withdraw", {}, content_type="application/json")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    assert "/delete/" not in _page(http.get(MINE))
    assert "/delete/" not in _page(http.get(f"{MINE}{number}/"))

    response = http.delete(f"{URL}/{number}")

    assert response.status_code == 409 and response.json()["code"] == "not_a_draft"
    assert http.post(f"{MINE}{number}/delete/")["Location"] == f"{MINE}{number}/"
    assert Application.objects.get(number=number).state == "withdrawn"


def test_nobody_else_deletes_the_applicants_draft(cast: ApplicationsCast) -> None:
    number = draft(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]

    for other in (cast.citizen, cast.clerk, cast.leader):
        response = logged_in(other).delete(f"{URL}/{number}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert Client().delete(f"{URL}/{number}").status_code == 401
    assert Application.objects.filter(number=number, state="draft").exists()


# --- the pages ---------------------------------------------------------------------------


def test_a_draft_is_deleted_from_its_pages_after_a_question(
    cast: ApplicationsCast, django_capture_on_commit_callbacks: Any
) -> None:
    http = logged_in(cast.applicant)
    number = draft(http, cast, MANUAL_FORM)["number"]
    stored = _uploaded(http, cast, number)
    action = f'action="/services/mine/{number}/delete/"'
    question = f'data-confirm="草稿 {number} 及已上传的材料将被删除，不能恢复。确定删除吗？"'
    pages = (
        _page(http.get(f"{APPLY}?item={cast.food.code}&number={number}")),
        _page(http.get(f"{MINE}{number}/")),
        _page(http.get(MINE)),
    )
    for html in pages:
        form = html.split(action, 1)[1].split("</form>", 1)[0]
        assert question in form and "删除草稿" in form
    # A draft is deleted, not withdrawn: withdrawn, it stayed in the list for good.
    assert 'value="withdraw"' not in pages[1]

    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(f"{MINE}{number}/delete/")

    assert response.status_code == 302 and response["Location"] == MINE
    html = _page(http.get(MINE))
    assert f"草稿 {number} 已删除。" in html
    assert f"{MINE}{number}/" not in html
    assert not default_storage.exists(stored)
    assert http.get(f"{MINE}{number}/").status_code == 404


def test_the_pages_offer_no_deletion_of_what_was_submitted(cast: ApplicationsCast) -> None:
    http = logged_in(cast.applicant)
    number = submitted(http, cast, MANUAL_FORM)["number"]
    assert "/delete/" not in _page(http.get(MINE))
    assert "/delete/" not in _page(http.get(f"{MINE}{number}/"))

    # Posted all the same (a page left open since it was a draft): refused, and said why.
    response = http.post(f"{MINE}{number}/delete/")

    assert response.status_code == 302 and response["Location"] == f"{MINE}{number}/"
    assert "只能删除尚未提交的草稿。" in _page(http.get(f"{MINE}{number}/"))
    assert Application.objects.get(number=number).state == "submitted"


def test_another_users_draft_is_not_deleted_from_the_pages(cast: ApplicationsCast) -> None:
    number = draft(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]

    assert logged_in(cast.citizen).post(f"{MINE}{number}/delete/").status_code == 404
    assert logged_in(cast.applicant).get(f"{MINE}{number}/delete/").status_code == 405
    anonymous = Client().post(f"{MINE}{number}/delete/")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert Application.objects.filter(number=number, state="draft").exists()


# --- materials replaced in a draft -------------------------------------------------------


def test_a_material_replaced_in_a_draft_leaves_no_file_behind(
    cast: ApplicationsCast, django_capture_on_commit_callbacks: Any
) -> None:
    http = logged_in(cast.applicant)
    number = draft(http, cast, MANUAL_FORM)["number"]
    first = _uploaded(http, cast, number)

    with django_capture_on_commit_callbacks(execute=True):
        second = _uploaded(http, cast, number)

    assert second != first
    assert not default_storage.exists(first) and default_storage.exists(second)


def test_an_upload_replaced_by_a_promise_leaves_no_file_behind(
    cast: ApplicationsCast, django_capture_on_commit_callbacks: Any
) -> None:
    http = logged_in(cast.applicant)
    number = draft(http, cast, MANUAL_FORM)["number"]
    rules = material(cast.food, "规章制度")
    response = http.post(f"{URL}/{number}/materials/{rules.pk}", {"file": pdf()})
    assert response.status_code == 201
    stored = str(ApplicationMaterial.objects.get(application__number=number, material=rules).file)

    with django_capture_on_commit_callbacks(execute=True):
        promised = http.post(
            f"{URL}/{number}/materials/{rules.pk}/promise",
            {"promised_on": promise_day().isoformat()},
            content_type="application/json",
        )

    assert promised.status_code == 200, promised.content.decode()
    assert not default_storage.exists(stored)


def test_a_version_kept_for_staff_keeps_its_file(
    cast: ApplicationsCast, django_capture_on_commit_callbacks: Any
) -> None:
    # Once submitted, what an upload replaces is evidence: staff still open it.
    http = logged_in(cast.applicant)
    number = submitted(http, cast, MANUAL_FORM)["number"]
    layout = material(cast.food, "设备设施")
    first = str(ApplicationMaterial.objects.get(application__number=number, material=layout).file)
    clerk = logged_in(cast.clerk)
    task = next(t for t in clerk.get(f"{URL}/tasks").json() if t["application_number"] == number)
    assert clerk.post(f"{URL}/tasks/{task['id']}/claim").status_code == 200
    asked = clerk.post(
        f"{URL}/{number}/request-correction",
        {"note": "布局图不清晰"},
        content_type="application/json",
    )
    assert asked.status_code == 200, asked.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        _uploaded(http, cast, number)

    assert default_storage.exists(first)

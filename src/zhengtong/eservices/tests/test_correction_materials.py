"""补正材料清单: a 补正 request names materials to hand in anew; the correction waits for them."""

import hashlib
import json
import re
from typing import Any

from django.test import Client

from zhengtong.eservices.application_actions import needs_no_upload
from zhengtong.eservices.models import Application, Material, ServiceItem, WorkTask
from zhengtong.eservices.tests.test_applications_cast import (
    MANUAL_FORM,
    ApplicationsCast,
    cast,
    logged_in,
    material,
    pdf,
)
from zhengtong.eservices.tests.test_applications_flow import URL, do_step, submitted
from zhengtong.ledger.encoding import canonical_json
from zhengtong.ledger.models import LedgerEntry
from zhengtong.ledger.selectors import tree_state

__all__ = ["cast"]

MINE = "/services/mine/"
WORK = "/services/work/"
GOVSTACK = "/api/govstack/registration"
GOVSTACK_HEADER = {"Information-Mediator-Client": "ZHENGTONG/GOV/cs-market/portal"}


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()[:2000]
    return response.json()


def _refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()[:2000]
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert set(body) == {"code", "message", "detail"}
    return body


def _ask(http: Client, number: str, note: str, material_ids: list[int] | None) -> Any:
    payload: dict[str, Any] = {"note": note}
    if material_ids is not None:
        payload["material_ids"] = material_ids
    return http.post(f"{URL}/{number}/request-correction", payload, content_type="application/json")


def _answer(http: Client, number: str, note: str = "已补正") -> Any:
    return http.post(f"{URL}/{number}/correction", {"note": note}, content_type="application/json")


def _page(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.content.decode()[:2000]
    return str(response.content.decode())


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_correction_waits_for_the_materials_the_request_names(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    layout = material(cast.food, "设备设施")
    clerk = logged_in(cast.clerk)
    body = _ok(_ask(clerk, number, "布局图看不清，请重新上传", [layout.pk]))
    [request] = body["suspensions"]
    assert request["material_ids"] == [layout.pk]
    application = Application.objects.get(number=number)
    entry = LedgerEntry.objects.get(
        subject_type="eservices.Application",
        subject_id=str(application.pk),
        action="eservices.request_correction",
    )
    recorded = {
        "number": number,
        "item": cast.food.code,
        "note_hash": hashlib.sha256("布局图看不清，请重新上传".encode()).hexdigest()[:16],
        "claimed": True,
        "material_ids": [layout.pk],
    }
    assert bytes(entry.data_hash) == tree_state().hasher.digest(canonical_json(recorded))

    # The layout handed in with the application does not answer the request.
    refused = _refused(_answer(applicant, number), 400, "correction_materials_missing")
    assert set(refused["detail"]["materials"]) == {str(layout.pk)}
    assert Application.objects.get(number=number).state == "correcting"

    _ok(applicant.post(f"{URL}/{number}/materials/{layout.pk}", {"file": pdf("新图.pdf")}), 201)
    body = _ok(_answer(applicant, number))
    assert body["state"] == "submitted"
    assert body["suspensions"][0]["material_ids"] == [layout.pk]


def test_a_request_without_materials_is_answered_as_before(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    body = _ok(_ask(logged_in(cast.clerk), number, "请核对联系电话", []))
    assert body["suspensions"][0]["material_ids"] == []
    assert _ok(_answer(applicant, number))["state"] == "submitted"


def test_only_the_items_materials_may_be_named(cast: ApplicationsCast) -> None:
    number = submitted(logged_in(cast.applicant), cast, MANUAL_FORM)["number"]
    other_item = ServiceItem.objects.get(pk=cast.food.pk)
    other_item.pk = None
    # Another code of the same length (the column holds twelve characters).
    other_item.code = f"{cast.food.code[:-1]}X"
    other_item.save()
    elsewhere = Material.objects.create(
        item=other_item,
        name="别的事项的材料",
        form="copy",
        medium="electronic",
        requirement="required",
        source="upload",
    )
    clerk = logged_in(cast.clerk)
    layout = material(cast.food, "设备设施")
    for wrong in ([elsewhere.pk], [layout.pk, elsewhere.pk], [elsewhere.pk + 1000]):
        refused = _refused(
            _ask(clerk, number, "请重新上传", wrong), 400, "unknown_correction_material"
        )
        assert refused["detail"]["field"] == "material_ids"
    assert Application.objects.get(number=number).state == "submitted"


def test_what_is_added_to_an_open_request_adds_its_materials(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    layout = material(cast.food, "设备设施")
    rules = material(cast.food, "规章制度")
    clerk = logged_in(cast.clerk)
    _ok(_ask(clerk, number, "请补交规章制度", [rules.pk]))
    body = _ok(_ask(clerk, number, "布局图看不清", [layout.pk]))
    [request] = body["suspensions"]
    # In the item's order, whoever named them first.
    assert request["material_ids"] == [layout.pk, rules.pk]
    _ok(applicant.post(f"{URL}/{number}/materials/{layout.pk}", {"file": pdf()}), 201)
    refused = _refused(_answer(applicant, number), 400, "correction_materials_missing")
    assert set(refused["detail"]["materials"]) == {str(rules.pk)}


def test_the_applicant_page_names_the_materials_and_shows_what_is_missing(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    layout = material(cast.food, "设备设施")
    _ok(_ask(logged_in(cast.clerk), number, "布局图看不清", [layout.pk]))

    html = _page(applicant.get(f"{MINE}{number}/"))
    notice = html.split('id="correction-materials"')[1].split("</div>")[0]
    assert layout.name in notice and f'href="#material-{layout.pk}"' in notice
    card = html.split(f'id="material-{layout.pk}"')[1].split("</li>")[0]
    assert "需补正" in card
    others = [m for m in cast.food.materials.all() if m.pk != layout.pk]
    for other in others:
        assert "需补正" not in html.split(f'id="material-{other.pk}"')[1].split("</li>")[0]

    form = {**{k: str(v) for k, v in MANUAL_FORM.items()}, "action": "correction"}
    html = _page(applicant.post(f"{MINE}{number}/", form), 400)
    card = html.split(f'id="material-{layout.pk}"')[1].split("</li>")[0]
    assert "补正要求重新提交该材料，请上传新的材料。" in card
    assert "补正告知中列明的材料尚未重新提交。" in html

    uploaded = applicant.post(
        f"{MINE}{number}/", {"action": "upload", "material": layout.pk, "file": pdf("新图.pdf")}
    )
    assert uploaded.status_code == 302
    html = _page(applicant.get(f"{MINE}{number}/"))
    card = html.split(f'id="material-{layout.pk}"')[1].split("</li>")[0]
    assert "已重新上传" in card and "需补正" not in card
    assert applicant.post(f"{MINE}{number}/", form).status_code == 302
    assert Application.objects.get(number=number).state == "submitted"


def test_staff_name_the_materials_on_the_work_item_and_see_which_came_back(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    do_step(logged_in(cast.clerk), number, passed=True, opinion="予以受理")
    reviewer = logged_in(cast.reviewer)
    task = WorkTask.objects.get(application__number=number, completed_at=None)
    layout = material(cast.food, "设备设施")
    rules = material(cast.food, "规章制度")
    html = _page(reviewer.get(f"{WORK}{task.pk}/"))
    # Offered: what the applicant uploads; not what it hands in nothing for.
    for m in cast.food.materials.all():
        offered = f'name="correction-material_ids" value="{m.pk}"' in html
        assert offered == (not needs_no_upload(m)), m.name
    assert layout.source == "upload" and rules.source == "upload"

    response = reviewer.post(
        f"{WORK}{task.pk}/",
        {
            "action": "correction",
            "correction-note": "请重新上传布局图并补交规章制度",
            "correction-material_ids": [str(layout.pk), str(rules.pk)],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    application = Application.objects.get(number=number)
    assert application.state == "correcting"
    assert application.suspensions.get().material_ids == [layout.pk, rules.pk]

    _ok(applicant.post(f"{URL}/{number}/materials/{layout.pk}", {"file": pdf()}), 201)
    listed = _text(_page(reviewer.get(f"{WORK}{task.pk}/"))).split("补正材料清单")[1]
    assert f"{layout.name} · 已重新提交" in listed
    assert f"{rules.name} · 尚未重新提交" in listed


def test_the_govstack_correction_waits_for_the_named_materials(cast: ApplicationsCast) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    layout = material(cast.food, "设备设施")
    _ok(_ask(logged_in(cast.clerk), number, "布局图看不清", [layout.pk]))
    url = f"{GOVSTACK}/applications/{number}"
    correction = json.dumps(
        {"applicantId": str(cast.applicant.pk), "formData": {"data": MANUAL_FORM}}
    )
    refused = applicant.put(
        url, correction, content_type="application/json", headers=GOVSTACK_HEADER
    )
    body = _refused(refused, 400, "correction_materials_missing")
    assert set(body["detail"]["materials"]) == {str(layout.pk)}
    _ok(applicant.post(f"{URL}/{number}/materials/{layout.pk}", {"file": pdf()}), 201)
    done = applicant.put(url, correction, content_type="application/json", headers=GOVSTACK_HEADER)
    assert _ok(done)["status"]["code"] == "PENDING"


def test_a_material_the_applicant_hands_in_nothing_for_cannot_be_named(
    cast: ApplicationsCast,
) -> None:
    applicant = logged_in(cast.applicant)
    number = submitted(applicant, cast, MANUAL_FORM)["number"]
    clerk = logged_in(cast.clerk)
    for unwanted in [m for m in cast.food.materials.all() if needs_no_upload(m)]:
        refused = _refused(
            _ask(clerk, number, "请补正", [unwanted.pk]), 400, "correction_material_not_uploaded"
        )
        assert refused["detail"]["material_ids"] == [unwanted.pk], unwanted.name
    assert Application.objects.get(number=number).state != "correcting"

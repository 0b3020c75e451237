"""Which licence approval issues, for the demo items that did not issue one, and who
works the fire-safety lane of the 开办餐饮店“一件事”.

个体工商户设立登记 issues the 个体工商户营业执照 to its operator. The restaurant
bundle issues, to a person, the 营业执照 of the 个体工商户 it registers (a
食品经营许可证 is held by a market entity only) and, to an enterprise that
already holds a 营业执照, the 食品经营许可证. Its ``fire.reviewer`` lane goes
to the city's fire brigade (长沙市消防救援支队) when the item names it.
"""

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from zhengtong.core.models import Department
from zhengtong.core.testing import TEST_ACTOR, make_department
from zhengtong.eservices.actions import do_create_service_item, do_publish_service_item
from zhengtong.eservices.demo import INDIVIDUAL, RESTAURANT
from zhengtong.eservices.models import (
    Application,
    MaterialRequirement,
    MaterialSource,
    ServiceItem,
)
from zhengtong.eservices.tests.test_applications_cast import (
    PASSWORD,
    ApplicationsCast,
    host_people_and_insurance,
    logged_in,
    make_cast,
    pdf,
    promise_day,
)
from zhengtong.eservices.tests.test_applications_flow import ask_for_correction
from zhengtong.exchange.models import AccessLog
from zhengtong.identity.actions import do_create_staff
from zhengtong.identity.models import User
from zhengtong.ledger.models import LedgerEntry
from zhengtong.licences.selectors import licence_by_number, verify_licence

URL = "/api/services/applications"


@dataclass(frozen=True)
class MappingCast:
    base: ApplicationsCast
    environment: Department
    fire: Department
    individual: ServiceItem
    restaurant: ServiceItem
    environment_reviewer: User
    fire_reviewer: User


@pytest.fixture
def cast(db: None) -> MappingCast:
    return make_mapping_cast()


def make_mapping_cast() -> MappingCast:
    """The market bureau's cast, with the 并联 restaurant item's two other departments."""
    base = make_cast()
    city = base.market.region
    environment = make_department("长沙市生态环境局", code="cs-environment", region=city)
    fire = make_department("长沙市消防救援支队", code="cs-fire", region=city)
    items = []
    for data in (INDIVIDUAL, RESTAURANT):
        item = do_create_service_item(base.market, data, actor=TEST_ACTOR)
        items.append(do_publish_service_item(item, actor=TEST_ACTOR))
    return MappingCast(
        base=base,
        environment=environment,
        fire=fire,
        individual=items[0],
        restaurant=items[1],
        environment_reviewer=do_create_staff(
            "fangyu", PASSWORD, "方宇", environment, ["reviewer"], actor=TEST_ACTOR
        ),
        fire_reviewer=do_create_staff(
            "leiming", PASSWORD, "雷鸣", fire, ["reviewer"], actor=TEST_ACTOR
        ),
    )


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def submit(http: Client, item: ServiceItem, form: dict[str, Any]) -> Any:
    """Draft, provide the materials (a file, or a promise where allowed) and submit."""
    body = _ok(
        http.post(
            f"{URL}/", {"item_code": item.code, "form_data": form}, content_type="application/json"
        ),
        201,
    )
    return submit_draft(http, item, body["number"])


def submit_draft(http: Client, item: ServiceItem, number: str) -> Any:
    """Provide the draft's materials (a file, or a promise where allowed) and submit it."""
    provide(http, item, number)
    return _ok(http.post(f"{URL}/{number}/submit"))


def provide(http: Client, item: ServiceItem, number: str) -> None:
    """Provide the draft's materials: a file, or a promise where allowed."""
    for m in item.materials.filter(source=MaterialSource.UPLOAD).exclude(
        requirement=MaterialRequirement.OPTIONAL
    ):
        if m.requirement == MaterialRequirement.DEFERRABLE:
            _ok(
                http.post(
                    f"{URL}/{number}/materials/{m.pk}/promise",
                    {"promised_on": promise_day().isoformat()},
                    content_type="application/json",
                )
            )
        elif m.position > 0:  # the first is the form itself
            _ok(http.post(f"{URL}/{number}/materials/{m.pk}", {"file": pdf("材料.pdf")}), 201)


def tasks_of(http: Client, number: str) -> list[dict[str, Any]]:
    return [t for t in _ok(http.get(f"{URL}/tasks")) if t["application_number"] == number]


def complete(http: Client, task: dict[str, Any], opinion: str) -> Any:
    _ok(http.post(f"{URL}/tasks/{task['id']}/claim"))
    return _ok(
        http.post(
            f"{URL}/tasks/{task['id']}/complete",
            {"passed": True, "opinion": opinion},
            content_type="application/json",
        )
    )


def run_to_the_end(cast: MappingCast, number: str) -> Any:
    """Let every lane pass the application; return the last answer."""
    staff = [
        cast.base.clerk,
        cast.base.reviewer,
        cast.environment_reviewer,
        cast.fire_reviewer,
        cast.base.leader,
    ]
    body: Any = None
    for _ in range(10):
        done = False
        for user in staff:
            http = logged_in(user)
            for task in tasks_of(http, number):
                body = complete(http, task, "符合条件")
                done = True
        if not done:
            break
    assert body is not None
    return body


def assert_verifiable(number: str, type_code: str, holder_id: str) -> dict[str, Any]:
    licence = licence_by_number(number)
    assert licence is not None
    assert licence.licence_type.code == type_code
    assert licence.holder_id == holder_id
    assert verify_licence(licence).valid
    return dict(licence.data)


# A person registering a 个体工商户 (the table sends it to staff: the name is
# not confirmed by the exchange in this cast).
INDIVIDUAL_FORM: dict[str, Any] = {
    "name": "张三",
    "business_name": "长沙市芙蓉区张三便利店",
    "premises": "湖南省长沙市芙蓉区八一路12号",
    "scope": "日用百货零售",
    "form_of_organisation": "家庭经营",
    "phone": "13812345678",
}
# A restaurant over 50 m² cooking on gas: staff of every lane handle it.
RESTAURANT_FORM: dict[str, Any] = {
    "name": "张三",
    "business_name": "湘味小馆",
    "premises": "湖南省长沙市芙蓉区八一路12号",
    "area": 120,
    "seats": 40,
    "kitchen_fuel": "燃气",
    "business_items": "热食类食品制售",
    "phone": "13812345678",
}


def test_approving_an_individual_business_registration_issues_its_business_licence(
    cast: MappingCast,
) -> None:
    citizen = cast.base.citizen
    body = submit(logged_in(citizen), cast.individual, INDIVIDUAL_FORM)
    assert body["state"] == "submitted"
    body = run_to_the_end(cast, body["number"])
    assert body["state"] == "approved"
    person = citizen.person
    assert person is not None
    data = assert_verifiable(
        body["licence_number"], "individual_business_licence", person.id_number
    )
    assert data["operator"] == "张三"
    assert data["organisation_form"] == "家庭经营"
    assert data["business_scope"] == "日用百货零售"
    assert data["business_premises"] == INDIVIDUAL_FORM["premises"]


def test_a_person_opening_a_restaurant_gets_the_business_licence_of_the_new_business(
    cast: MappingCast,
) -> None:
    citizen = cast.base.citizen
    body = submit(logged_in(citizen), cast.restaurant, RESTAURANT_FORM)
    body = run_to_the_end(cast, body["number"])
    assert body["state"] == "approved"
    person = citizen.person
    assert person is not None
    data = assert_verifiable(
        body["licence_number"], "individual_business_licence", person.id_number
    )
    assert data["operator"] == "张三"
    assert data["organisation_form"] == "个人经营"
    assert data["business_scope"] == "热食类食品制售"


def test_an_enterprise_opening_a_restaurant_gets_the_food_business_licence(
    cast: MappingCast,
) -> None:
    owner = cast.base.applicant.person
    assert owner is not None
    host_people_and_insurance(
        cast.base.data, [{"id_number": owner.id_number, "name": "赵六", "address": "长沙市"}], []
    )
    form = {**RESTAURANT_FORM, "id_number": owner.id_number, "name": "赵六"}
    body = submit(logged_in(cast.base.applicant), cast.restaurant, form)
    kinds = {m["material_name"]: m["kind"] for m in body["materials"]}
    assert kinds["经营者身份证明"] == "exchange"
    body = run_to_the_end(cast, body["number"])
    assert body["state"] == "approved"
    data = assert_verifiable(
        body["licence_number"], "food_business_licence", cast.base.enterprise.credit_code
    )
    assert data["legal_representative"] == "赵六"
    assert data["main_business_form"] == "餐饮服务"
    assert data["business_items"] == "热食类食品制售"


def test_the_fire_safety_lane_is_worked_by_the_fire_brigade(cast: MappingCast) -> None:
    assert {d.code for d in cast.restaurant.co_departments.all()} == {
        "cs-environment",
        "cs-fire",
    }
    body = submit(logged_in(cast.base.citizen), cast.restaurant, RESTAURANT_FORM)
    number = body["number"]
    complete(logged_in(cast.base.clerk), tasks_of(logged_in(cast.base.clerk), number)[0], "受理")

    fire = tasks_of(logged_in(cast.fire_reviewer), number)
    assert [t["name"] for t in fire] == ["审查（消防）"]
    environment = tasks_of(logged_in(cast.environment_reviewer), number)
    assert [t["name"] for t in environment] == ["审查（生态环境）"]
    market = tasks_of(logged_in(cast.base.reviewer), number)
    assert [t["name"] for t in market] == ["审查（市场监管）"]


def test_a_failed_fire_safety_review_cannot_be_approved_over(cast: MappingCast) -> None:
    """Each department decides within its own remit: the decider may not approve past it."""
    body = submit(logged_in(cast.base.citizen), cast.restaurant, RESTAURANT_FORM)
    number = body["number"]
    clerk = logged_in(cast.base.clerk)
    complete(clerk, tasks_of(clerk, number)[0], "受理")
    for user in (cast.base.reviewer, cast.environment_reviewer):
        http = logged_in(user)
        complete(http, tasks_of(http, number)[0], "符合条件")
    fire = logged_in(cast.fire_reviewer)
    (task,) = tasks_of(fire, number)
    _ok(fire.post(f"{URL}/tasks/{task['id']}/claim"))
    _ok(
        fire.post(
            f"{URL}/tasks/{task['id']}/complete",
            {
                "passed": False,
                "reasons": "厨房未设置独立排烟管道",
                "legal_basis": "《中华人民共和国消防法》第十五条",
            },
            content_type="application/json",
        )
    )
    leader = logged_in(cast.base.leader)
    (decide,) = tasks_of(leader, number)
    _ok(leader.post(f"{URL}/tasks/{decide['id']}/claim"))
    refused = leader.post(
        f"{URL}/tasks/{decide['id']}/complete",
        {"passed": True, "opinion": "准予"},
        content_type="application/json",
    )
    assert refused.status_code == 409, refused.content.decode()
    assert refused.json()["code"] == "review_not_passed"
    assert _ok(leader.get(f"{URL}/{number}"))["state"] == "accepted"
    page = leader.post(
        f"/services/work/{decide['id']}/",
        {"action": "decision", "decision-passed": "1", "decision-opinion": "准予"},
    )
    assert page.status_code == 409
    assert "前置审查未全部通过，不能作出通过的决定" in page.content.decode()
    body = _ok(
        leader.post(
            f"{URL}/tasks/{decide['id']}/complete",
            {
                "passed": False,
                "reasons": "消防审查未通过",
                "legal_basis": "《中华人民共和国消防法》第十五条",
            },
            content_type="application/json",
        )
    )
    assert body["state"] == "rejected"


def test_the_decider_sees_which_department_refused_and_why(cast: MappingCast) -> None:
    number = submit(logged_in(cast.base.citizen), cast.restaurant, RESTAURANT_FORM)["number"]
    clerk = logged_in(cast.base.clerk)
    complete(clerk, tasks_of(clerk, number)[0], "材料齐全")
    for user in (cast.base.reviewer, cast.environment_reviewer):
        http = logged_in(user)
        complete(http, tasks_of(http, number)[0], "符合条件")
    fire = logged_in(cast.fire_reviewer)
    (task,) = tasks_of(fire, number)
    _ok(fire.post(f"{URL}/tasks/{task['id']}/claim"))
    reasons, basis = "厨房未设置独立排烟管道", "《中华人民共和国消防法》第十五条"
    refusal = {"passed": False, "reasons": reasons, "legal_basis": basis}
    _ok(fire.post(f"{URL}/tasks/{task['id']}/complete", refusal, content_type="application/json"))
    leader = logged_in(cast.base.leader)
    (decide,) = tasks_of(leader, number)

    page = leader.get(f"/services/work/{decide['id']}/").content.decode()

    results = page[page.index('id="step-results"') :]
    results = results[: results.index("</ul>")]
    fire_row = next(row for row in results.split("<li>") if "长沙市消防救援支队" in row)
    assert "审查不通过" in fire_row and "雷鸣" in fire_row
    assert reasons in fire_row and basis in fire_row
    market_row = next(row for row in results.split("<li>") if "审查（市场监管）" in row)
    assert "审查通过" in market_row and "符合条件" in market_row
    assert results.count("<li>") == 4  # 受理 and the three lanes; the decision is to come
    english = leader.get(f"/services/work/{decide['id']}/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
    assert "Reasons for not approving: 厨房未设置独立排烟管道" in english.content.decode()


def test_parallel_departments_ask_for_one_correction_together(cast: MappingCast) -> None:
    """一次性告知: the applicant gets one 补正 with what every department needs."""
    citizen = logged_in(cast.base.citizen)
    number = submit(citizen, cast.restaurant, RESTAURANT_FORM)["number"]
    clerk = logged_in(cast.base.clerk)
    complete(clerk, tasks_of(clerk, number)[0], "受理")
    fire = logged_in(cast.fire_reviewer)
    ask_for_correction(fire, number, "请补充消防设施平面图")
    [first_read] = _ok(citizen.get(f"{URL}/{number}"))["suspensions"]
    mine_url = reverse("eservices:application", args=[number])
    page_read = citizen.get(mine_url).content.decode()
    assert f'name="request_version" value="{first_read["version"]}"' in page_read
    environment = logged_in(cast.environment_reviewer)
    (task,) = tasks_of(environment, number)
    page = environment.get(f"/services/work/{task['id']}/").content.decode()
    assert "补充补正要求" in page and "补充到本次补正" in page
    added = environment.post(
        f"/services/work/{task['id']}/",
        {"action": "correction", "correction-note": "请补充油烟净化设施说明"},
        follow=True,
    )
    assert "已补充到本次补正" in added.content.decode()
    department = cast.environment.name
    detail = _ok(citizen.get(f"{URL}/{number}"))
    assert detail["state"] == "correcting"
    [open_request] = [s for s in detail["suspensions"] if s["ended_at"] is None]
    assert open_request["note"] == f"请补充消防设施平面图\n{department}：请补充油烟净化设施说明"
    assert [e["note"] for e in detail["timeline"] if e["kind"] == "add_correction"] == [
        f"{department}：请补充油烟净化设施说明"
    ]
    texts = [n["text"] for n in _ok(citizen.get(f"{URL}/notifications"))]
    assert any("补正要求已补充" in t and "油烟净化" in t for t in texts)
    mine = citizen.get(mine_url).content.decode()
    assert f"请补充消防设施平面图<br>{department}：请补充油烟净化设施说明" in mine
    # An answer to the request as first read is refused, on the page and in the API.
    stale = citizen.post(
        mine_url,
        {"action": "correction", "note": "已补充", "request_version": first_read["version"]},
    )
    assert stale.status_code == 409
    assert "补正要求刚有补充" in stale.content.decode()
    refused = citizen.post(
        f"{URL}/{number}/correction",
        {"note": "已补充", "request_version": first_read["version"]},
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "correction_request_changed"
    assert _ok(citizen.get(f"{URL}/{number}"))["state"] == "correcting"
    application = Application.objects.get(number=number)
    assert LedgerEntry.objects.filter(
        action="eservices.add_correction", subject_id=str(application.pk)
    ).exists()
    # One answer resumes the review; both departments hear of it.
    body = _ok(
        citizen.post(
            f"{URL}/{number}/correction",
            {"note": "均已补充", "request_version": open_request["version"]},
            content_type="application/json",
        )
    )
    assert body["state"] == "accepted"
    assert [s["ended_at"] is not None for s in body["suspensions"]] == [True]
    for http in (fire, environment):
        texts = [n["text"] for n in _ok(http.get(f"{URL}/notifications"))]
        assert any(number in t and "已补正" in t for t in texts)


def _submit_with_files(http: Client, item: ServiceItem, form: dict[str, Any]) -> Any:
    """Draft, upload every material (no 容缺 promise) and submit."""
    number = _ok(
        http.post(
            f"{URL}/", {"item_code": item.code, "form_data": form}, content_type="application/json"
        ),
        201,
    )["number"]
    for m in item.materials.filter(source=MaterialSource.UPLOAD).exclude(
        requirement=MaterialRequirement.OPTIONAL
    ):
        if m.position > 0:
            _ok(http.post(f"{URL}/{number}/materials/{m.pk}", {"file": pdf("材料.pdf")}), 201)
    return _ok(http.post(f"{URL}/{number}/submit"))


def _registered_citizen(cast: MappingCast) -> Client:
    """The citizen, logged in, on the population register the prefill reads."""
    person = cast.base.citizen.person
    assert person is not None
    host_people_and_insurance(
        cast.base.data, [{"id_number": person.id_number, "name": "张三", "address": "长沙市"}], []
    )
    return logged_in(cast.base.citizen)


def test_a_licence_for_the_same_premises_is_not_issued_twice_by_the_table(
    cast: MappingCast,
) -> None:
    http = _registered_citizen(cast)
    first = _submit_with_files(http, cast.individual, INDIVIDUAL_FORM)
    assert first["state"] == "approved"
    assert first["licence_number"]
    # A licence is issued per premises: another shop is a new business.
    elsewhere = {**INDIVIDUAL_FORM, "premises": "湖南省长沙市天心区解放西路120号"}
    second = _submit_with_files(http, cast.individual, elsewhere)
    assert second["state"] == "approved"
    assert second["licence_number"] not in ("", None, first["licence_number"])
    # The first premises written with a space and full-width digits is the same place.
    same_place = {**INDIVIDUAL_FORM, "premises": "湖南省长沙市芙蓉区 八一路１２号"}
    third = _submit_with_files(http, cast.individual, same_place)
    assert third["state"] == "submitted"
    assert not third["licence_number"]
    [task] = tasks_of(logged_in(cast.base.clerk), third["number"])
    assert task["step"] == "accept"
    page = logged_in(cast.base.clerk).get(f"/services/work/{task['id']}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "已持有同类证照" in text
    assert first["licence_number"] in text
    assert second["licence_number"] not in text


def test_an_outstanding_promise_is_not_approved_by_the_table(cast: MappingCast) -> None:
    assert cast.individual.materials.filter(requirement=MaterialRequirement.DEFERRABLE).exists()
    body = submit(_registered_citizen(cast), cast.individual, INDIVIDUAL_FORM)
    assert body["state"] == "submitted"
    assert not body["licence_number"]


def test_an_enterprise_cannot_name_an_operator_the_exchange_does_not_confirm(
    cast: MappingCast,
) -> None:
    owner = cast.base.applicant.person
    citizen = cast.base.citizen.person
    assert owner is not None and citizen is not None
    host_people_and_insurance(
        cast.base.data,
        [
            {"id_number": owner.id_number, "name": "赵六", "address": "长沙市"},
            {"id_number": citizen.id_number, "name": "张三", "address": "长沙市"},
        ],
        [],
    )
    http = logged_in(cast.base.applicant)
    reads = AccessLog.objects.count()
    # 张三's number with another name: refused on the name, nothing submitted.
    form = {**RESTAURANT_FORM, "id_number": citizen.id_number, "name": "王五"}
    refused = http.post(
        f"{URL}/",
        {"item_code": cast.restaurant.code, "form_data": form},
        content_type="application/json",
    )
    number = _ok(refused, 201)["number"]
    provide(http, cast.restaurant, number)
    answer = http.post(f"{URL}/{number}/submit")
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert body["code"] == "invalid_form"
    assert "name" in body["detail"]["fields"]
    # The check is a governed read of the population register, logged as such.
    assert AccessLog.objects.count() > reads
    # A number the register does not know is refused on the number.
    form = {**RESTAURANT_FORM, "id_number": "430102199001019999", "name": "王五"}
    _ok(http.put(f"{URL}/{number}", {"form_data": form}, content_type="application/json"))
    body = http.post(f"{URL}/{number}/submit").json()
    assert "id_number" in body["detail"]["fields"]
    # The number and its name as registered pass, and only then is the material shared.
    form = {**RESTAURANT_FORM, "id_number": citizen.id_number, "name": "张三"}
    _ok(http.put(f"{URL}/{number}", {"form_data": form}, content_type="application/json"))
    body = _ok(http.post(f"{URL}/{number}/submit"))
    kinds = {m["material_name"]: m["kind"] for m in body["materials"]}
    assert kinds["经营者身份证明"] == "exchange"


def test_an_unconfirmable_operator_is_not_presented_as_shared(cast: MappingCast) -> None:
    owner = cast.base.applicant.person
    assert owner is not None
    # No population register: the operator cannot be checked, so nothing is submitted.
    form = {**RESTAURANT_FORM, "id_number": owner.id_number, "name": "赵六"}
    http = logged_in(cast.base.applicant)
    number = _ok(
        http.post(
            f"{URL}/",
            {"item_code": cast.restaurant.code, "form_data": form},
            content_type="application/json",
        ),
        201,
    )["number"]
    provide(http, cast.restaurant, number)
    answer = http.post(f"{URL}/{number}/submit")
    assert answer.status_code == 409, answer.content
    assert answer.json()["code"] == "check_unavailable"

"""A dispatcher places a case in its district when the text named none, or the wrong one.

The leaders' figures and hot issues, and a district leader's view of the
cases, go by the case's district: a case the dispatcher sends to a district's
department must count in that district, not stay 未识别 for ever.
"""

from __future__ import annotations

import pytest

from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import (
    HotlineCast,
    make_furong_leader,
    make_hotline_cast,
    train_active_model,
)

# No district named: the model routes it to the city bureau, which finds it is 芙蓉区's.
UNPLACED = "我家小区旁边的化工厂每天晚上排放刺鼻废气，附近居民都不敢开窗，希望尽快处理。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _returned_unplaced(cast: HotlineCast) -> Case:
    number = submit(as_user(cast.zhangsan), UNPLACED)["number"]
    case = Case.objects.get(number=number)
    assert case.district_id is None and case.department == cast.city_environment
    reason = {"reason": "经核实在芙蓉区，请转芙蓉分局"}
    ok(post(as_user(cast.lihuan), f"/cases/{number}/return", reason))
    return case


def test_the_dispatch_page_places_the_case_in_the_district_its_leader_sees(
    cast: HotlineCast,
) -> None:
    case = _returned_unplaced(cast)
    furong_leader = make_furong_leader(cast)
    dispatcher = as_user(cast.dispatcher)
    queue = dispatcher.get("/hotline/dispatch/").content.decode()
    assert f'name="c{case.pk}-district"' in queue
    response = dispatcher.post(
        f"/hotline/dispatch/{case.number}/",
        {
            f"c{case.pk}-category": "环境保护",
            f"c{case.pk}-department": cast.furong_environment.code,
            f"c{case.pk}-district": cast.tree.furong.code,
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.department == cast.furong_environment
    assert case.district == cast.tree.furong
    # The district's leader counts it and may open it; the history says it was placed.
    figures = ok(as_user(furong_leader).get(f"{URL}/overview"))
    assert figures["total"] == 1
    assert [row["name"] for row in figures["by_district"]] == ["芙蓉区"]
    page = as_user(furong_leader).get(f"/hotline/cases/{case.number}/")
    assert page.status_code == 200 and "事发区县改为芙蓉区" in page.content.decode()


def test_the_api_places_the_case_and_refuses_a_district_outside_the_city(
    cast: HotlineCast,
) -> None:
    case = _returned_unplaced(cast)
    dispatcher = as_user(cast.dispatcher)
    sent = {"category": "环境保护", "department_code": cast.furong_environment.code}
    province = {**sent, "district_code": "430000"}
    refused = post(dispatcher, f"/cases/{case.number}/dispatch", province)
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_district"
    # The message stands beside the field, as the other refusals of a field have it.
    assert refused.json()["detail"]["fields"] == {"district_code": "没有这个区县，请从列表中选择。"}
    dispatched = ok(
        post(
            dispatcher,
            f"/cases/{case.number}/dispatch",
            {**sent, "district_code": cast.tree.furong.code},
        )
    )
    assert dispatched["district"] == "芙蓉区"


def test_a_dispatch_without_a_district_keeps_the_place_read_from_the_text(
    cast: HotlineCast,
) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    ok(post(as_user(cast.chenhuan), f"/cases/{number}/return", {"reason": "不属于本部门"}))
    sent = {"category": "环境保护", "department_code": cast.city_environment.code}
    dispatched = ok(post(as_user(cast.dispatcher), f"/cases/{number}/dispatch", sent))
    assert dispatched["district"] == "芙蓉区"

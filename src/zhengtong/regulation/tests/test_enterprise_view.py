"""The enterprise's own view (G2B): pages and API for the enterprise's users, and repair requests.

The cast is the credit-repair cast (``test_credit_repair``). The chemical
plant of 钱老板 ('qianlaoban') has a flue-gas point whose SO2 went over its
limit in the last hour (the regulator acknowledged the alarm with a note), a
severe penalty of six months ago (too recent to repair), an over-limit
alarm record of four months ago (repairable), a commendation, and a random
inspection that found problems today.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR, make_enterprise, make_person
from zhengtong.identity.models import EnterpriseMembership
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation.actions import (
    do_acknowledge_alarm,
    do_register_point,
    do_set_emission_limit,
)
from zhengtong.regulation.credit_scorecard import DEFAULT_CONFIG, add_months
from zhengtong.regulation.inspection_actions import (
    do_announce_inspection_task,
    do_draw_inspection_task,
    do_record_inspection_result,
    do_register_inspector,
)
from zhengtong.regulation.models import (
    Alarm,
    AlarmKind,
    CreditRecord,
    CreditRepair,
    Inspection,
    RepairState,
)
from zhengtong.regulation.tests.bureau import logged_in, text_of
from zhengtong.regulation.tests.test_credit_pages import FULL_WIDTH
from zhengtong.regulation.tests.test_credit_repair import (
    COMMITMENT,
    RECTIFICATION,
    RepairCast,
    _ok,
    _refused,
    grade_for,
    make_cast,
    months_ago,
    record,
)
from zhengtong.regulation.tests.test_pages import PW, local_now, store

MN = "43010200000000000000F101"
API = "/api/regulation/my"
ALARM_NOTE = "已电话通知企业环保负责人，要求立即排查脱硫设施"
FINDINGS = "危险废物贮存场所标识不全，已责令整改"
POINTS = DEFAULT_CONFIG["kinds"]


@dataclass(frozen=True)
class Scene:
    cast: RepairCast
    severe: CreditRecord
    alarm_record: CreditRecord
    commendation: CreditRecord
    alarm: Alarm
    inspection: Inspection

    @property
    def score(self) -> int:
        """The plant's score by the shipped scorecard, from its records."""
        return int(
            DEFAULT_CONFIG["base_score"]
            + POINTS["penalty"]["points"]["severe"]
            + POINTS["over_limit_alarm"]["points"]
            + POINTS["commendation"]["points"]
            + POINTS["inspection"]["points"]["problems"]
        )


def make_scene(cast: RepairCast) -> Scene:
    point = do_register_point(cast.plant, MN, "1号废气排放口", PW, actor=TEST_ACTOR)
    do_set_emission_limit(point, "a21026", 35.0, actor=TEST_ACTOR, unit="mg/m3")
    now = local_now()
    for minutes, so2 in ((30, 20.0), (20, 52.5), (10, 61.0)):
        store(point, now - dt.timedelta(minutes=minutes), {"a21026": so2})
    alarm = Alarm.objects.get(point=point, kind=AlarmKind.OVER_LIMIT)
    do_acknowledge_alarm(alarm, actor=TEST_ACTOR, note=ALARM_NOTE)
    severe = record(cast.plant, "penalty", months_ago(6), severity="severe")
    alarm_record = record(cast.plant, "over_limit_alarm", months_ago(4))
    commendation = record(
        cast.plant, "commendation", months_ago(2), description="市级环境保护先进单位"
    )
    for n in (1, 2):
        do_register_inspector(
            f"HN-ENV-{n:03d}", f"检查员{n}", cast.city_environment, ["环境执法"], actor=TEST_ACTOR
        )
    task = do_announce_inspection_task(
        "CS-ENV-2026-001",
        "2026 年危险废物规范化管理抽查",
        cast.city_environment,
        cast.regions.furong,
        "危险废物贮存、转移联单",
        "1",
        actor=TEST_ACTOR,
        industry_code="C2614",
    )
    do_draw_inspection_task(task, actor=TEST_ACTOR)
    inspection = Inspection.objects.get(task=task, enterprise=cast.plant)
    do_record_inspection_result(
        inspection, "problems", FINDINGS, timezone.localdate(), actor=TEST_ACTOR
    )
    return Scene(cast, severe, alarm_record, commendation, alarm, inspection)


@pytest.fixture
def scene(db: None) -> Scene:
    return make_scene(make_cast())


def row_of(page: str, element_id: str) -> str:
    found = re.search(rf'<tr id="{element_id}".*?</tr>', page, re.S)
    assert found is not None, element_id
    return found.group()


def also_acts_for_the_diner(scene: Scene) -> None:
    # A second membership, as an administrator adds it on the user's form.
    EnterpriseMembership.objects.create(
        user=scene.cast.owner, enterprise=scene.cast.diner, relation="agent"
    )


# --- who may look ----------------------------------------------------------------------------


def test_visitors_are_sent_to_log_in_and_other_accounts_are_refused(scene: Scene) -> None:
    cast = scene.cast
    response = Client().get("/regulation/my/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    for user in (cast.regulator, cast.citizen):
        assert logged_in(user).get("/regulation/my/").status_code == 403
        repair_form = logged_in(user).get(f"/regulation/my/repair/{scene.alarm_record.pk}/")
        assert repair_form.status_code == 403
        _refused(logged_in(user).get(f"{API}/credit"), 403, "not_an_enterprise_user")
    _refused(Client().get(f"{API}/credit"), 401, "not_authenticated")


def test_the_portal_s_credit_entry_leads_here(scene: Scene) -> None:
    page = text_of(logged_in(scene.cast.owner).get("/enterprise/"))
    assert 'href="/regulation/my/"' in page


# --- the self-view page ----------------------------------------------------------------------


def test_the_owner_sees_the_grade_explained_and_what_each_record_allows(scene: Scene) -> None:
    page = text_of(logged_in(scene.cast.owner).get("/regulation/my/"))
    assert "长沙市某化工有限公司" in page and scene.cast.plant.credit_code in page
    assert 'class="credit-explanation"' in page
    assert re.search(rf'class="credit-score">{scene.score}<', page)
    assert f"{grade_for(scene.score)} 级" in page
    repairable = row_of(page, f"record-{scene.alarm_record.pk}")
    assert "在线监测超标报警" in repairable and "计分中" in repairable
    assert f'href="/regulation/my/repair/{scene.alarm_record.pk}/"' in repairable
    assert "申请信用修复" in repairable
    severe = row_of(page, f"record-{scene.severe.pk}")
    assert "严重行政处罚" in severe and "申请信用修复" not in severe
    first_day = add_months(scene.severe.occurred_on, 12)
    assert f"{first_day:%Y-%m-%d} 起可申请" in severe
    commendation = row_of(page, f"record-{scene.commendation.pk}")
    assert "表彰奖励" in commendation and "申请信用修复" not in commendation
    assert "没有信用修复申请" in page


def test_the_owner_sees_the_point_s_chart_the_alarm_with_the_note_and_the_inspection(
    scene: Scene,
) -> None:
    page = text_of(logged_in(scene.cast.owner).get("/regulation/my/"))
    chart = re.search(
        rf'<figure class="chart-panel" id="chart-{MN}-a21026">.*?</figure>', page, re.S
    )
    assert chart is not None
    assert 'class="chart-limit"' in chart.group() and "超标 2 次" in chart.group()
    assert chart.group().count('class="chart-over"') == 2
    assert "light-online" in page
    alarm = row_of(page, f"alarm-{scene.alarm.pk}")
    assert "超标" in alarm and "二氧化硫" in alarm and "已确认" in alarm
    # 61 mg/m3 against 35 is 74 % over.
    assert "61" in alarm and "超出限值 74%" in alarm
    assert ALARM_NOTE in alarm
    # The enterprise reads the alarm; it has no forms to handle it.
    assert "<form" not in alarm
    inspection = row_of(page, f"inspection-{scene.inspection.pk}")
    assert "2026 年危险废物规范化管理抽查" in inspection and "长沙市生态环境局" in inspection
    assert "发现问题，责令整改" in inspection and FINDINGS in inspection


def test_a_user_acting_for_two_enterprises_chooses_one(scene: Scene) -> None:
    also_acts_for_the_diner(scene)
    http = logged_in(scene.cast.owner)
    chooser = text_of(http.get("/regulation/my/"))
    assert "请选择企业" in chooser
    for firm in (scene.cast.plant, scene.cast.diner):
        assert f"?uscc={firm.credit_code}" in chooser and firm.name in chooser
    diner = text_of(http.get("/regulation/my/", {"uscc": scene.cast.diner.credit_code}))
    assert "<h1>长沙市天心区某餐馆</h1>" in diner
    assert f'id="record-{scene.alarm_record.pk}"' not in diner
    assert f"?uscc={scene.cast.plant.credit_code}" in diner
    stranger = make_enterprise("长沙市某陌生公司", legal_representative=make_person("赵六"))
    assert http.get("/regulation/my/", {"uscc": stranger.credit_code}).status_code == 404


def test_an_expired_authorisation_leaves_nothing_to_choose(scene: Scene) -> None:
    EnterpriseMembership.objects.filter(user=scene.cast.owner).update(
        relation="agent", valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    page = text_of(logged_in(scene.cast.owner).get("/regulation/my/"))
    assert "没有可以代表的企业" in page
    _refused(logged_in(scene.cast.owner).get(f"{API}/credit"), 403, "no_enterprise")


# --- asking for repair on the page -----------------------------------------------------------


def test_the_form_shows_the_record_what_repair_changes_and_the_standard_commitment(
    scene: Scene,
) -> None:
    page = text_of(
        logged_in(scene.cast.owner).get(f"/regulation/my/repair/{scene.alarm_record.pk}/")
    )
    assert "在线监测超标报警" in page and scene.alarm_record.description in page
    after = scene.score - POINTS["over_limit_alarm"]["points"]
    assert f"{scene.score} 分 → {after} 分" in page
    assert f"{grade_for(scene.score)} 级 → {grade_for(after)} 级" in page
    assert re.search(r'<textarea id="commitment"[^>]*>本企业郑重承诺', page)
    assert 'type="checkbox" id="confirmed" name="confirmed" value="1"' in page


def test_under_a_cap_the_form_says_repair_would_not_change_the_score(scene: Scene) -> None:
    cast = scene.cast
    many = record(cast.diner, "over_limit_alarm", months_ago(5), count=10)
    one = record(cast.diner, "over_limit_alarm", months_ago(4))
    assert many.count * POINTS["over_limit_alarm"]["points"] <= POINTS["over_limit_alarm"]["cap"]
    capped = DEFAULT_CONFIG["base_score"] + POINTS["over_limit_alarm"]["cap"]
    page = text_of(logged_in(cast.diner_owner).get(f"/regulation/my/repair/{one.pk}/"))
    assert f"{capped} 分 → {capped} 分" in page


def test_the_commitment_must_be_confirmed_and_the_rectification_written(scene: Scene) -> None:
    http = logged_in(scene.cast.owner)
    url = f"/regulation/my/repair/{scene.alarm_record.pk}/"
    unconfirmed = http.post(url, {"rectification": RECTIFICATION, "commitment": COMMITMENT})
    assert unconfirmed.status_code == 400 and "请阅读并勾选确认信用承诺" in text_of(unconfirmed)
    # What was typed is kept for the next try.
    assert RECTIFICATION in text_of(unconfirmed)
    empty = http.post(url, {"rectification": " ", "commitment": COMMITMENT, "confirmed": "1"})
    assert empty.status_code == 400 and "请填写整改情况" in text_of(empty)
    assert not CreditRepair.objects.exists()


def test_the_owner_files_a_request_and_finds_it_on_the_page(scene: Scene) -> None:
    http = logged_in(scene.cast.owner)
    before = LedgerEntry.objects.filter(action="regulation.request_credit_repair").count()
    response = http.post(
        f"/regulation/my/repair/{scene.alarm_record.pk}/",
        {"rectification": RECTIFICATION, "commitment": COMMITMENT, "confirmed": "1"},
    )
    assert response.status_code == 302
    assert response["Location"] == (f"/regulation/my/?uscc={scene.cast.plant.credit_code}#repairs")
    repair = CreditRepair.objects.get()
    assert (repair.record, repair.state) == (scene.alarm_record, RepairState.SUBMITTED)
    after = LedgerEntry.objects.filter(action="regulation.request_credit_repair").count()
    assert after == before + 1
    page = text_of(http.get(response["Location"]))
    assert "信用修复申请已提交" in page
    assert "待审核" in row_of(page, f"repair-{repair.pk}")
    assert "修复申请审核中" in row_of(page, f"record-{scene.alarm_record.pk}")
    # A second request for the same record is refused on the form.
    again = http.post(
        f"/regulation/my/repair/{scene.alarm_record.pk}/",
        {"rectification": RECTIFICATION, "commitment": COMMITMENT, "confirmed": "1"},
    )
    assert again.status_code == 400 and "已有待审核的修复申请" in text_of(again)
    # Withdrawn from the page.
    withdrawn = http.post(f"/regulation/my/repairs/{repair.pk}/withdraw/", follow=True)
    assert "修复申请已撤回" in text_of(withdrawn)
    assert CreditRepair.objects.get(pk=repair.pk).state == RepairState.WITHDRAWN
    # The row says who withdrew it, not as if it had been reviewed.
    row = row_of(text_of(withdrawn), f"repair-{repair.pk}")
    assert " 撤回</small>" in row and " 审核</small>" not in row


def test_a_record_not_yet_repairable_shows_when_and_no_form(scene: Scene) -> None:
    page = text_of(logged_in(scene.cast.owner).get(f"/regulation/my/repair/{scene.severe.pk}/"))
    first_day = add_months(scene.severe.occurred_on, 12)
    assert f"{first_day:%Y-%m-%d} 起可以申请" in page
    assert 'name="rectification"' not in page


def test_another_enterprise_s_record_and_request_are_not_found(scene: Scene) -> None:
    cast = scene.cast
    theirs = record(cast.diner, "complaint_upheld", months_ago(4))
    http = logged_in(cast.owner)
    assert http.get(f"/regulation/my/repair/{theirs.pk}/").status_code == 404
    assert http.get("/regulation/my/repair/999999/").status_code == 404
    diner_repair = _ok(
        logged_in(cast.diner_owner).post(
            f"{API}/repairs",
            {"record_id": theirs.pk, "rectification": RECTIFICATION, "commitment": COMMITMENT},
            content_type="application/json",
        ),
        201,
    )
    withdraw = http.post(f"/regulation/my/repairs/{diner_repair['id']}/withdraw/")
    assert withdraw.status_code == 404
    assert CreditRepair.objects.get(pk=diner_repair["id"]).state == RepairState.SUBMITTED


# --- the API ---------------------------------------------------------------------------------


def test_the_credit_api_explains_the_grade_and_each_record(scene: Scene) -> None:
    body = _ok(logged_in(scene.cast.owner).get(f"{API}/credit"))
    assert body["enterprise"]["credit_code"] == scene.cast.plant.credit_code
    assert (body["score"], body["grade"]) == (scene.score, grade_for(scene.score))
    assert body["base_score"] + sum(line["points"] for line in body["lines"]) == body["score"]
    severe_line = next(line for line in body["lines"] if line["severity"] == "severe")
    assert severe_line["record_ids"] == [scene.severe.pk]
    records = {item["id"]: item for item in body["records"]}
    assert records[scene.alarm_record.pk]["repairable"] is True
    assert records[scene.alarm_record.pk]["refusal_code"] == ""
    assert records[scene.severe.pk]["refusal_code"] == "repair_too_early"
    assert records[scene.severe.pk]["repairable_from"] == (
        add_months(scene.severe.occurred_on, 12).isoformat()
    )
    assert records[scene.commendation.pk]["refusal_code"] == "not_repairable"
    assert body["repairs"] == []


def test_the_credit_api_asks_a_user_of_two_enterprises_which_one(scene: Scene) -> None:
    also_acts_for_the_diner(scene)
    http = logged_in(scene.cast.owner)
    response = http.get(f"{API}/credit")
    _refused(response, 400, "enterprise_required")
    choices = {item["credit_code"] for item in response.json()["detail"]["enterprises"]}
    assert choices == {scene.cast.plant.credit_code, scene.cast.diner.credit_code}
    diner = _ok(http.get(f"{API}/credit", {"uscc": scene.cast.diner.credit_code}))
    assert diner["enterprise"]["name"] == "长沙市天心区某餐馆"
    stranger = make_enterprise("长沙市某陌生公司", legal_representative=make_person("赵六"))
    _refused(http.get(f"{API}/credit", {"uscc": stranger.credit_code}), 404, "enterprise_not_found")


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(lambda code: code.lower(), id="lower-case"),
        pytest.param(lambda code: code.translate(FULL_WIDTH), id="full-width"),
        pytest.param(lambda code: f"\u00a0{code}\r\n", id="pasted-from-a-spreadsheet"),
    ],
)
def test_a_user_of_two_enterprises_names_one_however_the_code_is_typed(
    scene: Scene, typed: Callable[[str], str]
) -> None:
    also_acts_for_the_diner(scene)
    http = logged_in(scene.cast.owner)
    uscc = typed(scene.cast.diner.credit_code)
    assert "<h1>长沙市天心区某餐馆</h1>" in text_of(http.get("/regulation/my/", {"uscc": uscc}))
    diner = _ok(http.get(f"{API}/credit", {"uscc": uscc}))
    assert diner["enterprise"]["credit_code"] == scene.cast.diner.credit_code


def test_the_points_alarms_and_inspections_apis(scene: Scene) -> None:
    http = logged_in(scene.cast.owner)
    (point,) = _ok(http.get(f"{API}/points"))
    assert (point["mn"], point["state"], point["open_alarms"]) == (MN, "online", 0)
    assert point["acknowledged_alarms"] == 1
    assert [(lim["pollutant"], lim["upper"]) for lim in point["limits"]] == [("a21026", 35.0)]
    (alarm,) = _ok(http.get(f"{API}/alarms"))
    assert (alarm["id"], alarm["state"], alarm["note"]) == (
        scene.alarm.pk,
        "acknowledged",
        ALARM_NOTE,
    )
    assert (alarm["value"], alarm["limit"], alarm["unit"]) == (61.0, 35.0, "mg/m3")
    (inspection,) = _ok(http.get(f"{API}/inspections"))
    assert (inspection["outcome"], inspection["findings"]) == ("problems", FINDINGS)
    assert inspection["inspected_on"] == timezone.localdate().isoformat()
    # The diner's owner sees none of the plant's.
    diner = logged_in(scene.cast.diner_owner)
    assert _ok(diner.get(f"{API}/points")) == [] and _ok(diner.get(f"{API}/alarms")) == []
    assert _ok(diner.get(f"{API}/inspections")) == []


def test_repairs_are_asked_for_and_withdrawn_through_the_api(scene: Scene) -> None:
    cast = scene.cast
    http = logged_in(cast.owner)

    def ask(record_id: int, rectification: str = RECTIFICATION) -> Any:
        return http.post(
            f"{API}/repairs",
            {"record_id": record_id, "rectification": rectification, "commitment": COMMITMENT},
            content_type="application/json",
        )

    _refused(ask(scene.severe.pk), 409, "repair_too_early")
    _refused(ask(scene.commendation.pk), 400, "not_repairable")
    _refused(ask(scene.alarm_record.pk, ""), 400, "rectification_required")
    theirs = record(cast.diner, "complaint_upheld", months_ago(4))
    _refused(ask(theirs.pk), 404, "record_not_found")
    made = _ok(ask(scene.alarm_record.pk), 201)
    assert (made["record_id"], made["state"]) == (scene.alarm_record.pk, "submitted")
    _refused(ask(scene.alarm_record.pk), 409, "repair_pending")
    listed = _ok(http.get(f"{API}/credit"))["repairs"]
    assert [item["id"] for item in listed] == [made["id"]]
    withdrawn = _ok(http.post(f"{API}/repairs/{made['id']}/withdraw"))
    assert withdrawn["state"] == "withdrawn"
    _refused(http.post(f"{API}/repairs/{made['id']}/withdraw"), 409, "repair_not_pending")
    _refused(
        logged_in(cast.diner_owner).post(f"{API}/repairs/{made['id']}/withdraw"),
        404,
        "repair_not_found",
    )


def test_a_granted_repair_shows_on_the_owner_s_page_with_the_new_grade(scene: Scene) -> None:
    cast = scene.cast
    made = _ok(
        logged_in(cast.owner).post(
            f"{API}/repairs",
            {
                "record_id": scene.alarm_record.pk,
                "rectification": RECTIFICATION,
                "commitment": COMMITMENT,
            },
            content_type="application/json",
        ),
        201,
    )
    _ok(
        logged_in(cast.regulator).post(
            f"/api/regulation/repairs/{made['id']}/decide",
            {"grant": True, "note": "复测达标，同意修复"},
            content_type="application/json",
        )
    )
    page = text_of(logged_in(cast.owner).get("/regulation/my/"))
    after = scene.score - POINTS["over_limit_alarm"]["points"]
    assert re.search(rf'class="credit-score">{after}<', page)
    repair_row = row_of(page, f"repair-{made['id']}")
    assert "已修复" in repair_row and "复测达标，同意修复" in repair_row and "周检" in repair_row
    record_row = row_of(page, f"record-{scene.alarm_record.pk}")
    assert "已修复" in record_row and "申请信用修复" not in record_row

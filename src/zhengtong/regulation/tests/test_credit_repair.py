"""Credit repair (信用修复): the rules, the three actions, the regulator's queue page and API.

The cast: 钱老板 is the legal representative of a chemical plant in 芙蓉区 and
acts for it as 'qianlaoban'; 孙老板 runs a restaurant in 天心区. 周检 regulates
for the city's environment bureau (the whole city), 陈芙 for its 芙蓉区 branch
(芙蓉区 only); 王五 reviews applications and has no credit work; 张三 is a
citizen. Expected scores come from the shipped scorecard (DEFAULT_CONFIG).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext_noop

from zhengtong.core.errors import Conflict, InvalidInput, PermissionDenied
from zhengtong.core.i18n import stored_text
from zhengtong.core.models import Department, Enterprise
from zhengtong.core.testing import (
    TEST_ACTOR,
    RegionTree,
    make_enterprise,
    make_person,
    make_region_tree,
)
from zhengtong.identity.actions import (
    do_create_enterprise_user,
)
from zhengtong.identity.actors import actor_of
from zhengtong.identity.models import User
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation import credit_scorecard as scoring
from zhengtong.regulation import enterprise_demo
from zhengtong.regulation.credit_actions import do_record_credit
from zhengtong.regulation.credit_scorecard import DEFAULT_CONFIG, add_months
from zhengtong.regulation.credit_selectors import credit_grade, standing_of
from zhengtong.regulation.models import CreditRecord, CreditRepair, RepairState
from zhengtong.regulation.repair_actions import (
    REPAIR_WAIT_MONTHS,
    do_decide_credit_repair,
    do_request_credit_repair,
    do_withdraw_credit_repair,
    repair_eligibility,
)
from zhengtong.regulation.tests.bureau import PASSWORD, logged_in, make_bureau

RECTIFICATION = "已于上月缴清罚款，更换脱硫塔循环泵并委托第三方复测，排放浓度稳定达标。"
COMMITMENT = "本企业承诺所填整改情况真实，今后严格遵守排放标准，诚信经营。"
API = "/api/regulation"
HX = {"HX-Request": "true"}


@dataclass(frozen=True)
class RepairCast:
    regions: RegionTree
    city_environment: Department
    plant: Enterprise
    diner: Enterprise
    owner: User
    diner_owner: User
    regulator: User
    district_regulator: User
    reviewer: User
    citizen: User


def make_cast() -> RepairCast:
    bureau = make_bureau()
    regions = bureau.regions
    qian = make_person("钱老板")
    sun = make_person("孙老板")
    plant = make_enterprise(
        "长沙市某化工有限公司", legal_representative=qian, industry_code="C2614", industry="化工"
    )
    diner = make_enterprise("长沙市天心区某餐馆", legal_representative=sun, region=regions.tianxin)
    return RepairCast(
        regions=regions,
        city_environment=bureau.city_environment,
        plant=plant,
        diner=diner,
        owner=do_create_enterprise_user(
            "qianlaoban", PASSWORD, qian, plant, "legal_representative", actor=TEST_ACTOR
        ),
        diner_owner=do_create_enterprise_user(
            "sunlaoban", PASSWORD, sun, diner, "legal_representative", actor=TEST_ACTOR
        ),
        regulator=bureau.regulator,
        district_regulator=bureau.district_regulator,
        reviewer=bureau.reviewer,
        citizen=bureau.citizen,
    )


@pytest.fixture
def cast(db: None) -> RepairCast:
    return make_cast()


def months_ago(months: int) -> dt.date:
    return add_months(timezone.localdate(), -months)


def record(
    firm: Enterprise,
    kind: str,
    occurred_on: dt.date,
    *,
    severity: str = "",
    count: int = 1,
    description: str = "超标排放大气污染物",
) -> CreditRecord:
    return do_record_credit(
        firm,
        kind,
        occurred_on,
        description,
        actor=TEST_ACTOR,
        severity=severity,
        count=count,
        authority="长沙市生态环境局",
    )


def request(cast: RepairCast, target: CreditRecord) -> CreditRepair:
    return do_request_credit_repair(
        target, RECTIFICATION, COMMITMENT, actor=actor_of(cast.owner), user=cast.owner
    )


def grade_for(score: int) -> str:
    """The grade a score earns by the shipped thresholds."""
    for letter in ("A", "B", "C"):
        if score >= DEFAULT_CONFIG["thresholds"][letter]:
            return letter
    return "D"


def entries(action: str) -> int:
    return LedgerEntry.objects.filter(action=action).count()


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def _refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content.decode()
    assert response.json()["code"] == code


# --- the rules -------------------------------------------------------------------------------


def test_the_waiting_times_are_a_year_for_severe_penalties_and_three_months_otherwise() -> None:
    deductions = {
        (kind, severity)
        for (kind, severity), sign in scoring.POINT_SIGNS.items()
        if sign < 0 and kind in scoring.SCORED_KINDS
    }
    # Every deduction can be repaired, and nothing else.
    assert set(REPAIR_WAIT_MONTHS) == deductions
    assert REPAIR_WAIT_MONTHS[("penalty", "severe")] == 12
    assert {months for key, months in REPAIR_WAIT_MONTHS.items() if key[1] != "severe"} == {3}


def test_repair_may_be_asked_for_from_the_day_the_waiting_time_ends(cast: RepairCast) -> None:
    occurred = dt.date(2025, 11, 30)
    minor = CreditRecord(
        enterprise=cast.plant, kind="penalty", severity="minor", occurred_on=occurred
    )
    # Three calendar months after 30 November is 28 February (no 30 February in 2026).
    first_day = dt.date(2026, 2, 28)
    before = repair_eligibility(
        minor, status=scoring.COUNTED, pending=False, today=first_day - dt.timedelta(days=1)
    )
    assert before.code == "repair_too_early" and before.repairable_from == first_day
    assert repair_eligibility(minor, status=scoring.COUNTED, pending=False, today=first_day).ok
    severe = CreditRecord(
        enterprise=cast.plant, kind="penalty", severity="severe", occurred_on=occurred
    )
    too_early = repair_eligibility(
        severe, status=scoring.COUNTED, pending=False, today=dt.date(2026, 11, 29)
    )
    assert too_early.code == "repair_too_early"
    assert too_early.repairable_from == dt.date(2026, 11, 30)


# --- asking ----------------------------------------------------------------------------------


def test_a_member_asks_for_repair_of_an_old_record_and_it_is_in_the_ledger(
    cast: RepairCast,
) -> None:
    target = record(cast.plant, "over_limit_alarm", months_ago(4))
    repair = request(cast, target)
    assert repair.state == RepairState.SUBMITTED
    assert (repair.record, repair.enterprise) == (target, cast.plant)
    assert (repair.rectification, repair.commitment) == (RECTIFICATION, COMMITMENT)
    assert repair.submitted_by == cast.owner.display_name
    entry = LedgerEntry.objects.get(action="regulation.request_credit_repair")
    assert (entry.subject_type, entry.subject_id) == ("regulation.credit_repair", str(repair.pk))
    assert entry.actor_label == cast.owner.display_name
    # Asking changes nothing on the grade.
    assert CreditRecord.objects.get(pk=target.pk).repaired_at is None


@pytest.mark.parametrize(
    ("kind", "severity", "months", "code"),
    [
        ("serious_dishonesty", "", 24, "not_repairable"),
        ("commendation", "", 6, "not_repairable"),
        ("inspection", "pass", 6, "not_repairable"),
        ("penalty", "severe", 6, "repair_too_early"),
        ("penalty", "major", 2, "repair_too_early"),
        ("complaint_upheld", "", 1, "repair_too_early"),
        # Past its 12-month window: it no longer counts, so there is nothing to repair.
        ("over_limit_alarm", "", 13, "record_not_counting"),
    ],
)
def test_records_that_cannot_be_repaired_now_are_refused(
    cast: RepairCast, kind: str, severity: str, months: int, code: str
) -> None:
    target = record(cast.plant, kind, months_ago(months), severity=severity)
    with pytest.raises((InvalidInput, Conflict)) as refused:
        request(cast, target)
    assert refused.value.code == code
    if code == "repair_too_early":
        wait = REPAIR_WAIT_MONTHS[(kind, severity)]
        expected = add_months(target.occurred_on, wait).isoformat()
        assert refused.value.detail["repairable_from"] == expected
    assert not CreditRepair.objects.exists()
    assert entries("regulation.request_credit_repair") == 0


def test_one_request_per_record_is_pending(cast: RepairCast) -> None:
    target = record(cast.plant, "penalty", months_ago(5), severity="minor")
    request(cast, target)
    with pytest.raises(Conflict) as again:
        request(cast, target)
    assert again.value.code == "repair_pending"
    assert CreditRepair.objects.count() == 1


def test_the_texts_are_required_and_limited(cast: RepairCast) -> None:
    target = record(cast.plant, "offline_alarm", months_ago(4))
    owner = cast.owner
    for rectification, commitment, code in (
        (" ", COMMITMENT, "rectification_required"),
        (RECTIFICATION, "", "commitment_required"),
        ("整" * 4001, COMMITMENT, "text_too_long"),
    ):
        with pytest.raises(InvalidInput) as bad:
            do_request_credit_repair(
                target, rectification, commitment, actor=actor_of(owner), user=owner
            )
        assert bad.value.code == code
    assert not CreditRepair.objects.exists()


def test_only_a_member_of_the_enterprise_may_ask_or_withdraw(cast: RepairCast) -> None:
    target = record(cast.plant, "penalty", months_ago(4), severity="major")
    for outsider in (cast.diner_owner, cast.regulator, cast.citizen):
        with pytest.raises(PermissionDenied) as refused:
            do_request_credit_repair(
                target, RECTIFICATION, COMMITMENT, actor=actor_of(outsider), user=outsider
            )
        assert refused.value.code == "not_a_member"
    repair = request(cast, target)
    with pytest.raises(PermissionDenied) as refused:
        do_withdraw_credit_repair(repair, actor=actor_of(cast.diner_owner), user=cast.diner_owner)
    assert refused.value.code == "not_a_member"


def test_a_withdrawn_request_is_closed_and_a_new_one_may_follow(cast: RepairCast) -> None:
    target = record(cast.plant, "penalty", months_ago(4), severity="major")
    repair = request(cast, target)
    withdrawn = do_withdraw_credit_repair(repair, actor=actor_of(cast.owner), user=cast.owner)
    assert withdrawn.state == RepairState.WITHDRAWN and withdrawn.decided_at is not None
    assert entries("regulation.withdraw_credit_repair") == 1
    with pytest.raises(Conflict) as again:
        do_withdraw_credit_repair(repair, actor=actor_of(cast.owner), user=cast.owner)
    assert again.value.code == "repair_not_pending"
    with pytest.raises(Conflict) as decided:
        do_decide_credit_repair(repair, True, "", actor=actor_of(cast.regulator))
    assert decided.value.code == "repair_not_pending"
    assert request(cast, target).state == RepairState.SUBMITTED


# --- deciding --------------------------------------------------------------------------------


def test_granting_repairs_the_record_and_raises_the_grade_at_once(cast: RepairCast) -> None:
    target = record(cast.plant, "penalty", months_ago(13), severity="severe")
    severe = DEFAULT_CONFIG["kinds"]["penalty"]["points"]["severe"]
    base = DEFAULT_CONFIG["base_score"]
    before = standing_of(cast.plant)
    assert before is not None
    assert (before.score, before.grade) == (base + severe, grade_for(base + severe))
    repair = request(cast, target)
    granted = do_decide_credit_repair(repair, True, "  整改到位  ", actor=actor_of(cast.regulator))
    assert granted.state == RepairState.GRANTED
    assert (granted.decided_by, granted.decision_note) == ("周检", "整改到位")
    assert CreditRecord.objects.get(pk=target.pk).repaired_at == granted.decided_at
    after = standing_of(cast.plant)
    assert after is not None
    assert (after.score, after.grade) == (base, grade_for(base))
    (line,) = credit_grade(cast.plant).lines
    assert line.status == scoring.REPAIRED and line.points == 0
    entry = LedgerEntry.objects.get(action="regulation.decide_credit_repair")
    assert (entry.subject_id, entry.actor_label) == (str(repair.pk), "周检")
    # Repaired once: a further request is refused.
    with pytest.raises(Conflict) as again:
        request(cast, target)
    assert again.value.code == "already_repaired"


def test_a_refusal_needs_a_note_and_leaves_the_grade(cast: RepairCast) -> None:
    target = record(cast.plant, "penalty", months_ago(4), severity="major")
    before = standing_of(cast.plant)
    repair = request(cast, target)
    with pytest.raises(InvalidInput) as bare:
        do_decide_credit_repair(repair, False, "  ", actor=actor_of(cast.regulator))
    assert bare.value.code == "note_required"
    with pytest.raises(InvalidInput) as long:
        do_decide_credit_repair(repair, True, "长" * 2001, actor=actor_of(cast.regulator))
    assert long.value.code == "text_too_long"
    assert CreditRepair.objects.get(pk=repair.pk).state == RepairState.SUBMITTED
    refused = do_decide_credit_repair(repair, False, "罚款尚未缴清", actor=actor_of(cast.regulator))
    assert (refused.state, refused.decision_note) == (RepairState.REFUSED, "罚款尚未缴清")
    assert CreditRecord.objects.get(pk=target.pk).repaired_at is None
    after = standing_of(cast.plant)
    assert before is not None and after is not None and after.score == before.score
    assert entries("regulation.decide_credit_repair") == 1
    with pytest.raises(Conflict) as twice:
        do_decide_credit_repair(repair, True, "", actor=actor_of(cast.regulator))
    assert twice.value.code == "repair_not_pending"
    # After a refusal the enterprise may try again with a better rectification.
    assert request(cast, target).state == RepairState.SUBMITTED


# --- the queue API ---------------------------------------------------------------------------


def test_the_queue_api_lists_pending_requests_first_for_the_regions_of_the_post(
    cast: RepairCast,
) -> None:
    old = request(cast, record(cast.plant, "penalty", months_ago(6), severity="minor"))
    decided = request(cast, record(cast.plant, "offline_alarm", months_ago(5)))
    do_decide_credit_repair(decided, False, "数据仍有缺失", actor=actor_of(cast.regulator))
    diner_record = record(cast.diner, "complaint_upheld", months_ago(4))
    diner_repair = do_request_credit_repair(
        diner_record,
        RECTIFICATION,
        COMMITMENT,
        actor=actor_of(cast.diner_owner),
        user=cast.diner_owner,
    )
    listed = _ok(logged_in(cast.regulator).get(f"{API}/repairs/"))
    assert [item["id"] for item in listed] == [old.pk, diner_repair.pk, decided.pk]
    assert listed[0]["record"]["kind_label"] == "一般行政处罚"
    assert listed[0]["rectification"] == RECTIFICATION
    assert listed[2]["decision_note"] == "数据仍有缺失"
    pending = _ok(logged_in(cast.regulator).get(f"{API}/repairs/", {"state": "submitted"}))
    assert {item["id"] for item in pending} == {old.pk, diner_repair.pk}
    # The 芙蓉区 branch sees 芙蓉区's enterprises only.
    district = _ok(logged_in(cast.district_regulator).get(f"{API}/repairs/"))
    assert {item["enterprise_name"] for item in district} == {"长沙市某化工有限公司"}
    _refused(
        logged_in(cast.regulator).get(f"{API}/repairs/", {"state": "pending"}),
        422,
        "invalid_input",
    )


def test_a_record_the_platform_wrote_reads_in_the_reader_s_language_in_both_apis(
    cast: RepairCast,
) -> None:
    # Worded as a closed over-limit alarm puts it on the file: stored in the
    # platform's language, with what it was made from beside it.
    written = stored_text(
        gettext_noop("%(point)s %(pollutant)s 超标排放（最高 %(value)s，限值 %(limit)s）"),
        point="1号排放口",
        pollutant="a21026",
        value="52.5",
        limit="35",
    )
    target = record(cast.plant, "over_limit_alarm", months_ago(4), description=written)
    request(cast, target)
    owner = logged_in(cast.owner)
    owner.cookies["django_language"] = "en"
    mine = _ok(
        owner.get(f"{API}/my/credit", {"uscc": cast.plant.credit_code}, HTTP_ACCEPT_LANGUAGE="en")
    )
    (shown,) = mine["records"]
    assert "emissions over the limit" in shown["description"]
    regulator = logged_in(cast.regulator)
    regulator.cookies["django_language"] = "en"
    (queued,) = _ok(regulator.get(f"{API}/repairs/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "emissions over the limit" in queued["record"]["description"]
    assert "超标排放" not in queued["record"]["description"] + shown["description"]


def test_the_queue_api_is_refused_to_all_but_credit_regulators(cast: RepairCast) -> None:
    for user in (cast.reviewer, cast.owner, cast.citizen):
        _refused(logged_in(user).get(f"{API}/repairs/"), 403, "permission_denied")
    _refused(Client().get(f"{API}/repairs/"), 401, "not_authenticated")


def test_a_regulator_decides_through_the_api(cast: RepairCast) -> None:
    target = record(cast.plant, "penalty", months_ago(13), severity="severe")
    repair = request(cast, target)
    http = logged_in(cast.regulator)
    url = f"{API}/repairs/{repair.pk}/decide"
    _refused(
        http.post(url, {"grant": False, "note": ""}, content_type="application/json"),
        400,
        "note_required",
    )
    done = _ok(http.post(url, {"grant": True, "note": "复测达标"}, content_type="application/json"))
    assert done["state"] == "granted" and done["record"]["repaired_at"] is not None
    standing = standing_of(cast.plant)
    assert standing is not None and standing.score == DEFAULT_CONFIG["base_score"]
    _refused(
        http.post(url, {"grant": True, "note": ""}, content_type="application/json"),
        409,
        "repair_not_pending",
    )
    diner_repair = do_request_credit_repair(
        record(cast.diner, "complaint_upheld", months_ago(4)),
        RECTIFICATION,
        COMMITMENT,
        actor=actor_of(cast.diner_owner),
        user=cast.diner_owner,
    )
    # Outside the branch's region, and missing, answer the same.
    for pk in (diner_repair.pk, 999999):
        _refused(
            logged_in(cast.district_regulator).post(
                f"{API}/repairs/{pk}/decide",
                {"grant": True, "note": ""},
                content_type="application/json",
            ),
            404,
            "repair_not_found",
        )
    assert CreditRepair.objects.get(pk=diner_repair.pk).state == RepairState.SUBMITTED


# --- the queue page --------------------------------------------------------------------------


def test_the_queue_page_shows_the_request_and_what_granting_changes(cast: RepairCast) -> None:
    target = record(cast.plant, "penalty", months_ago(13), severity="severe")
    repair = request(cast, target)
    page = logged_in(cast.regulator).get("/regulation/repairs/").content.decode()
    row = re.search(rf'<tr id="repair-{repair.pk}".*?</tr>', page, re.S)
    assert row is not None
    base = DEFAULT_CONFIG["base_score"]
    low = base + DEFAULT_CONFIG["kinds"]["penalty"]["points"]["severe"]
    assert "长沙市某化工有限公司" in row.group() and "严重行政处罚" in row.group()
    assert RECTIFICATION in row.group() and COMMITMENT in row.group()
    assert (
        f"修复前后：{low} 分（{grade_for(low)} 级）→ {base} 分（{grade_for(base)} 级）"
        in row.group()
    )
    assert "同意修复" in row.group() and "不予修复" in row.group()


def test_granting_with_htmx_swaps_the_row(cast: RepairCast) -> None:
    repair = request(cast, record(cast.plant, "penalty", months_ago(4), severity="minor"))
    response = logged_in(cast.regulator).post(
        f"/regulation/repairs/{repair.pk}/decide/",
        {"decision": "grant", "note": "已整改"},
        headers=HX,
    )
    part = response.content.decode()
    assert response.status_code == 200 and "<html" not in part
    assert part.lstrip().startswith(f'<tr id="repair-{repair.pk}"')
    assert "已修复" in part and "已整改" in part and "<form" not in part
    assert CreditRepair.objects.get(pk=repair.pk).state == RepairState.GRANTED


def test_refusing_without_a_note_keeps_the_row_open_with_the_error(cast: RepairCast) -> None:
    repair = request(cast, record(cast.plant, "penalty", months_ago(4), severity="minor"))
    http = logged_in(cast.regulator)
    part = http.post(
        f"/regulation/repairs/{repair.pk}/decide/", {"decision": "refuse", "note": ""}, headers=HX
    ).content.decode()
    assert "不予修复时请写明理由" in part and 'aria-invalid="true"' in part
    assert CreditRepair.objects.get(pk=repair.pk).state == RepairState.SUBMITTED
    # Without htmx the form falls back to a redirect with a message.
    response = http.post(
        f"/regulation/repairs/{repair.pk}/decide/",
        {"decision": "refuse", "note": "承诺书未签章"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/regulation/repairs/"
    assert "已决定不予修复" in response.content.decode()
    assert CreditRepair.objects.get(pk=repair.pk).state == RepairState.REFUSED


def test_the_queue_page_is_for_credit_regulators_only(cast: RepairCast) -> None:
    repair = request(cast, record(cast.plant, "penalty", months_ago(4), severity="minor"))
    for user in (cast.reviewer, cast.owner, cast.citizen):
        assert logged_in(user).get("/regulation/repairs/").status_code == 403
        decide = logged_in(user).post(
            f"/regulation/repairs/{repair.pk}/decide/", {"decision": "grant"}
        )
        assert decide.status_code == 403
    response = Client().get("/regulation/repairs/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    # The district branch does not reach 天心区's requests, nor unknown ones.
    diner_repair = do_request_credit_repair(
        record(cast.diner, "complaint_upheld", months_ago(4)),
        RECTIFICATION,
        COMMITMENT,
        actor=actor_of(cast.diner_owner),
        user=cast.diner_owner,
    )
    district = logged_in(cast.district_regulator)
    assert (
        f'id="repair-{diner_repair.pk}"'
        not in district.get("/regulation/repairs/").content.decode()
    )
    response = district.post(
        f"/regulation/repairs/{diner_repair.pk}/decide/", {"decision": "grant"}
    )
    assert response.status_code == 404


# --- the demo --------------------------------------------------------------------------------


def test_the_demo_files_one_pending_request_however_often_it_is_loaded(db: None) -> None:
    regions = make_region_tree()
    chen = make_person("陈建国")
    company = make_enterprise(
        enterprise_demo.ENTERPRISE, legal_representative=chen, region=regions.tianxin
    )
    do_create_enterprise_user(
        enterprise_demo.USERNAME, PASSWORD, chen, company, "legal_representative", actor=TEST_ACTOR
    )
    first = enterprise_demo.load_demo_enterprise(actor=TEST_ACTOR)
    second = enterprise_demo.load_demo_enterprise(actor=TEST_ACTOR)
    assert "waits" in first and "already there" in second
    repair = CreditRepair.objects.get()
    assert (repair.enterprise, repair.state) == (company, RepairState.SUBMITTED)
    assert repair.record.kind == "over_limit_alarm"
    assert repair.record.occurred_on == months_ago(enterprise_demo.MONTHS_AGO)
    assert CreditRecord.objects.filter(enterprise=company).count() == 1
    assert entries("regulation.request_credit_repair") == 1


def test_the_demo_skips_without_the_company_s_user(db: None) -> None:
    assert "skipped" in enterprise_demo.load_demo_enterprise(actor=TEST_ACTOR)
    assert not CreditRecord.objects.exists()

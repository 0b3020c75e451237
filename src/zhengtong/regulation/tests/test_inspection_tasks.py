"""Random inspections through the actions: registers, announcement, draw, results and credit.

The cast: the city's environment bureau (市生态环境局) with its 芙蓉区 branch,
and the market bureau. Five enterprises in 芙蓉区 and 天心区 with graded credit
files: 湘江化工 clean (A), 岳麓印染 with a major penalty, 星沙电镀 with a
severe one and 橘子洲制革 with three severe ones; 天心区's 坡子街餐饮 is clean.
Five inspectors of the environment bureau and its branch, one of the market
bureau; 周一 is related to 橘子洲制革's owner and must recuse himself. 周检
regulates for the whole city, 陈芙 for the 芙蓉区 branch only, 王五 reviews
applications and runs no inspections.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest
from django.utils import timezone

from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.models import Department, Enterprise
from zhengtong.core.testing import (
    TEST_ACTOR,
    RegionTree,
    make_department,
    make_enterprise,
    make_person,
)
from zhengtong.identity.models import User
from zhengtong.ledger.encoding import canonical_json
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation import inspection_draw as draw
from zhengtong.regulation.credit_actions import do_record_credit
from zhengtong.regulation.credit_scorecard import DEFAULT_CONFIG
from zhengtong.regulation.credit_selectors import credit_grade, standing_of
from zhengtong.regulation.inspection_actions import (
    do_add_recusal,
    do_announce_inspection_task,
    do_cancel_inspection_task,
    do_draw_inspection_task,
    do_record_inspection_result,
    do_register_inspector,
    do_remove_recusal,
    do_set_inspector_active,
    parse_ratio,
)
from zhengtong.regulation.inspection_demo import load_demo_inspections
from zhengtong.regulation.inspection_selectors import seed_of
from zhengtong.regulation.models import (
    CreditRecord,
    DrawState,
    Inspection,
    InspectionTask,
    Inspector,
    Recusal,
)
from zhengtong.regulation.seed_sealing import SeedUnsealable, seal_seed, unseal_seed
from zhengtong.regulation.tests.bureau import make_bureau

MATTERS = "排污许可执行情况；污染防治设施运行情况；自动监测设备运行情况"
LAW = "生态环境执法"
PERMIT = "排污许可"


@dataclass(frozen=True)
class InspectionCast:
    regions: RegionTree
    environment: Department
    branch: Department
    market: Department
    clean: Enterprise
    major: Enterprise
    severe: Enterprise
    worst: Enterprise
    diner: Enterprise
    inspectors: dict[str, Inspector]
    regulator: User
    district_regulator: User
    reviewer: User
    citizen: User


def _penalise(enterprise: Enterprise, severity: str, times: int) -> None:
    for n in range(times):
        do_record_credit(
            enterprise,
            "penalty",
            timezone.localdate() - dt.timedelta(days=30 + n),
            "超标排放污染物",
            actor=TEST_ACTOR,
            severity=severity,
            source_ref=f"罚-{enterprise.pk}-{n}",
        )


def make_inspection_cast() -> InspectionCast:
    bureau = make_bureau()
    regions, environment, branch = (
        bureau.regions,
        bureau.city_environment,
        bureau.furong_environment,
    )
    market = make_department("长沙市市场监督管理局", code="cs-market", region=regions.city)

    def firm(name: str, industry: str, region: Any = None) -> Enterprise:
        return make_enterprise(
            name,
            legal_representative=make_person(name[:2] + "老板"),
            industry_code=industry,
            region=region,
        )

    clean = firm("长沙湘江化工有限公司", "C2614")
    major = firm("长沙岳麓印染有限公司", "C1713")
    severe = firm("长沙星沙电镀有限公司", "C3360")
    worst = firm("长沙橘子洲制革有限公司", "C1910")
    diner = firm("长沙市天心区坡子街餐饮店", "H6210", regions.tianxin)
    _penalise(major, "major", 1)
    _penalise(severe, "severe", 1)
    _penalise(worst, "severe", 3)

    inspectors = {}
    for code, name, department, qualifications in (
        ("HB001", "周一", environment, [LAW]),
        ("HB002", "吴二", environment, [LAW]),
        ("HB003", "郑三", environment, [LAW, PERMIT]),
        ("HB004", "王四", branch, [LAW]),
        ("HB005", "冯五", branch, [PERMIT]),
        ("SJ001", "陈六", market, ["市场监管执法"]),
    ):
        inspectors[code] = do_register_inspector(
            code, name, department, qualifications, actor=TEST_ACTOR
        )
    do_add_recusal(inspectors["HB001"], worst, "配偶任该企业副总经理", actor=TEST_ACTOR)

    return InspectionCast(
        regions=regions,
        environment=environment,
        branch=branch,
        market=market,
        clean=clean,
        major=major,
        severe=severe,
        worst=worst,
        diner=diner,
        inspectors=inspectors,
        regulator=bureau.regulator,
        district_regulator=bureau.district_regulator,
        reviewer=bureau.reviewer,
        citizen=bureau.citizen,
    )


@pytest.fixture
def cast(db: None) -> InspectionCast:
    return make_inspection_cast()


def announce(cast: InspectionCast, code: str = "CSHB-2026-01", **options: Any) -> InspectionTask:
    """Announce a city-wide task of the environment bureau, due at once unless told."""
    values: dict[str, Any] = {
        "code": code,
        "title": "2026年排污单位双随机抽查",
        "department": cast.environment,
        "region": cast.regions.city,
        "matters": MATTERS,
        "base_ratio": "1/10",
    }
    values.update(options)
    return do_announce_inspection_task(
        values.pop("code"),
        values.pop("title"),
        values.pop("department"),
        values.pop("region"),
        values.pop("matters"),
        values.pop("base_ratio"),
        actor=TEST_ACTOR,
        **values,
    )


def hidden_seed(task: InspectionTask) -> str:
    """The seed of an announced task, opened from its seal as the draw will open it."""
    return unseal_seed(task.sealed_seed, task_code=task.code, commitment=task.commitment).hex()


def expected_grade(score: int) -> str:
    thresholds = DEFAULT_CONFIG["thresholds"]
    return next((g for g in ("A", "B", "C") if score >= thresholds[g]), "D")


# --- registers ---------------------------------------------------------------------------------


def test_the_cast_s_enterprises_span_every_credit_class(cast: InspectionCast) -> None:
    points = DEFAULT_CONFIG["kinds"]["penalty"]["points"]
    base = DEFAULT_CONFIG["base_score"]
    expected = {
        cast.major: expected_grade(base + points["major"]),
        cast.severe: expected_grade(base + points["severe"]),
        cast.worst: expected_grade(max(0, base + 3 * points["severe"])),
    }
    for enterprise, grade in expected.items():
        standing = standing_of(enterprise)
        assert standing is not None and standing.grade == grade
    assert sorted(expected.values()) == ["B", "C", "D"]
    assert standing_of(cast.clean) is None


def test_an_inspector_is_registered_once_with_clean_qualifications(cast: InspectionCast) -> None:
    inspector = do_register_inspector(
        " HB-010 ", " 李七 ", cast.branch, [" 排污许可", "", "排污许可", LAW], actor=TEST_ACTOR
    )
    assert (inspector.code, inspector.name) == ("HB-010", "李七")
    assert inspector.qualifications == [PERMIT, LAW]
    assert (
        LedgerEntry.objects.filter(
            action="regulation.register_inspector", subject_id="HB-010"
        ).count()
        == 1
    )
    with pytest.raises(Conflict) as taken:
        do_register_inspector("HB-010", "李八", cast.branch, [], actor=TEST_ACTOR)
    assert taken.value.code == "inspector_code_taken"
    for code, name, problem in (
        ("HB 011", "李八", "invalid_inspector_code"),
        ("HB011", " ", "name_required"),
    ):
        with pytest.raises(InvalidInput) as bad:
            do_register_inspector(code, name, cast.branch, [], actor=TEST_ACTOR)
        assert bad.value.code == problem


def test_recusals_are_added_once_and_removed(cast: InspectionCast) -> None:
    inspector = cast.inspectors["HB002"]
    recusal = do_add_recusal(inspector, cast.clean, "曾在该企业任职", actor=TEST_ACTOR)
    with pytest.raises(Conflict) as again:
        do_add_recusal(inspector, cast.clean, "曾在该企业任职", actor=TEST_ACTOR)
    assert again.value.code == "recusal_exists"
    with pytest.raises(InvalidInput) as empty:
        do_add_recusal(inspector, cast.major, "  ", actor=TEST_ACTOR)
    assert empty.value.code == "relation_required"
    before = LedgerEntry.objects.count()
    do_remove_recusal(recusal, actor=TEST_ACTOR)
    assert not Recusal.objects.filter(pk=recusal.pk).exists()
    assert LedgerEntry.objects.count() == before + 1


# --- announcing --------------------------------------------------------------------------------


def test_lower_grades_are_drawn_at_higher_ratios(cast: InspectionCast) -> None:
    task = announce(cast, base_ratio="1/10")
    weights = DEFAULT_CONFIG["draw_weights"]
    expected = {c: min(Fraction(1), Fraction(1, 10) * Fraction(weights[c])) for c in "ABCD"}
    assert {c: Fraction(r) for c, r in task.ratios.items()} == expected
    assert task.announcement["rules"]["ratios"] == {c: str(r) for c, r in expected.items()}
    assert Fraction(task.ratios["D"]) > Fraction(task.ratios["B"]) > Fraction(task.ratios["A"])
    classes = {t["id"]: t["credit_class"] for t in task.announcement["registers"]["targets"]}
    assert classes == {
        cast.clean.credit_code: "A",
        cast.major.credit_code: credit_grade(cast.major).grade,
        cast.severe.credit_code: credit_grade(cast.severe).grade,
        cast.worst.credit_code: "D",
        cast.diner.credit_code: "A",
    }


def test_a_ratio_is_exact_whether_written_as_a_fraction_a_decimal_or_a_percentage() -> None:
    assert parse_ratio("1/10") == parse_ratio("0.1") == parse_ratio("10%") == Fraction(1, 10)
    assert parse_ratio("1") == 1
    assert parse_ratio("0.000001") == Fraction(1, 1_000_000)
    for bad in ("0", "-0.1", "1.5", "abc", "1/0", "", "nan", "0.0000001", "1e-5000"):
        with pytest.raises(InvalidInput) as refused:
            parse_ratio(bad)
        assert refused.value.code == "invalid_ratio"


def test_the_announcement_freezes_the_registers_and_commits_to_a_hidden_seed(
    cast: InspectionCast,
) -> None:
    before = LedgerEntry.objects.count()
    task = announce(cast, required_qualification=LAW)
    published = task.announcement
    seed = bytes.fromhex(hidden_seed(task))
    assert "seed" not in published and seed.hex() not in str(published)
    assert len(seed) == draw.MIN_SEED_BYTES
    assert published["commitment"] == task.commitment == draw.commit(seed)
    # The row holds the seed only sealed: the database alone does not tell it.
    row = InspectionTask.objects.filter(pk=task.pk).values().get()
    assert row["seed_hex"] == "" and seed.hex() not in str(row) and seed not in str(row).encode()
    assert published["registers_digest"] == task.registers_digest
    # The environment bureau's and its branch's inspectors; not the market bureau's.
    inspectors = {i["id"]: i for i in published["registers"]["inspectors"]}
    assert set(inspectors) == {"HB001", "HB002", "HB003", "HB004", "HB005"}
    assert inspectors["HB001"]["conflicts"] == [cast.worst.credit_code]
    assert inspectors["HB004"]["department"] == "长沙市生态环境局芙蓉分局"
    assert published["rules"]["required_qualification"] == LAW
    assert task.state == DrawState.ANNOUNCED and task.draw_after == task.announced_at
    entry = LedgerEntry.objects.get(action="regulation.announce_inspection_task")
    assert entry.subject_id == task.code
    assert LedgerEntry.objects.count() == before + 1


def test_an_industry_prefix_narrows_the_targets(cast: InspectionCast) -> None:
    task = announce(cast, industry_code="c17")
    assert task.industry_code == "C17"
    assert [t["id"] for t in task.announcement["registers"]["targets"]] == [cast.major.credit_code]


def test_bad_tasks_are_refused(cast: InspectionCast) -> None:
    announce(cast, code="CSHB-1")
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"code": "CSHB-1"}, Conflict, "task_code_taken"),
        ({"code": "CSHB/2"}, InvalidInput, "invalid_task_code"),
        ({"base_ratio": "0"}, InvalidInput, "invalid_ratio"),
        ({"base_ratio": "2"}, InvalidInput, "invalid_ratio"),
        # Finer than the rules of a draw can print: five thousand digits.
        ({"base_ratio": "1e-5000"}, InvalidInput, "invalid_ratio"),
        ({"industry_code": "Z99"}, InvalidInput, "no_targets"),
        ({"industry_code": "99"}, InvalidInput, "invalid_industry_code"),
        ({"title": " "}, InvalidInput, "title_required"),
        ({"matters": ""}, InvalidInput, "matters_required"),
        ({"inspectors_per_target": 1}, InvalidInput, "invalid_inspectors_per_target"),
        (
            {"required_qualification": PERMIT, "inspectors_per_target": 3},
            InvalidInput,
            "not_enough_inspectors",
        ),
        ({"department": cast.branch}, InvalidInput, "region_outside_department"),
    ]
    for n, (options, error, code) in enumerate(cases):
        options.setdefault("code", f"CSHB-X{n}")
        with pytest.raises(error) as refused:
            announce(cast, **options)
        assert getattr(refused.value, "code", None) == code, options
    assert InspectionTask.objects.count() == 1


def test_a_task_of_a_branch_draws_only_the_branch_s_inspectors(cast: InspectionCast) -> None:
    # Two inspectors of the branch: 王四 (执法) and 冯五 (排污许可).
    task = announce(cast, department=cast.branch, region=cast.regions.furong)
    assert {i["id"] for i in task.announcement["registers"]["inspectors"]} == {"HB004", "HB005"}
    assert cast.diner.credit_code not in {
        t["id"] for t in task.announcement["registers"]["targets"]
    }


# --- drawing -----------------------------------------------------------------------------------


def test_the_draw_waits_for_its_announced_time(cast: InspectionCast) -> None:
    later = timezone.now() + dt.timedelta(days=1)
    task = announce(cast, draw_after=later)
    with pytest.raises(Conflict) as early:
        do_draw_inspection_task(task, actor=TEST_ACTOR)
    assert early.value.code == "too_early"
    assert Inspection.objects.count() == 0
    drawn = do_draw_inspection_task(task, actor=TEST_ACTOR, now=later + dt.timedelta(minutes=1))
    assert drawn.state == DrawState.DRAWN


def test_the_draw_uses_the_frozen_registers_and_its_transcript_verifies(
    cast: InspectionCast,
) -> None:
    task = announce(cast, base_ratio="1")
    # After the announcement: an inspector leaves, another joins, a firm is founded.
    do_set_inspector_active(cast.inspectors["HB002"], False, actor=TEST_ACTOR)
    do_register_inspector("HB009", "新人", cast.environment, [LAW], actor=TEST_ACTOR)
    newcomer = make_enterprise("长沙新开张有限公司", legal_representative=make_person("新老板"))
    before = LedgerEntry.objects.count()

    drawn = do_draw_inspection_task(task, actor=TEST_ACTOR)

    transcript = drawn.transcript
    assert transcript is not None
    assert transcript["registers"] == task.announcement["registers"]
    assert draw.verify_transcript(transcript, task.announcement)
    assert transcript["seed"] == drawn.seed_hex == hidden_seed(task)
    assert drawn.sealed_seed == ""
    register = {i["id"] for i in transcript["registers"]["inspectors"]}
    assert "HB002" in register and "HB009" not in register
    drawn_ids = {i.enterprise.credit_code for i in Inspection.objects.filter(task=task)}
    frozen = task.announcement["registers"]["targets"]
    assert drawn_ids <= {t["id"] for t in frozen}
    assert newcomer.credit_code not in drawn_ids
    # A base ratio of 1 draws every B, C and D target, half the A targets (rounded up).
    for credit_class in "ABCD":
        size = sum(1 for t in frozen if t["credit_class"] == credit_class)
        ratio = min(Fraction(1), Fraction(DEFAULT_CONFIG["draw_weights"][credit_class]))
        drawn_in_class = Inspection.objects.filter(task=task, credit_class=credit_class)
        assert drawn_in_class.count() == math.ceil(ratio * size)
    for entry in transcript["result"]["inspections"]:
        inspection = Inspection.objects.get(task=task, enterprise__credit_code=entry["target"])
        assert {i.code for i in inspection.inspectors.all()} == set(entry["inspectors"])
        assert inspection.credit_class == entry["credit_class"]
        assert inspection.shortfall == entry["shortfall"] == 0
        assert len(entry["inspectors"]) == 2
    worst = Inspection.objects.get(task=task, enterprise=cast.worst)
    assert "HB001" not in {i.code for i in worst.inspectors.all()}
    assert LedgerEntry.objects.count() == before + 1
    assert LedgerEntry.objects.filter(action="regulation.draw_inspection_task").count() == 1
    with pytest.raises(Conflict) as again:
        do_draw_inspection_task(drawn, actor=TEST_ACTOR)
    assert again.value.code == "not_announced"


def test_a_draw_that_no_longer_matches_its_announcement_is_refused(cast: InspectionCast) -> None:
    task = announce(cast)
    tampered = dict(task.announcement)
    tampered["registers"] = {
        **tampered["registers"],
        "targets": tampered["registers"]["targets"][1:],
    }
    InspectionTask.objects.filter(pk=task.pk).update(announcement=tampered)
    with pytest.raises(Conflict) as refused:
        do_draw_inspection_task(task, actor=TEST_ACTOR)
    assert refused.value.code == "announcement_mismatch"
    assert InspectionTask.objects.get(pk=task.pk).state == DrawState.ANNOUNCED


def test_a_task_is_cancelled_only_before_its_draw_and_with_a_reason(cast: InspectionCast) -> None:
    task = announce(cast)
    with pytest.raises(InvalidInput) as no_reason:
        do_cancel_inspection_task(task, " ", actor=TEST_ACTOR)
    assert no_reason.value.code == "reason_required"
    cancelled = do_cancel_inspection_task(task, "上级部门统一部署专项检查", actor=TEST_ACTOR)
    assert cancelled.state == DrawState.CANCELLED
    with pytest.raises(Conflict) as then_draw:
        do_draw_inspection_task(task, actor=TEST_ACTOR)
    assert then_draw.value.code == "not_announced"
    other = do_draw_inspection_task(announce(cast, code="CSHB-2"), actor=TEST_ACTOR)
    with pytest.raises(Conflict) as too_late:
        do_cancel_inspection_task(other, "晚了", actor=TEST_ACTOR)
    assert too_late.value.code == "not_announced"


def test_a_sealed_seed_opens_only_for_its_own_task_and_key(
    cast: InspectionCast, settings: Any, tmp_path: Any
) -> None:
    first, second = announce(cast, code="SEAL-1"), announce(cast, code="SEAL-2")
    seed = bytes.fromhex(hidden_seed(first))
    # Copied onto another task (another code and commitment), it does not open.
    with pytest.raises(SeedUnsealable):
        unseal_seed(first.sealed_seed, task_code=second.code, commitment=second.commitment)
    InspectionTask.objects.filter(pk=second.pk).update(sealed_seed=first.sealed_seed)
    with pytest.raises(Conflict) as swapped:
        do_draw_inspection_task(second, actor=TEST_ACTOR)
    assert swapped.value.code == "announcement_mismatch"
    assert swapped.value.detail == {"reason": "seed"}
    # Each sealing is fresh, and another installation's key does not open it.
    assert seal_seed(seed, task_code=first.code, commitment=first.commitment) != first.sealed_seed
    settings.INSPECTION_SEED_KEY_FILE = tmp_path / "another_key"
    with pytest.raises(SeedUnsealable):
        unseal_seed(first.sealed_seed, task_code=first.code, commitment=first.commitment)
    # A task whose seed no longer opens can still be cancelled; the ledger says so.
    cancelled = do_cancel_inspection_task(first, "密钥丢失，重新公告", actor=TEST_ACTOR)
    assert cancelled.state == DrawState.CANCELLED and cancelled.seed_hex == ""
    entry = LedgerEntry.objects.filter(action="regulation.cancel_inspection_task").latest("pk")
    recorded = {
        "reason": "密钥丢失，重新公告",
        "seed": None,
        "seed_unavailable": True,
        "commitment": first.commitment,
    }
    assert bytes(entry.data_hash) == hashlib.sha256(canonical_json(recorded)).digest()
    assert seed_of(cancelled) is None


# --- results -----------------------------------------------------------------------------------


def _drawn_inspection(cast: InspectionCast, enterprise: Enterprise) -> Inspection:
    """Draw a task whose only target is the enterprise (by its district and industry)."""
    task = announce(
        cast,
        code=f"CSHB-{enterprise.pk}",
        region=enterprise.region,
        industry_code=enterprise.industry_code,
    )
    do_draw_inspection_task(task, actor=TEST_ACTOR)
    return Inspection.objects.get(task=task, enterprise=enterprise)


def test_a_failed_inspection_goes_on_the_credit_file_and_lowers_the_grade(
    cast: InspectionCast,
) -> None:
    inspection = _drawn_inspection(cast, cast.clean)
    assert standing_of(cast.clean) is None
    today = timezone.localdate()
    before = LedgerEntry.objects.count()

    do_record_inspection_result(
        inspection, "fail", "污染防治设施未运行，废水直排", today, actor=TEST_ACTOR
    )

    recorded = Inspection.objects.get(pk=inspection.pk)
    assert (recorded.outcome, recorded.inspected_on, recorded.recorded_by) == (
        "fail",
        today,
        TEST_ACTOR.label,
    )
    record = CreditRecord.objects.get(enterprise=cast.clean)
    assert (record.kind, record.severity, record.source_ref) == (
        "inspection",
        "fail",
        f"inspection:{inspection.pk}",
    )
    assert record.authority == "长沙市生态环境局"
    assert "2026年排污单位双随机抽查" in record.description
    assert "废水直排" in record.description
    score = DEFAULT_CONFIG["base_score"] + DEFAULT_CONFIG["kinds"]["inspection"]["points"]["fail"]
    standing = standing_of(cast.clean)
    assert standing is not None
    assert (standing.score, standing.grade) == (score, expected_grade(score))
    assert standing.grade != "A"
    assert LedgerEntry.objects.count() == before + 1
    with pytest.raises(Conflict) as twice:
        do_record_inspection_result(inspection, "pass", "", today, actor=TEST_ACTOR)
    assert twice.value.code == "result_recorded"
    assert CreditRecord.objects.filter(enterprise=cast.clean).count() == 1


def test_an_enterprise_not_found_counts_as_failed_and_a_pass_needs_no_findings(
    cast: InspectionCast,
) -> None:
    today = timezone.localdate()
    missing = _drawn_inspection(cast, cast.diner)
    do_record_inspection_result(missing, "not_found", "登记住所已无人经营", today, actor=TEST_ACTOR)
    assert CreditRecord.objects.get(enterprise=cast.diner).severity == "fail"
    passed = _drawn_inspection(cast, cast.major)
    do_record_inspection_result(passed, "pass", "", today, actor=TEST_ACTOR)
    assert CreditRecord.objects.get(enterprise=cast.major, kind="inspection").severity == "pass"


def test_bad_results_are_refused(cast: InspectionCast) -> None:
    task = announce(cast, base_ratio="1")
    today = timezone.localdate()
    drawn = do_draw_inspection_task(task, actor=TEST_ACTOR)
    inspection = Inspection.objects.get(task=drawn, enterprise=cast.severe)
    cases = [
        ("problems", "", today, "findings_required"),
        ("excellent", "很好", today, "invalid_outcome"),
        ("pass", "", today + dt.timedelta(days=1), "inspected_in_future"),
        ("pass", "", today - dt.timedelta(days=1), "inspected_before_draw"),
    ]
    for outcome, findings, day, code in cases:
        with pytest.raises(InvalidInput) as refused:
            do_record_inspection_result(inspection, outcome, findings, day, actor=TEST_ACTOR)
        assert refused.value.code == code
    assert not CreditRecord.objects.filter(kind="inspection").exists()


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_draws_one_task_announces_another_and_runs_twice_alike(
    cast: InspectionCast,
) -> None:
    first = load_demo_inspections(actor=TEST_ACTOR)
    entries = LedgerEntry.objects.count()
    assert load_demo_inspections(actor=TEST_ACTOR) != ""
    assert LedgerEntry.objects.count() == entries
    assert "6 inspectors registered" in first
    drawn = InspectionTask.objects.get(code="CSHB-2026-01")
    waiting = InspectionTask.objects.get(code="FRHB-2026-01")
    assert drawn.state == DrawState.DRAWN and drawn.transcript is not None
    assert draw.verify_transcript(drawn.transcript, drawn.announcement)
    (recorded,) = Inspection.objects.filter(task=drawn).exclude(outcome="")
    assert CreditRecord.objects.filter(source_ref=f"inspection:{recorded.pk}").exists()
    assert waiting.state == DrawState.ANNOUNCED and waiting.draw_after > timezone.now()
    assert waiting.department == cast.branch

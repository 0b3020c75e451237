"""The credit scorecard: each kind and cap, validity windows, repair, listing, configuration."""

from __future__ import annotations

import copy
import json
import random
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest

from zhengtong.regulation.credit_scorecard import (
    DEFAULT_CONFIG,
    DEFAULT_SCORECARD,
    KINDS,
    CreditGrade,
    CreditRecord,
    Scorecard,
    ScorecardError,
    add_months,
    draw_weight,
    grade,
)

TODAY = date(2025, 6, 30)
RECENT = date(2025, 3, 1)


def config(**changes: Any) -> dict[str, Any]:
    """Return a copy of the default document; ``changes`` are dotted paths to new values."""
    document = copy.deepcopy(dict(DEFAULT_CONFIG))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = document
        for key in parents:
            node = node[key]
        node[last] = value
    return document


def card(**changes: Any) -> Scorecard:
    return Scorecard.from_dict(config(**changes))


def record(kind: str, severity: str = "", *, on: date = RECENT, **fields: Any) -> CreditRecord:
    return CreditRecord(kind=kind, occurred_on=on, severity=severity, **fields)


def points_of(result: CreditGrade, status: str) -> list[int]:
    return [line.points for line in result.lines if line.status == status]


def problems_of(document: object) -> tuple[str, ...]:
    with pytest.raises(ScorecardError) as caught:
        Scorecard.from_dict(document)
    return caught.value.problems


def assert_lines_add_up(result: CreditGrade) -> None:
    assert result.base_score + sum(line.points for line in result.lines) == result.score


# Each kind ---------------------------------------------------------------------------


def test_an_enterprise_without_records_keeps_the_base_score_and_an_a() -> None:
    result = grade([], today=TODAY)

    assert (result.score, result.grade, result.lines) == (100, "A", ())


@pytest.mark.parametrize(("severity", "expected"), [("minor", 95), ("major", 85), ("severe", 70)])
def test_each_penalty_severity_takes_its_points(severity: str, expected: int) -> None:
    result = grade([record("penalty", severity)], today=TODAY)

    assert result.score == expected
    assert [line.severity for line in result.lines] == [severity]


def test_penalty_severities_may_be_given_in_the_words_of_the_decision() -> None:
    assert [record("penalty", word).severity for word in ("一般", "较重", "严重")] == [
        "minor",
        "major",
        "severe",
    ]
    assert [record("inspection", word).severity for word in ("合格", "发现问题", "不合格")] == [
        "pass",
        "problems",
        "fail",
    ]


def test_the_explanation_says_how_many_records_and_how_many_points_each() -> None:
    result = grade([record("penalty", "一般"), record("penalty", "minor")], today=TODAY)

    (line,) = result.lines
    assert (line.kind, line.severity, line.count, line.points) == ("penalty", "minor", 2, -10)
    assert line.reason == "近36个月内一般行政处罚 2 次，每次扣 5 分"


def test_a_record_standing_for_several_events_counts_each_of_them() -> None:
    result = grade([record("penalty", "minor", count=3)], today=TODAY)

    assert result.score == 85
    assert result.lines[0].count == 3


@pytest.mark.parametrize(("severity", "expected"), [("pass", 100), ("problems", 95), ("fail", 85)])
def test_each_inspection_result_takes_its_points(severity: str, expected: int) -> None:
    # A passed inspection adds 2 to 100 and the score is held at 100.
    assert grade([record("inspection", severity)], today=TODAY).score == expected


def test_a_passed_inspection_adds_points_after_a_deduction() -> None:
    records = [record("penalty", "major"), record("inspection", "pass")]
    result = grade(records, today=TODAY)

    assert result.score == 100 - 15 + 2
    assert "每次加 2 分" in result.lines[1].reason


def test_upheld_complaints_take_three_points_each_up_to_fifteen() -> None:
    four = grade([record("complaint_upheld", count=4)], today=TODAY)
    six = grade([record("complaint_upheld", count=6)], today=TODAY)

    assert four.score == 88
    assert points_of(four, "capped") == []
    assert six.score == 85
    assert points_of(six, "counted") == [-18]
    assert points_of(six, "capped") == [3]
    capped = next(line for line in six.lines if line.status == "capped")
    assert "上限 15 分" in capped.reason
    assert "超出的 3 分" in capped.reason


def test_over_limit_alarms_take_two_points_each_up_to_twenty() -> None:
    assert grade([record("over_limit_alarm", count=10)], today=TODAY).score == 80
    assert grade([record("over_limit_alarm", count=11)], today=TODAY).score == 80
    assert grade([record("over_limit_alarm", count=9)], today=TODAY).score == 82


def test_offline_alarms_take_one_point_each_up_to_five() -> None:
    assert grade([record("offline_alarm", count=4)], today=TODAY).score == 96
    assert grade([record("offline_alarm", count=40)], today=TODAY).score == 95


def test_commendations_add_five_points_each_up_to_ten() -> None:
    records = [record("penalty", "severe"), record("commendation", count=3)]
    result = grade(records, today=TODAY)

    assert result.score == 100 - 30 + 10
    assert points_of(result, "counted") == [-30, 15]
    assert points_of(result, "capped") == [-5]


def test_caps_apply_to_the_records_of_their_kind_only() -> None:
    records = [
        record("complaint_upheld", count=10),
        record("over_limit_alarm", count=5),
        record("offline_alarm", count=2),
    ]
    assert grade(records, today=TODAY).score == 100 - 15 - 10 - 2


def test_the_score_is_held_at_the_maximum_and_the_explanation_says_so() -> None:
    result = grade([record("commendation")], today=TODAY)

    assert result.score == 100
    bounded = result.lines[-1]
    assert (bounded.status, bounded.points) == ("bounded", -5)
    assert "105" in bounded.reason


def test_the_score_does_not_fall_below_the_minimum() -> None:
    result = grade([record("penalty", "severe", count=4)], today=TODAY)

    assert (result.score, result.grade) == (0, "D")
    assert points_of(result, "bounded") == [20]


# Validity windows -----------------------------------------------------------------------


def test_a_penalty_counts_until_the_day_before_its_thirty_six_month_anniversary() -> None:
    penalty = record("penalty", "minor", on=date(2022, 3, 15))

    assert grade([penalty], today=date(2025, 3, 14)).score == 95
    expired = grade([penalty], today=date(2025, 3, 15))
    assert expired.score == 100
    (line,) = expired.lines
    assert (line.status, line.points, line.count) == ("expired", 0, 1)
    assert "36个月" in line.reason
    assert "不再计分" in line.reason


@pytest.mark.parametrize(
    ("kind", "severity", "months"),
    [
        ("inspection", "fail", 24),
        ("complaint_upheld", "", 12),
        ("over_limit_alarm", "", 12),
        ("offline_alarm", "", 12),
        ("commendation", "", 24),
    ],
)
def test_each_kind_stops_counting_after_its_window(kind: str, severity: str, months: int) -> None:
    occurred = date(2023, 7, 10)
    last_day = date(2023 + months // 12, 7, 9)
    item = record(kind, severity, on=occurred)

    assert points_of(grade([item], today=last_day), "counted") != []
    assert points_of(grade([item], today=last_day + timedelta(days=1)), "expired") == [0]


def test_a_window_ending_in_a_shorter_month_ends_on_its_last_day() -> None:
    alarm = record("over_limit_alarm", on=date(2024, 2, 29))

    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert grade([alarm], today=date(2025, 2, 27)).score == 98
    assert grade([alarm], today=date(2025, 2, 28)).score == 100


def test_a_record_counts_on_the_day_it_occurred() -> None:
    assert grade([record("penalty", "minor", on=TODAY)], today=TODAY).score == 95


def test_a_record_dated_after_the_day_of_grading_is_left_out_and_said_to_be() -> None:
    result = grade([record("penalty", "major", on=TODAY + timedelta(days=1))], today=TODAY)

    assert result.score == 100
    (line,) = result.lines
    assert line.status == "not_yet"
    assert "评价日之后" in line.reason


def test_caps_count_only_the_records_still_in_their_window() -> None:
    old = record("complaint_upheld", on=date(2024, 1, 5), count=5)
    new = record("complaint_upheld", on=date(2025, 5, 1), count=2)

    result = grade([old, new], today=TODAY)

    assert result.score == 94
    assert [line.status for line in result.lines] == ["counted", "expired"]


# Credit repair and the serious-dishonesty list ---------------------------------------------


def test_a_repaired_record_no_longer_counts_and_the_explanation_says_it_was_repaired() -> None:
    records = [
        record("penalty", "major", repaired=True, source_ref="处罚决定书 2025-017"),
        record("penalty", "major"),
    ]
    result = grade(records, today=TODAY)

    assert result.score == 85
    repaired = next(line for line in result.lines if line.status == "repaired")
    assert (repaired.points, repaired.count) == (0, 1)
    assert "信用修复" in repaired.reason
    assert repaired.source_refs == ("处罚决定书 2025-017",)


def test_a_listed_enterprise_is_graded_d_whatever_its_score() -> None:
    result = grade([record("serious_dishonesty"), record("commendation")], today=TODAY)

    assert (result.score, result.score_grade, result.grade, result.listed) == (100, "A", "D", True)
    listed = next(line for line in result.lines if line.status == "listed")
    assert listed.points == 0
    assert "严重失信主体名单" in listed.reason
    assert "D 级" in listed.reason


def test_the_listing_has_no_window_of_its_own() -> None:
    listing = record("serious_dishonesty", on=date(2015, 1, 1))

    assert grade([listing], today=TODAY).grade == "D"


def test_an_enterprise_removed_from_the_list_by_repair_is_graded_by_its_score() -> None:
    result = grade([record("serious_dishonesty", repaired=True)], today=TODAY)

    assert (result.grade, result.listed) == ("A", False)
    assert "移出严重失信主体名单" in result.lines[0].reason


def test_a_listing_grade_above_d_caps_the_grade_without_raising_a_lower_one() -> None:
    lenient = card(serious_dishonesty_grade="C")
    listing = record("serious_dishonesty")

    assert grade([listing], lenient, today=TODAY).grade == "C"
    low_score = [listing, record("penalty", "severe", count=2)]
    assert grade(low_score, lenient, today=TODAY).grade == "D"


# Thresholds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deducted", "expected"),
    [(0, "A"), (10, "A"), (11, "B"), (25, "B"), (26, "C"), (40, "C"), (41, "D"), (100, "D")],
)
def test_grades_start_at_90_75_and_60(deducted: int, expected: str) -> None:
    # One point per offline alarm and no cap: the score is 100 minus the alarms.
    one_point_each = card(kinds__offline_alarm__cap=None)
    alarms = [record("offline_alarm", count=deducted)] if deducted else []

    result = grade(alarms, one_point_each, today=TODAY)

    assert (result.score, result.grade) == (100 - deducted, expected)


def test_edited_thresholds_change_the_grade() -> None:
    strict = card(thresholds={"A": 98, "B": 90, "C": 80})

    assert grade([record("penalty", "minor")], strict, today=TODAY).grade == "B"


# Linear decay -------------------------------------------------------------------------------


def test_with_linear_decay_a_record_weighs_its_remaining_share_of_the_window() -> None:
    decaying = card(kinds__penalty__decay="linear", kinds__penalty__validity_months=12)
    penalty = record("penalty", "minor", on=date(2024, 1, 1))
    # The window runs 366 days to 1 January 2025; on 2 July 2024, 183 days remain:
    # half of 5 points is 2.5, rounded away from zero to 3.
    halfway = grade([penalty], decaying, today=date(2024, 7, 2))
    assert halfway.score == 97
    assert "线性递减" in halfway.lines[0].reason
    assert "现共扣 3 分" in halfway.lines[0].reason
    assert grade([penalty], decaying, today=date(2024, 1, 1)).score == 95
    # 1 day of 366 left: 5/366 of a point rounds to nothing.
    assert grade([penalty], decaying, today=date(2024, 12, 31)).score == 100


def test_decay_is_off_in_the_default_scorecard() -> None:
    penalty = record("penalty", "minor", on=date(2022, 7, 1))

    assert grade([penalty], today=date(2025, 6, 30)).score == 95


# The explanation -------------------------------------------------------------------------------


def random_records(rng: random.Random, n: int) -> list[CreditRecord]:
    severities = {
        "penalty": ["minor", "major", "severe"],
        "inspection": ["pass", "problems", "fail"],
    }
    records = []
    for _ in range(n):
        kind = rng.choice(KINDS[:-1] if rng.random() > 0.05 else KINDS)
        records.append(
            CreditRecord(
                kind=kind,
                occurred_on=TODAY - timedelta(days=rng.randint(-30, 1500)),
                severity=rng.choice(severities.get(kind, [""])),
                count=rng.randint(1, 4),
                repaired=rng.random() < 0.1,
                source_ref=f"ref-{rng.randint(1, 50)}",
            )
        )
    return records


@pytest.mark.parametrize("decay", ["none", "linear"])
def test_the_lines_and_the_base_always_add_up_to_the_score(decay: str) -> None:
    rng = random.Random(20250630)
    document = config()
    for rule in document["kinds"].values():
        rule["decay"] = decay
    scorecard = Scorecard.from_dict(document)
    for _ in range(300):
        result = grade(random_records(rng, rng.randint(0, 25)), scorecard, today=TODAY)
        assert_lines_add_up(result)
        assert 0 <= result.score <= 100
        assert all(line.reason for line in result.lines)


def test_every_record_appears_in_exactly_one_explaining_line() -> None:
    rng = random.Random(7)
    records = random_records(rng, 40)
    result = grade(records, today=TODAY)

    explained = sum(line.count for line in result.lines if line.status not in ("capped", "bounded"))
    assert explained == sum(item.count for item in records)


def test_the_grade_does_not_depend_on_the_order_of_the_records() -> None:
    rng = random.Random(11)
    records = random_records(rng, 30)
    first = grade(records, today=TODAY)
    shuffled = list(records)
    rng.shuffle(shuffled)

    assert grade(shuffled, today=TODAY) == first
    assert grade(records, today=TODAY) == first
    assert json.dumps(first.to_dict(), ensure_ascii=False)


def test_grading_refuses_a_datetime_for_today_and_foreign_objects() -> None:
    with pytest.raises(TypeError):
        grade([], today=datetime(2025, 6, 30, 12, 0))
    with pytest.raises(TypeError):
        grade([("penalty", "minor")], today=TODAY)  # type: ignore[list-item]


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "parking_ticket"},
        {"kind": "penalty", "severity": ""},
        {"kind": "penalty", "severity": "fail"},
        {"kind": "complaint_upheld", "severity": "major"},
        {"kind": "penalty", "severity": "minor", "count": 0},
        {"kind": "penalty", "severity": "minor", "count": True},
        {"kind": "penalty", "severity": "minor", "occurred_on": datetime(2025, 1, 1, 8, 0)},
    ],
)
def test_a_record_refuses_what_the_scorecard_cannot_score(fields: dict[str, Any]) -> None:
    with pytest.raises((ValueError, TypeError)):
        CreditRecord(**{"occurred_on": RECENT, **fields})


# Draw weights -------------------------------------------------------------------------------


def test_lower_grades_weigh_more_in_inspection_draws() -> None:
    assert [draw_weight(letter) for letter in "ABCD"] == [
        Fraction(1, 2),
        Fraction(1),
        Fraction(2),
        Fraction(4),
    ]
    listed = grade([record("serious_dishonesty")], today=TODAY)
    assert DEFAULT_SCORECARD.draw_weight(listed) == 4


def test_draw_weights_may_be_written_as_decimals_or_fractions() -> None:
    weights = card(draw_weights={"A": 0.25, "B": "0.5", "C": 1, "D": "3/2"})

    assert [weights.draw_weight(letter) for letter in "ABCD"] == [
        Fraction(1, 4),
        Fraction(1, 2),
        Fraction(1),
        Fraction(3, 2),
    ]
    with pytest.raises(ValueError):
        weights.draw_weight("E")


# The document ----------------------------------------------------------------------------------


def test_the_default_scorecard_is_the_one_the_documentation_states() -> None:
    document = DEFAULT_SCORECARD.to_dict()

    assert document["base_score"] == 100
    assert document["kinds"]["penalty"]["points"] == {"minor": -5, "major": -15, "severe": -30}
    assert document["kinds"]["inspection"]["points"] == {"pass": 2, "problems": -5, "fail": -15}
    assert [
        (document["kinds"][kind]["points"], document["kinds"][kind]["cap"])
        for kind in ("complaint_upheld", "over_limit_alarm", "offline_alarm", "commendation")
    ] == [(-3, -15), (-2, -20), (-1, -5), (5, 10)]
    assert {kind: rule["validity_months"] for kind, rule in document["kinds"].items()} == {
        "penalty": 36,
        "inspection": 24,
        "complaint_upheld": 12,
        "over_limit_alarm": 12,
        "offline_alarm": 12,
        "commendation": 24,
    }
    assert document["thresholds"] == {"A": 90, "B": 75, "C": 60}
    assert document["draw_weights"] == {"A": "1/2", "B": "1", "C": "2", "D": "4"}


def test_a_scorecard_survives_a_round_trip_through_json() -> None:
    edited = card(
        kinds__penalty__decay="linear", kinds__commendation__cap=None, draw_weights__A="1/3"
    )
    text = edited.to_json()

    again = Scorecard.from_json(text)

    assert again == edited
    assert json.loads(text) == json.loads(again.to_json())
    assert Scorecard.from_json(DEFAULT_SCORECARD.to_json()) == DEFAULT_SCORECARD


def test_an_edited_document_changes_the_points() -> None:
    document = json.loads(DEFAULT_SCORECARD.to_json())
    document["kinds"]["penalty"]["points"]["minor"] = -8
    harsher = Scorecard.from_json(json.dumps(document))

    result = grade([record("penalty", "minor")], harsher, today=TODAY)

    assert result.score == 92
    assert "每次扣 8 分" in result.lines[0].reason


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"thresholds": {"A": 75, "B": 90, "C": 60}}, "thresholds", "递减"),
        ({"thresholds": {"A": 90, "B": 75, "C": 75}}, "thresholds", "递减"),
        ({"thresholds": {"A": 90, "B": 75}}, "thresholds.C", "缺少"),
        ({"thresholds": {"A": 90, "B": 75, "C": 60, "D": 0}}, "thresholds.D", "未知"),
        ({"thresholds": {"A": 120, "B": 75, "C": 60}}, "thresholds.A", "max_score"),
        ({"kinds__parking": {"points": -1, "validity_months": 12}}, "kinds.parking", "未知"),
        ({"kinds__penalty__points__minor": 5}, "kinds.penalty.points.minor", "不能为正数"),
        ({"kinds__complaint_upheld__points": 3}, "kinds.complaint_upheld.points", "不能为正数"),
        ({"kinds__commendation__points": -5}, "kinds.commendation.points", "不能为负数"),
        ({"kinds__inspection__points__pass": -1}, "kinds.inspection.points.pass", "不能为负数"),
        ({"kinds__penalty__points__severe": -10}, "kinds.penalty.points", "不能比"),
        ({"kinds__penalty__points__grave": -50}, "kinds.penalty.points.grave", "未知"),
        ({"kinds__penalty__points": -5}, "kinds.penalty.points", "JSON 对象"),
        ({"kinds__penalty__points__minor": -2.5}, "kinds.penalty.points.minor", "整数"),
        ({"kinds__penalty__points__minor": True}, "kinds.penalty.points.minor", "整数"),
        ({"kinds__penalty__validity_months": 0}, "kinds.penalty.validity_months", "1 个月"),
        ({"kinds__penalty__decay": "exponential"}, "kinds.penalty.decay", "linear"),
        ({"kinds__inspection__cap": -20}, "kinds.inspection.cap", "既有加分也有扣分"),
        ({"kinds__over_limit_alarm__cap": 20}, "kinds.over_limit_alarm.cap", "负数"),
        ({"kinds__commendation__cap": -10}, "kinds.commendation.cap", "正数"),
        ({"kinds__offline_alarm__cap": 0}, "kinds.offline_alarm.cap", "不能为 0"),
        ({"min_score": 100}, "min_score", "小于"),
        ({"base_score": 120}, "base_score", "之间"),
        ({"serious_dishonesty_grade": "E"}, "serious_dishonesty_grade", "A、B、C、D"),
        ({"draw_weights__B": 0}, "draw_weights.B", "大于 0"),
        ({"draw_weights__C": "two"}, "draw_weights.C", "正数"),
        ({"draw_weights__D": "1"}, "draw_weights", "不能越小"),
        ({"version": 2}, "version", "版本"),
        ({"weights": {}}, "weights", "未知"),
    ],
)
def test_validation_refuses_a_bad_document_and_names_the_place(
    changes: dict[str, Any], path: str, words: str
) -> None:
    problems = problems_of(config(**changes))

    matching = [problem for problem in problems if problem.startswith(f"{path}：")]
    assert matching, problems
    assert any(words in problem for problem in matching), problems


def test_validation_reports_every_problem_at_once() -> None:
    document = config(
        thresholds={"A": 60, "B": 75, "C": 90},
        kinds__penalty__points__major=15,
        kinds__unknown={},
    )
    problems = problems_of(document)

    assert {problem.split("：")[0] for problem in problems} >= {
        "thresholds",
        "kinds.penalty.points.major",
        "kinds.unknown",
    }


def test_validation_refuses_a_document_missing_a_kind_or_setting() -> None:
    document = config()
    del document["kinds"]["offline_alarm"]
    del document["base_score"]

    problems = problems_of(document)

    assert any(problem.startswith("kinds.offline_alarm：") for problem in problems)
    assert any(problem.startswith("base_score：") for problem in problems)
    assert problems_of([1, 2, 3])
    with pytest.raises(ScorecardError):
        Scorecard.from_json("{not json")


def test_a_scorecard_built_by_hand_is_checked_before_it_grades() -> None:
    broken = Scorecard(
        rules=DEFAULT_SCORECARD.rules,
        thresholds={"A": 60, "B": 75, "C": 90},
        draw_weights=DEFAULT_SCORECARD.draw_weights,
    )

    with pytest.raises(ScorecardError, match="thresholds"):
        broken.validate()
    with pytest.raises(ScorecardError):
        grade([], broken, today=TODAY)

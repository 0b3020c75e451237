"""Credit records change the enterprise's kept grade; the scorecard is versioned data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.models import Enterprise
from zhengtong.core.testing import TEST_ACTOR, make_enterprise, make_person
from zhengtong.ledger.models import LedgerEntry
from zhengtong.regulation.credit_actions import (
    do_publish_scorecard,
    do_record_credit,
    do_regrade_enterprises,
)
from zhengtong.regulation.credit_scorecard import DEFAULT_CONFIG
from zhengtong.regulation.credit_selectors import active_scorecard, credit_grade, standing_of


@pytest.fixture
def firm(db: None) -> Enterprise:
    return make_enterprise("长沙市某印染有限公司", legal_representative=make_person("孙老板"))


def test_a_severe_penalty_lowers_the_kept_grade_and_is_in_the_ledger(firm: Enterprise) -> None:
    today = timezone.localdate()
    record = do_record_credit(
        firm,
        "penalty",
        today - dt.timedelta(days=10),
        "超标排放大气污染物，罚款二十万元",
        actor=TEST_ACTOR,
        severity="严重",
        authority="长沙市生态环境局",
        source_ref="长环罚〔2026〕12号",
    )
    assert record.severity == "severe"
    standing = standing_of(firm)
    assert standing is not None
    severe = DEFAULT_CONFIG["kinds"]["penalty"]["points"]["severe"]
    assert standing.score == DEFAULT_CONFIG["base_score"] + severe
    assert standing.grade == credit_grade(firm).grade
    entry = LedgerEntry.objects.get(action="regulation.record_credit")
    assert entry.subject_id == firm.credit_code


def test_the_same_source_is_recorded_once_and_bad_records_are_refused(firm: Enterprise) -> None:
    day = timezone.localdate()
    do_record_credit(firm, "complaint_upheld", day, "噪声扰民", actor=TEST_ACTOR, source_ref="h:1")
    with pytest.raises(Conflict) as again:
        do_record_credit(
            firm, "complaint_upheld", day, "噪声扰民", actor=TEST_ACTOR, source_ref="h:1"
        )
    assert again.value.code == "credit_record_exists"
    with pytest.raises(InvalidInput) as bad:
        do_record_credit(firm, "penalty", day, "罚款", actor=TEST_ACTOR, severity="huge")
    assert bad.value.code == "invalid_credit_record"
    with pytest.raises(InvalidInput) as future:
        do_record_credit(
            firm, "penalty", day + dt.timedelta(days=1), "罚款", actor=TEST_ACTOR, severity="minor"
        )
    assert future.value.code == "occurred_in_future"


def test_a_new_scorecard_version_regrades_and_a_bad_one_is_refused(firm: Enterprise) -> None:
    day = timezone.localdate()
    do_record_credit(firm, "penalty", day, "罚款", actor=TEST_ACTOR, severity="major")
    before = standing_of(firm)
    assert before is not None
    stricter = {**DEFAULT_CONFIG, "thresholds": {"A": 99, "B": 90, "C": 80}}
    version = do_publish_scorecard(stricter, "提高等级门槛", actor=TEST_ACTOR)
    assert active_scorecard()[0] == version
    after = standing_of(firm)
    assert after is not None and after.scorecard == version
    assert after.score == before.score and after.grade > before.grade
    with pytest.raises(InvalidInput) as bad:
        do_publish_scorecard(
            {**DEFAULT_CONFIG, "thresholds": {"A": 50, "B": 75, "C": 60}}, "x", actor=TEST_ACTOR
        )
    assert bad.value.code == "invalid_scorecard" and bad.value.detail["problems"]


def test_records_leave_the_grade_when_their_window_passes(firm: Enterprise) -> None:
    long_ago = timezone.localdate() - dt.timedelta(days=400)
    do_record_credit(firm, "complaint_upheld", long_ago, "查实", actor=TEST_ACTOR)
    assert do_regrade_enterprises(actor=TEST_ACTOR)["graded"] == 1
    standing = standing_of(firm)
    assert standing is not None and standing.score == DEFAULT_CONFIG["base_score"]

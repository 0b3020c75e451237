"""The draft reply's score (POST /cases/{number}/reply-score) is the handling department's.

It reads the case's title and message to score a draft against them: staff
of another department, and a citizen, get the answer given for any case they
may not see.
"""

from __future__ import annotations

import pytest

from zhengtong.hotline.tests.api_calls import as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.hotline.tests.test_sign_for_twice import assigned_pollution_case

DRAFT = "您好，您反映的化工厂夜间排放废气问题已收悉，我局已派员现场核查并责令整改。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def test_the_handling_department_scores_its_draft(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    scored = ok(post(as_user(cast.chenhuan), f"/cases/{case.number}/reply-score", {"reply": DRAFT}))
    assert scored["total"] > 0


def test_another_department_is_answered_as_for_a_case_it_may_not_see(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    other = as_user(cast.wangzhu)
    unknown = ok(post(other, "/cases/20260101000000/reply-score", {"reply": DRAFT}), 404)
    refused = ok(post(other, f"/cases/{case.number}/reply-score", {"reply": DRAFT}), 404)
    assert refused == unknown
    assert refused["code"] == "case_not_found"
    # Nor may it read the case any other way.
    assert ok(other.get(f"/api/hotline/cases/{case.number}"), 404) == unknown


def test_a_citizen_is_refused_the_score(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    citizen = as_user(cast.zhangsan)
    refused = ok(post(citizen, f"/cases/{case.number}/reply-score", {"reply": DRAFT}), 403)
    unknown = ok(post(citizen, "/cases/20260101000000/reply-score", {"reply": DRAFT}), 403)
    assert refused == unknown
    assert refused["code"] == "permission_denied"

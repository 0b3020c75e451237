"""催办 and 督办 mark the department that let a deadline pass, not the next one.

A case supervised (督办) at one department and then sent back and dispatched
to another arrives there as a fresh assignment: that department's worklist
and the case page do not show it as urged or supervised.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.hotline.models import Case, CaseEvent
from zhengtong.hotline.tasks import urge_overdue_cases
from zhengtong.hotline.tests.api_calls import as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model

SUPERVISED_TAG = '<span class="tag tag-red">督办</span>'
SUPERVISED_BADGE = '<span class="tag tag-red">已督办</span>'
URGED_TAG = '<span class="tag tag-soon">催办</span>'


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


@pytest.mark.parametrize("overdue_by", [dt.timedelta(hours=2), dt.timedelta(days=2)])
def test_a_case_chased_at_one_department_arrives_clean_at_the_next(
    cast: HotlineCast, overdue_by: dt.timedelta
) -> None:
    number = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气")["number"]
    first = as_user(cast.chenhuan)
    ok(post(first, f"/cases/{number}/sign"))
    Case.objects.filter(number=number).update(reply_due=timezone.now() - overdue_by)
    assert urge_overdue_cases.call() == 1
    tags = first.get("/hotline/department/").content.decode()
    assert SUPERVISED_TAG in tags or URGED_TAG in tags

    ok(post(first, f"/cases/{number}/return", {"reason": "属于住房和城乡建设部门职责。"}))
    ok(
        post(
            as_user(cast.dispatcher),
            f"/cases/{number}/dispatch",
            {"category": "城乡建设", "department_code": cast.city_housing.code},
        )
    )

    housing = as_user(cast.wangzhu)
    worklist = housing.get("/hotline/department/").content.decode()
    assert number in worklist
    assert SUPERVISED_TAG not in worklist and URGED_TAG not in worklist
    page = housing.get(f"/hotline/cases/{number}/").content.decode()
    assert SUPERVISED_BADGE not in page and "催办 1 次" not in page
    # The history still shows how the first department was chased.
    assert (
        CaseEvent.objects.filter(case__number=number, kind__in=["urged", "supervised"]).count() == 1
    )

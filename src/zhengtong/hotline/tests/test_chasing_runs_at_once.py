"""Two chasing runs at once (a slow run overlapping the next) chase a case once.

Each run reads the overdue cases first and then locks them one by one; a run
that read the list before the other one urged or supervised a case must see,
under the lock, that this deadline was chased already.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.hotline import actions, selectors
from zhengtong.hotline.models import Case, CaseEvent, Notification
from zhengtong.hotline.tasks import urge_overdue_cases
from zhengtong.hotline.tests.api_calls import as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.ledger.models import LedgerEntry


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


@pytest.mark.parametrize(
    ("overdue_by", "kind"), [(dt.timedelta(hours=2), "urged"), (dt.timedelta(days=2), "supervised")]
)
def test_a_run_that_read_the_list_before_another_chased_the_case_leaves_it(
    cast: HotlineCast, monkeypatch: pytest.MonkeyPatch, overdue_by: dt.timedelta, kind: str
) -> None:
    number = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气")["number"]
    ok(post(as_user(cast.chenhuan), f"/cases/{number}/sign"))
    Case.objects.filter(number=number).update(reply_due=timezone.now() - overdue_by)
    real = selectors.overdue_cases_to_urge

    def another_run_meanwhile(now: dt.datetime) -> list[selectors.OverdueCase]:
        found = real(now)
        # The next run starts while this one holds its list, and chases the case.
        monkeypatch.setattr(actions, "overdue_cases_to_urge", real)
        assert urge_overdue_cases.call() == 1
        return found

    monkeypatch.setattr(actions, "overdue_cases_to_urge", another_run_meanwhile)
    assert urge_overdue_cases.call() == 0

    case = Case.objects.get(number=number)
    assert CaseEvent.objects.filter(case=case, kind__in=["urged", "supervised"]).count() == 1
    assert CaseEvent.objects.get(case=case, kind__in=["urged", "supervised"]).kind == kind
    assert Notification.objects.filter(case=case, kind=kind).count() == 1
    assert case.urge_count == (1 if kind == "urged" else 0)
    assert LedgerEntry.objects.filter(action="hotline.urge_overdue_cases").count() == 1

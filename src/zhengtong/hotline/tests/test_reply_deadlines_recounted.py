"""Reply deadlines counted again when a holiday notice recorded later moves a working day."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import re
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from zhengtong.core.calendar import SHANGHAI, add_working_days
from zhengtong.core.testing import TEST_ACTOR, make_holiday
from zhengtong.hotline.actions import (
    CaseInput,
    do_decide_extension,
    do_recount_reply_deadlines,
    do_submit_case,
)
from zhengtong.hotline.models import Case, Notification
from zhengtong.hotline.routing_actions import do_set_time_limit
from zhengtong.hotline.states import CaseState, EventKind, LimitUnit, Urgency
from zhengtong.hotline.tasks import recount_reply_deadlines
from zhengtong.hotline.tests.api_calls import POLLUTION, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model
from zhengtong.hotline.tests.test_time_limits_and_routing_data import monday_ten
from zhengtong.ledger.encoding import canonical_json
from zhengtong.ledger.models import LedgerEntry
from zhengtong.ledger.selectors import tree_state

RECOUNTED = "hotline.recount_reply_deadlines"
_callers = itertools.count(1)


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


@pytest.fixture
def start(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    moment = monday_ten()
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def _submit(cast: HotlineCast, urgency: str = Urgency.NORMAL, *, by_citizen: bool = False) -> Case:
    """A case routed automatically to the district's environment bureau."""
    if by_citizen:
        case = Case.objects.get(number=submit(as_user(cast.zhangsan))["number"])
    else:
        case = do_submit_case(
            CaseInput(
                content=POLLUTION,
                channel="phone",
                # A caller each: the same caller's repeat would be merged.
                contact_phone=f"1390000{next(_callers):04d}",
                urgency=urgency,
            ),
            actor=TEST_ACTOR,
        )
    assert case.state == CaseState.ASSIGNED and case.department == cast.furong_environment
    return case


def _working_day_after(moment: dt.datetime, count: int = 1) -> dt.date:
    """The ``count``-th working day after the day ``moment`` falls on."""
    return add_working_days(moment, count).astimezone(SHANGHAI).date()


def test_a_recorded_holiday_moves_a_running_deadline_and_tells_the_department(
    cast: HotlineCast, start: dt.datetime
) -> None:
    case = _submit(cast, by_citizen=True)
    counted_before = case.reply_due
    assert counted_before == add_working_days(start, 15)
    # Nothing recorded since dispatch: nothing moves, nothing is written.
    assert do_recount_reply_deadlines(actor=TEST_ACTOR) == []
    assert not LedgerEntry.objects.filter(action=RECOUNTED).exists()

    make_holiday(_working_day_after(start, 3))
    recount_reply_deadlines.enqueue()

    case.refresh_from_db()
    assert case.reply_due is not None and counted_before is not None
    assert case.reply_due > counted_before
    assert case.reply_due == add_working_days(start, 15)
    shown = timezone.localtime(case.reply_due).strftime("%Y-%m-%d %H:%M")
    event = case.events.get(kind=EventKind.DEADLINE_RECOUNTED)
    assert event.note == shown
    notice = Notification.objects.get(case=case, kind=EventKind.DEADLINE_RECOUNTED)
    assert notice.department == cast.furong_environment and shown in notice.text
    entry = LedgerEntry.objects.get(action=RECOUNTED)
    # The deadline as counted, in Beijing time.
    moved = {"moved": {case.number: add_working_days(start, 15).isoformat()}}
    assert bytes(entry.data_hash) == tree_state().hasher.digest(canonical_json(moved))
    # Counted again with nothing new: no second entry.
    assert do_recount_reply_deadlines(actor=TEST_ACTOR) == []
    assert LedgerEntry.objects.filter(action=RECOUNTED).count() == 1
    # The citizen's page shows the step with the new date.
    page = as_user(cast.zhangsan).get(f"/hotline/mine/{case.number}/")
    assert page.status_code == 200
    html = page.content.decode()
    step = re.search(r"<li>[^<]*<time[^>]*>[^<]*</time> (答复期限[^<]*)</li>", html)
    assert step is not None and step.group(1) == f"答复期限按节假日安排调整为 {shown}"
    assert f"<dd>{shown}</dd>" in html
    english = as_user(cast.zhangsan).get(f"/hotline/mine/{case.number}/", HTTP_ACCEPT_LANGUAGE="en")
    assert f"Reply deadline moved to {shown} by the holiday arrangement" in (
        english.content.decode()
    )


def test_an_hour_limit_moves_only_by_its_approved_extension(
    cast: HotlineCast, start: dt.datetime
) -> None:
    do_set_time_limit(Urgency.URGENT, "", 2, 24, LimitUnit.HOURS, actor=TEST_ACTOR)
    plain = _submit(cast, Urgency.URGENT)
    extended = _submit(cast, Urgency.URGENT)
    assert plain.reply_due == start + dt.timedelta(hours=24)
    handler = as_user(cast.chenhuan)
    request = ok(
        post(handler, f"/cases/{extended.number}/extensions", {"days": 3, "reason": "需要监测"}),
        201,
    )
    do_decide_extension(extended.extensions.get(pk=request["id"]), approve=True, actor=TEST_ACTOR)
    extended.refresh_from_db()
    assert extended.reply_extension_days == 3
    assert extended.reply_due == add_working_days(start + dt.timedelta(hours=24), 3)
    # The handler's case page says what the deadline is counted from.
    page = handler.get(f"/hotline/cases/{extended.number}/")
    assert '<dd id="reply-limit">24 小时（含延期 3 个工作日）</dd>' in page.content.decode()
    english = handler.get(f"/hotline/cases/{plain.number}/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<dd id="reply-limit">24 hours</dd>' in english.content.decode()

    # A holiday inside the extension, and one inside the plain case's 24 hours.
    make_holiday(_working_day_after(start + dt.timedelta(hours=24), 2))
    assert do_recount_reply_deadlines(actor=TEST_ACTOR) == [extended.number]
    extended.refresh_from_db()
    plain.refresh_from_db()
    assert extended.reply_due == add_working_days(start + dt.timedelta(hours=24), 3)
    assert plain.reply_due == start + dt.timedelta(hours=24)


def test_a_rule_edited_after_dispatch_binds_only_later_cases(
    cast: HotlineCast, start: dt.datetime
) -> None:
    before = _submit(cast)
    do_set_time_limit(Urgency.NORMAL, "", 24, 5, LimitUnit.WORKING_DAYS, actor=TEST_ACTOR)
    after = _submit(cast)
    make_holiday(_working_day_after(start, 1))
    assert sorted(do_recount_reply_deadlines(actor=TEST_ACTOR)) == sorted(
        [before.number, after.number]
    )
    before.refresh_from_db()
    after.refresh_from_db()
    assert before.reply_due == add_working_days(start, 15)
    assert after.reply_due == add_working_days(start, 5)


def test_a_reopened_case_counts_its_reopening_days_and_a_returned_one_nothing(
    cast: HotlineCast, start: dt.datetime, settings: SimpleNamespace
) -> None:
    reopened = _submit(cast, by_citizen=True)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{reopened.number}/sign"))
    ok(post(handler, f"/cases/{reopened.number}/reply", {"reply": "已责令该化工厂停产整改。"}))
    ok(post(as_user(cast.zhangsan), f"/cases/{reopened.number}/rating", {"rating": "unsatisfied"}))
    returned = _submit(cast)
    ok(post(handler, f"/cases/{returned.number}/return", {"reason": "属于住建部门职责"}))

    make_holiday(_working_day_after(start, 2))
    assert do_recount_reply_deadlines(actor=TEST_ACTOR) == [reopened.number]
    reopened.refresh_from_db()
    returned.refresh_from_db()
    assert (reopened.reply_limit_amount, reopened.reply_limit_unit) == (
        settings.HOTLINE_REOPEN_WORKING_DAYS,
        LimitUnit.WORKING_DAYS,
    )
    assert reopened.reply_due == add_working_days(start, settings.HOTLINE_REOPEN_WORKING_DAYS)
    assert returned.reply_due is None and returned.reply_limit_amount is None


def test_the_migration_keeps_a_limit_only_where_it_gives_the_stored_deadline(
    cast: HotlineCast, start: dt.datetime, settings: SimpleNamespace
) -> None:
    as_dispatched = _submit(cast)
    rule_changed = _submit(cast)
    reopened = _submit(cast, by_citizen=True)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{reopened.number}/sign"))
    ok(post(handler, f"/cases/{reopened.number}/reply", {"reply": "已责令该化工厂停产整改。"}))
    ok(post(as_user(cast.zhangsan), f"/cases/{reopened.number}/rating", {"rating": "unsatisfied"}))
    # As the cases were before the limits were kept; the second one's
    # deadline was counted under a rule of 10 working days since replaced.
    Case.objects.filter(pk__in=[as_dispatched.pk, rule_changed.pk, reopened.pk]).update(
        reply_limit_amount=None, reply_limit_unit=""
    )
    Case.objects.filter(pk=rule_changed.pk).update(reply_due=add_working_days(start, 10))
    migration = importlib.import_module("zhengtong.hotline.migrations.0012_reply_limits_kept")
    migration.limits_of_running_cases(apps, SimpleNamespace(connection=connection))

    as_dispatched.refresh_from_db()
    rule_changed.refresh_from_db()
    assert (as_dispatched.reply_limit_amount, as_dispatched.reply_limit_unit) == (
        15,
        LimitUnit.WORKING_DAYS,
    )
    assert rule_changed.reply_limit_amount is None
    reopened.refresh_from_db()
    assert (reopened.reply_limit_amount, reopened.reply_limit_unit) == (
        settings.HOTLINE_REOPEN_WORKING_DAYS,
        LimitUnit.WORKING_DAYS,
    )
    stored = rule_changed.reply_due
    make_holiday(_working_day_after(start, 1))
    assert sorted(do_recount_reply_deadlines(actor=TEST_ACTOR)) == sorted(
        [as_dispatched.number, reopened.number]
    )
    rule_changed.refresh_from_db()
    assert rule_changed.reply_due == stored

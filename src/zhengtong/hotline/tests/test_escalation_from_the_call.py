"""A more urgent repeat counts the original's new deadline from the call that said so.

The call-centre system (or an agent, or an import) may register a call some
time after it was taken; the emergency started at the call, and the
department's or the dispatcher's time runs from then, not from the moment
the call was typed in.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import POLLUTION, URL, as_user, ok, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model

CALLER = "13900001111"
WORSE = POLLUTION + "现在已经有人中毒晕倒！"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _close(a: dt.datetime, b: dt.datetime) -> bool:
    return abs(a - b) < dt.timedelta(seconds=1)


def test_the_reply_deadline_of_an_escalated_case_runs_from_the_urgent_call(
    cast: HotlineCast,
) -> None:
    agent = as_user(cast.dispatcher)
    now = timezone.now()
    first = submit(
        agent,
        content=POLLUTION,
        contact_phone=CALLER,
        received_at=(now - dt.timedelta(hours=3)).isoformat(),
    )
    assert first["state"] == "assigned"
    urgent_call = now - dt.timedelta(minutes=90)
    repeat = submit(
        agent,
        content=WORSE,
        contact_phone=CALLER,
        urgency="critical",
        received_at=urgent_call.isoformat(),
    )
    assert repeat["merged_into"] == first["number"]

    original = ok(as_user(cast.chenhuan).get(f"{URL}/cases/{first['number']}"))
    assert original["urgency"] == "critical"
    # 特急: two hours to reply from the call, so half an hour is left.
    due = dt.datetime.fromisoformat(original["reply_due"])
    assert _close(due, urgent_call + dt.timedelta(hours=2)), due


def test_the_dispatch_deadline_of_an_escalated_queued_case_runs_from_the_urgent_call(
    cast: HotlineCast,
) -> None:
    agent = as_user(cast.dispatcher)
    now = timezone.now()
    # No district and an unknown matter: the message waits for a dispatcher.
    content = "我想咨询一下这个事情应该找哪个部门办理比较合适呢"
    first = submit(
        agent,
        content=content,
        contact_phone=CALLER,
        received_at=(now - dt.timedelta(hours=3)).isoformat(),
    )
    assert first["state"] == "dispatching"
    urgent_call = now - dt.timedelta(minutes=90)
    repeat = submit(
        agent,
        content=content + "！",
        contact_phone=CALLER,
        urgency="urgent",
        received_at=urgent_call.isoformat(),
    )
    assert repeat["merged_into"] == first["number"]
    queued = Case.objects.get(number=first["number"])
    # 紧急: two hours to dispatch from the call.
    assert _close(queued.dispatch_due, urgent_call + dt.timedelta(hours=2)), queued.dispatch_due

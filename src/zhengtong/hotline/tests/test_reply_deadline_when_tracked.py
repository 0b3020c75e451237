"""The tracking API gives the reply deadline the track page shows.

The citizen's page shows 答复期限 while a reply is awaited; an app following
the case by its tracking code had no way to read it. ``reply_due`` is the same
moment, and null where the page shows none: before the case has a deadline,
and once it is replied or closed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import URL, as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _tracked(case: Case) -> Any:
    return ok(Client().get(f"{URL}/track/{case.tracking_code}"))


def _page(case: Case) -> str:
    return str(Client().get(f"/hotline/track/{case.tracking_code}/").content.decode())


def test_the_tracked_case_gives_the_reply_deadline_the_page_shows(cast: HotlineCast) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    case = Case.objects.get(number=number)
    assert case.reply_due is not None
    tracked = _tracked(case)
    # JSON carries the time to the millisecond.
    due = case.reply_due.replace(microsecond=case.reply_due.microsecond // 1000 * 1000)
    assert dt.datetime.fromisoformat(tracked["reply_due"]) == due
    shown = timezone.localtime(case.reply_due).strftime("%Y-%m-%d %H:%M")
    assert "答复期限" in _page(case) and shown in _page(case)

    ok(post(handler, f"/cases/{number}/reply", {"reply": "已责令该化工厂停产整改。"}))
    case.refresh_from_db()
    assert case.reply_due is not None
    assert _tracked(case)["reply_due"] is None
    assert "答复期限" not in _page(case)


def test_a_case_without_a_deadline_tracks_none(cast: HotlineCast) -> None:
    number = submit(as_user(cast.zhangsan))["number"]
    case = Case.objects.get(number=number)
    Case.objects.filter(pk=case.pk).update(reply_due=None)
    case.refresh_from_db()
    assert _tracked(case)["reply_due"] is None
    assert "答复期限" not in _page(case)

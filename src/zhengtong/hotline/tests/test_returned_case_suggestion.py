"""The dispatch form does not choose in advance the department that sent the case back.

The model routed a message to 芙蓉区's environment branch, which returned it
as not its matter; back in the queue, the form chose that branch again, so a
hurried 派单 sent the case straight back to the department that had just
refused it. The dispatcher may still pick it; the page no longer does.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from zhengtong.hotline.models import Case
from zhengtong.hotline.tests.api_calls import as_user, ok, post, submit
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model


@pytest.fixture
def cast(db: None) -> HotlineCast:
    made = make_hotline_cast()
    train_active_model()
    return made


def _selected_department(page: str, case: Case) -> str:
    select = re.search(rf'<select name="c{case.pk}-department".*?</select>', page, flags=re.DOTALL)
    assert select is not None
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(0))
    return chosen.group(1) if chosen else ""


def _pages(dispatcher: Client, case: Case) -> list[str]:
    return [
        dispatcher.get("/hotline/dispatch/").content.decode(),
        dispatcher.get(f"/hotline/cases/{case.number}/").content.decode(),
    ]


def test_a_returned_case_is_not_offered_back_to_its_department(cast: HotlineCast) -> None:
    number = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气")["number"]
    case = Case.objects.get(number=number)
    assert case.department == cast.furong_environment
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{number}/sign"))
    ok(post(handler, f"/cases/{number}/return", {"reason": "该厂位于开福区，不属本分局辖区"}))

    dispatcher = as_user(cast.dispatcher)
    for page in _pages(dispatcher, case):
        assert _selected_department(page, case) == ""
        # Still offered, for a dispatcher who finds the return mistaken.
        assert f'<option value="{cast.furong_environment.code}"' in page


def test_a_recalled_case_is_not_offered_back_to_its_department(cast: HotlineCast) -> None:
    number = submit(as_user(cast.zhangsan), title="化工厂排放刺鼻废气")["number"]
    case = Case.objects.get(number=number)
    dispatcher = as_user(cast.dispatcher)
    ok(post(dispatcher, f"/cases/{number}/recall", {"reason": "分局今日无人值守签收"}))
    for page in _pages(dispatcher, case):
        assert _selected_department(page, case) == ""

"""A case a department sends back is dispatched anew, on a clock that starts at the return.

The dispatch light was counted from the message's receipt: a case returned
near (or after) the end of its first dispatch time showed yellow the moment
it came back, though the dispatchers had only just got it. Its clock now
starts at the return (or the recall), and a case freshly sent back is green.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengtong.core.testing import TEST_ACTOR
from zhengtong.hotline.actions import CaseInput, do_submit_case
from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState, Channel
from zhengtong.hotline.tests.api_calls import POLLUTION, URL, as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast, train_active_model


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def _assigned(cast: HotlineCast, received_hours_ago: float) -> Case:
    """A normal call (24 hours to dispatch) received a while ago, routed to 芙蓉区 at once."""
    train_active_model()
    case = do_submit_case(
        CaseInput(
            content=POLLUTION,
            channel=Channel.PHONE,
            contact_phone="13900003333",
            received_at=timezone.now() - dt.timedelta(hours=received_hours_ago),
        ),
        actor=TEST_ACTOR,
    )
    assert (case.state, case.department) == (CaseState.ASSIGNED, cast.furong_environment)
    return case


def _queue_light(cast: HotlineCast, number: str) -> str:
    [row] = [
        row for row in ok(as_user(cast.dispatcher).get(f"{URL}/queue")) if row["number"] == number
    ]
    return str(row["warning"])


def _returned(cast: HotlineCast, case: Case) -> None:
    ok(
        post(
            as_user(cast.chenhuan),
            f"/cases/{case.number}/return",
            {"reason": "该化工厂不在本分局辖区，请改派。"},
        )
    )


@pytest.mark.parametrize("received_hours_ago", [23.5, 30])
def test_a_case_returned_late_in_its_first_dispatch_time_is_green(
    cast: HotlineCast, received_hours_ago: float
) -> None:
    case = _assigned(cast, received_hours_ago)
    _returned(cast, case)
    assert _queue_light(cast, case.number) == ""
    page = as_user(cast.dispatcher).get("/hotline/dispatch/").content.decode()
    assert case.number in page
    assert "黄灯预警" not in page and "派单超时" not in page


def test_the_returned_cases_clock_runs_from_the_return(cast: HotlineCast) -> None:
    case = _assigned(cast, 30)
    before = timezone.now()
    _returned(cast, case)
    returned = Case.objects.get(pk=case.pk)
    assert returned.requeued_at is not None and returned.requeued_at >= before
    # Left waiting past 80 % of the time it was given from the return: yellow.
    Case.objects.filter(pk=case.pk).update(requeued_at=timezone.now() - dt.timedelta(hours=4))
    assert _queue_light(cast, case.number) == "yellow"


def test_a_recalled_case_is_green_too(cast: HotlineCast) -> None:
    case = _assigned(cast, 23.5)
    ok(
        post(
            as_user(cast.dispatcher),
            f"/cases/{case.number}/recall",
            {"reason": "派错部门，收回改派。"},
        )
    )
    assert _queue_light(cast, case.number) == ""

"""A return (退回) sent twice through the API is answered as the first was, as on the page.

The first return takes the case from the department; a retry after its
answer was lost found the case no longer the department's and answered 404
``case_not_found``, which reads as if the case had never been returned. The
same return, while the case still waits in the dispatch queue with that
return as its latest step, now answers 200 with the case, as the first did.
"""

from __future__ import annotations

import pytest

from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState
from zhengtong.hotline.tests.api_calls import as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.hotline.tests.test_sign_for_twice import assigned_pollution_case
from zhengtong.ledger.models import LedgerEntry

REASON = "该化工厂位于雨花区，不属于本分局辖区。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def test_a_return_sent_twice_is_answered_as_the_first_was(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    handler = as_user(cast.chenhuan)
    first = ok(post(handler, f"/cases/{case.number}/return", {"reason": REASON}))
    # Sent again with the line breaks and blanks a client may add around it.
    again = ok(post(handler, f"/cases/{case.number}/return", {"reason": f"  {REASON}\r\n"}))
    assert again == first
    assert again["state"] == CaseState.DISPATCHING
    assert LedgerEntry.objects.filter(action="hotline.return_case").count() == 1
    assert Case.objects.get(pk=case.pk).return_count == 1


def test_a_colleague_sending_the_same_return_is_answered_as_returned(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    ok(post(as_user(cast.chenhuan), f"/cases/{case.number}/return", {"reason": REASON}))
    colleague = as_user(cast.chenhuan)
    assert ok(post(colleague, f"/cases/{case.number}/return", {"reason": REASON}))["number"] == (
        case.number
    )
    assert Case.objects.get(pk=case.pk).return_count == 1


def test_a_return_with_another_reason_is_still_not_found(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{case.number}/return", {"reason": REASON}))
    refused = ok(post(handler, f"/cases/{case.number}/return", {"reason": "另一个理由"}), 404)
    assert refused["code"] == "case_not_found"


def test_a_repeat_after_a_later_step_is_not_found(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    handler = as_user(cast.chenhuan)
    ok(post(handler, f"/cases/{case.number}/return", {"reason": REASON}))
    # The centre sends it on meanwhile: what happened since is not the department's to see.
    ok(
        post(
            as_user(cast.dispatcher),
            f"/cases/{case.number}/dispatch",
            {"category": "城乡建设", "department_code": cast.city_housing.code},
        )
    )
    refused = ok(post(handler, f"/cases/{case.number}/return", {"reason": REASON}), 404)
    assert refused["code"] == "case_not_found"
    assert Case.objects.get(pk=case.pk).department == cast.city_housing


def test_a_department_that_never_had_the_case_is_still_told_not_found(
    cast: HotlineCast,
) -> None:
    case = assigned_pollution_case(cast)
    ok(post(as_user(cast.chenhuan), f"/cases/{case.number}/return", {"reason": REASON}))
    for user in (cast.wangzhu, cast.lihuan):
        refused = ok(post(as_user(user), f"/cases/{case.number}/return", {"reason": REASON}), 404)
        assert refused["code"] == "case_not_found"
    assert ok(post(as_user(cast.wangzhu), "/cases/20260101000000/return", {"reason": REASON}), 404)


def test_the_page_keeps_a_late_repeat_after_a_later_step_to_copy(cast: HotlineCast) -> None:
    case = assigned_pollution_case(cast)
    handler = as_user(cast.chenhuan)
    form = {"action": "return", "return-reason": REASON}
    assert handler.post(f"/hotline/cases/{case.number}/", form).status_code == 302
    ok(
        post(
            as_user(cast.dispatcher),
            f"/cases/{case.number}/dispatch",
            {"category": "城乡建设", "department_code": cast.city_housing.code},
        )
    )
    # The page and the API answer a repeat by one rule: past a later step it is no twin.
    late = handler.post(f"/hotline/cases/{case.number}/", form)
    assert late.status_code == 410
    assert REASON in late.content.decode()

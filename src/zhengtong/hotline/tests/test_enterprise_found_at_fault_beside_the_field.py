"""A reply naming an enterprise found at fault is refused beside ``upheld_against``.

``unknown_enterprise`` put the word "unknown" in ``detail.fields.upheld_against``
(and so beside the case page's field) where its neighbours put the message;
a code that cannot be a credit code at all was refused as no known
enterprise. A malformed code is now ``invalid_credit_code``, naming the
position that is wrong; a well-formed code of no enterprise is
``unknown_enterprise``, its message beside the field.
"""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.core.testing import TEST_ACTOR, make_credit_code, make_enterprise
from zhengtong.hotline.actions import CaseInput, do_dispatch_case, do_sign_case, do_submit_case
from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState, Channel
from zhengtong.hotline.tests.api_calls import POLLUTION, as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.regulation.models import CreditRecord

REPLY = "经现场核查，该厂夜间超标排放属实，我局已立案查处，责令立即整改。联系电话 0731-12345678。"


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def handled_case(cast: HotlineCast) -> Case:
    """The pollution message, dispatched to 芙蓉区's environment branch and signed for."""
    case = do_submit_case(
        CaseInput(content=POLLUTION, channel=Channel.PHONE, contact_phone="13900003333"),
        actor=TEST_ACTOR,
    )
    case = do_dispatch_case(case, "环境保护", cast.furong_environment, actor=TEST_ACTOR)
    return do_sign_case(case, actor=TEST_ACTOR, departments=[cast.furong_environment.pk])


def with_wrong_check_digit(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def test_a_code_of_no_known_enterprise_is_refused_beside_the_field(cast: HotlineCast) -> None:
    case = handled_case(cast)
    nobody = make_credit_code("430199", 77)
    refused = ok(
        post(
            as_user(cast.chenhuan),
            f"/cases/{case.number}/reply",
            {"reply": REPLY, "upheld_against": nobody.lower()},
        ),
        400,
    )
    assert refused["code"] == "unknown_enterprise"
    # The well-formed code is echoed as it is stored, the message beside the field.
    assert nobody in refused["message"]
    assert refused["detail"] == {"fields": {"upheld_against": refused["message"]}}
    assert Case.objects.get(pk=case.pk).state == CaseState.HANDLING


def test_a_malformed_code_is_told_apart_from_an_unknown_one(cast: HotlineCast) -> None:
    case = handled_case(cast)
    plant = make_enterprise("长沙市某化工有限公司")
    wrong = with_wrong_check_digit(plant.credit_code)
    refused = ok(
        post(
            as_user(cast.chenhuan),
            f"/cases/{case.number}/reply",
            {"reply": REPLY, "upheld_against": wrong},
        ),
        400,
    )
    assert refused["code"] == "invalid_credit_code"
    assert refused["message"].startswith("校验位不符")
    assert refused["detail"]["fields"] == {"upheld_against": refused["message"]}
    assert (refused["detail"]["reason"], refused["detail"]["position"]) == ("check_digit", 18)
    assert not CreditRecord.objects.filter(enterprise=plant).exists()
    assert Case.objects.get(pk=case.pk).state == CaseState.HANDLING


@pytest.mark.parametrize("code", ["X" * 18, "91430102MA4L" + "#" * 6])
def test_a_text_that_is_no_credit_code_is_not_echoed(cast: HotlineCast, code: str) -> None:
    case = handled_case(cast)
    refused = ok(
        post(
            as_user(cast.chenhuan),
            f"/cases/{case.number}/reply",
            {"reply": REPLY, "upheld_against": code},
        ),
        400,
    )
    assert refused["code"] == "invalid_credit_code"
    assert code not in refused["message"]
    assert refused["detail"]["fields"] == {"upheld_against": refused["message"]}


def test_the_case_page_shows_the_unknown_enterprise_beside_its_field(cast: HotlineCast) -> None:
    case = handled_case(cast)
    nobody = make_credit_code("430199", 78)
    handler = Client()
    handler.force_login(cast.chenhuan)
    refused = handler.post(
        f"/hotline/cases/{case.number}/",
        {"action": "reply", "reply-reply": REPLY, "reply-upheld_against": nobody},
    )
    assert refused.status_code == 400
    page = refused.content.decode()
    beside = page.split('id="id_reply-upheld_against_error"', 1)[1].split("</", 1)[0]
    assert f"没有统一社会信用代码为 {nobody} 的企业。" in beside
    assert "unknown" not in beside
    assert Case.objects.get(pk=case.pk).state == CaseState.HANDLING

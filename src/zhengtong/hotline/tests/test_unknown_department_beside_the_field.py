"""A dispatch to an unknown department puts its message beside the field, as its neighbours do.

``unknown_department`` answered ``detail.fields.department_code = "unknown"``,
where a blank code (``department_code_required``) and the action's refusals
put the message there. The code stays; the message is now beside the field,
in the reader's language. The page's dispatch forms refuse a department they
do not offer beside their department field too, and are checked to stay so.
"""

from __future__ import annotations

import pytest
from django.test import Client

from zhengtong.hotline.models import Case
from zhengtong.hotline.states import CaseState
from zhengtong.hotline.tests.api_calls import as_user, ok, post
from zhengtong.hotline.tests.cast import HotlineCast, make_hotline_cast
from zhengtong.hotline.tests.test_sign_for_twice import assigned_pollution_case


@pytest.fixture
def cast(db: None) -> HotlineCast:
    return make_hotline_cast()


def queued_case(cast: HotlineCast) -> Case:
    """The pollution case, sent back to the dispatch queue by the department."""
    case = assigned_pollution_case(cast)
    ok(
        post(
            as_user(cast.chenhuan), f"/cases/{case.number}/return", {"reason": "不属于本分局辖区。"}
        )
    )
    return Case.objects.get(pk=case.pk)


@pytest.mark.parametrize("department_code", ["no-such", "x" * 5000])
def test_the_api_puts_the_message_beside_the_department_code(
    cast: HotlineCast, department_code: str
) -> None:
    case = queued_case(cast)
    refused = ok(
        post(
            as_user(cast.dispatcher),
            f"/cases/{case.number}/dispatch",
            {"category": "环境保护", "department_code": department_code},
        ),
        400,
    )
    assert refused["code"] == "unknown_department"
    assert refused["message"].startswith("找不到")
    assert refused["detail"] == {"fields": {"department_code": refused["message"]}}
    assert Case.objects.get(pk=case.pk).state == CaseState.DISPATCHING


def test_the_api_message_beside_the_field_is_in_the_readers_language(cast: HotlineCast) -> None:
    case = queued_case(cast)
    english = as_user(cast.dispatcher)
    english.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    refused = ok(
        post(
            english,
            f"/cases/{case.number}/dispatch",
            {"category": "环境保护", "department_code": "no-such"},
        ),
        400,
    )
    assert refused["message"].startswith("There is no handling department")
    assert refused["detail"]["fields"]["department_code"] == refused["message"]


# Django's own refusal of a choice not offered, in the reader's language.
NOT_OFFERED = {"zh-hans": "选择一个有效的选项", "en": "Select a valid choice."}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dispatch_forms_show_the_refusal_beside_the_department(
    cast: HotlineCast, language: str
) -> None:
    case = queued_case(cast)
    dispatcher = Client(HTTP_ACCEPT_LANGUAGE=language)
    dispatcher.force_login(cast.dispatcher)
    prefix = f"c{case.pk}"
    sent = {f"{prefix}-category": "环境保护", f"{prefix}-department": "no-such"}
    queue_row = dispatcher.post(
        f"/hotline/dispatch/{case.number}/", sent, headers={"HX-Request": "true"}
    )
    case_page = dispatcher.post(f"/hotline/cases/{case.number}/", {"action": "dispatch", **sent})
    assert case_page.status_code == 400
    for page in (queue_row.content.decode(), case_page.content.decode()):
        beside = page.split(f'id="id_{prefix}-department_error">', 1)[1].split("</p>", 1)[0]
        assert NOT_OFFERED[language] in beside
    assert Case.objects.get(pk=case.pk).state == CaseState.DISPATCHING

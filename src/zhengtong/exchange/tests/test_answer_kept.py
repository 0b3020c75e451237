"""An answer the page refuses is shown again as the provider typed it, not thrown away."""

import re

import pytest

from zhengtong.exchange.models import AccessApplication, ApplicationState, Grant
from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import Sharing, apply_for_phone, logged_in, make_sharing

OPINION = "同意，仅限核验企业联系电话，调用日志每月报送数据局备查。"


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


def _checked(page: str) -> set[str]:
    return {
        m.group(1)
        for tag in re.findall(r"<input[^>]*>", page)
        if "checked" in tag and (m := re.search(r'value="([^"]*)"', tag)) and "item_codes" in tag
    }


def test_a_grant_refused_for_its_rate_keeps_the_opinion_items_and_rate_typed(
    sharing: Sharing,
) -> None:
    application = apply_for_phone(sharing)
    provider = logged_in(sharing.officer)
    answer = provider.post(
        f"/exchange/applications/{application.pk}/grant/",
        {"item_codes": ["phone"], "rate_per_minute": 2_000_000, "reason": OPINION},
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "请选择同意的信息项并填写调用上限" in page
    assert OPINION in page
    assert 'value="2000000"' in page
    assert _checked(page) == {"phone"}
    assert not Grant.objects.exists()


def test_a_grant_the_action_refuses_keeps_what_was_typed(sharing: Sharing) -> None:
    application = apply_for_phone(sharing)
    sharing.reader.revoked_at = application.submitted_at
    sharing.reader.save(update_fields=["revoked_at"])
    answer = logged_in(sharing.officer).post(
        f"/exchange/applications/{application.pk}/grant/",
        {"item_codes": ["name"], "rate_per_minute": 30, "reason": OPINION},
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "该接入系统已停用" in page and OPINION in page
    assert not Grant.objects.exists()


def test_a_refusal_refused_for_a_control_character_keeps_the_reason_typed(
    sharing: Sharing,
) -> None:
    application = apply_for_phone(sharing)
    reason = "用途与所申请的信息项不符\x07"
    answer = logged_in(sharing.officer).post(
        f"/exchange/applications/{application.pk}/refuse/", {"reason": reason}
    )
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "U+0007" in page
    assert 'value="用途与所申请的信息项不符' in page
    application.refresh_from_db()
    assert application.state == ApplicationState.PENDING


def test_an_answer_to_an_application_answered_meanwhile_goes_back_to_the_application(
    sharing: Sharing,
) -> None:
    application = apply_for_phone(sharing)
    provider = logged_in(sharing.officer)
    provider.post(f"/exchange/applications/{application.pk}/refuse/", {"reason": "用途不明确"})
    again = provider.post(
        f"/exchange/applications/{application.pk}/grant/",
        {"item_codes": ["name"], "rate_per_minute": 30, "reason": OPINION},
    )
    assert again.status_code == 302
    page = provider.get(again["Location"]).content.decode()
    assert "该申请已经答复或撤回" in page and "/grant/" not in page
    assert AccessApplication.objects.get().state == ApplicationState.REFUSED

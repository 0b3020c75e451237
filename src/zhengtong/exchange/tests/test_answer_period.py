"""The answer period the pages state is the configured one, not a fixed ten days."""

import pytest
from django.test import override_settings

from zhengtong.exchange.tests.cast import ExchangeCast
from zhengtong.exchange.tests.sharing import (
    BASIS,
    ENTERPRISES,
    PURPOSE,
    Sharing,
    logged_in,
    make_sharing,
)

ENTERPRISE_SLUG = ENTERPRISES.replace("/", "-")


@pytest.fixture
def sharing(cast: ExchangeCast) -> Sharing:
    return make_sharing(cast)


@override_settings(EXCHANGE_ANSWER_WORKING_DAYS=15)
def test_the_application_form_states_the_configured_answer_period(sharing: Sharing) -> None:
    html = logged_in(sharing.county_officer).get(f"/exchange/resource/{ENTERPRISE_SLUG}/apply/")
    text = html.content.decode()
    assert "提供部门在15个工作日内答复" in text
    assert "10个工作日" not in text


@override_settings(EXCHANGE_ANSWER_WORKING_DAYS=15)
def test_the_requests_page_states_the_configured_answer_period(sharing: Sharing) -> None:
    text = logged_in(sharing.officer).get("/exchange/requests/").content.decode()
    assert "须在15个工作日内答复" in text
    assert "10个工作日" not in text


@override_settings(EXCHANGE_ANSWER_WORKING_DAYS=15)
def test_the_message_after_applying_states_the_configured_answer_period(
    sharing: Sharing,
) -> None:
    sent = logged_in(sharing.county_officer).post(
        f"/exchange/resource/{ENTERPRISE_SLUG}/apply/",
        {
            "client": sharing.reader.key_id,
            "item_codes": ["name", "phone"],
            "purpose": PURPOSE,
            "legal_basis": BASIS,
            "duration_days": 180,
            "expected_per_day": 50,
        },
        follow=True,
    )
    text = sent.content.decode()
    assert "提供部门将在15个工作日内答复" in text
    assert "10个工作日" not in text

"""The alarm forms fit a 390 px phone in English, whose option texts are the longest.

The plant has an open over-limit alarm; 周检 reads the monitoring page and the
point's page in English on a phone. The close form's credit select offers
"Do not add (equipment failure, shutdown for maintenance, etc.; explain in
the note)", a sentence wider than the phone: the select and the note stay
inside their column and nothing scrolls sideways.
"""

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page
from pytest_django.live_server_helper import LiveServer

from zhengtong.regulation.models import Alarm, AlarmKind
from zhengtong.regulation.tests.test_pages import (
    PLANT_MN,
    RegulationCast,
    make_cast,
    over_limit_alarm,
)

pytestmark = [
    pytest.mark.browser,
    # The roles are seeded by data migrations; serialized rollback puts them
    # back after the live server's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def cast(live_server: LiveServer) -> RegulationCast:
    return make_cast()


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer, cast: RegulationCast) -> Iterator[Page]:
    # Logged in by a session made on the server's side, read in English.
    client = Client()
    client.force_login(cast.regulator)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(viewport=PHONE, locale="en-US")  # type: ignore[arg-type]
    context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url},
        ]
    )
    yield context.new_page()
    context.close()


def _sticking_out(page: Page, alarm: Alarm) -> list[str]:
    """The close form's fields that reach past their column or the phone's edge."""
    found: list[str] = page.evaluate(
        """(pk) => {
            const cell = document.querySelector(`#alarm-${pk} form[action$="/close/"]`);
            const limit = Math.min(cell.getBoundingClientRect().right, window.innerWidth);
            return [...cell.querySelectorAll("select, input[type=text]")]
                .filter((field) => field.getBoundingClientRect().right > limit + 0.5)
                .map((field) => `${field.name} ${field.getBoundingClientRect().right}`);
        }""",
        alarm.pk,
    )
    return found


def _sideways(page: Page) -> int:
    scrolled: int = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return scrolled


def test_the_close_form_fits_a_phone_in_english(
    phone: Page, live_server: LiveServer, cast: RegulationCast
) -> None:
    alarm = over_limit_alarm(cast)
    assert alarm.kind == AlarmKind.OVER_LIMIT
    for path in ("/regulation/monitoring/", f"/regulation/points/{PLANT_MN}/"):
        phone.goto(f"{live_server.url}{path}")
        select = phone.locator(f"#close-credit-{alarm.pk}")
        assert "Do not add" in select.inner_text()
        assert _sticking_out(phone, alarm) == [], path
        assert _sideways(phone) <= 0, path

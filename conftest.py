"""Suite-wide test set-up shared by every app's tests."""

from collections.abc import Iterator

import pytest

pytest_plugins = ["zhengtong.testing.browser", "zhengtong.testing.clock"]


@pytest.fixture(autouse=True)
def platform_language() -> Iterator[None]:
    """Start every test in the platform's language, and put it back afterwards.

    A page requested in English activates English for the thread and nothing
    deactivates it, so without this a later test that reads translated texts
    outside a request (the credit scorecard's explanations, say) would see
    English or Chinese depending on which tests ran before it.
    """
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def recorded_holiday_arrangements() -> Iterator[None]:
    """Start and end every test with no holiday notice remembered from another test.

    A process keeps the notices it read for a minute (``core/calendar.py``);
    a test's notices are rolled back with its transaction, so the next test
    must read again.
    """
    from zhengtong.core.calendar import forget_recorded_arrangements

    forget_recorded_arrangements()
    yield
    forget_recorded_arrangements()


@pytest.fixture(autouse=True)
def process_versions_known_stored() -> Iterator[None]:
    """Start and end every test with no process version remembered as stored.

    A test that runs the on-commit callbacks of application steps (with
    ``django_capture_on_commit_callbacks``) makes this process remember the
    versions they stored, and the rows are then rolled back with the test.
    """
    from zhengtong.eservices.selectors import forget_stored_process_versions

    forget_stored_process_versions()
    yield
    forget_stored_process_versions()

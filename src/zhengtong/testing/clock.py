"""``pytest --platform-clock 2026-12-31T23:57:00+08:00``: run the suite at another moment.

The platform reads the time only through ``django.utils.timezone.now`` (and
``timezone.localdate``, which calls it), so moving that one function moves
deadlines, working days, "today" and every stamp written. The moved clock
starts at the given instant and runs at the real pace. Use it to check that
the tests hold at the year's turn, just before midnight in Beijing, at a
weekend or in a year the holiday data does not cover yet. What runs outside
Django (the HJ 212 simulator's device clock, the database's own ``now()``) is
not moved.
"""

import datetime as dt
import time

import pytest
from django.utils import timezone


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--platform-clock",
        metavar="ISO_INSTANT",
        default=None,
        help="start the platform's clock at this instant with its offset, e.g. "
        "2026-12-31T23:57:00+08:00",
    )


def pytest_configure(config: pytest.Config) -> None:
    given = config.getoption("--platform-clock")
    if not given:
        return
    try:
        start = dt.datetime.fromisoformat(given)
    except ValueError:
        raise pytest.UsageError(f"--platform-clock: not an ISO 8601 instant: {given}") from None
    if start.tzinfo is None:
        raise pytest.UsageError("--platform-clock: give the offset, e.g. +08:00")
    started = time.monotonic()

    def moved_now() -> dt.datetime:
        return (start + dt.timedelta(seconds=time.monotonic() - started)).astimezone(dt.UTC)

    timezone.now = moved_now

import time
from types import SimpleNamespace

import pytest

from zhengtong.exchange import audit_writer
from zhengtong.exchange.tests.cast import ExchangeCast, make_exchange_cast

SOME_MINUTE = 29_000_000  # minutes since 1970: some time in 2025


@pytest.fixture
def cast(db: None) -> ExchangeCast:
    return make_exchange_cast()


@pytest.fixture
def one_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold the rate counter's clock inside one minute.

    A test that counts calls against a per-minute rate would otherwise see
    its calls split between two windows whenever they straddle a minute.
    """
    clock = SimpleNamespace(time=lambda: SOME_MINUTE * 60.0 + 30, monotonic=time.monotonic)
    monkeypatch.setattr(audit_writer, "time", clock)

import pytest

from zhengtong.exchange.tests.cast import ExchangeCast, make_exchange_cast


@pytest.fixture
def cast(db: None) -> ExchangeCast:
    return make_exchange_cast()

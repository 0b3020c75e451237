from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from zhengtong.ledger.tests.cast import LedgerCast, make_cast


@pytest.fixture(autouse=True)
def signing_key_file(tmp_path: Path, settings: Settings) -> Iterator[Path]:
    """Give every test its own signing key, generated on first use."""
    path = tmp_path / "keys" / "ledger_signing_key.pem"
    settings.LEDGER_SIGNING_KEY_FILE = path
    yield path


@pytest.fixture
def cast(db: None) -> LedgerCast:
    return make_cast()

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from zhengtong.licences.tests.cast import LicenceCast, make_licence_cast


@pytest.fixture(autouse=True)
def licence_key(tmp_path: Path) -> Iterator[Path]:
    """A fresh signing key per test, so that rotation and forgery tests start clean."""
    path = tmp_path / "licence_signing_key.pem"
    with override_settings(LICENCE_SIGNING_KEY_FILE=path):
        yield path


@pytest.fixture
def cast(db: None) -> LicenceCast:
    return make_licence_cast()

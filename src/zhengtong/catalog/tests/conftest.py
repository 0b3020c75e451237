import pytest

from zhengtong.catalog.tests.cast import CatalogCast, make_cast


@pytest.fixture
def cast(db: None) -> CatalogCast:
    return make_cast()

"""Each core test starts in the default language and leaves the language as it found it."""

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    # A request with Accept-Language activates that language for the thread;
    # the override puts back whatever was active before the test.
    with translation.override("zh-hans"):
        yield

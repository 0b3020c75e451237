"""Two requests at once, for the tests of races that only PostgreSQL shows.

SQLite serialises every write, so such a test skips there. Both sendings are
held at the same step (they have both checked, neither has written) and then
let go together: which one the database lets in is the race under test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

# Long enough for a slow machine, short enough that a sending stuck at the
# barrier fails the test instead of hanging it.
WAIT_S = 20


def require_postgresql() -> None:
    """Skip the test unless it runs on PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("the race needs PostgreSQL's concurrent transactions")


def meet_before(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> None:
    """Make ``owner.name`` wait until both sendings have called it, then run it for each."""
    both_checked = threading.Barrier(2, timeout=WAIT_S)
    real = getattr(owner, name)

    def together(*args: Any, **kwargs: Any) -> Any:
        both_checked.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, together)


def send_twice_at_once(send: Callable[[], None]) -> None:
    """Run ``send`` in two threads at once and wait for both."""

    def sending() -> None:
        try:
            send()
        finally:
            # Each thread has its own connection; the test's teardown cannot
            # flush the database while they are open.
            connections.close_all()

    threads = [threading.Thread(target=sending) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S * 2)

"""Watching what the identity actions write to the ledger."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from zhengtong.ledger.actions import record_entry
from zhengtong.ledger.models import LedgerEntry


@dataclass
class LedgerSpy:
    """Records the data of every entry the actions write, which the ledger keeps only hashed."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    start: int = 0

    def new_entries(self) -> list[LedgerEntry]:
        return list(LedgerEntry.objects.order_by("seq")[self.start :])

    def actions(self) -> list[str]:
        return [entry.action for entry in self.new_entries()]

    def mark(self) -> None:
        self.start = LedgerEntry.objects.count()
        self.calls.clear()


@contextmanager
def spy_on_ledger(monkeypatch: pytest.MonkeyPatch) -> Iterator[LedgerSpy]:
    spy = LedgerSpy(start=LedgerEntry.objects.count())

    def recording(**kwargs: Any) -> LedgerEntry:
        spy.calls.append(kwargs)
        return record_entry(**kwargs)

    monkeypatch.setattr("zhengtong.identity.actions.record_entry", recording)
    yield spy

"""Django's ``flush``, allowed to empty the append-only ledger tables with everything else."""

from typing import Any

from django.core.management.commands import flush

from zhengtong.ledger.triggers import flush_allowed


class Command(flush.Command):
    help = flush.Command.help + " The audit ledger is emptied too: flush erases all data."

    def handle(self, **options: Any) -> None:
        # Test cases that need real transactions flush between tests; the
        # triggers refuse every other way of removing ledger rows.
        with flush_allowed(options["database"]):
            super().handle(**options)

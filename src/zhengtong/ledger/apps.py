from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "zhengtong.ledger"
    label = "ledger"
    verbose_name = _("可信审计")

    def ready(self) -> None:
        from zhengtong.ledger.triggers import on_connection_created

        # SQLite's append-only triggers call a function that only the
        # platform's own connections define (see triggers.py).
        connection_created.connect(on_connection_created, dispatch_uid="ledger_sqlite_function")

"""Sign the ledger's current tree head now (the scheduler does this periodically)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengtong.core.actors import Actor
from zhengtong.ledger.actions import do_seal_ledger


class Command(BaseCommand):
    help = "Sign the audit ledger's current tree head; no new head if the tree has not grown."

    def handle(self, *args: Any, **options: Any) -> None:
        sth = do_seal_ledger(actor=Actor.system("ledger_seal"))
        self.stdout.write(
            _("签名树头：树大小 %(size)s，根 %(root)s，密钥 %(key)s，时间 %(at)s。")
            % {
                "size": sth.tree_size,
                "root": bytes(sth.root_hash).hex(),
                "key": sth.key_id,
                "at": timezone.localtime(sth.timestamp).isoformat(),
            }
        )

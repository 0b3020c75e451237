"""Check the whole audit ledger; name the first tampered entry; exit non-zero on any finding."""

import time
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zhengtong.ledger.signing import key_id_of, raw_public_key_from_pem
from zhengtong.ledger.verify import verify_ledger


class Command(BaseCommand):
    help = (
        "Recompute every leaf hash from the entries, rebuild the Merkle tree, and compare it "
        "with the stored subtree hashes, the head and every signed tree head. Names the first "
        "entry that was edited, deleted, inserted or reordered; exits 1 on any finding."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--trusted-key",
            action="append",
            default=[],
            metavar="PEM_FILE",
            help="Also accept signed tree heads made with this (earlier) key. Repeatable.",
        )
        parser.add_argument(
            "--chunk-size", type=int, default=50_000, help="Entries read per query."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["chunk_size"] < 1:
            raise CommandError(
                _("--chunk-size 须至少为 1，实为 %(size)s。") % {"size": options["chunk_size"]}
            )
        trusted = [_trusted_key_id(Path(p)) for p in options["trusted_key"]]
        started = time.perf_counter()
        report = verify_ledger(trusted_key_ids=trusted, chunk_size=options["chunk_size"])
        elapsed = time.perf_counter() - started
        self.stdout.write(
            _(
                "已校验 %(entries)s 条记录、%(nodes)s 个树节点、%(sths)s 个签名树头"
                "（摘要算法 %(alg)s），用时 %(seconds).1f 秒。"
            )
            % {
                "entries": report.entries_checked,
                "nodes": report.nodes_checked,
                "sths": report.signed_tree_heads_checked,
                "alg": report.hash_algorithm,
                "seconds": elapsed,
            }
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS(_("审计日志完整。")))
            return
        for finding in report.findings:
            self.stderr.write(f"{finding.kind}: {finding.message}")
        first = report.first_entry_finding
        if first is not None:
            raise CommandError(
                _("审计日志已被篡改：%(kind)s 第 %(seq)s 条。")
                % {"kind": first.kind, "seq": first.seq}
            )
        raise CommandError(_("审计日志校验未通过。"))


def _trusted_key_id(path: Path) -> str:
    """Return the key id of a key file given on the command line, or say what is wrong with it."""
    try:
        return key_id_of(raw_public_key_from_pem(path.read_bytes()))
    except (OSError, ValueError, TypeError, ImproperlyConfigured, UnsupportedAlgorithm) as error:
        raise CommandError(
            _("无法读取受信任的密钥文件 %(path)s：%(error)s") % {"path": path, "error": error}
        ) from None

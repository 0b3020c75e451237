"""Benchmark the audit ledger on a fresh, temporary database.

    python bench/ledger.py [--database-url URL] [--entries 1000000]

Without ``--database-url`` the ledger lives in a new SQLite file in a
temporary directory. With a PostgreSQL URL, a new database is created on
that server for the run and dropped afterwards; the URL's own database is
left alone. Either way the benchmark migrates the database itself.

It measures, in this order:

* raw batched appends (``record_entries``, 1,000 entries per transaction);
* the median time to build an inclusion proof from the stored subtree hashes
  at the full tree size (each proof is also checked);
* ``ledger_verify``'s whole-ledger check at the full size;
* audited actions: a no-op action through the action layer, i.e. a durable
  transaction that writes one entry with ``record_entry``, one per transaction.

Human-readable lines go first; the last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run as ``python bench/<name>.py``: make the repository's root importable for bench.common.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django, temporary_database

BATCH = 1_000
ONE_MILLION = 1_000_000


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        default="",
        help="A PostgreSQL server to create the temporary database on (default: SQLite).",
    )
    parser.add_argument("--entries", type=int, default=ONE_MILLION, help="Ledger size to reach.")
    parser.add_argument("--actions", type=int, default=3_000, help="Audited no-op actions to time.")
    parser.add_argument("--proofs", type=int, default=2_000, help="Inclusion proofs to time.")
    args = parser.parse_args(argv)
    if args.entries < BATCH:
        parser.error(f"--entries must be at least {BATCH}")
    return args


def _say(line: str) -> None:
    print(line, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction

    from zhengtong.core.actors import Actor
    from zhengtong.ledger import merkle
    from zhengtong.ledger.actions import PendingEntry, do_seal_ledger, record_entries, record_entry
    from zhengtong.ledger.selectors import inclusion_proof_for, tree_state
    from zhengtong.ledger.verify import verify_ledger

    clerk = Actor(kind="user", id="1042", label="李四")
    client = Actor(
        kind="client", id="k7f3a9c1d2e4b6a8", label="食品经营许可系统（芙蓉区市场监管局）"
    )
    actions = ("eservices.submit_application", "exchange.read_record", "core.register_person")

    def pending(n: int) -> PendingEntry:
        return PendingEntry(
            clerk if n % 3 else client,
            actions[n % len(actions)],
            "eservices.Application",
            n,
            {"application": n, "status": "accepted", "items": ["营业执照", "身份证明"]},
        )

    # 1. Raw batched appends.
    n = 0
    started = time.perf_counter()
    while n < args.entries:
        size = min(BATCH, args.entries - n)
        with transaction.atomic(durable=True):
            record_entries([pending(n + i) for i in range(size)])
        n += size
        if n % 200_000 == 0:
            _say(f"  appended {n:,} entries")
    append_s = time.perf_counter() - started
    appends_per_s = args.entries / append_s
    _say(f"batched appends: {args.entries:,} in {append_s:.1f} s = {appends_per_s:,.0f}/s")

    sth = do_seal_ledger(actor=Actor.system("bench"))
    total = tree_state().size
    _say(f"sealed: tree size {sth.tree_size:,}, root {bytes(sth.root_hash).hex()[:16]}…")

    # 2. Inclusion proofs at the full size.
    rng = random.Random(9162)
    root = bytes(sth.root_hash)
    timings: list[float] = []
    for _ in range(args.proofs):
        seq = rng.randrange(total)
        started = time.perf_counter()
        proof = inclusion_proof_for(seq, total)
        timings.append(time.perf_counter() - started)
        if not merkle.verify_inclusion(seq, total, proof.leaf_hash, proof.proof, root):
            raise SystemExit(f"inclusion proof for {seq} does not verify")
    proof_ms = statistics.median(timings) * 1000
    p95_ms = sorted(timings)[int(len(timings) * 0.95)] * 1000
    _say(f"inclusion proof at size {total:,}: median {proof_ms:.3f} ms, p95 {p95_ms:.3f} ms")

    # 3. The whole-ledger check.
    started = time.perf_counter()
    report = verify_ledger()
    verify_s = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"ledger_verify found problems: {report.findings}")
    _say(
        f"ledger_verify: {report.entries_checked:,} entries, {report.nodes_checked:,} nodes "
        f"in {verify_s:.1f} s"
    )

    # 4. Audited no-op actions, one durable transaction and one entry each
    # (after the checks above, so that those run at exactly --entries).
    def do_nothing(subject_id: int, *, actor: Actor) -> None:
        with transaction.atomic(durable=True):
            record_entry(
                actor=actor,
                action="bench.do_nothing",
                subject_type="bench.Nothing",
                subject_id=subject_id,
                data={"subject": subject_id},
            )

    started = time.perf_counter()
    for i in range(args.actions):
        do_nothing(i, actor=clerk)
    actions_s = time.perf_counter() - started
    audited_per_s = args.actions / actions_s
    _say(f"audited no-op actions: {args.actions:,} in {actions_s:.1f} s = {audited_per_s:,.0f}/s")

    # The figure asked for is at one million entries; other sizes scale it linearly.
    verify_1m_s = verify_s * ONE_MILLION / report.entries_checked
    return {
        "appends_per_s": round(appends_per_s),
        "audited_actions_per_s": round(audited_per_s),
        "inclusion_proof_ms": round(proof_ms, 4),
        "inclusion_proof_p95_ms": round(p95_ms, 4),
        "verify_s": round(verify_s, 2),
        "verify_1m_s": round(verify_1m_s, 2),
        "verify_1m_s_scaled": report.entries_checked != ONE_MILLION,
        "entries": report.entries_checked,
    }


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="zhengtong-bench-"))
    try:
        with temporary_database(args.database_url, workdir) as (database_url, vendor):
            setup_django({"DATABASE_URL": database_url, "ZHENGTONG_DATA_DIR": str(workdir)})
            _say(f"database: {vendor} (temporary), target {args.entries:,} entries")
            figures = run(args)
        print(json.dumps({"database": vendor, **figures}, ensure_ascii=False))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

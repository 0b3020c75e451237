"""Run the HJ 212-2017 receiver for online emission monitors."""

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connections

from zhengtong.regulation.hj212 import crc16_fast
from zhengtong.regulation.receiver import Receiver, serve

# The collector's thresholds (Python's defaults are 700, 10, 10): the youngest
# generation is collected every 100,000 allocations, about a thousand packets,
# the older ones rarely. Packets waiting for their commit survive a young
# collection, so frequent ones walked them again and again.
GC_THRESHOLDS = (100_000, 50, 100)
# How long a thread may keep the interpreter lock while another waits for it
# (Python's default is 5 ms). The database thread lets go of the lock for every
# SQLite statement and must win it back from the thread parsing packets: at
# 5 ms a turn, a batch's write took several times its work, while the other
# receiver processes waited for SQLite's single writer. Measured on a batch
# of 1,000 uploads beside a busy thread: 160 ms at 5 ms, 85 ms at 1 ms, 36 ms
# alone.
SWITCH_INTERVAL_S = 0.001
# A batch's points are bound one value each in some statements: a larger batch
# would gain nothing and could pass the databases' limits on bound values.
MAX_BATCH = 10_000
# The longest wait for more packets before a commit. A device waits 5 to 10 s
# for its answer (HJ 212-2017 table 1); a wait of a second already holds the
# answers of a quiet receiver back for nothing.
MAX_DELAY_MS = 1000.0


def _batch_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= MAX_BATCH:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and {MAX_BATCH:,}")
    return value


def _max_delay_ms(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    # Checked here, at start: the database thread waits this long for every
    # batch, and a wait it cannot make (infinite, not a number, negative, too
    # large for a timeout) would end that thread with an error while the
    # server went on accepting packets it could never store or answer.
    if not 0 <= value <= MAX_DELAY_MS:  # false for NaN too
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and {MAX_DELAY_MS:,.0f}")
    return value


class Command(BaseCommand):
    help = (
        "Listen for HJ 212-2017 data collectors: store their uploads and acknowledge each "
        "packet after it is committed."
    )
    # Django's system checks load every URL and API of the platform (the
    # hotline's classifier among them): 3–4 s before a restarted receiver
    # listens again, against 0.7 s without. The deployment runs them with
    # `zhengtong check --deploy` (docs/operations/deploy.md).
    requires_system_checks = ()

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 - devices connect from outside
        parser.add_argument("--port", type=int, default=9212)
        parser.add_argument(
            "--batch",
            type=_batch_size,
            default=2000,
            help=f"most packets committed together (1 to {MAX_BATCH:,})",
        )
        parser.add_argument(
            "--max-delay-ms",
            type=_max_delay_ms,
            default=5.0,
            help=(
                "longest a packet waits for others before its batch is committed "
                f"(0 to {MAX_DELAY_MS:,.0f})"
            ),
        )

        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="receiver processes sharing the port (one per core is a good start)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers = max(1, options["workers"])
        # The receiver makes many small short-lived objects (fields, items,
        # rows). Python's collector would walk the whole of Django's loaded
        # code and data again and again: what exists now is kept out of its
        # sight, and collections are rarer (GC_THRESHOLDS).
        # The CRC's tables are built now, so that they are frozen with the rest
        # and shared by the workers forked below.
        crc16_fast(b"\x00")
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.stdout.write(
            f"HJ 212 receiver on {options['host']}:{options['port']} ({workers} process(es))"
        )
        if workers == 1:
            self._run(options, reuse_port=False)
            return
        # Database connections must not cross a fork: each worker opens its own.
        connections.close_all()
        children = []
        for _ in range(workers):
            pid = os.fork()
            if pid == 0:
                try:
                    self._run(options, reuse_port=True)
                finally:
                    os._exit(0)
            children.append(pid)

        def forward(signal_number: int, _frame: object) -> None:
            for child in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal_number)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        for child in children:
            os.waitpid(child, 0)

    def _run(self, options: dict[str, Any], *, reuse_port: bool) -> None:
        receiver = Receiver(batch_size=options["batch"], max_delay=options["max_delay_ms"] / 1000)
        asyncio.run(serve(options["host"], options["port"], receiver, reuse_port=reuse_port))

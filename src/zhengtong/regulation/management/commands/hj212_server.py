"""Run the HJ 212-2017 receiver for online emission monitors."""

import asyncio
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhengtong.regulation.receiver import Receiver, serve


class Command(BaseCommand):
    help = (
        "Listen for HJ 212-2017 data collectors: store their uploads and acknowledge each "
        "packet after it is committed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 - devices connect from outside
        parser.add_argument("--port", type=int, default=9212)
        parser.add_argument(
            "--batch", type=int, default=2000, help="most packets committed together"
        )
        parser.add_argument(
            "--max-delay-ms",
            type=float,
            default=5.0,
            help="longest a packet waits for others before its batch is committed",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        receiver = Receiver(batch_size=options["batch"], max_delay=options["max_delay_ms"] / 1000)
        self.stdout.write(f"HJ 212 receiver on {options['host']}:{options['port']}")
        asyncio.run(serve(options["host"], options["port"], receiver))

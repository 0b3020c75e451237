"""Enqueue the platform's periodic tasks at their intervals until stopped."""

import logging
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

from zhengtong.operations.schedule import periodic_tasks

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Enqueue periodic tasks (ledger sealing, ...) for the task workers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Enqueue every periodic task once and exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schedule = periodic_tasks()
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        next_run = {item.task_path: 0.0 for item in schedule}
        while not stopping:
            now = time.monotonic()
            for item in schedule:
                if now >= next_run[item.task_path]:
                    # A failed enqueue (database briefly unavailable) must not
                    # stop the schedule; the next tick tries again.
                    try:
                        import_string(item.task_path).enqueue()
                        logger.info("enqueued %s", item.task_path)
                    except Exception:
                        logger.exception("could not enqueue %s", item.task_path)
                    next_run[item.task_path] = now + item.interval_s
            if options["once"]:
                return
            time.sleep(1.0)

"""Replay realistic HJ 212 traffic from N simulated monitoring points."""

import asyncio
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhengtong.core.actors import Actor
from zhengtong.core.calendar import SHANGHAI
from zhengtong.core.models import Enterprise
from zhengtong.regulation.actions import do_register_point, do_set_emission_limit
from zhengtong.regulation.models import MonitoringPoint
from zhengtong.regulation.simulator import points_for, run_device

ACTOR = Actor.system("hj212_simulate")


class Command(BaseCommand):
    help = (
        "Simulate N data collectors sending real-time uploads (CN 2011, Flag=5) to an HJ 212 "
        "receiver, resending what is not answered; --register first registers the points."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9212)
        parser.add_argument("--points", type=int, default=10)
        parser.add_argument("--count", type=int, default=20, help="uploads per point")
        parser.add_argument(
            "--interval", type=float, default=30.0, help="seconds between a point's uploads"
        )
        parser.add_argument(
            "--speed", type=float, default=1.0, help="replay speed (10: ten times real time)"
        )
        parser.add_argument(
            "--register",
            action="store_true",
            help="register the simulated points (to the first enterprise) before sending",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        points = points_for(options["points"])
        if options["register"]:
            enterprise = Enterprise.objects.order_by("pk").first()
            if enterprise is None:
                self.stderr.write("no enterprise to register the points to: run load_demo first")
                return
            for n, point in enumerate(points):
                if not MonitoringPoint.objects.filter(mn=point.mn).exists():
                    registered = do_register_point(
                        enterprise,
                        point.mn,
                        f"模拟排放口 {n + 1}",
                        point.pw,
                        actor=ACTOR,
                        system_code=point.system_code,
                        interval_s=int(options["interval"]),
                    )
                    for code, _typical, limit in point.pollutants:
                        do_set_emission_limit(registered, code, limit, actor=ACTOR)
        # A collector's DataTime is Beijing time (the receiver reads it so),
        # whatever the zone of the machine it is simulated on.
        start = dt.datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0)
        step = dt.timedelta(seconds=options["interval"])
        pause = options["interval"] / max(options["speed"], 1e-6)

        async def main() -> list[Any]:
            return await asyncio.gather(
                *(
                    run_device(
                        point,
                        options["host"],
                        options["port"],
                        count=options["count"],
                        start=start,
                        step=step,
                        window=1,
                        pause=pause,
                    )
                    for point in points
                )
            )

        reports = asyncio.run(main())
        sent = sum(r.sent for r in reports)
        acked = sum(r.acknowledged for r in reports)
        resent = sum(r.resent for r in reports)
        self.stdout.write(f"{len(points)} points: {sent} sent, {acked} answered, {resent} resent")

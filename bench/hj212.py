"""Benchmark the HJ 212 receiver over loopback, and kill it mid-stream.

    python bench/hj212.py [--database-url URL] [--points 200] [--packets 100]
                          [--window 20] [--kill-at 0.4]

The run registers ``--points`` monitoring points in a new database (SQLite
in a temporary directory, or a new database on the PostgreSQL server of
``--database-url``), starts ``zhengtong hj212_server`` as its own process,
and lets as many simulated collectors send ``--packets`` real-time uploads
each (CN 2011, Flag=5, four pollutants), each keeping ``--window`` packets
unanswered at most and resending what is not answered in time.

* ``packets_per_s``: uploads parsed, validated, stored and acknowledged per
  second, from the first send to the last acknowledgement (the devices build
  their packets, and the answers they expect, before the clock starts: on a
  real network they are other machines);
* ``lost_after_kill``: a second round sends again, the receiver is killed
  with SIGKILL when ``--kill-at`` of its uploads are acknowledged (mid-stream)
  and started again; the devices
  reconnect and resend. Every upload that was acknowledged, before or after
  the kill, must have its readings in the database: the count of those that
  do not is the figure, and it must be 0.
* ``receiver_cpu_us``, ``devices_cpu_us``, ``database_cpu_us``,
  ``idle_share``: in the first round, the CPU time the receiver's processes,
  the simulated devices and (on PostgreSQL) every PostgreSQL server process
  of this machine spent per upload sent, and the share of the machine's cores left idle
  (Linux, from ``/proc``). The devices share the receiver's cores, so
  ``packets_per_s`` moves with them and with the machine's other load.

Human-readable lines first; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import setup_django, temporary_database

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(port: int, environment: dict[str, str], workers: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "zhengtong", "hj212_server", "--port", str(port)]
    command += ["--workers", str(workers)]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        command,
        cwd=ROOT,
        env={**os.environ, **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its own process group, so SIGKILL reaches every worker at once.
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the HJ 212 receiver did not start")


def _cpu_s(pid: int) -> tuple[float, float] | None:
    """CPU seconds used so far by the receiver (its process and the workers it
    forked) and by the PostgreSQL server processes on this machine."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    receiver = database = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command's name in parentheses, then: state, ppid, ... utime, stime.
            name, rest = (entry / "stat").read_text().split("(", 1)[1].rsplit(")", 1)
        except (OSError, ValueError):
            continue
        fields = rest.split()
        if entry.name == str(pid) or fields[1] == str(pid):
            receiver += int(fields[11]) + int(fields[12])
        elif name == "postgres":
            database += int(fields[11]) + int(fields[12])
    return receiver / tick, database / tick


def _idle_s() -> float | None:
    """Idle CPU seconds of the whole machine so far (all cores)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--packets", type=int, default=100, help="uploads per point per round")
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="receiver processes"
    )
    parser.add_argument(
        "--kill-at",
        type=float,
        default=0.4,
        help="share of the second round's uploads acknowledged when the receiver is killed",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        with temporary_database(args.database_url, workdir) as (database_url, vendor):
            environment = {
                "DATABASE_URL": database_url,
                "ZHENGTONG_DATA_DIR": str(workdir / "data"),
                "ZHENGTONG_LOG_LEVEL": "ERROR",
                "ZHENGTONG_DEBUG": "0",
                "PYTHONPATH": str(ROOT / "src"),
            }
            setup_django(environment)
            result = run(args, environment, vendor)
    print(json.dumps(result, ensure_ascii=False))


def run(args: argparse.Namespace, environment: dict[str, str], vendor: str) -> dict[str, object]:
    from zhengtong.core.actors import Actor
    from zhengtong.core.testing import make_enterprise, make_person
    from zhengtong.regulation.actions import do_register_point
    from zhengtong.regulation.models import Reading
    from zhengtong.regulation.simulator import points_for, prepare_uploads, run_device

    actor = Actor.system("bench")
    enterprise = make_enterprise("长沙市基准测试化工有限公司", legal_representative=make_person())
    points = points_for(args.points, prefix="BENCH")
    for n, point in enumerate(points):
        do_register_point(enterprise, point.mn, f"排放口 {n + 1}", point.pw, actor=actor)
    print(f"{vendor}: {len(points)} points registered")

    port = _free_port()
    server = _start_server(port, environment, args.workers)
    step = dt.timedelta(seconds=30)
    began = 0.0  # when the current round's devices start sending
    # CPU of the receiver and of the devices, and the machine's idle time, at ``began``.
    at_start: tuple[tuple[float, float] | None, float, float | None] = (None, 0.0, None)

    async def round_of(start: dt.datetime, *, kill_at: float | None) -> list[Any]:
        nonlocal server, began
        acknowledged = 0
        # The devices' packets are built before the clock starts (see prepare_uploads).
        prepared = [
            (point, prepare_uploads(point, count=args.packets, start=start, step=step))
            for point in points
        ]
        # The devices stand for other machines, but here they share a process
        # with Django and the prepared packets: Python's collector walked all
        # of that whenever the devices' connections and buffers were made,
        # 140 ms at the start of a round (no upload sent meanwhile), charged to
        # the receiver's figure. What exists now is kept out of its sight, as
        # the receiver does at its start.
        gc.collect()
        gc.freeze()
        nonlocal at_start
        at_start = (_cpu_s(server.pid), time.process_time(), _idle_s())
        began = time.perf_counter()

        def counted() -> None:
            nonlocal acknowledged
            acknowledged += 1

        tasks = [
            asyncio.create_task(
                run_device(
                    point,
                    "127.0.0.1",
                    port,
                    count=args.packets,
                    start=start,
                    step=step,
                    window=args.window,
                    timeout=2.0,
                    on_ack=counted,
                    prepared=uploads,
                )
            )
            for point, uploads in prepared
        ]
        if kill_at is not None:
            target = kill_at * args.packets * len(points)
            while acknowledged < target:
                await asyncio.sleep(0.005)
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            print(f"receiver killed with SIGKILL after {acknowledged} acknowledgements; restarting")
            server = await asyncio.to_thread(_start_server, port, environment, args.workers)
        return list(await asyncio.gather(*tasks))

    costs: dict[str, float] = {}
    try:
        first = asyncio.run(round_of(dt.datetime(2026, 3, 1, 0, 0), kill_at=None))
        seconds = time.perf_counter() - began
        server_cpu, devices_cpu, idle = (
            _cpu_s(server.pid),
            time.process_time(),
            _idle_s(),
        )
        acknowledged = sum(r.acknowledged for r in first)
        packets_per_s = acknowledged / seconds
        print(
            f"{acknowledged} uploads acknowledged in {seconds:.2f} s: "
            f"{packets_per_s:,.0f} packets/s ({args.points} devices, window {args.window}, "
            f"{args.workers} receiver processes)"
        )
        # Where the machine's time went, per acknowledged upload: the figure
        # above moves with the machine's load, these show why.
        sent = sum(r.sent + r.resent for r in first)
        if server_cpu is not None and at_start[0] is not None:
            costs["receiver_cpu_us"] = round((server_cpu[0] - at_start[0][0]) / sent * 1e6, 1)
            if vendor == "postgresql":
                costs["database_cpu_us"] = round((server_cpu[1] - at_start[0][1]) / sent * 1e6, 1)
        costs["devices_cpu_us"] = round((devices_cpu - at_start[1]) / sent * 1e6, 1)
        if idle is not None and at_start[2] is not None:
            cores = os.cpu_count() or 1
            costs["idle_share"] = round((idle - at_start[2]) / (seconds * cores), 3)
        print(
            "CPU per upload: receiver {receiver_cpu_us} µs, devices {devices_cpu_us} µs, "
            "PostgreSQL server {database_cpu_us} µs; idle {idle_share} of the machine's "
            "cores".format_map(
                {"receiver_cpu_us": "?", "idle_share": "?", "database_cpu_us": "-", **costs}
            )
        )
        second = asyncio.run(round_of(dt.datetime(2026, 3, 2, 0, 0), kill_at=args.kill_at))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)

    acked = {pair for report in (*first, *second) for pair in report.acked}
    from zhengtong.core.calendar import SHANGHAI

    # Every upload carries the flow (a00000 for air, w00000 for water).
    stored = {
        (mn, f"{when.astimezone(SHANGHAI):%Y%m%d%H%M%S}")
        for mn, when in Reading.objects.filter(pollutant__in=("a00000", "w00000")).values_list(
            "point__mn", "data_time"
        )
    }
    lost = len(acked - stored)
    resent = sum(r.resent for r in second)
    print(
        f"kill round: {sum(r.acknowledged for r in second)} acknowledged, "
        f"{resent} resent; acknowledged but not stored: {lost}"
    )
    return {
        "packets_per_s": round(packets_per_s, 1),
        "lost_after_kill": lost,
        "database": vendor,
        "acknowledged": len(acked),
        "devices": args.points,
        "workers": args.workers,
        "window": args.window,
        **costs,
        "machine": (
            f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
    }


if __name__ == "__main__":
    main()

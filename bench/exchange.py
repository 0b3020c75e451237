"""Benchmark governed look-ups over HTTP against a production-style server.

    python bench/exchange.py [--database-url URL] [--rows 1000000]

Without ``--database-url`` the data lives in a new SQLite file in a temporary
directory; with a PostgreSQL URL a new database is created on that server for
the run and dropped afterwards, as in ``bench/ledger.py``.

The run publishes a catalog resource keyed by 身份证号 with plain and personal
items, loads ``--rows`` records into its hosted copy (in bulk: loading is not
what is measured), issues a department system (G2G client) a grant, and starts
the web server on a free port as production would run it (granian, see
docs/operations/deploy.md; ``--worker-class gthread`` for gunicorn). Then, in the same run and
against the same server:

* ``bare_per_s`` — an ungoverned read of a record by key through the same
  Django/ninja stack (no authentication, grant or ledger; mounted only because
  the bench sets ``ZHENGTONG_BENCH_BARE_LOOKUP=1``);
* ``governed_per_s`` and ``p99_ms`` — ``POST /api/exchange/shared/{slug}/look-up``
  with the client's token and a purpose, random keys among all the rows;
  bare and governed look-ups alternate in ``--rounds`` rounds (each kind first
  every other round), and each figure is over all of its rounds;
* ``batch_keys_per_s`` — ``batch-look-up`` with 1,000 random keys per call.

The load comes from a lean asyncio client in this process: raw sockets, HTTP/1.1
keep-alive, one request at a time per connection, every response read. Its own
CPU time is printed, since it shares the machine's cores with the server.

At the end the bench checks that the ledger and the access log each grew by
exactly one entry per governed call made. Human-readable lines go first; the
last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

# Run as ``python bench/<name>.py``: make the repository's root importable for bench.common.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django, temporary_database

# The platform's code beside this bench, which the server must run too.
SOURCE = Path(__file__).resolve().parent.parent / "src"

SLUG = "201000000-000001"
CODE = SLUG.replace("-", "/")
PURPOSE = "办理社会保险待遇资格认证"
ONE_MILLION = 1_000_000
BATCH_KEYS = 1_000
_REGIONS = ("430102", "430103", "430104", "430105", "430111", "430112", "430121", "430181")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database-url",
        default="",
        help="A PostgreSQL server to create the temporary database on (default: SQLite).",
    )
    parser.add_argument("--rows", type=int, default=ONE_MILLION, help="Records to host.")
    parser.add_argument("--requests", type=int, default=30_000, help="Look-ups per measurement.")
    parser.add_argument(
        "--rounds",
        type=int,
        default=6,
        help="Bare and governed look-ups alternate in this many rounds of each.",
    )
    parser.add_argument("--batches", type=int, default=60, help="Batch look-ups to time.")
    parser.add_argument("--connections", type=int, default=16, help="Concurrent connections.")
    parser.add_argument("--workers", type=int, default=2, help="Server worker processes.")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="Application threads per worker (default: 8 for granian, 4 for gthread).",
    )
    parser.add_argument(
        "--switch-interval-ms",
        type=float,
        default=1.0,
        help="gunicorn: set the workers' sys.setswitchinterval (0: leave Python's 5 ms).",
    )
    parser.add_argument(
        "--worker-class",
        default="granian",
        choices=["granian", "gthread", "uvicorn"],
        help="granian (WSGI, the recommended setup), gunicorn's gthread (WSGI) or uvicorn (ASGI).",
    )
    return parser.parse_args(argv)


# --- Database and Django ----------------------------------------------------------


def _environment(database_url: str, workdir: Path) -> dict[str, str]:
    """The environment shared by this process and the server: same database, same keys."""
    return {
        "ZHENGTONG_DATA_DIR": str(workdir),
        "DATABASE_URL": database_url,
        "ZHENGTONG_SECRET_KEY": secrets.token_urlsafe(50),
        "ZHENGTONG_LOG_LEVEL": "WARNING",
        "ZHENGTONG_BENCH_BARE_LOOKUP": "1",
    }


def _say(line: str) -> None:
    print(line, flush=True)


# --- The data -----------------------------------------------------------------------


def id_numbers(count: int) -> list[str]:
    """``count`` distinct valid 身份证号, spread over districts and birth dates."""
    out: list[str] = []
    day = dt.date(1950, 1, 1)
    while len(out) < count:
        for region in _REGIONS:
            stem = f"{region}{day:%Y%m%d}"
            for order in range(1, 1000):
                body = f"{stem}{order:03d}"
                total = sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
                out.append(body + _CHECK[total % 11])
                if len(out) == count:
                    return out
        day += dt.timedelta(days=1)
    return out


@dataclass(frozen=True)
class Setup:
    keys: list[str]
    token: str


def set_up(rows: int) -> Setup:
    """Publish the resource, host ``rows`` records, and issue a client with a grant."""
    from django.db import connection, transaction
    from django.utils import timezone

    from zhengtong.catalog import actions as catalog
    from zhengtong.catalog.actions import ItemInput, ResourceInput
    from zhengtong.core.actors import Actor
    from zhengtong.core.testing import make_department, make_region_tree
    from zhengtong.exchange import actions as exchange
    from zhengtong.exchange.models import DatasetVersion, Record
    from zhengtong.identity.actions import do_issue_client

    system = Actor.system("bench")
    city = make_region_tree().city
    provider = make_department("长沙市人力资源和社会保障局", code="cs-hrss", region=city)
    consumer = make_department("长沙市医疗保障局", code="cs-hs", region=city)
    personal = {
        "is_personal": True,
        "sensitivity": "sensitive",
        "share_attribute": "conditional",
        "legal_basis": "《中华人民共和国个人信息保护法》第十三条",
    }
    data = ResourceInput(
        code=CODE,
        name="社会保险参保信息",
        abstract="本市参保人员的参保登记信息。",
        keywords="社会保险 参保",
        format="database",
        share_attribute="unconditional",
        share_method="api",
        open_attribute="none",
        update_cycle="realtime",
        legal_basis="《中华人民共和国社会保险法》",
        items=[
            ItemInput("id_number", "公民身份号码", "C", 18, **personal),  # type: ignore[arg-type]
            ItemInput("name", "姓名", "C", 50, **personal),  # type: ignore[arg-type]
            ItemInput("phone", "联系电话", "C", 20, **personal),  # type: ignore[arg-type]
            ItemInput("address", "户籍地址", "C", 200, **personal),  # type: ignore[arg-type]
            ItemInput("insured", "参保状态", "C", 10),
            ItemInput("employer", "参保单位", "C", 100),
            ItemInput("since", "参保日期", "D"),
        ],
    )
    resource = catalog.do_create_resource(provider, data, actor=system)
    resource = catalog.do_submit_resource(resource, actor=system)
    resource = catalog.do_review_resource(resource, actor=system)
    resource = catalog.do_publish_resource(resource, actor=system)
    dataset = exchange.do_register_hosted_dataset(resource, "id_number", actor=system)

    # The bulk path: the load action is not what is measured here.
    keys = id_numbers(rows)
    now = timezone.now()
    surnames, given = "张王李赵刘陈杨黄周吴", "伟芳娜敏静丽强磊军洋"
    with transaction.atomic():
        version = DatasetVersion.objects.create(
            dataset=dataset,
            number=1,
            actor_ref=system.ref,
            actor_label=system.label,
            at=now,
            source_name="bench",
            sha256="0" * 64,
            accepted=rows,
            created=rows,
        )
        chunk = 20_000
        for start in range(0, rows, chunk):
            Record.objects.bulk_create(
                [
                    Record(
                        dataset=dataset,
                        key=key,
                        values={
                            "id_number": key,
                            "name": surnames[n % 10] + given[n // 10 % 10],
                            "phone": f"138{n:08d}",
                            "address": f"湖南省长沙市芙蓉区五一大道{n % 999 + 1}号",
                            "insured": "正常参保",
                            "employer": f"长沙市第{n % 97 + 1}机械厂",
                            "since": f"20{n % 24:02d}-0{n % 9 + 1}-1{n % 9}",
                        },
                        version=version,
                        updated_at=now,
                    )
                    for n, key in enumerate(keys[start : start + chunk], start)
                ],
                batch_size=2_000,
            )
    if connection.vendor == "postgresql":
        # As autovacuum would after a load this size; the planner needs the statistics.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client, secret = do_issue_client(
        consumer, "医保待遇审核系统", ["exchange.read_shared"], actor=system
    )
    application = exchange.do_apply_for_access(
        resource,
        client,
        exchange.ApplicationInput(
            purpose="医保待遇审核中核对参保人员身份",
            legal_basis="《中华人民共和国社会保险法》第八十二条",
            fields=["id_number", "name", "phone", "address"],
            clear_fields=["id_number"],
            duration_days=365,
            expected_per_day=1_000_000,
        ),
        actor=system,
    )
    exchange.do_grant_application(application, actor=system, rate_per_minute=1_000_000)
    return Setup(keys, f"{client.key_id}.{secret}")


# --- The server ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(args: argparse.Namespace, port: int, workdir: Path) -> list[str]:
    if args.worker_class == "granian":
        return [
            str(Path(sys.executable).with_name("granian")),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--blocking-threads",
            str(args.threads or 8),
            "--backlog",
            "2048",
            "zhengtong.wsgi:application",
        ]
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    common = ["--workers", str(args.workers), "--bind", f"127.0.0.1:{port}", "--backlog", "2048"]
    if args.switch_interval_ms:
        config = workdir / "gunicorn_conf.py"
        config.write_text(
            "import sys\n\n\ndef post_fork(server, worker):\n"
            f"    sys.setswitchinterval({args.switch_interval_ms / 1000!r})\n"
        )
        common += ["--config", str(config)]
    if args.worker_class == "uvicorn":
        return [
            gunicorn,
            "zhengtong.asgi:application",
            "-k",
            "uvicorn.workers.UvicornWorker",
            *common,
        ]
    return [
        gunicorn,
        "zhengtong.wsgi:application",
        "-k",
        "gthread",
        "--threads",
        str(args.threads or 4),
        *common,
    ]


@contextmanager
def running_server(
    args: argparse.Namespace, env: dict[str, str], workdir: Path
) -> Iterator[tuple[int, str]]:
    port = _free_port()
    command = server_command(args, port, workdir)
    server_env = {
        **os.environ,
        **env,
        "DJANGO_SETTINGS_MODULE": "zhengtong.settings.production",
        "ZHENGTONG_HTTPS": "0",
        "ZHENGTONG_DB_CONN_MAX_AGE": "600",
        "ZHENGTONG_ALLOWED_HOSTS": "127.0.0.1",
        # The server runs this checkout's code, as the bench process does,
        # even where another checkout is the one installed.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")])),
    }
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        command, env=server_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ledger/sth", timeout=2)
                break
            except OSError as error:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start: {error}") from None
                if getattr(error, "code", None) is not None:
                    break  # any HTTP answer means it is up
                time.sleep(0.2)
        global _server_pid
        _server_pid = process.pid
        yield port, " ".join(Path(command[0]).name if i == 0 else c for i, c in enumerate(command))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


_server_pid = 0


def _server_cpu_s() -> float:
    """CPU seconds used so far by the server's processes (Linux /proc; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    pids = [_server_pid]
    try:
        children = Path(f"/proc/{_server_pid}/task/{_server_pid}/children").read_text()
        pids += [int(p) for p in children.split()]
        total = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except OSError:
        return 0.0
    return total / ticks


# --- The load generator ----------------------------------------------------------------

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


class _Connection(asyncio.Protocol):
    """One keep-alive connection sending one request at a time."""

    def __init__(self, next_request: Callable[[], bytes | None], done: asyncio.Future[None]):
        self.next_request = next_request
        self.done = done
        self.buffer = b""
        self.started = 0
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send()

    def _send(self) -> None:
        request = self.next_request()
        assert self.transport is not None
        if request is None:
            self.transport.close()
            if not self.done.done():
                self.done.set_result(None)
            return
        self.started = time.perf_counter_ns()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        match = _CONTENT_LENGTH.search(self.buffer, 0, end + 2)
        length = int(match.group(1)) if match else 0
        if len(self.buffer) < end + 4 + length:
            return
        self.latencies.append((time.perf_counter_ns() - self.started) / 1e6)
        status = int(self.buffer[9:12])
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.buffer = self.buffer[end + 4 + length :]
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            if exc is None:
                self.done.set_result(None)
            else:
                self.done.set_exception(exc)


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    client_cpu_s: float
    server_cpu_s: float

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def _request(port: int, path: str, body: dict[str, Any], token: str | None) -> bytes:
    payload = json.dumps(body, ensure_ascii=False).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n"
        + (f"Authorization: Bearer {token}\r\n" if token else "")
        + "\r\n"
    )
    return head.encode() + payload


def _same(protocol: _Connection) -> _Connection:
    return protocol


def run_load(port: int, make: Callable[[], bytes], total: int, connections: int) -> Load:
    """Send ``total`` requests over ``connections`` keep-alive connections; read every answer."""
    remaining = total

    def next_request() -> bytes | None:
        nonlocal remaining
        if remaining <= 0:
            return None
        remaining -= 1
        return make()

    async def drive() -> list[_Connection]:
        loop = asyncio.get_running_loop()
        protocols: list[_Connection] = []
        waits: list[asyncio.Future[None]] = []
        for _ in range(min(connections, total)):
            done: asyncio.Future[None] = loop.create_future()
            protocol = _Connection(next_request, done)
            await loop.create_connection(partial(_same, protocol), "127.0.0.1", port)
            protocols.append(protocol)
            waits.append(done)
        await asyncio.gather(*waits)
        return protocols

    cpu = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = _server_cpu_s()
    started = time.perf_counter()
    protocols = asyncio.run(drive())
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = _server_cpu_s() - server_cpu
    latencies = [x for p in protocols for x in p.latencies]
    statuses: dict[int, int] = {}
    for p in protocols:
        for status, n in p.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    if len(latencies) != total:
        raise SystemExit(f"{total} requests sent, {len(latencies)} answered")
    cpu_s = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    return Load(total, seconds, latencies, statuses, cpu_s, server_cpu)


# --- The run ------------------------------------------------------------------------------


def _combined(loads: list[Load]) -> Load:
    """The rounds of one kind of look-up taken together."""
    statuses: dict[int, int] = {}
    for load in loads:
        for status, n in load.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    return Load(
        sum(load.requests for load in loads),
        sum(load.seconds for load in loads),
        [x for load in loads for x in load.latencies],
        statuses,
        sum(load.client_cpu_s for load in loads),
        sum(load.server_cpu_s for load in loads),
    )


def _counts() -> tuple[int, int]:
    from zhengtong.exchange.models import AccessLog
    from zhengtong.ledger.models import LedgerEntry

    return LedgerEntry.objects.count(), AccessLog.objects.count()


def _report(name: str, load: Load) -> None:
    _say(
        f"{name}: {load.requests:,} in {load.seconds:.1f} s = {load.per_s:,.0f}/s,"
        f" p50 {load.percentile(0.5):.1f} ms, p99 {load.percentile(0.99):.1f} ms"
        f" (server CPU {load.server_cpu_s / load.requests * 1000:.2f} ms per request,"
        f" load generator {load.client_cpu_s / load.seconds:.0%} of a core)"
        f", statuses {load.statuses}"
    )


def run(args: argparse.Namespace, env: dict[str, str], workdir: Path) -> dict[str, Any]:
    from django.db import connection

    started = time.perf_counter()
    setup = set_up(args.rows)
    connection.close()
    _say(f"set-up: {args.rows:,} records hosted in {time.perf_counter() - started:.0f} s")
    rng = random.Random(3)
    keys, token = setup.keys, setup.token

    with running_server(args, env, workdir) as (port, command):
        _say(f"server: {command}")
        look_up = f"/api/exchange/shared/{SLUG}/look-up"
        bare_path = f"/api/exchange/bench/{SLUG}/bare-look-up"
        batch_path = f"/api/exchange/shared/{SLUG}/batch-look-up"

        def governed() -> bytes:
            return _request(port, look_up, {"key": rng.choice(keys), "purpose": PURPOSE}, token)

        def bare() -> bytes:
            return _request(port, bare_path, {"key": rng.choice(keys), "purpose": PURPOSE}, None)

        def batch() -> bytes:
            chosen = rng.sample(keys, BATCH_KEYS)
            return _request(port, batch_path, {"keys": chosen, "purpose": PURPOSE}, token)

        ledger_before, log_before = _counts()
        warm = max(2_000, args.requests // 10)
        run_load(port, bare, warm, args.connections)
        warm_governed = run_load(port, governed, warm, args.connections)
        _say(f"warm-up: {warm:,} bare and {warm:,} governed look-ups")
        # Bare and governed look-ups take turns, in rounds, each kind going
        # first every other round: this machine's speed drifts within minutes,
        # and measured one after the other the ratio took the drift for a cost.
        rounds = max(1, min(args.rounds, args.requests))
        sizes = [args.requests // rounds + (i < args.requests % rounds) for i in range(rounds)]
        bare_rounds: list[Load] = []
        governed_rounds: list[Load] = []
        for index, size in enumerate(sizes):
            order = ((bare, bare_rounds), (governed, governed_rounds))
            for make, loads in order if index % 2 == 0 else order[::-1]:
                loads.append(run_load(port, make, size, args.connections))
        _say(
            "rounds, governed / bare: "
            + ", ".join(
                f"{g.per_s / b.per_s:.2f}"
                for b, g in zip(bare_rounds, governed_rounds, strict=True)
            )
        )
        bare_load = _combined(bare_rounds)
        _report("bare look-ups", bare_load)
        governed_load = _combined(governed_rounds)
        _report("governed look-ups", governed_load)
        batch_load = run_load(port, batch, args.batches, min(args.connections, 4))
        batch_keys_per_s = args.batches * BATCH_KEYS / batch_load.seconds
        _report("batch look-ups (1,000 keys)", batch_load)
        _say(f"batch: {batch_keys_per_s:,.0f} keys/s")
        ledger_after, log_after = _counts()

    calls = warm + args.requests + args.batches
    ok = (
        ledger_after - ledger_before == calls
        and log_after - log_before == calls
        and governed_load.statuses == {200: args.requests}
        and batch_load.statuses == {200: args.batches}
        and warm_governed.statuses == {200: warm}
        and bare_load.statuses == {200: args.requests}
    )
    _say(
        f"ledger check: {calls:,} governed calls made, ledger +{ledger_after - ledger_before:,},"
        f" access log +{log_after - log_before:,}: {'OK' if ok else 'MISMATCH'}"
    )
    if not ok:
        raise SystemExit("every governed call must write exactly one ledger entry and log row")
    ratio = governed_load.per_s / bare_load.per_s
    _say(f"governed / bare = {ratio:.2f}")
    return {
        "governed_per_s": round(governed_load.per_s),
        "bare_per_s": round(bare_load.per_s),
        "ratio": round(ratio, 3),
        "p50_ms": round(governed_load.percentile(0.5), 2),
        "p99_ms": round(governed_load.percentile(0.99), 2),
        "bare_p99_ms": round(bare_load.percentile(0.99), 2),
        "batch_keys_per_s": round(batch_keys_per_s),
        "ledger_check": ok,
        "rows": args.rows,
        "server": command.split(" --bind")[0],
        "connections": args.connections,
        "load_generator": "asyncio keep-alive client in the bench process",
        "load_generator_cpu": round(governed_load.client_cpu_s / governed_load.seconds, 2),
    }


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="zhengtong-bench-"))
    try:
        with temporary_database(args.database_url, workdir) as (database_url, vendor):
            env = _environment(database_url, workdir)
            setup_django(env)
            _say(
                f"database: {vendor} (temporary), {args.rows:,} rows, {os.cpu_count()} cores,"
                f" load average {os.getloadavg()[0]:.2f}"
            )
            figures = run(args, env, workdir)
        facts = {
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "machine": platform.machine(),
        }
        print(json.dumps({"database": vendor, **figures, **facts}, ensure_ascii=False))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

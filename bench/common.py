"""What the benchmarks share: a throwaway database for one run, and Django set up on it."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def temporary_database(url: str, workdir: Path) -> Iterator[tuple[str, str]]:
    """Yield (DATABASE_URL, vendor) of a database made for this run, then remove it."""
    if not url:
        yield f"sqlite:///{workdir / 'bench.sqlite3'}", "sqlite"
        return
    import dj_database_url
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    config = dj_database_url.parse(url)
    if "postgresql" not in str(config["ENGINE"]):
        raise SystemExit("--database-url must be a PostgreSQL URL")
    name = f"zhengtong_bench_{secrets.token_hex(4)}"
    parts: dict[str, Any] = {
        "host": config.get("HOST"),
        "port": config.get("PORT"),
        "user": config.get("USER"),
        "password": config.get("PASSWORD"),
    }
    # The maintenance database, to create and drop ours from.
    server = make_conninfo(dbname="postgres", **{k: v for k, v in parts.items() if v})
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}", "postgresql"
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def setup_django(environment: dict[str, str]) -> None:
    """Set up Django in this process on the run's database and migrate it.

    ``environment`` holds the platform's variables (``DATABASE_URL``,
    ``ZHENGTONG_DATA_DIR`` ...); the settings are the base settings.
    """
    os.environ.update(environment)
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhengtong.settings.base"
    os.environ.setdefault("ZHENGTONG_LOG_LEVEL", "WARNING")
    # Measure as production runs: with DEBUG on, Django keeps every query's SQL and time.
    os.environ.setdefault("ZHENGTONG_DEBUG", "0")
    src = Path(__file__).resolve().parent.parent / "src"
    if src.is_dir() and str(src) not in sys.path:
        sys.path.insert(0, str(src))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)

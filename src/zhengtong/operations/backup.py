"""Backups of an installation: the database, the files it names, and a manifest to check them by.

``take_backup`` works in this order, so that the copy is whole:

1. it writes a ledger entry (``operations.backup``): a copy of everyone's
   data is leaving the platform, and the backup holds the record of it;
2. the database: SQLite through its online backup API (a consistent copy
   while the platform runs), PostgreSQL with ``pg_dump --format=custom`` (a
   consistent snapshot of its own);
3. the files of the data directory (uploaded materials and photos,
   classifier models, training files). A file is on disk before the row that
   names it commits and is never changed afterwards, so copying the files
   after the database means every file the copy names is in the backup;
4. ``manifest.json``: the size and SHA-256 of every file, the database, the
   migrations applied and, for SQLite, the ledger's tree size and root in
   the copy.

Secrets (the secret key, the signing and pseudonym keys, API credentials:
the files only their owner may read, and the key files the settings name)
are left out unless asked for: they belong in a backup of their own, kept
apart and encrypted (docs/operations/deploy.md).

``check_backup`` recomputes every hash, checks the SQLite copy's integrity
and runs the ledger's own verification on a scratch copy of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from zhengtong.core.actors import Actor
from zhengtong.core.files import flush
from zhengtong.ledger.actions import record_entry
from zhengtong.ledger.models import LedgerHead

MANIFEST = "manifest.json"
SQLITE_COPY = "database.sqlite3"
POSTGRES_DUMP = "database.pgdump"
FILES = "files"
KEYS = "keys"
FORMAT = 1
# What SQLite keeps beside a database file while it is open.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal", ".transaction-lock")


class BackupError(Exception):
    """A backup that cannot be taken or does not check; the message says why."""


@dataclass
class Backup:
    """What a backup holds, as its manifest says."""

    path: Path
    manifest: dict[str, Any]


@dataclass
class CheckReport:
    """What checking a backup found: nothing when ``problems`` is empty."""

    files_checked: int = 0
    problems: list[str] = field(default_factory=list)
    ledger_output: str = ""


def take_backup(destination: Path, *, actor: Actor, with_keys: bool = False) -> Backup:
    """Copy the database and the data directory's files to ``destination`` (new or empty)."""
    destination = destination.resolve()
    data_dir = Path(settings.DATA_DIR).resolve()
    if destination == data_dir or data_dir in destination.parents:
        raise BackupError(f"{destination} is inside the data directory {data_dir}.")
    if destination.exists() and not destination.is_dir():
        raise BackupError(f"{destination} is a file, not a directory.")
    if destination.exists() and any(destination.iterdir()):
        raise BackupError(f"{destination} is not empty.")
    destination.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of a {vendor} database are not supported.")

    with transaction.atomic(durable=True):
        record_entry(
            actor=actor,
            action="operations.backup",
            subject_type="operations.backup",
            subject_id=destination.name,
            data={"database": vendor, "with_keys": with_keys},
        )
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "taken_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": vendor,
        "migrations": _applied_migrations(),
    }
    if vendor == "sqlite":
        manifest["ledger"] = _copy_sqlite(destination / SQLITE_COPY)
    else:
        head = LedgerHead.objects.filter(pk=LedgerHead.SINGLETON).first()
        _dump_postgresql(destination / POSTGRES_DUMP)
        # pg_dump's snapshot starts after this read: the dump holds at least these entries.
        manifest["ledger"] = {"tree_size_at_least": head.tree_size if head else 0}

    secrets = _secret_files(data_dir)
    files: dict[str, dict[str, Any]] = {}
    for source, name in _data_files(data_dir, secrets):
        files[f"{FILES}/{name}"] = _copy_file(source, destination / FILES / name)
    if with_keys:
        for source in sorted(secrets):
            target = destination / KEYS / source.name
            files[f"{KEYS}/{source.name}"] = _copy_file(source, target, owner_only=True)
    database = SQLITE_COPY if vendor == "sqlite" else POSTGRES_DUMP
    files[database] = _described(destination / database)
    manifest["files"] = dict(sorted(files.items()))
    manifest["keys_included"] = with_keys
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (destination / MANIFEST).write_text(text, encoding="utf-8")
    _flush_tree(destination)
    return Backup(destination, manifest)


def check_backup(path: Path) -> CheckReport:
    """Check a backup against its manifest, and the ledger in its SQLite copy."""
    report = CheckReport()
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise BackupError(f"{path / MANIFEST} cannot be read: {error}") from error
    listed: dict[str, dict[str, Any]] = manifest.get("files", {})
    for name, expected in listed.items():
        file = path / name
        if not file.is_file():
            report.problems.append(f"missing: {name}")
            continue
        if _described(file) != expected:
            report.problems.append(f"changed: {name}")
        report.files_checked += 1
    present = {
        str(p.relative_to(path)) for p in path.rglob("*") if p.is_file() and p.name != MANIFEST
    }
    report.problems.extend(f"not in the manifest: {name}" for name in sorted(present - set(listed)))
    if manifest.get("database") == "sqlite" and SQLITE_COPY in listed and not report.problems:
        _check_sqlite_copy(path / SQLITE_COPY, report)
    return report


def _applied_migrations() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


def _copy_sqlite(target: Path) -> dict[str, Any]:
    """Copy the database to ``target``, check it, and return the ledger's head in the copy."""
    connection.ensure_connection()
    source = connection.connection
    copy = sqlite3.connect(target)
    try:
        # Pages are copied in steps; a write in between restarts the copy, so
        # the result is the database as of one moment.
        source.backup(copy, pages=4096)
        # One self-contained file: in WAL mode (the source's) every reader of
        # the copy would leave -wal and -shm files beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise BackupError(f"the copy of the database is damaged: {verdict}")
        row = copy.execute(
            # The table's name is the model's, not input.
            f'SELECT tree_size, root_hash FROM "{LedgerHead._meta.db_table}" WHERE id = ?',  # noqa: S608
            [LedgerHead.SINGLETON],
        ).fetchone()
    finally:
        copy.close()
    if row is None:
        return {"tree_size": 0, "root_hash": ""}
    return {"tree_size": row[0], "root_hash": bytes(row[1]).hex()}


def _dump_postgresql(target: Path) -> None:
    pg_dump = _postgres_tool("pg_dump")
    params = connection.get_connection_params()
    env = {**os.environ}
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    command = [pg_dump, "--format=custom", f"--file={target}", "--no-password"]
    for option, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
        if params.get(key):
            command.append(f"{option}={params[key]}")
    command.append(str(params.get("dbname") or connection.settings_dict["NAME"]))
    # The arguments are the settings' connection parameters, passed without a shell.
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")


def _postgres_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    # Debian keeps the server's tools outside PATH, one directory per major version.
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise BackupError(f"{name} was not found; install the PostgreSQL client tools.")


def _secret_files(data_dir: Path) -> set[Path]:
    named = {
        Path(settings.LEDGER_SIGNING_KEY_FILE),
        Path(settings.LICENCE_SIGNING_KEY_FILE),
        Path(settings.INSPECTION_SEED_KEY_FILE),
    }
    # The platform creates every secret of its own readable by its owner only.
    owner_only = {p for p in data_dir.iterdir() if p.is_file() and p.stat().st_mode & 0o077 == 0}
    return {p.resolve() for p in named | owner_only if p.is_file()}


def _data_files(data_dir: Path, secrets: set[Path]) -> Iterator[tuple[Path, str]]:
    """The files to back up and their names in the backup, ``<tree>/<path>``."""
    trees = {p.name: p for p in sorted(data_dir.iterdir()) if p.is_dir()}
    media = Path(settings.MEDIA_ROOT).resolve()
    if data_dir not in media.parents:
        trees["media"] = media
    # Collected static files are made again by `collectstatic`.
    static = Path(settings.STATIC_ROOT).resolve()
    skipped = {static} | secrets | _database_files()
    for tree_name, tree in sorted(trees.items()):
        if tree.resolve() in skipped:
            continue
        for source in sorted(tree.rglob("*")):
            partial = source.name.startswith(".") and source.name.endswith(".part")
            if source.is_file() and not partial and source.resolve() not in skipped:
                yield source, f"{tree_name}/{source.relative_to(tree).as_posix()}"


def _database_files() -> set[Path]:
    if connection.vendor != "sqlite":
        return set()
    database = Path(str(connection.settings_dict["NAME"])).resolve()
    return {database} | {Path(f"{database}{suffix}") for suffix in SQLITE_SIDE_FILES}


def _copy_file(source: Path, target: Path, *, owner_only: bool = False) -> dict[str, Any]:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if owner_only else 0o777)
    shutil.copy2(source, target)
    if owner_only:
        target.chmod(0o600)
    return _described(target)


def _described(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def _flush_tree(root: Path) -> None:
    # The backup is worth something only once it is on disk, names included.
    for path in sorted(root.rglob("*"), reverse=True):
        flush(path)
    flush(root)
    flush(root.parent)


def _check_sqlite_copy(copy: Path, report: CheckReport) -> None:
    with tempfile.TemporaryDirectory(prefix="zhengtong-backup-check-") as scratch:
        # Opening the database writes to it; the backup itself stays as it was.
        database = Path(scratch) / SQLITE_COPY
        shutil.copyfile(copy, database)
        opened = sqlite3.connect(database)
        try:
            (verdict,) = opened.execute("PRAGMA integrity_check").fetchone()
        finally:
            opened.close()
        if verdict != "ok":
            report.problems.append(f"database damaged: {verdict}")
            return
        # The ledger's signed heads are checked against this installation's key.
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "ZHENGTONG_LEDGER_SIGNING_KEY_FILE": str(settings.LEDGER_SIGNING_KEY_FILE),
        }
        done = subprocess.run(
            [sys.executable, "-m", "zhengtong", "ledger_verify"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        report.ledger_output = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            report.problems.append(f"ledger: {report.ledger_output}")

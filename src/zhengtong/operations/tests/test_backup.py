"""`zhengtong backup`: a whole, checkable copy of an installation, and its check."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zhengtong.ledger.models import LedgerEntry

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    """A data directory as an installation has it: uploads, models, secrets, static files."""
    data = tmp_path / "data"
    settings.DATA_DIR = data
    settings.MEDIA_ROOT = data / "media"
    settings.STATIC_ROOT = data / "static"
    settings.LICENCE_SIGNING_KEY_FILE = data / "licence_signing_key.pem"
    settings.INSPECTION_SEED_KEY_FILE = data / "inspection_seed_key"  # none yet
    (data / "hotline-models").mkdir(parents=True)
    (data / "hotline-models" / "v1.pickle").write_bytes(b"model")
    (data / "static").mkdir()
    (data / "static" / "portal.css").write_text("body {}")
    for secret in ("secret_key", "exchange_pseudonym_key", "licence_signing_key.pem"):
        (data / secret).write_text("not to be copied")
        (data / secret).chmod(0o600)
    default_storage.save("materials/2026/12/licence.pdf", ContentFile(PDF))
    return data


def _backup(destination: Path, *options: str) -> str:
    out = io.StringIO()
    call_command("backup", str(destination), *options, stdout=out)
    return out.getvalue()


def _manifest(backup: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((backup / "manifest.json").read_text())
    return manifest


def _sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite copy and its ledger check")


def test_a_backup_holds_the_database_the_files_and_the_record_that_it_was_taken(
    data_dir: Path, tmp_path: Path
) -> None:
    _sqlite_only()
    backup = tmp_path / "backup-1"
    said = _backup(backup)
    assert "Keys are not included" in said
    manifest = _manifest(backup)
    files = manifest["files"]
    assert (backup / "files/media/materials/2026/12/licence.pdf").read_bytes() == PDF
    assert (backup / "files/hotline-models/v1.pickle").read_bytes() == b"model"
    # Neither secrets nor collected static files are copied.
    assert sorted(files) == [
        "database.sqlite3",
        "files/hotline-models/v1.pickle",
        "files/media/materials/2026/12/licence.pdf",
    ]
    assert not (backup / "keys").exists()
    # The copy holds the ledger as it was, the backup's own entry last.
    entries = LedgerEntry.objects.count()
    assert LedgerEntry.objects.order_by("-seq").first().action == "operations.backup"  # type: ignore[union-attr]
    copy = sqlite3.connect(backup / "database.sqlite3")
    try:
        (copied,) = copy.execute("SELECT count(*) FROM ledger_ledgerentry").fetchone()
    finally:
        copy.close()
    assert copied == entries == manifest["ledger"]["tree_size"]
    assert manifest["migrations"]["eservices"].startswith("00")

    checked = io.StringIO()
    call_command("backup", str(backup), "--check", stdout=checked)
    assert "The backup in" in checked.getvalue() and "checks: 3 files" in checked.getvalue()


def test_checking_finds_a_changed_file_an_extra_one_and_a_rewritten_ledger(
    data_dir: Path, tmp_path: Path
) -> None:
    _sqlite_only()
    backup = tmp_path / "backup-2"
    _backup(backup)
    material = backup / "files/media/materials/2026/12/licence.pdf"
    material.write_bytes(PDF.replace(b"Catalog", b"Katalog"))
    (backup / "files/media/extra.pdf").write_bytes(PDF)
    with pytest.raises(CommandError, match="2 problems"):
        call_command("backup", str(backup), "--check", stderr=io.StringIO())

    # Someone with the file drops the append-only triggers, rewrites an audit
    # entry, and rewrites the manifest to match.
    backup = tmp_path / "backup-3"
    _backup(backup)
    copy = sqlite3.connect(backup / "database.sqlite3")
    with copy:
        triggers = copy.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            ["ledger_ledgerentry"],
        ).fetchall()
        assert triggers
        for (name,) in triggers:
            copy.execute(f'DROP TRIGGER "{name}"')
        copy.execute(
            "UPDATE ledger_ledgerentry SET subject_id = 'elsewhere'"
            " WHERE seq = (SELECT max(seq) FROM ledger_ledgerentry)"
        )
    copy.close()
    manifest = _manifest(backup)
    rewritten = (backup / "database.sqlite3").read_bytes()
    manifest["files"]["database.sqlite3"] = {
        "size": len(rewritten),
        "sha256": hashlib.sha256(rewritten).hexdigest(),
    }
    (backup / "manifest.json").write_text(json.dumps(manifest))
    errors = io.StringIO()
    with pytest.raises(CommandError, match=r"1 problem\."):
        call_command("backup", str(backup), "--check", stdout=io.StringIO(), stderr=errors)
    assert "ledger" in errors.getvalue()


def test_keys_are_copied_only_when_asked_and_stay_owner_only(
    data_dir: Path, tmp_path: Path, settings: Any
) -> None:
    # A key the settings name outside the data directory is a key too.
    outside = tmp_path / "etc" / "ledger_signing_key.pem"
    outside.parent.mkdir()
    outside.write_text("not to be copied either")
    settings.LEDGER_SIGNING_KEY_FILE = outside
    backup = tmp_path / "with-keys"
    said = _backup(backup, "--with-keys")
    assert "Keys are not included" not in said
    keys = sorted(p.name for p in (backup / "keys").iterdir())
    assert keys == [
        "exchange_pseudonym_key",
        "ledger_signing_key.pem",
        "licence_signing_key.pem",
        "secret_key",
    ]
    assert all((backup / "keys" / k).stat().st_mode & 0o077 == 0 for k in keys)
    assert (backup / "keys" / "ledger_signing_key.pem").read_text() == "not to be copied either"
    assert _manifest(backup)["keys_included"] is True


def test_a_backup_goes_only_to_a_new_directory_outside_the_data(
    data_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="inside the data directory"):
        _backup(data_dir / "backups" / "today")
    used = tmp_path / "used"
    used.mkdir()
    (used / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="not empty"):
        _backup(used)
    with pytest.raises(CommandError, match="is a file"):
        _backup(used / "old.txt")
    with pytest.raises(CommandError, match=r"manifest\.json cannot be read"):
        call_command("backup", str(tmp_path / "nothing"), "--check")


def test_a_postgresql_backup_is_a_dump_of_the_database(data_dir: Path, tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump")
    backup = tmp_path / "pg"
    _backup(backup)
    manifest = _manifest(backup)
    assert manifest["database"] == "postgresql"
    assert (backup / "database.pgdump").read_bytes()[:5] == b"PGDMP"
    assert manifest["ledger"]["tree_size_at_least"] == LedgerEntry.objects.count()
    checked = io.StringIO()
    call_command("backup", str(backup), "--check", stdout=checked)
    assert "checks: 3 files" in checked.getvalue()

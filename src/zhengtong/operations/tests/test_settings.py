from pathlib import Path

import pytest

from zhengtong.settings.env import env_str, persistent_secret


def test_a_secret_can_come_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "key"
    secret_file.write_text("from-the-file\n", encoding="utf-8")
    monkeypatch.setenv("EXAMPLE_SECRET", "from-the-environment")
    monkeypatch.setenv("EXAMPLE_SECRET_FILE", str(secret_file))
    assert env_str("EXAMPLE_SECRET", "default") == "from-the-file"


def test_a_generated_secret_survives_a_restart(tmp_path: Path) -> None:
    first = persistent_secret(tmp_path / "secret_key")
    assert len(first) >= 50
    assert persistent_secret(tmp_path / "secret_key") == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0

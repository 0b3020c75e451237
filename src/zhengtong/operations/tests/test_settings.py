import os
import subprocess
import sys
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


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import the settings in a new interpreter, as every process does at start."""
    return subprocess.run(
        [sys.executable, "-c", "import zhengtong.settings.base"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("ZHENGTONG_EXCHANGE_ANSWER_WORKING_DAYS", "ten", "must be a whole number of at least 1"),
        ("ZHENGTONG_EXCHANGE_ANSWER_WORKING_DAYS", "0", "must be a whole number of at least 1"),
        ("ZHENGTONG_HOTLINE_CONFIDENCE", "1.5", "must be a number from 0 to 1"),
        ("ZHENGTONG_HOTLINE_CONFIDENCE", "nan", "must be a number from 0 to 1"),
        ("ZHENGTONG_HOTLINE_AREA_CODE", "731", "must be an area code such as 0731"),
    ],
)
def test_a_bad_number_stops_the_start_naming_the_variable(
    name: str, value: str, said: str, tmp_path: Path
) -> None:
    started = _start({name: value, "ZHENGTONG_DATA_DIR": str(tmp_path)})
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert f"{name} {said}; it is {value!r}." in started.stderr


def test_the_answer_period_comes_from_the_environment(tmp_path: Path) -> None:
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import zhengtong.settings.base as s; print(s.EXCHANGE_ANSWER_WORKING_DAYS)",
        ],
        env={
            **os.environ,
            "ZHENGTONG_EXCHANGE_ANSWER_WORKING_DAYS": " 15 ",
            "ZHENGTONG_DATA_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.stdout.strip() == "15", started.stderr

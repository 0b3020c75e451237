"""The production settings as an operator starts them."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path


def _zhengtong(
    tmp_path: Path, *arguments: str, secret_key: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a ``zhengtong`` command under the production settings, as a new process."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zhengtong.settings.production",
        "ZHENGTONG_ALLOWED_HOSTS": "zhengtong.gov.example",
        "ZHENGTONG_DATA_DIR": str(tmp_path),
    }
    for name in ("ZHENGTONG_SECRET_KEY", "ZHENGTONG_SECRET_KEY_FILE", "DATABASE_URL"):
        environment.pop(name, None)
    if secret_key:
        environment["ZHENGTONG_SECRET_KEY"] = secrets.token_urlsafe(50)
    return subprocess.run(
        [sys.executable, "-m", "zhengtong", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_deployment_checks_report_no_issues(tmp_path: Path) -> None:
    done = _zhengtong(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    # Any warning or error fails the command; what is left is informational
    # (where no routing model has been trained yet, say).
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNINGS:" not in done.stderr and "ERRORS:" not in done.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    done = _zhengtong(tmp_path, "check", secret_key=False)
    assert done.returncode != 0
    assert "ZHENGTONG_SECRET_KEY" in done.stderr

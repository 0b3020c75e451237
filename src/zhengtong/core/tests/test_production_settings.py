"""The production settings as an operator starts them."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from zhengtong.core.testing import run_zhengtong


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
    return run_zhengtong(list(arguments), environment)


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_deployment_guides_web_server_serves_pages_and_the_api(tmp_path: Path) -> None:
    """granian with the WSGI application, as docs/operations/deploy.md runs it."""
    for step in (("migrate", "-v0"), ("collectstatic", "--noinput", "-v0")):
        done = _zhengtong(tmp_path, *step)
        assert done.returncode == 0, done.stderr
    port = _free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zhengtong.settings.production",
        "ZHENGTONG_ALLOWED_HOSTS": "127.0.0.1",
        "ZHENGTONG_DATA_DIR": str(tmp_path),
        "ZHENGTONG_SECRET_KEY": secrets.token_urlsafe(50),
        # Behind nginx the proxy speaks TLS; this test talks to the server directly.
        "ZHENGTONG_HTTPS": "0",
    }
    environment.pop("DATABASE_URL", None)
    command = [
        str(Path(sys.executable).with_name("granian")),
        "zhengtong.wsgi:application",
        *("--interface", "wsgi", "--workers", "1", "--blocking-threads", "2"),
        *("--host", "127.0.0.1", "--port", str(port)),
    ]
    server = subprocess.Popen(
        command,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                home = urllib.request.urlopen(base + "/", timeout=5)  # noqa: S310
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        page = home.read().decode()
        assert home.status == 200 and 'lang="zh-hans"' in page and "政通" in page
        check = urllib.request.Request(  # noqa: S310
            base + "/api/core/checks/id-number",
            data=json.dumps({"id_number": "11010519491231002X"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        answer = json.loads(urllib.request.urlopen(check, timeout=5).read())  # noqa: S310
        assert answer["birth_date"] == "1949-12-31" and answer["sex"] == "F"
        bad = urllib.request.Request(  # noqa: S310
            base + "/api/core/checks/id-number",
            data=json.dumps({"id_number": "110105194912310021"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(bad, timeout=5)  # noqa: S310
            raise AssertionError("a wrong check digit was accepted")
        except urllib.error.HTTPError as refused:
            assert refused.code == 400
            assert json.loads(refused.read())["code"]
    finally:
        server.terminate()
        server.wait(timeout=20)

"""The settings a clean checkout starts with (the demo's)."""

from __future__ import annotations

import os
from pathlib import Path

from zhengtong.core.testing import run_zhengtong


def test_a_clean_checkout_does_not_show_djangos_debug_pages(tmp_path: Path) -> None:
    environment = {**os.environ, "ZHENGTONG_DATA_DIR": str(tmp_path)}
    for name in ("DJANGO_SETTINGS_MODULE", "ZHENGTONG_DEBUG"):
        environment.pop(name, None)
    probe = (
        "from django.conf import settings; from django.test import Client; "
        "answer = Client(HTTP_HOST='127.0.0.1').get('/no-such-page/'); "
        "print(settings.DEBUG, answer.status_code, b'URLconf' in answer.content)"
    )
    done = run_zhengtong(["shell", "--no-imports", "-c", probe], environment)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "404", "False"]

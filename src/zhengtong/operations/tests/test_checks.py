from pathlib import Path

from django.core import checks
from django.test import override_settings


def _messages() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks() if m.id == "zhengtong.I001"]


def test_it_says_when_the_real_data_directory_is_missing(tmp_path: Path) -> None:
    with override_settings(SHARED_DATA_DIR=tmp_path / "absent"):
        (message,) = _messages()
    assert "ZHENGTONG_SHARED_DATA" in (message.hint or "")


def test_it_is_silent_when_the_real_data_directory_is_there(tmp_path: Path) -> None:
    with override_settings(SHARED_DATA_DIR=tmp_path):
        assert _messages() == []

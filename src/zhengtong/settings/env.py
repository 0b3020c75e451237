"""Helpers that read settings from the environment, with secrets from ``*_FILE``."""

import os
import secrets
from pathlib import Path

from zhengtong.core.files import create_once


def env_str(name: str, default: str) -> str:
    """Return ``name`` from the environment, or from the file named by ``name_FILE``."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None or value == "" else int(value)


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value is None or value == "" else float(value)


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def persistent_secret(path: Path, nbytes: int = 50) -> str:
    """Return a random secret kept in ``path``, creating it on first use.

    A working default for one-machine installs: the key survives restarts
    (sessions and signatures stay valid) without anyone having to set it.
    """
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    # Two processes starting together agree on one key, and it is on disk
    # before anything is signed or pseudonymised with it.
    value = secrets.token_urlsafe(nbytes).encode()
    return create_once(path, value, mode=0o600).decode("utf-8").strip()

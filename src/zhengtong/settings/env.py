"""Helpers that read settings from the environment, with secrets from ``*_FILE``."""

import math
import os
import re
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from zhengtong.core.files import create_once


def env_str(name: str, default: str) -> str:
    """Return ``name`` from the environment, or from the file named by ``name_FILE``."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_matching(name: str, default: str, pattern: str, what: str) -> str:
    """Return ``name`` (trimmed) when it matches ``pattern`` whole, or ``default`` when unset.

    A value that does not match stops the start with the variable's name and
    ``what`` it takes, instead of every use of it failing later.
    """
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if re.fullmatch(pattern, value.strip()) is None:
        raise ImproperlyConfigured(f"{name} must be {what}; it is {value!r}.")
    return value.strip()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``name`` as a whole number within its bounds, or ``default`` when unset.

    A bad value stops the start with the variable's name and what it takes,
    instead of a bare ``int()`` traceback or a time limit of minus one day.
    """
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number{_bounds(minimum, maximum)}; it is {value!r}."
        ) from None
    _check_bounds(name, number, value, minimum, maximum, "a whole number")
    return number


def env_float(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None
) -> float:
    """Return ``name`` as a finite number within its bounds, or ``default`` when unset."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = float(value.strip())
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ImproperlyConfigured(
            f"{name} must be a number{_bounds(minimum, maximum)}; it is {value!r}."
        )
    _check_bounds(name, number, value, minimum, maximum, "a number")
    return number


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum} to {maximum}"
    if minimum is not None:
        return f" of at least {minimum}"
    if maximum is not None:
        return f" of at most {maximum}"
    return ""


def _check_bounds(
    name: str,
    number: float,
    value: str,
    minimum: float | None,
    maximum: float | None,
    kind: str,
) -> None:
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ImproperlyConfigured(
            f"{name} must be {kind}{_bounds(minimum, maximum)}; it is {value!r}."
        )


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

"""The SQLite backend: write transactions on a file database take turns on a file lock."""

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from zhengtong.core.sqlite.base import LOCK_SUFFIX, DatabaseWrapper


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker: Any) -> Iterator[None]:
    # These tests open their own SQLite files, whatever database the suite runs on.
    with django_db_blocker.unblock():
        yield


def _wrapper(path: Path | str) -> DatabaseWrapper:
    settings: dict[str, Any] = {
        **connection.settings_dict,
        "ENGINE": "zhengtong.core.sqlite",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE"},
        "HOST": "",
        "PORT": "",
        "USER": "",
        "PASSWORD": "",
    }
    return DatabaseWrapper(settings, alias=f"turns-{Path(path).name}")


def _begin(wrapper: DatabaseWrapper) -> None:
    # What ``transaction.atomic`` does on SQLite: BEGIN IMMEDIATE in autocommit mode.
    wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _end(wrapper: DatabaseWrapper, *, commit: bool = True) -> None:
    if commit:
        wrapper.commit()
    else:
        wrapper.rollback()
    wrapper.set_autocommit(True)


def _lock_is_free(database: Path) -> bool:
    descriptor = os.open(f"{database}{LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


def test_a_second_writer_waits_for_the_first_and_goes_on_when_it_commits(
    tmp_path: Path,
) -> None:
    database = tmp_path / "db.sqlite3"
    first = _wrapper(database)
    first.ensure_connection()
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    assert _lock_is_free(database)
    started, began = threading.Event(), threading.Event()

    def write() -> None:
        # A connection belongs to its thread, as Django's per-thread connections do.
        second = _wrapper(database)
        second.ensure_connection()
        started.set()
        _begin(second)
        began.set()
        with second.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
        _end(second)
        second.close()

    _begin(first)
    assert not _lock_is_free(database)  # held for the whole transaction
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    thread = threading.Thread(target=write)
    thread.start()
    started.wait(5)
    time.sleep(0.2)
    assert not began.is_set()  # queued behind the first writer
    _end(first)
    thread.join(5)
    assert began.is_set()
    assert _lock_is_free(database)  # given back by both
    with first.cursor() as cursor:
        cursor.execute("SELECT n FROM t ORDER BY n")
        assert [row[0] for row in cursor.fetchall()] == [1, 2]
    first.close()


def test_a_rollback_and_closing_give_the_turn_back(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite3"
    first = _wrapper(database)
    _begin(first)
    _end(first, commit=False)
    assert _lock_is_free(database)
    _begin(first)
    first.close()  # a connection closed mid-transaction (a crashed request)
    assert _lock_is_free(database)


def test_in_memory_databases_take_no_file_lock(tmp_path: Path) -> None:
    memory = _wrapper(":memory:")
    _begin(memory)
    _end(memory)
    assert not list(tmp_path.iterdir())

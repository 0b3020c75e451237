"""Files the platform relies on reach the disk whole before it goes on: uploads, keys, models."""

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from zhengtong.core.files import create_once, write_durably
from zhengtong.core.storage import DurableFileSystemStorage

NEEDS_PROC = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="needs /proc to name descriptors"
)


def _record_flushes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    flushed: list[Path] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        flushed.append(Path(os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    return flushed


@NEEDS_PROC
def test_a_saved_file_and_every_new_directory_above_it_are_flushed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = DurableFileSystemStorage(location=tmp_path)
    flushed = _record_flushes(monkeypatch)
    name = storage.save("hotline-photos/2026/12/photo.jpg", ContentFile(b"\xff\xd8\xff" * 10))
    saved = tmp_path.resolve() / name
    assert saved.read_bytes() == b"\xff\xd8\xff" * 10
    assert flushed == [
        saved,
        saved.parent,
        saved.parent.parent,
        saved.parent.parent.parent,
        tmp_path.resolve(),
    ]


def test_the_platform_stores_uploads_with_the_durable_storage() -> None:
    assert isinstance(storages["default"], DurableFileSystemStorage)


def test_a_key_made_by_many_processes_at_once_is_one_key_never_read_half_written(
    tmp_path: Path,
) -> None:
    contents = [bytes([n]) * 4096 for n in range(16)]
    # A race shows in some runs only: twenty of them.
    for run in range(20):
        path = tmp_path / f"keys-{run}" / "signing_key.pem"
        with ThreadPoolExecutor(max_workers=16) as pool:
            returned = list(pool.map(create_once, [path] * len(contents), contents))
        assert len(set(returned)) == 1
        assert returned[0] in contents
        assert path.read_bytes() == returned[0]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert [p.name for p in path.parent.iterdir()] == ["signing_key.pem"]


@NEEDS_PROC
def test_a_written_file_is_flushed_before_its_name_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hotline-models" / "v3.pickle"
    write_durably(path, b"first")
    flushed = _record_flushes(monkeypatch)
    write_durably(path, b"second")
    assert path.read_bytes() == b"second"
    # The temporary copy's data, then the directory that now names it.
    assert flushed[0].parent == path.parent.resolve()
    assert flushed[0].name.endswith(".part")
    assert flushed[1:] == [path.parent.resolve()]
    assert [p.name for p in path.parent.iterdir()] == ["v3.pickle"]

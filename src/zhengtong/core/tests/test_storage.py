"""Uploaded files reach the disk before the rows that point at them commit."""

import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from zhengtong.core.storage import DurableFileSystemStorage


def _record_flushes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    flushed: list[Path] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        flushed.append(Path(os.readlink(f"/proc/self/fd/{descriptor}")))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    return flushed


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name descriptors")
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

"""Uploaded files kept as durably as the database rows that point at them.

Django's file-system storage writes a file and leaves it in the operating
system's cache; the database commit that records it is flushed to disk at
once. A power cut between the two would leave an accepted material, photo or
import pointing at an empty or missing file. Files are saved before the
action's transaction commits, so flushing them here, with the directory
entries that name them, makes a committed row's file as durable as the row.
"""

from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage

from zhengtong.core.files import flush


class DurableFileSystemStorage(FileSystemStorage):
    """``FileSystemStorage`` that flushes each saved file and its directories to disk."""

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        saved = super().save(name, content, max_length=max_length)
        path = Path(self.path(saved)).resolve()
        flush(path)
        # A new file's name lives in its directory, and a new directory's
        # (upload_to with a date) in its parent: up to the storage's root.
        root = Path(self.location).resolve()
        directory = path.parent
        while True:
            flush(directory)
            if directory == root or root not in directory.parents:
                break
            directory = directory.parent
        return saved

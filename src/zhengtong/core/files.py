"""Files written so that a power cut cannot undo them once the platform relies on them.

A write returns once the data is in the operating system's cache; ``os.fsync``
waits until it is on disk. A new file also needs its directory flushed, since
that is where its name lives. Each helper here writes to a temporary name in
the same directory first, so that a reader sees either nothing or the whole
file, never part of it.
"""

import os
import tempfile
from pathlib import Path


def flush(path: Path) -> None:
    """Wait until the file or directory at ``path`` is on disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _temporary_copy(path: Path, content: bytes, mode: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def write_durably(path: Path, content: bytes, *, mode: int = 0o644) -> None:
    """Write ``content`` to ``path`` (replacing any file there) and wait until it is on disk."""
    temporary = _temporary_copy(path, content, mode)
    os.replace(temporary, path)
    flush(path.parent)


def create_once(path: Path, content: bytes, *, mode: int = 0o600) -> bytes:
    """Create ``path`` holding ``content``, or return what another process created there first.

    Two processes starting together end up with the same file, and neither
    ever reads it half written.
    """
    temporary = _temporary_copy(path, content, mode)
    try:
        # link() fails if the name exists, where rename() would replace it.
        os.link(temporary, path)
    except FileExistsError:
        return path.read_bytes()
    finally:
        os.unlink(temporary)
    flush(path.parent)
    return content

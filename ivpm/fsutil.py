"""Small file-system helpers: atomic writes, and reading files that may be hostile."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``.

    A reader sees either the old content or the new, never a partial file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        exc.filename, exc.filename2 = str(path), None  # name the file, not the temporary one
        raise
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):
            exc.filename, exc.filename2 = str(path), None
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as indented, key-sorted JSON, atomically."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


#: The most :func:`read_json` reads of one of ivpm's own records.
MAX_RECORD_BYTES = 64 * 1024 * 1024


class RefusedFile(Exception):
    """A file that is not read: not a regular file, or larger than the caller's limit.

    ``reason`` completes "PATH ...", e.g. "is a FIFO (named pipe), not a regular file".
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(path: Path, mode: int) -> RefusedFile | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "not a plain file")
    return RefusedFile(path, f"is {kind}, not a regular file")


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    A directory, FIFO, device or socket is refused (:class:`RefusedFile`) without reading from
    it: a FIFO is never opened for reading (that blocks), a device is never opened at all
    (``/dev/zero`` never ends). A file over ``limit`` bytes is refused after reading at most
    ``limit + 1``. A file that cannot be opened raises :class:`OSError`.
    """
    problem = _not_regular(path, os.stat(path).st_mode)
    if problem is not None:
        raise problem
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        problem = _not_regular(path, os.fstat(fd).st_mode)  # replaced since the stat above
        if problem is not None:
            raise problem
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1024 * 1024, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise RefusedFile(path, f"is larger than {format_size(limit)}")
    return b"".join(chunks)


def format_size(size: int) -> str:
    """``size`` bytes as ``16 MiB`` (whole MiB) or ``N bytes``."""
    mib = 1024 * 1024
    return f"{size // mib} MiB" if size >= mib and size % mib == 0 else f"{size} bytes"


def read_json(path: Path) -> Any:
    """Load one of ivpm's own JSON records; ``None`` when it cannot be taken as written.

    Missing, unreadable, not a regular file, over :data:`MAX_RECORD_BYTES`, not UTF-8, not
    JSON or nested deeper than the parser goes: all read as "nothing recorded". The caller
    still checks the shape of what it gets.
    """
    try:
        return json.loads(read_regular_file(path, MAX_RECORD_BYTES).decode("utf-8"))
    except (OSError, ValueError, RecursionError, RefusedFile):
        return None

"""The workspace lock: one native file lock on ``packages/.ivpm.lock`` per invocation."""

from __future__ import annotations

import errno
import logging
import math
import os
import sys
from pathlib import Path
from types import TracebackType

from ivpm import layout
from ivpm.errors import LockTimeout, UsageError, display_path
from ivpm.fsutil import write_text_atomic

log = logging.getLogger("ivpm")

_NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


def lock_timeout_from_env() -> float:
    """``IVPM_LOCK_TIMEOUT`` in seconds; unset or empty means wait for ever (-1)."""
    raw = os.environ.get("IVPM_LOCK_TIMEOUT", "").strip()
    if not raw:
        return -1.0
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"IVPM_LOCK_TIMEOUT must be a number of seconds, not '{raw}'") from None
    if math.isnan(value) or value < 0:
        raise UsageError(f"IVPM_LOCK_TIMEOUT must be 0 or more seconds, not '{raw}'")
    return value


class WorkspaceLock:
    """Serializes every ivpm process that writes under one ``packages/`` directory.

    The lock file is never deleted; a second process waits (saying for whom) until the first
    releases it, or until ``timeout`` seconds pass, which raises :class:`LockTimeout`.
    """

    def __init__(self, packages_dir: Path, *, timeout: float) -> None:
        self.packages_dir = packages_dir
        self.timeout = timeout
        self._lock: object | None = None

    def __enter__(self) -> WorkspaceLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock, waiting as ``timeout`` allows."""
        from filelock import FileLock, Timeout

        if os.path.lexists(self.packages_dir) and not self.packages_dir.is_dir():
            raise UsageError(
                f"{self.packages_dir} is not a directory",
                hint="ivpm keeps its environment and sources there; move that file away",
            )
        try:
            self.packages_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"cannot create {self.packages_dir}: {exc.strerror}",
                hint="check the permissions of the project directory",
            ) from None
        path = layout.workspace_lock(self.packages_dir)
        try:
            lock = FileLock(str(path), preserve_lock_file=True)
        except TypeError:  # filelock releases before 3.20 never delete the file anyway
            lock = FileLock(str(path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            log.warning("waiting for %s to finish (it holds %s)", self._owner(), path)
            try:
                lock.acquire(timeout=self.timeout)
            except Timeout:
                raise LockTimeout(
                    f"gave up after {self.timeout:g} s waiting for the workspace lock {path}, "
                    f"held by {self._owner()}",
                    hint="wait for that run to finish, or raise IVPM_LOCK_TIMEOUT",
                ) from None
        except OSError as exc:
            raise UsageError(
                f"cannot lock {path}: {exc.strerror}",
                hint="check that packages/ is writable",
            ) from None
        self._lock = lock
        program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "ivpm"
        if program == "__main__.py":
            program = "ivpm"
        owner = f"{program} (pid {os.getpid()}): {' '.join([program, *sys.argv[1:]])}\n"
        try:
            write_text_atomic(layout.workspace_lock_owner(self.packages_dir), owner)
        except OSError as exc:
            if exc.errno not in _NOT_WRITABLE:
                return  # the note only words the "waiting for ..." message
            # The lock file was there already, but nothing new can be made in packages/: the
            # sources and the environment could not be changed either.
            self.release()
            raise UsageError(
                f"cannot write in {display_path(self.packages_dir)}: {exc.strerror}",
                hint=f"make {display_path(self.packages_dir)} writable (a read-only mount, the "
                "folder's mode, or an immutable attribute: see 'ls -ld' and 'lsattr -d')",
            ) from None

    def release(self) -> None:
        """Let the next waiting process in."""
        lock = self._lock
        self._lock = None
        if lock is not None:
            lock.release()  # type: ignore[attr-defined]

    def _owner(self) -> str:
        try:
            owner = layout.workspace_lock_owner(self.packages_dir)
            return owner.read_text(encoding="utf-8").strip()
        except OSError:
            return "another ivpm process"

"""The workspace lock: one native file lock on ``packages/.ivpm.lock`` per invocation."""

from __future__ import annotations

import errno
import logging
import math
import os
import sys
import time
from pathlib import Path
from types import TracebackType

from ivpm import layout
from ivpm.errors import LockTimeout, UsageError, display_path
from ivpm.fsutil import write_text_atomic
from ivpm.replay import record
from ivpm.replay import watch as replay_watch

log = logging.getLogger("ivpm")

_NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
_CONTENDED = frozenset({errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK})
_POLL_SECONDS = 0.05

# The lock files this process holds (real paths): a wait on one of them would never end.
_held: set[str] = set()


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
        self._held_as: str | None = None

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
        """Take the lock, waiting as ``timeout`` allows, and forget the replay record: what it
        describes may change from now on."""
        with replay_watch.paused():
            self._acquire()
            record.forget(os.path.join(self.packages_dir, record.RECORD_NAME))
        replay_watch.lock_taken()

    def _acquire(self) -> None:
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
            _say_waiting(self.packages_dir)
            try:
                lock.acquire(timeout=self.timeout)
            except Timeout:
                raise _gave_up(self.packages_dir, self.timeout) from None
        except OSError as exc:
            raise UsageError(
                f"cannot lock {path}: {exc.strerror}",
                hint="check that packages/ is writable",
            ) from None
        self._lock = lock
        self._held_as = os.path.realpath(path)
        _held.add(self._held_as)
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
        if self._held_as is not None:
            _held.discard(self._held_as)
            self._held_as = None
        if lock is not None:
            with replay_watch.paused():
                lock.release()  # type: ignore[attr-defined]


def wait_for_workspace(packages_dir: Path, *, timeout: float) -> None:
    """Wait until no process holds the workspace lock of ``packages_dir``, then go on at once.

    For readers such as ``ivpm activate`` that must not start in the middle of an update but
    must not hold the update up either. Nothing is created or written: with no lock file there
    is nothing to wait for, and a lock file this process cannot open or lock is passed by. A
    lock this process holds itself (``ivpm -s update activate``) is not waited for. Waits as
    ``timeout`` allows (-1: for ever), then raises :class:`LockTimeout`.
    """
    path = layout.workspace_lock(packages_dir)
    if os.path.realpath(path) in _held:
        return
    try:
        # os.open makes a descriptor the exec'd command does not inherit.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return
    try:
        if _lock_shared(fd):
            return
        _say_waiting(packages_dir)
        deadline = None if timeout < 0 else time.monotonic() + timeout
        while not _lock_shared(fd):
            if deadline is not None and time.monotonic() >= deadline:
                raise _gave_up(packages_dir, timeout)
            time.sleep(_POLL_SECONDS)
    finally:
        os.close(fd)  # lets the shared lock go


def _lock_shared(fd: int) -> bool:
    """Take a shared lock on ``fd`` without blocking; False while someone holds it exclusively.

    Where locking fails for another reason (no flock on this file system), there is no holder
    to see: True.
    """
    try:
        import fcntl
    except ImportError:  # no flock on this platform
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno not in _CONTENDED
    return True


def _say_waiting(packages_dir: Path) -> None:
    replay_watch.spoil("waited for the workspace lock")  # a replay must not say it waits
    log.warning(
        "waiting for %s to finish (it holds %s)",
        _owner(packages_dir),
        layout.workspace_lock(packages_dir),
    )


def _gave_up(packages_dir: Path, timeout: float) -> LockTimeout:
    return LockTimeout(
        f"gave up after {timeout:g} s waiting for the workspace lock "
        f"{layout.workspace_lock(packages_dir)}, held by {_owner(packages_dir)}",
        hint="wait for that run to finish, or raise IVPM_LOCK_TIMEOUT",
    )


def _owner(packages_dir: Path) -> str:
    """Who holds the lock, as its owner note says."""
    try:
        owner = layout.workspace_lock_owner(packages_dir)
        return owner.read_text(encoding="utf-8").strip()
    except OSError:
        return "another ivpm process"

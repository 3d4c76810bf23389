"""Watching one run for what it reads, writes and starts, so that a run which changed nothing
can be recorded for :mod:`ivpm.replay.record`.

Reads come from the interpreter's audit events (``open``, ``os.listdir``, ``os.scandir``) and
from ``os.stat``/``os.lstat``/``os.access`` (which raise none), wrapped while the run lasts.
Any write (the workspace lock's own files aside), any process started, any network connection
or change of directory spoils the run: it is not recorded and the next run does the work again.
"""

from __future__ import annotations

import logging
import os
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

from ivpm import layout
from ivpm.replay import record

#: The sessions whose answer depends only on files, the command line and the environment.
REPLAYABLE_SESSIONS = frozenset(
    {"update", "fetch", "venv", "install_setup_deps", "install", "build", "paths", "activate"}
)
log = logging.getLogger("ivpm")

_SPOILING_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.posix_spawn",
        "os.spawn",
        "os.system",
        "os.fork",
        "os.forkpty",
        "os.rename",
        "os.remove",
        "os.rmdir",
        "os.symlink",
        "os.link",
        "os.truncate",
        "os.chmod",
        "os.chown",
        "os.utime",
        "os.chdir",
        "os.kill",
        "shutil.rmtree",
        "shutil.copyfile",
        "shutil.copytree",
        "shutil.move",
        "tempfile.mkstemp",
        "tempfile.mkdtemp",
        "socket.connect",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "urllib.Request",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class Watch:
    """What one run has read, printed and done so far."""

    def __init__(self, argv: Sequence[str]) -> None:
        # Anything modified after this moment may not be in what the run printed: the entry
        # does not trust it (record.unchanged's racy rule).
        self.started_ns = time.time_ns()
        self.key = record.run_key(argv)
        self.cwd: str = self.key["cwd"]
        self.project = record.project_dir_of(argv, self.cwd)
        self.env_before = dict(os.environ)
        # Each path's signature, taken when the run first looked at it.
        self.paths: dict[tuple[str, str], record.Signature] = {}
        self._local = threading.local()  # .signing: this thread is taking a signature
        self.output: list[tuple[int, str]] = []
        self.spoiled: str | None = None
        # Every run that takes the workspace lock writes a new owner note.
        self.lock_owner = os.path.join(
            record.record_dir(self.project or self.cwd), layout.WORKSPACE_LOCK_OWNER_NAME
        )
        self.lock_owner_before = record.signature(self.lock_owner, record.STAT)

    def took_lock(self) -> None:
        """This run took the workspace lock (and wrote the owner note itself)."""
        self.lock_owner_before = record.signature(self.lock_owner, record.STAT)

    def lock_taken_by_another(self) -> bool:
        """Whether another run took the workspace lock since this one started (or since it
        took the lock itself): what this run read may be changing under it."""
        return record.signature(self.lock_owner, record.STAT) != self.lock_owner_before

    def spoil(self, why: str) -> None:
        """Mark the run as not recordable (the first reason is kept, for ``-v``)."""
        if self.spoiled is None:
            self.spoiled = why

    def saw(self, path: object, kind: str) -> None:
        """Note that ``path`` was looked at as ``kind``."""
        if isinstance(path, int):
            return
        try:
            text = os.fsdecode(path)  # type: ignore[arg-type]
        except TypeError:
            return
        full = os.path.join(self.cwd, text)  # not normalized: ".." after a link is the kernel's
        if full.startswith(("/proc/", "/dev/", "/sys/")) or full.endswith(".pyc"):
            return  # modules are covered by their source files (see _code)
        if _is_own_file(full) or (full, kind) in self.paths:
            return
        if getattr(self._local, "signing", False):
            return  # signature() stats and lists through the wrapped functions
        self._local.signing = True
        try:
            self.paths[(full, kind)] = record.signature(full, kind)
        finally:
            self._local.signing = False

    def opened(self, path: object, mode: object, flags: object) -> None:
        """An ``open`` audit event: a read to note, or a write that spoils the run."""
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if not writes:
            self.saw(path, record.STAT)
        elif not isinstance(path, int):  # the workspace lock's own writes are not watched
            self.spoil(f"wrote {os.fsdecode(path)}")  # type: ignore[arg-type]

    def entry(self, exit_code: int) -> record.Entry:
        """The record entry for this run: the signatures taken as it looked at each path,
        plus those of the modules it loaded (call it once the watch has ended)."""
        paths = [[path, kind, signature] for (path, kind), signature in self.paths.items()]
        paths += [[path, record.STAT, record.signature(path, record.STAT)] for path in _code()]
        return {
            "key": self.key,
            "project": self.project,
            "started_ns": self.started_ns,
            "paths": paths,
            "output": self.output,
            "exit": exit_code,
        }


def _is_own_file(path: str) -> bool:
    return record.is_own_file(os.path.basename(path))


def _code() -> list[str]:
    """The source files of every module the run loaded from outside the standard library
    (ivpm's own, PyYAML's, packaging's, ...): an edited or upgraded ivpm answers afresh."""
    stdlib = sysconfig.get_paths()["stdlib"] + os.sep
    files: list[str] = []
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and not path.startswith(stdlib):
            files.append(str(path))
    return files


class _Current:
    """The watch of this process's run, if one is running."""

    watch: Watch | None = None
    hook_installed = False


_current = _Current()


def _on_event(event: str, args: tuple[Any, ...]) -> None:
    watch = _current.watch
    if watch is None:
        return
    try:
        if event == "open":
            watch.opened(*args[:3])
        elif event in ("os.listdir", "os.scandir"):
            watch.saw(args[0] if args[0] is not None else ".", record.LIST)
        elif event == "os.mkdir":
            if not os.path.isdir(args[0]):
                watch.spoil(f"made {args[0]}")
        elif event == "os.exec":
            _record_exec(watch, args)
        elif event in _SPOILING_EVENTS:
            watch.spoil(event)
    except Exception as bug:  # an audit hook must not break the run it watches
        watch.spoil(f"watch error {bug!r}")


def _record_exec(watch: Watch, args: tuple[Any, ...]) -> None:
    """``activate -c`` replaces ivpm with the command: record the run now if it is clean."""
    path, argv, env = args
    _current.watch = None
    if watch.spoiled is not None or watch.output:
        return
    if watch.lock_taken_by_another():
        return
    watch.saw(os.fsdecode(path), record.STAT)
    changed: dict[str, str | None] = {}
    new_env = {os.fsdecode(k): os.fsdecode(v) for k, v in env.items()}
    for name, value in new_env.items():
        if watch.env_before.get(name) != value:
            changed[name] = value
    for name in watch.env_before:
        if name not in new_env:
            changed[name] = None
    started = {"path": os.fsdecode(path), "args": [os.fsdecode(a) for a in argv], "env": changed}
    _write(watch, 0, started)


def _write(watch: Watch, exit_code: int, started: dict[str, Any] | None = None) -> None:
    """Write the run's entry; a failure to record never fails the run itself."""
    if watch.project is None:
        return
    try:
        entry = watch.entry(exit_code)
        if started is not None:
            entry["exec"] = started
        record.add_entry(watch.project, entry)
    except Exception as error:
        log.debug("not recorded for replay: %r", error)


class _Tee:
    """A text stream that passes writes through and keeps them for the record."""

    def __init__(self, stream: IO[str], fd: int, watch: Watch) -> None:
        self._stream = stream
        self._fd = fd
        self._watch = watch

    def write(self, text: str) -> int:
        self._watch.output.append((self._fd, text))
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":  # bytes written there would not be kept
            self._watch.spoil("wrote to a binary stream")
        return getattr(self._stream, name)


def _wrapped(
    original: Callable[..., Any], kind_of: Callable[[dict[str, Any]], str]
) -> Callable[..., Any]:
    def looking(path: Any, *args: Any, **kwargs: Any) -> Any:
        watch = _current.watch
        if watch is not None and kwargs.get("dir_fd") is None:
            watch.saw(path, kind_of(kwargs))
        return original(path, *args, **kwargs)

    return looking


@contextmanager
def watching(argv: Sequence[str]) -> Iterator[Watch | None]:
    """Watch the run inside the block (one per process; nested calls are not watched, nor is
    a run outside a project or in a directory that no longer exists)."""
    try:
        watch = Watch(argv)
    except OSError:
        watch = None
    if watch is None or _current.watch is not None or watch.project is None:
        yield None
        return
    if not _current.hook_installed:
        sys.addaudithook(_on_event)
        _current.hook_installed = True
    saved = (os.stat, os.lstat, os.access, sys.stdout, sys.stderr)
    os.stat = _wrapped(os.stat, _stat_kind)
    os.lstat = _wrapped(os.lstat, lambda _: record.LSTAT)
    os.access = _wrapped(os.access, _stat_kind)
    sys.stdout = _Tee(sys.stdout, 1, watch)
    sys.stderr = _Tee(sys.stderr, 2, watch)
    _current.watch = watch
    try:
        yield watch
    finally:
        _current.watch = None
        os.stat, os.lstat, os.access, sys.stdout, sys.stderr = saved


def _stat_kind(kwargs: dict[str, Any]) -> str:
    return record.STAT if kwargs.get("follow_symlinks", True) else record.LSTAT


def session_started(name: str) -> None:
    """The runner starts session ``name``: one whose answer depends on more than files
    spoils the run."""
    watch = _current.watch
    if watch is not None and name not in REPLAYABLE_SESSIONS:
        watch.spoil(f"session {name}")


def project_known(
    project_dir: os.PathLike[str] | None, packages_dir: os.PathLike[str] | None
) -> None:
    """The run's project and packages folder, once resolved: a project found elsewhere than
    the fast check would look, or a ``deps-dir:`` of its own, cannot be answered early."""
    watch = _current.watch
    if watch is None:
        return
    if project_dir is None or watch.project is None or os.fspath(project_dir) != watch.project:
        watch.spoil("another project")
    elif packages_dir is None or os.fspath(packages_dir) != record.record_dir(watch.project):
        watch.spoil("deps-dir")


def sessions_finished(exit_code: int) -> None:
    """Every selected session has run (the workspace lock is still held): record the run when
    it ended well and changed nothing."""
    watch = _current.watch
    if watch is None:
        return
    _current.watch = None
    if watch.lock_taken_by_another():
        watch.spoil("another run took the workspace lock")
    if exit_code != 0 or watch.spoiled is not None:
        log.debug("not recorded for replay: %s", watch.spoiled or f"exit {exit_code}")
        return
    _write(watch, exit_code)


def lock_taken() -> None:
    """This process took the workspace lock (its owner note is now this run's)."""
    if _current.watch is not None:
        _current.watch.took_lock()


def spoil(why: str) -> None:
    """Keep the run being watched (if any) from being recorded."""
    if _current.watch is not None:
        _current.watch.spoil(why)


@contextmanager
def paused() -> Iterator[None]:
    """Leave what happens inside the block out of the watch (the workspace lock's own files)."""
    watch, _current.watch = _current.watch, None
    try:
        yield
    finally:
        _current.watch = watch

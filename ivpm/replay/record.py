"""The replay record ``packages/.ivpm-replay``: reading, checking, writing, forgetting.

This module is imported before anything else on every run, so it uses the standard library's
cheapest parts only (no pathlib, no dataclasses, no json: marshal reads the record several
times faster than json is imported). A record holds entries; each entry is the key
of one run (command line, directory, environment, terminals, interpreter, ivpm version), the
stat signature of every path that run looked at, what it printed and how it ended.
"""

from __future__ import annotations

import marshal
import os
import stat
import sys
import zlib
from typing import TYPE_CHECKING

from ivpm import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, TypeAlias

    Signature: TypeAlias = list[int] | None
    Entry: TypeAlias = dict[str, Any]

RECORD_NAME = ".ivpm-replay"
WORKSPACE_LOCK_NAME = ".ivpm.lock"  # layout.WORKSPACE_LOCK_NAME (layout imports pathlib)
FORMAT = 1
MAX_ENTRIES = 4
#: Variables a shell changes between otherwise identical commands; ivpm reads none of them.
VOLATILE_ENV = frozenset({"_", "OLDPWD", "PWD", "SHLVL"})
#: File systems stamp times from a coarse clock (a few ms): a file changed this close before
#: the recorded run started may change again without its signature changing.
RACY_NS = 50_000_000

#: How a path was looked at: its content (opened, or stat'ed as a file), its entries (listed),
#: or only what it is (a directory stat'ed, or a link lstat'ed).
STAT, LSTAT, LIST = "stat", "lstat", "list"


def run_key(argv: Sequence[str]) -> dict[str, Any]:
    """What must be equal for a run to give the same answer, besides the files it read."""
    return {
        "argv": list(argv),
        "cwd": os.getcwd(),
        "env": {k: v for k, v in os.environ.items() if k not in VOLATILE_ENV},
        "tty": [_isatty(fd) for fd in (0, 1, 2)],
        "python": sys.executable,
        "platform": [sys.platform, os.uname().machine],
        "ivpm": __version__,
    }


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def signature(path: str, kind: str) -> Signature:
    """What changes when ``path`` changes the way ``kind`` looked at it; None when it does not
    exist. A file: its stat fields. A directory listed: its identity and entry names. A
    directory stat'ed (not listed): its identity and type only, so a new file elsewhere in it
    does not count as a change."""
    try:
        st = os.lstat(path) if kind == LSTAT else os.stat(path)
    except (OSError, ValueError):
        return None
    identity = [st.st_mode, st.st_ino, st.st_dev]
    if kind == LIST and stat.S_ISDIR(st.st_mode):
        return [*identity, _names_digest(path)]
    if stat.S_ISDIR(st.st_mode):
        return identity
    return [*identity, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _names_digest(directory: str) -> int:
    """A digest of a directory's entries, by name and type (ivpm's own workspace files left
    out: writing the record or the lock's owner note must not change the listing it records)."""
    try:
        with os.scandir(directory) as entries:
            names = sorted(
                f"{e.name}/{'l' if e.is_symlink() else 'd' if e.is_dir() else 'f'}"
                for e in entries
                if not is_own_file(e.name)
            )
    except OSError:
        return -1
    return zlib.crc32("\0".join(names).encode("utf-8", "surrogateescape"))


def is_own_file(name: str) -> bool:
    """Whether a file name is one of the workspace lock's or the replay record's files."""
    return name.startswith((RECORD_NAME, WORKSPACE_LOCK_NAME))


def project_dir_of(argv: Sequence[str], cwd: str) -> str | None:
    """The project a command line names with ``-p``/``--project-dir``, else the nearest
    directory from ``cwd`` upward that holds ``ivpm.yaml`` (as the full run finds it)."""
    for index, word in enumerate(argv):
        if word == "--":
            break
        value: str | None = None
        if word in ("-p", "--project-dir") and index + 1 < len(argv):
            value = argv[index + 1]
        elif word.startswith("--project-dir="):
            value = word.partition("=")[2]
        elif word.startswith("-p") and not word.startswith("--") and len(word) > 2:
            value = word[2:]
        if value is not None:
            return os.path.abspath(os.path.join(cwd, value))
    directory = cwd
    while True:
        if os.path.isfile(os.path.join(directory, "ivpm.yaml")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def record_dir(project_dir: str) -> str:
    """The folder of a project's replay record: the default ``packages`` folder only (the fast
    check cannot read ``deps-dir:`` from ivpm.yaml without loading it)."""
    return os.path.join(project_dir, "packages")


def record_file(project_dir: str) -> str:
    """Where a project's replay record lives."""
    return os.path.join(record_dir(project_dir), RECORD_NAME)


def read_entries(path: str) -> list[Entry]:
    """The entries of the record at ``path``; none when it is missing, unreadable or of
    another format."""
    try:
        with open(path, "rb") as handle:
            data = marshal.load(handle)
    except (OSError, ValueError, EOFError, TypeError):
        return []
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return []
    entries = data.get("entries")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def find_entry(argv: Sequence[str]) -> Entry | None:
    """The entry that answers this run: same key, and no path it read has changed since."""
    key = run_key(argv)
    project = project_dir_of(argv, key["cwd"])
    if project is None:
        return None
    for entry in read_entries(record_file(project)):
        if entry.get("key") == key and entry.get("project") == project and _complete(entry):
            return entry if unchanged(entry) else None
    return None


def _complete(entry: Entry) -> bool:
    """Whether an entry has every field an answer needs, of the right kind."""
    started = entry.get("exec")
    return (
        isinstance(entry.get("started_ns"), int)
        and isinstance(entry.get("paths"), list)
        and isinstance(entry.get("output"), list)
        and isinstance(entry.get("exit"), int)
        and (started is None or isinstance(started, dict))
    )


def unchanged(entry: Entry) -> bool:
    """True when every path of ``entry`` still has its recorded signature and none was
    modified after the recorded run started, or too close before it, to be trusted."""
    trusted_before = int(entry["started_ns"]) - RACY_NS
    for path, kind, recorded in entry["paths"]:
        if signature(path, kind) != recorded:
            return False
        if recorded is not None and len(recorded) == 6 and max(recorded[4:]) >= trusted_before:
            return False
    return True


def add_entry(project_dir: str, entry: Entry) -> None:
    """Write ``entry`` into the project's record (replacing one with its key, keeping the
    newest few), atomically; a record that cannot be written is simply not there."""
    path = record_file(project_dir)
    kept = [e for e in read_entries(path) if e.get("key") != entry["key"]]
    data = {"format": FORMAT, "entries": [*kept[-(MAX_ENTRIES - 1) :], entry]}
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as handle:
            marshal.dump(data, handle)
        os.replace(temporary, path)
    except OSError:
        forget(temporary)


def forget(path: str) -> None:
    """Remove a record (or a leftover temporary file); missing is fine."""
    try:
        os.unlink(path)
    except OSError:
        return


def answer(entry: Entry) -> int:
    """Print what the recorded run printed and return its exit status. A reader that goes
    away (``ivpm paths | head -1``) ends the answer, as it ends a full run's output."""
    try:
        for fd, text in entry["output"]:
            (sys.stdout if fd == 1 else sys.stderr).write(text)
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return int(entry["exit"])


def start_recorded(entry: Entry) -> None:
    """``activate -c``: start the recorded command with the recorded changes to the
    environment (raises OSError when it cannot start any more)."""
    started = entry["exec"]
    env = dict(os.environ)
    for name, value in started["env"].items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    os.execve(started["path"], started["args"], env)

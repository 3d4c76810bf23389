"""Running external commands (git, pip, uv, compilers) with captured output.

A command that prints nothing at all (not one byte on its combined stdout and stderr) for
``IVPM_SILENCE_TIMEOUT`` seconds (see :func:`ivpm.netlimits.silence_timeout`) and did no work
in that time either (no CPU time and no bytes read by it or its descendants, as ``/proc``
tells) is stopped, together with the processes it started, and :class:`CommandStalled` is
raised: a server that accepts a connection and never answers cannot hang ivpm while it holds
the workspace lock, while a long quiet download or build goes on.

The command stays in ivpm's own process group, so Ctrl-C at a terminal and a signal to the
whole group (``kill -- -PGID``, a CI job being cancelled) reach it as before. Its descendants
are found through ``/proc`` where there is one; elsewhere only the command itself is stopped.
A ``detached`` command (a step that must not stop halfway, such as moving a checkout) runs in
a session of its own instead, and is waited for when ivpm is interrupted.
"""

from __future__ import annotations

import contextlib
import locale
import logging
import os
import selectors
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ivpm.netlimits import silence_timeout as silence_timeout_from_env

log = logging.getLogger("ivpm")

#: Seconds a stopped command gets between SIGTERM and SIGKILL.
STOP_GRACE = 2.0
_FIRST_LOOK = 1.0  # seconds of quiet before the work is first counted
_READ_SIZE = 65536
_live_lock = threading.Lock()
_live: set[subprocess.Popen[bytes]] = set()


@dataclass(frozen=True)
class CommandResult:
    """What a finished command printed and how it exited."""

    argv: tuple[str, ...]
    returncode: int
    output: str


class CommandFailed(Exception):
    """A command exited non-zero (or could not be started); ``output`` is its combined output."""

    def __init__(self, argv: Sequence[str], returncode: int, output: str) -> None:
        super().__init__(f"{shlex.join(argv)} exited with status {returncode}")
        self.argv = tuple(argv)
        self.returncode = returncode
        self.output = output


class CommandStalled(CommandFailed):
    """A command printed nothing for ``silence`` seconds and was stopped.

    ``output`` is what it printed before, followed by a line saying why ivpm stopped it.
    """

    def __init__(self, argv: Sequence[str], returncode: int, output: str, silence: float) -> None:
        note = stall_note(argv, silence)
        output = f"{output.rstrip()}\n{note}" if output.strip() else note
        super().__init__(argv, returncode, output)
        self.silence = silence
        self.args = (f"{shlex.join(argv)} printed nothing for {seconds_text(silence)} s",)


def seconds_text(value: float) -> str:
    """``3`` for 3.0, ``2.5`` for 2.5."""
    return str(int(value)) if value == int(value) else f"{value:g}"


def program_name(argv: Sequence[str]) -> str:
    """The name to call a command by: ``pip`` for ``python -m pip ...``, else its program."""
    if len(argv) >= 3 and argv[1] == "-m":
        return argv[2]
    return os.path.basename(argv[0]) if argv else "the command"


def stall_note(argv: Sequence[str], silence: float) -> str:
    """The line that explains why a silent command was stopped."""
    return (
        f"ivpm: {program_name(argv)} printed nothing for {seconds_text(silence)} s and was "
        "stopped (IVPM_SILENCE_TIMEOUT sets how long to wait; 0 waits for ever)"
    )


def run_command(
    argv: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    silence_timeout: float | None = None,
    detached: bool = False,
) -> CommandResult:
    """Run ``argv`` with stdout and stderr captured together.

    The command line is logged at debug level (shown with ``-v``). With ``check`` (the default)
    a non-zero exit raises :class:`CommandFailed` carrying the output; a missing program raises
    it too, with status 127. A command silent for ``silence_timeout`` seconds (default:
    ``IVPM_SILENCE_TIMEOUT`` of ivpm's own environment; 0: no limit) is stopped and raises
    :class:`CommandStalled`, whatever ``check`` says. An exception while waiting (Ctrl-C)
    stops the command before it propagates. A ``detached`` command runs in a session of its
    own, so a Ctrl-C at the terminal (or a signal to ivpm's process group) does not reach it: a
    step that must never stop halfway (moving a checkout) finishes first.
    """
    args = [os.fspath(part) for part in argv]
    limit = silence_timeout_from_env(os.environ) if silence_timeout is None else silence_timeout
    log.debug("$ %s", shlex.join(args))
    try:
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=detached,
        )
    except FileNotFoundError as exc:
        raise CommandFailed(args, 127, f"{args[0]}: command not found ({exc})") from exc
    except OSError as exc:  # not executable, a folder, ...
        raise CommandFailed(args, 126, f"{args[0]}: cannot run it ({exc.strerror})") from exc
    assert proc.stdout is not None
    if not detached:  # abort_commands leaves a detached command to finish
        with _live_lock:
            _live.add(proc)
    try:
        data, stalled = _collect(proc, limit)
        if stalled:
            _stop(proc)
        else:
            proc.wait()
    except BaseException:
        if detached:  # Ctrl-C must not stop it halfway: let it finish first
            proc.wait()
        else:
            _stop(proc)
        raise
    finally:
        with _live_lock:
            _live.discard(proc)
        proc.stdout.close()
    output = _decode(data)
    if stalled:
        raise CommandStalled(args, proc.returncode, output, limit)
    result = CommandResult(tuple(args), proc.returncode, output)
    if check and proc.returncode != 0:
        raise CommandFailed(args, proc.returncode, output)
    return result


def abort_commands() -> None:
    """Stop every command :func:`run_command` is running, in any thread (for Ctrl-C).

    Worker threads waiting on those commands then see them fail and finish.
    """
    with _live_lock:
        running = list(_live)
    for proc in running:
        _stop(proc)


def _collect(proc: subprocess.Popen[bytes], limit: float) -> tuple[bytes, bool]:
    """Read the command's output until end of file; True as well when it went silent.

    Silent means no output for ``limit`` seconds and no work (CPU, bytes read) by the command
    and its descendants since its first quiet moment: the work is first counted only once
    the command has been quiet for a while, so a short command costs no look into /proc.
    Silence after the command itself exited (a descendant still holds the pipe) ends the
    reading without being a stall.
    """
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    chunks: list[bytes] = []
    counted = False
    work: int | None = None
    quiet_from = time.monotonic()
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            timeout: float | None = None
            if limit > 0:
                left = quiet_from + limit - time.monotonic()
                first = min(_FIRST_LOOK, limit / 2)
                timeout = max(0.0, min(left, first) if not counted else left)
            if selector.select(timeout):
                chunk = os.read(fd, _READ_SIZE)
                if not chunk:
                    return b"".join(chunks), False
                chunks.append(chunk)
                quiet_from, counted = time.monotonic(), False
                continue
            if proc.poll() is not None:
                return b"".join(chunks), False
            if not counted:
                counted, work = True, _work_done(proc.pid)
                continue
            if time.monotonic() - quiet_from < limit:
                continue
            before, work = work, _work_done(proc.pid)
            if work is None or work != before:
                quiet_from = time.monotonic()  # quiet but busy (a download, a build)
                continue
            return b"".join(chunks), True


def _decode(data: bytes) -> str:
    """The output as text, as ``subprocess`` in text mode gives it (universal newlines)."""
    text = data.decode(locale.getpreferredencoding(False), errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the command and its descendants; SIGKILL whatever is left after a grace."""
    if proc.poll() is not None:
        return
    family = _descendants(proc.pid)
    _signal(proc.pid, signal.SIGTERM)
    for pid, _ in family:
        _signal(pid, signal.SIGTERM)
    try:
        proc.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        _signal(proc.pid, signal.SIGKILL)
        proc.wait()
    for pid, started in family:
        if _start_time(pid) == started:
            _signal(pid, signal.SIGKILL)


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _descendants(root: int) -> list[tuple[int, str]]:
    """Every process below ``root`` as (pid, start time), read from ``/proc`` (Linux)."""
    children: dict[int, list[tuple[int, str]]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append((int(entry), fields[19]))
    found: list[tuple[int, str]] = []
    pending = [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child[0])
    return found


def _work_done(root: int) -> int | None:
    """CPU ticks plus bytes read so far by ``root`` and its descendants (None: /proc cannot
    tell, so silence alone decides)."""
    total = 0
    for pid in (root, *(pid for pid, _ in _descendants(root))):
        fields = _stat_fields(pid)
        if fields is None:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        try:
            with open(f"/proc/{pid}/io", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("rchar:"):
                        total += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return total if os.path.isdir("/proc/self") else None


def _start_time(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return None if fields is None else fields[19]


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name: state, ppid, ... (None: gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode("ascii", errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields if len(fields) > 19 else None

"""User-facing error types and their one-screen rendering.

Every error a user can cause is an :class:`IvpmError`. The CLI catches these, prints
:meth:`IvpmError.render` and exits with :attr:`IvpmError.exit_code`; nothing the user did
wrong ever shows a Python traceback.
"""

from __future__ import annotations

import difflib
import errno
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_SESSION_FAILED = 1
EXIT_USAGE = 2
EXIT_SELECTION = 3
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Location:
    """A position in a file: 1-based line and column."""

    path: Path
    line: int
    col: int

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}:{self.col}"


def name_list(names: Sequence[str], limit: int = 5) -> str:
    """``names`` joined for a message, the first ``limit`` of them: ``a, b and 3 more``."""
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def display_path(path: Path) -> str:
    """Show ``path`` relative to the working directory when it lies below it.

    A path below the working directory as written (through a symbolic link in it, e.g. a
    linked ``packages/<name>``) is shown as written; otherwise its real path is compared.
    """
    try:
        cwd = Path.cwd()
        written = Path(os.path.abspath(path))
        if written.is_relative_to(cwd):
            return str(written.relative_to(cwd))
        return str(path.resolve().relative_to(cwd.resolve()))
    except (ValueError, OSError):
        return str(path)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or an empty string."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{matches[0]}'?)" if matches else ""


class IvpmError(Exception):
    """Base of every error the user can cause; rendered without a traceback."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        """The text shown to the user (no trailing newline)."""
        text = f"error: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(IvpmError):
    """Bad command-line arguments or environment settings (exit 2)."""


class ConfigError(IvpmError):
    """An invalid ivpm.yaml (or other input file), pointing at the offending location."""

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        *,
        hint: str | None = None,
        related: Sequence[tuple[str, Location]] = (),
    ) -> None:
        super().__init__(message, hint=hint)
        self.location = location
        self.related = tuple(related)

    def render(self) -> str:
        """``file:line:col: error: message``, the source line and a caret under the column."""
        if self.location is None:
            lines = [f"error: {self.message}"]
        else:
            lines = [f"{self.location}: error: {self.message}"]
            lines.extend(_source_excerpt(self.location))
        for note, location in self.related:
            lines.append(f"{location}: note: {note}")
            lines.extend(_source_excerpt(location))
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class SelectionError(IvpmError):
    """An unknown session name or a cycle among sessions' requirements (exit 3)."""

    exit_code = EXIT_SELECTION


class SessionFailure(IvpmError):
    """A session could not do its work (exit 1); ``details`` holds e.g. a tool's own output."""

    exit_code = EXIT_SESSION_FAILED

    def __init__(self, message: str, *, details: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.details = details

    def render(self) -> str:
        """The message, then the captured tool output indented under it."""
        text = f"error: {self.message}"
        if self.details.strip():
            body = "\n".join("  | " + line for line in self.details.rstrip().splitlines())
            text += "\n" + body
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class LockTimeout(IvpmError):
    """The workspace lock could not be taken within ``IVPM_LOCK_TIMEOUT`` seconds."""

    exit_code = EXIT_SESSION_FAILED


_NOT_ALLOWED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
_NO_SPACE = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded"}


def file_system_error(exc: BaseException, packages: Path | None) -> IvpmError | None:
    """The user-facing error for an :class:`OSError` the environment caused, else None.

    A file ivpm may not write (permissions, ``chattr +i``, a read-only mount) is exit 2: the
    environment must be fixed, nothing is wrong with ivpm. A full disk or quota is exit 1: the
    session could not finish; the next run, once there is space, repairs what it left.
    ``packages`` is the project's ``packages/`` folder (None without a project), where ivpm's
    own writes go. Any other exception is left to the caller (None).
    """
    if not isinstance(exc, OSError) or exc.errno is None:
        return None
    named = exc.filename if exc.filename is not None else exc.filename2
    where = display_path(Path(os.fsdecode(named))) if named is not None else None
    reason = exc.strerror or os.strerror(exc.errno)
    if exc.errno in _NO_SPACE:
        return SessionFailure(
            f"{_NO_SPACE[exc.errno]} while writing {where or 'a file'}",
            hint="free some space and run ivpm again: the next run repairs what this one "
            "left unfinished",
        )
    if exc.errno not in _NOT_ALLOWED:
        return None
    inside = (
        named is not None and packages is not None and _is_below(Path(os.fsdecode(named)), packages)
    )
    if exc.errno == errno.EROFS or inside or named is None:
        folder = display_path(packages) if packages is not None else "packages"
        return UsageError(
            f"cannot write {where or 'a file'}: {reason}",
            hint=f"ivpm writes its environment and sources below {folder}/: make it writable "
            "(a read-only mount, the file mode, or an immutable attribute: see 'ls -ld' and "
            "'lsattr -d'); the next run then repairs what this one left unfinished",
        )
    return UsageError(
        f"cannot use {where}: {reason}", hint=f"check the permissions of {where} and its folders"
    )


def _is_below(path: Path, folder: Path) -> bool:
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(folder))
    except ValueError:
        return False
    return True


def _source_excerpt(location: Location) -> list[str]:
    try:
        with location.path.open(encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == location.line:
                    line = text.rstrip("\n").expandtabs(1)
                    if len(line) > 200:
                        return []
                    caret = " " * (max(location.col, 1) - 1) + "^"
                    return [f"  {line}", f"  {caret}"]
    except OSError:
        pass
    return []

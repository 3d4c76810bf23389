"""Running external commands (git, pip, uv, compilers) with captured output."""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("ivpm")


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


def run_command(
    argv: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> CommandResult:
    """Run ``argv`` with stdout and stderr captured together.

    The command line is logged at debug level (shown with ``-v``). With ``check`` (the default)
    a non-zero exit raises :class:`CommandFailed` carrying the output; a missing program raises
    it too, with status 127.
    """
    args = [os.fspath(part) for part in argv]
    log.debug("$ %s", shlex.join(args))
    try:
        completed = subprocess.run(
            args,
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            check=False,
        )
    except FileNotFoundError as exc:
        raise CommandFailed(args, 127, f"{args[0]}: command not found ({exc})") from exc
    result = CommandResult(tuple(args), completed.returncode, completed.stdout)
    if check and completed.returncode != 0:
        raise CommandFailed(args, completed.returncode, completed.stdout)
    return result

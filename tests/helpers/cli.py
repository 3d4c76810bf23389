"""Running the installed ``ivpm`` command as a real subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


def ivpm_executable() -> str:
    """The ``ivpm`` console script installed beside the interpreter running the tests."""
    script = Path(sys.executable).parent / "ivpm"
    return str(script) if script.exists() else "ivpm"


def default_signals() -> None:
    """``preexec_fn`` of every ivpm the tests start: SIGINT as from a terminal.

    A job started with ``&`` by a non-interactive shell has SIGINT ignored, and children
    inherit that across ``exec`` (``restore_signals`` covers only SIGPIPE, SIGXFZ and SIGXFSZ);
    Python then installs no KeyboardInterrupt handler, so an ivpm the tests interrupt would
    not stop. Resetting it in the child makes ivpm behave as it does for a user.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_ivpm(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
    preexec: Callable[[], None] = default_signals,
) -> subprocess.CompletedProcess[str]:
    """Run ``ivpm ARGS`` in ``cwd`` and capture its output (never raises on a non-zero exit).

    ``preexec`` prepares the child before ``exec`` (default: :func:`default_signals`). ivpm
    runs with bytecode caching, as for users (see ``hermetic_env``).
    """
    full_env = dict(os.environ)
    full_env.pop("DEBUG", None)
    full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    full_env["NO_COLOR"] = "1"
    if env:
        full_env.update(env)
    return subprocess.run(
        [ivpm_executable(), *(os.fspath(arg) for arg in args)],
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=preexec,
    )

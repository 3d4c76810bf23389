"""Choosing the base Python interpreter of the project environment."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping

from ivpm.errors import UsageError

PYTHON_ENV_VAR = "IVPM_PYTHON"


def resolve_python(option: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Return the absolute path of the interpreter to build ``packages/python`` from.

    The ``--python`` value wins, then ``IVPM_PYTHON``, then the interpreter running ivpm (its
    base interpreter when ivpm itself runs inside a virtual environment, so that the project
    environment never depends on another environment). A value containing a path separator is
    a path; a bare name (``python3.12``) is looked up on ``PATH``. Nothing is executed.
    """
    env = os.environ if environ is None else environ
    if option:
        return _locate(option, "--python", env)
    configured = env.get(PYTHON_ENV_VAR, "").strip()
    if configured:
        return _locate(configured, PYTHON_ENV_VAR, env)
    return _running_base_interpreter()


def _locate(value: str, origin: str, env: Mapping[str, str]) -> str:
    """Resolve a ``--python``/``IVPM_PYTHON`` value to an executable file."""
    if os.sep in value or (os.altsep and os.altsep in value):
        path = os.path.abspath(os.path.expanduser(value))
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        raise UsageError(
            f"{origin} {value}: no executable interpreter at {path}",
            hint="give the path of a Python executable, or a name on PATH such as python3.12",
        )
    found = shutil.which(value, path=env.get("PATH"))
    if found is None:
        raise UsageError(
            f"{origin} {value}: no such interpreter on PATH",
            hint=f"install {value}, give its full path, or leave out {origin} to use "
            "the interpreter running ivpm",
        )
    return os.path.abspath(found)


def _running_base_interpreter() -> str:
    """The interpreter running ivpm, or the base interpreter of the venv it runs in."""
    base = getattr(sys, "_base_executable", None)
    if sys.prefix != sys.base_prefix and isinstance(base, str) and os.path.isfile(base):
        return base
    return sys.executable

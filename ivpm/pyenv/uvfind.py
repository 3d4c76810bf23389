"""Locating a uv binary: ``IVPM_UV``, then the ``uv`` Python package, then ``PATH``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

from ivpm.errors import UsageError

UV_ENV_VAR = "IVPM_UV"


def find_uv(environ: Mapping[str, str] | None = None) -> str | None:
    """Return the path of the uv binary ivpm should use, or ``None`` when there is none.

    Looks at ``IVPM_UV`` first (a path to a uv binary; set but not an executable file is a
    usage error), then the binary shipped by the ``uv`` Python package (``pip install
    'ivpm[uv]'``), then ``uv`` on ``PATH``.
    """
    env = os.environ if environ is None else environ
    configured = env.get(UV_ENV_VAR, "").strip()
    if configured:
        if os.path.isfile(configured) and os.access(configured, os.X_OK):
            return os.path.abspath(configured)
        raise UsageError(
            f"{UV_ENV_VAR}={configured} is not an executable uv binary",
            hint=f"point {UV_ENV_VAR} at a uv executable, or unset it to let ivpm search",
        )
    packaged = _packaged_uv()
    if packaged is not None:
        return packaged
    return shutil.which("uv", path=env.get("PATH"))


def _packaged_uv() -> str | None:
    """The binary of the ``uv`` Python package, when that package is installed and intact."""
    try:
        import uv
    except ImportError:
        return None
    try:
        path = uv.find_uv_bin()
    except (FileNotFoundError, OSError, AttributeError):
        return None
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None

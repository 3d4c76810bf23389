"""The pip wheel that seeds every new environment: the one bundled with virtualenv.

virtualenv is a dependency of ivpm and ships a pip wheel for each Python version it supports.
Seeding every backend from that wheel makes ``bin/pip`` appear without any index access, and
gives the same pip (and nothing else: no setuptools, no wheel) whichever backend built the
environment.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("ivpm")


def bundled_pip_wheel(python_version: str) -> Path | None:
    """The pip wheel virtualenv bundles for ``python_version`` ("3.11" or "3.11.7"), if any."""
    major_minor = ".".join(python_version.split(".")[:2])
    try:
        from virtualenv.seed.wheels.embed import get_embed_wheel

        wheel = get_embed_wheel("pip", major_minor)
    except Exception as exc:  # virtualenv's layout is not a stable API: fall back quietly
        log.debug("no bundled pip wheel from virtualenv: %s", exc)
        return None
    path = getattr(wheel, "path", None) if wheel is not None else None
    return Path(path) if path is not None and Path(path).is_file() else None

"""Checks of a source package that ``status`` reports, made from its files alone."""

from __future__ import annotations

import os
from pathlib import Path

NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")
_SKIPPED_DIRS = {"build", "dist", "__pycache__", "node_modules"}


def has_built_extension(package_dir: Path) -> bool:
    """True when a compiled extension module (``*.so``, ``*.pyd``) lies in the source tree.

    ``build/``, ``dist/`` and hidden folders are not looked at: an in-place build (what an
    editable install and ``ivpm build`` do) puts the module beside its sources.
    """
    for _, dirs, files in os.walk(package_dir):
        dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith(".")]
        if any(name.endswith(NATIVE_SUFFIXES) for name in files):
            return True
    return False

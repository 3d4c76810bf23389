"""Where the shared cache lives, and whether a path lies in it (import-light: no lock library)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

#: The environment variable that names the cache folder.
CACHE_ENV = "IVPM_CACHE"


def cache_root(env: Mapping[str, str] | None = None) -> Path:
    """The cache folder: ``IVPM_CACHE``, else ``$XDG_CACHE_HOME/ivpm``, else ``~/.cache/ivpm``.

    A relative ``IVPM_CACHE`` is taken against the current directory. The folder need not
    exist yet.
    """
    environ = os.environ if env is None else env
    named = environ.get(CACHE_ENV, "").strip()
    if named:
        return Path(os.path.abspath(os.path.expanduser(named)))
    xdg = environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "ivpm"
    return Path(os.path.expanduser("~")) / ".cache" / "ivpm"


def is_cached(path: Path, root: Path | None = None) -> bool:
    """True when ``path`` (symlinks resolved) lies inside the cache folder ``root``.

    ``packages/<name>`` of a ``cache: true`` dep is a symbolic link to its entry, so this is
    true for it; such a tree is read-only and shared by every project that links it.
    """
    real = os.path.realpath(path)
    real_root = os.path.realpath(root if root is not None else cache_root())
    try:
        return os.path.commonpath([real, real_root]) == real_root and real != real_root
    except ValueError:
        return False


def is_cache_link(path: Path, root: Path | None = None) -> bool:
    """True when ``path`` is a symbolic link into the cache (its target may be gone)."""
    return path.is_symlink() and is_cached(path, root)

"""``packages/<name>`` as a symbolic link to a cache entry: made or re-pointed atomically."""

from __future__ import annotations

import os
from pathlib import Path

from ivpm.fetch.staging import temp_path


def link_entry(entry: Path, dest: Path) -> bool:
    """Make ``dest`` a symbolic link to ``entry``; False when it already was one.

    ``dest`` must be missing or a symbolic link; an existing link is replaced in one rename,
    so ``dest`` is never missing in between.
    """
    target = str(entry)
    if dest.is_symlink() and os.readlink(dest) == target:
        return False
    if os.path.lexists(dest) and not dest.is_symlink():
        raise FileExistsError(f"{dest} exists and is not a link into the cache")
    temp = temp_path(dest.parent, dest.name)
    os.symlink(target, temp, target_is_directory=True)
    try:
        os.replace(temp, dest)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return True

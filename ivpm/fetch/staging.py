"""Temporary directories beside ``packages/<name>`` and the atomic move into place.

A fetch builds its result under ``packages/.tmp-<name>-<8 hex>`` and renames it to
``packages/<name>`` only when complete, so an interrupted fetch never leaves a half-made
``packages/<name>``; leftovers are removed on the next run.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

_TEMP = re.compile(r"^\.tmp-(?P<name>.+)-[0-9a-f]{8}$")


def temp_path(packages_dir: Path, name: str) -> Path:
    """A fresh, not yet existing ``packages/.tmp-<name>-XXXXXXXX`` path."""
    while True:
        candidate = packages_dir / f".tmp-{name}-{os.urandom(4).hex()}"
        if not os.path.lexists(candidate):
            return candidate


def make_temp_dir(packages_dir: Path, name: str) -> Path:
    """Create and return an empty temporary directory beside ``packages/<name>``."""
    while True:
        candidate = temp_path(packages_dir, name)
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate


def remove_path(path: Path) -> None:
    """Delete a file, a symlink (never its target) or a directory tree; missing is fine."""
    try:
        if path.is_symlink() or not path.is_dir():
            path.unlink()
        else:
            shutil.rmtree(path)
    except FileNotFoundError:
        pass


def clean_stale_temps(packages_dir: Path, names: Iterable[str]) -> None:
    """Remove temporary entries that an interrupted earlier fetch of one of ``names`` left."""
    wanted = set(names)
    try:
        entries = list(os.scandir(packages_dir))
    except FileNotFoundError:
        return
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match and match["name"] in wanted:
            remove_path(Path(entry.path))


def move_into_place(temp: Path, dest: Path) -> None:
    """Rename the finished ``temp`` to ``dest``; fail rather than replace an existing entry."""
    if os.path.lexists(dest):
        raise FileExistsError(f"{dest} appeared while it was being fetched")
    os.rename(temp, dest)


def swap_into_place(new: Path, dest: Path) -> None:
    """Put ``new`` at ``dest``; an existing ``dest`` is renamed aside first, then removed.

    A link replacing a link is one atomic rename. Otherwise an interruption between the two
    renames leaves ``dest`` absent (made again by the next run) and the old entry under a
    temporary name the next run removes; a failure puts the old entry back.
    """
    if not os.path.lexists(dest):
        move_into_place(new, dest)
        return
    if new.is_symlink() and dest.is_symlink():
        os.replace(new, dest)
        return
    aside = temp_path(dest.parent, dest.name)
    os.rename(dest, aside)
    try:
        move_into_place(new, dest)
    except BaseException:
        os.rename(aside, dest)
        raise
    remove_path(aside)


def is_within(path: Path, root: Path) -> bool:
    """True when ``path`` (symlinks resolved) lies at or below ``root`` (resolved)."""
    real = os.path.realpath(path)
    real_root = os.path.realpath(root)
    try:
        return os.path.commonpath([real, real_root]) == real_root
    except ValueError:
        return False

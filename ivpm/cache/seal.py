"""Making a cache entry read-only, writable again (to remove it), or copying it writable.

Sealed files are 0444, or 0555 when any execute bit was set; directories are 0555. Symbolic
links are left as they are (their mode means nothing on Linux). A file or directory that
already has its sealed mode is not touched again, so sealing part of a tree first (a git
checkout's work tree, before its index is refreshed) and the rest later changes no ctime twice.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Collection
from pathlib import Path

from ivpm.fetch.staging import remove_path

_FILE = 0o444
_EXEC = 0o555
_DIR = 0o555
_WRITABLE_DIR = 0o755


def seal_tree(root: Path, *, skip: Collection[str] = ()) -> int:
    """Make everything under ``root`` read-only and return the files' total size in bytes.

    ``skip`` names entries directly under ``root`` that are left untouched (and uncounted);
    ``root`` itself is sealed only when nothing is skipped.
    """
    total = 0
    for top in os.scandir(root):
        if top.name in skip:
            continue
        if top.is_dir(follow_symlinks=False):
            total += _seal_dir(Path(top.path))
        else:
            total += _seal_entry(Path(top.path))
    if not skip:
        _chmod(root, _DIR)
    return total


def _seal_dir(folder: Path) -> int:
    total = 0
    for current, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            total += _seal_entry(Path(current, name))
        for name in dirs:
            path = Path(current, name)
            if path.is_symlink():
                continue
            _chmod(path, _DIR)
    _chmod(folder, _DIR)
    return total


def _seal_entry(path: Path) -> int:
    """Seal one non-directory and return its size (0 for a symlink)."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        return 0
    if stat.S_ISDIR(info.st_mode):
        return _seal_dir(path)
    mode = _EXEC if info.st_mode & 0o111 else _FILE
    if stat.S_IMODE(info.st_mode) != mode:
        os.chmod(path, mode)
    return info.st_size


def _chmod(path: Path, mode: int) -> None:
    if stat.S_IMODE(os.lstat(path).st_mode) != mode:
        os.chmod(path, mode)


def unseal_tree(root: Path) -> None:
    """Make every directory under ``root`` writable by its owner, so the tree can be removed."""
    if root.is_symlink() or not root.is_dir():
        return
    os.chmod(root, _WRITABLE_DIR)
    for current, dirs, _files in os.walk(root):
        for name in dirs:
            path = Path(current, name)
            if not path.is_symlink():
                os.chmod(path, _WRITABLE_DIR)


def remove_tree(root: Path) -> None:
    """Remove a (possibly sealed) tree, a file or a link (never its target); missing is fine."""
    unseal_tree(root)
    remove_path(root)


def copy_writable(source: Path, dest: Path) -> None:
    """Copy the sealed tree ``source`` to the new folder ``dest``, writable by its owner.

    Symbolic links are copied as links; execute bits are kept.
    """
    shutil.copytree(source, dest, symlinks=True, copy_function=shutil.copyfile)
    for current, dirs, files in os.walk(dest):
        os.chmod(current, _WRITABLE_DIR)
        for name in files:
            path = Path(current, name)
            if path.is_symlink():
                continue
            executable = os.stat(Path(source, path.relative_to(dest))).st_mode & 0o111
            os.chmod(path, 0o755 if executable else 0o644)
        dirs[:] = [name for name in dirs if not Path(current, name).is_symlink()]

"""What an interrupted installer leaves in an environment, and the snapshot an undo restores.

pip moves the files of a distribution it replaces to ``~name`` folders beside them and deletes
them when done; a killed pip leaves them behind. An installer killed while copying (or out of
disk space) leaves distributions whose ``RECORD`` lists files that are missing or shorter than
recorded. Both are found here from the files alone; the engine reinstalls what is broken.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ivpm.pyenv.distributions import editable_distributions, site_packages_dirs
from ivpm.pyenv.envgraph import read_installed


@dataclass(frozen=True)
class InstalledVersion:
    """A distribution as a snapshot saw it: its version and, when editable, its folder."""

    version: str
    editable: str | None = None


Snapshot = dict[str, InstalledVersion]


def snapshot(venv_dir: Path) -> Snapshot:
    """Every installed distribution's version and editable folder, by canonical name."""
    editables = {name: str(path) for name, path in editable_distributions(venv_dir).items()}
    return {
        name: InstalledVersion(dist.version, editables.get(name))
        for name, dist in read_installed(venv_dir).items()
    }


def leftovers(venv_dir: Path) -> list[Path]:
    """pip's temporary ``~name`` entries in the environment's site-packages."""
    found: list[Path] = []
    for site in site_packages_dirs(venv_dir):
        try:
            names = sorted(os.listdir(site))
        except OSError:
            continue
        found += [site / name for name in names if name.startswith("~")]
    return found


def remove_leftovers(venv_dir: Path) -> list[str]:
    """Delete :func:`leftovers`; the names of what was removed."""
    removed: list[str] = []
    for path in leftovers(venv_dir):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
        if not os.path.lexists(path):
            removed.append(path.name)
    return removed


def incomplete(venv_dir: Path) -> list[tuple[str, str]]:
    """``(name, version)`` of each distribution whose ``RECORD`` names a file that is missing
    or has another size than recorded (byte-compiled files and ``__pycache__`` folders are not
    checked: they are made and removed freely, and virtualenv lists folders it has not made)."""
    broken: list[tuple[str, str]] = []
    for name, dist in read_installed(venv_dir).items():
        if not _complete(dist.dist_info):
            broken.append((name, dist.version))
    return broken


def _complete(dist_info: Path) -> bool:
    try:
        text = (dist_info / "RECORD").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    base = dist_info.parent
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return False
    for row in rows:
        if not row or not row[0] or row[0].endswith(".pyc") or "__pycache__" in row[0]:
            continue
        path = base / row[0]
        try:
            size = os.stat(path).st_size
        except OSError:
            return False
        recorded = row[2] if len(row) > 2 else ""
        if recorded.isdigit() and int(recorded) != size:
            return False
    return True

"""Every name ivpm gives a file in a project, and the one upward search for ``ivpm.yaml``.

A project is a directory holding :data:`PROJECT_FILE`. ivpm writes only below its
``packages/`` folder::

    packages/
      .ivpm.lock            the workspace lock (never deleted)
      .ivpm.lock.owner      who holds it, for the "waiting for ..." message
      package-lock.json     resolved git commits and installed versions
      .ivpm-archives/       what each archive or release dep was fetched from
      .ivpm-dirs/           what each dir dep's copy or link was made from
                            (<name>.json; a release's also names its tag)
      python/               the virtual environment
        .ivpm-venv.json     its completion record (written last when it is built)
        .ivpm-state.json    the state record: what ivpm installed, and how
      <name>/               one source dependency each

No source dependency may take the name of one of ivpm's own entries (:data:`RESERVED_NAMES`),
nor a name starting with ``.``. A project may name another folder than ``packages`` with
``deps-dir``; every path below is then inside that folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_FILE = "ivpm.yaml"
PACKAGES_DIR_NAME = "packages"
VENV_DIR_NAME = "python"
LOCK_FILE_NAME = "package-lock.json"
WORKSPACE_LOCK_NAME = ".ivpm.lock"
WORKSPACE_LOCK_OWNER_NAME = ".ivpm.lock.owner"
VENV_RECORD_NAME = ".ivpm-venv.json"
STATE_RECORD_NAME = ".ivpm-state.json"
ARCHIVE_RECORDS_DIR_NAME = ".ivpm-archives"
DIR_RECORDS_DIR_NAME = ".ivpm-dirs"

#: Entries of ``packages/`` that belong to ivpm, so no source dep may be named after them.
RESERVED_NAMES = frozenset({VENV_DIR_NAME, LOCK_FILE_NAME})


def project_file(project_dir: Path) -> Path:
    """``<project>/ivpm.yaml``."""
    return project_dir / PROJECT_FILE


def packages_dir(project_dir: Path, deps_dir: str = PACKAGES_DIR_NAME) -> Path:
    """``<project>/packages`` (or ``deps-dir``): checkouts, the environment, the lock files."""
    return project_dir / deps_dir


def venv_dir(project_dir: Path, deps_dir: str = PACKAGES_DIR_NAME) -> Path:
    """``<project>/packages/python``: the project's virtual environment."""
    return packages_dir(project_dir, deps_dir) / VENV_DIR_NAME


def venv_python(venv: Path) -> Path:
    """The interpreter of the virtual environment at ``venv``."""
    return venv / "bin" / "python"


def lock_file(project_dir: Path, deps_dir: str = PACKAGES_DIR_NAME) -> Path:
    """``<project>/packages/package-lock.json``."""
    return packages_dir(project_dir, deps_dir) / LOCK_FILE_NAME


def workspace_lock(packages: Path) -> Path:
    """The workspace lock file inside the ``packages`` folder."""
    return packages / WORKSPACE_LOCK_NAME


def workspace_lock_owner(packages: Path) -> Path:
    """The file naming the process that holds the workspace lock of ``packages``."""
    return packages / WORKSPACE_LOCK_OWNER_NAME


def venv_record(venv: Path) -> Path:
    """The completion record of the environment at ``venv``."""
    return venv / VENV_RECORD_NAME


def state_record(venv: Path) -> Path:
    """The state record of the environment at ``venv``."""
    return venv / STATE_RECORD_NAME


def is_reserved(name: str) -> bool:
    """True when a source dep called ``name`` would collide with ivpm's own entries."""
    return name in RESERVED_NAMES or name.startswith(".")


def find_project_file(start: Path) -> Path | None:
    """The nearest ``ivpm.yaml`` in ``start`` or one of its parents (like git finds ``.git``)."""
    current = start.absolute()
    if not current.is_dir():
        current = current.parent
    for directory in (current, *current.parents):
        candidate = project_file(directory)
        if candidate.is_file():
            return candidate
    return None


def linked_packages(project_dir: Path, packages: Path) -> tuple[Path, str] | None:
    """The first folder from ``project_dir`` down to ``packages`` that is a symbolic link, and
    the link's target as written; None when every one is a real folder (or does not exist).

    ivpm works only in a real ``packages/`` inside the project: through a link, its checkouts,
    environment and workspace lock would land in (and be shared with) another tree.
    """
    try:
        relative = packages.relative_to(project_dir)
    except ValueError:
        return None
    current = project_dir
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            try:
                target = os.readlink(current)
            except OSError:
                target = "?"
            return current, target
    return None

"""Where things live inside a project: ``packages/`` and its virtual environment."""

from __future__ import annotations

from pathlib import Path

PACKAGES_DIR_NAME = "packages"
VENV_DIR_NAME = "python"


def packages_dir(project_dir: Path) -> Path:
    """``<project>/packages``: source checkouts, the environment, the lock files."""
    return project_dir / PACKAGES_DIR_NAME


def venv_dir(project_dir: Path) -> Path:
    """``<project>/packages/python``: the project's virtual environment."""
    return packages_dir(project_dir) / VENV_DIR_NAME


def venv_python(venv: Path) -> Path:
    """The interpreter of the virtual environment at ``venv``."""
    return venv / "bin" / "python"

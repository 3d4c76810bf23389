"""Shared helpers for the ivpm.yaml tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from ivpm.project.loader import load_project
from ivpm.project.model import Project

DATA = Path(__file__).parent / "data"

WriteProject = Callable[..., Path]


def write_yaml(directory: Path, text: str) -> Path:
    """Write dedented ``text`` as ``directory/ivpm.yaml`` and return the file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "ivpm.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def write_project(tmp_path: Path) -> WriteProject:
    """Write an ivpm.yaml under ``tmp_path`` (or a sub-directory of it)."""

    def write(text: str, subdir: str = "") -> Path:
        return write_yaml(tmp_path / subdir if subdir else tmp_path, text)

    return write


@pytest.fixture
def load_text(write_project: WriteProject) -> Callable[[str], Project]:
    """Write ``text`` as an ivpm.yaml and load it."""

    def load(text: str) -> Project:
        return load_project(write_project(text))

    return load

"""Fixtures for the fetch tests: an isolated git configuration and a project directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ivpm.errors import Location
from ivpm.project.model import Dep, Source


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep the user's and the system's git configuration out of every test."""
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    yield


@dataclass
class Project:
    """A project directory with an ivpm.yaml (for error locations) and its packages dir."""

    root: Path

    @property
    def yaml(self) -> Path:
        """The project's ivpm.yaml."""
        return self.root / "ivpm.yaml"

    @property
    def packages(self) -> Path:
        """The project's packages directory."""
        return self.root / "packages"

    def dep(self, name: str, url: str, *, line: int = 5, **fields: Any) -> Dep:
        """A source dep declared at ``ivpm.yaml:<line>:7``; ``src`` defaults to git."""
        fields.setdefault("src", Source.GIT)
        return Dep(name=name, url=url, location=Location(self.yaml, line, 7), **fields)


def project_root(tmp_path: Path) -> Path:
    """A fresh project folder ``tmp_path/project`` with a minimal ivpm.yaml."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "ivpm.yaml").write_text("package:\n  name: demo\n", encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh project under ``tmp_path/project``."""
    return Project(project_root(tmp_path))


@pytest.fixture
def repos(tmp_path: Path) -> Path:
    """A directory for the upstream repositories of a test."""
    path = tmp_path / "upstream"
    path.mkdir()
    return path

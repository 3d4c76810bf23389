"""Fixtures for the archive tests: a local HTTP server, a project, and quick retry settings."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ivpm.fetch.archive import fetch_archive, kept_archive
from ivpm.fetch.result import FetchResult
from ivpm.project.model import Dep, Source
from tests.fetch.conftest import Project as FetchProject
from tests.fetch.conftest import project_root
from tests.helpers.httpserver import FileServer


@pytest.fixture(autouse=True)
def _no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail fast: no retries and a short timeout unless a test says otherwise."""
    monkeypatch.setenv("IVPM_HTTP_RETRIES", "0")
    monkeypatch.setenv("IVPM_HTTP_TIMEOUT", "10")


@pytest.fixture
def server() -> Iterator[FileServer]:
    """A FileServer running for the test."""
    with FileServer() as running:
        yield running


@dataclass
class Project(FetchProject):
    """The fetch tests' project, whose packages folder exists, and archive deps for it."""

    @property
    def packages(self) -> Path:
        """The project's packages folder (created)."""
        path = self.root / "packages"
        path.mkdir(exist_ok=True)
        return path

    def dep(self, name: str, url: str, *, line: int = 5, **fields: Any) -> Dep:
        """An archive dep declared at ``ivpm.yaml:<line>:7``; ``src`` defaults to http."""
        fields.setdefault("src", Source.HTTP)
        fields.setdefault("declared_in", self.yaml)
        return super().dep(name, url, line=line, **fields)

    def fetch(self, dep: Dep, **kw: Any) -> FetchResult:
        """``fetch_archive`` into ``packages/<name>``, as the parallel fetcher calls it."""
        dest = self.packages / dep.name
        if os.path.lexists(dest):
            kept = kept_archive(dep, dest)
            if kept is not None:
                return kept
        return fetch_archive(dep, dest, **kw)

    def entries(self) -> list[str]:
        """The names in packages/, the record folder left out."""
        return sorted(name for name in os.listdir(self.packages) if name != ".ivpm-archives")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A fresh project under ``tmp_path/project``."""
    return Project(project_root(tmp_path))

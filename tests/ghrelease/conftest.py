"""Fixtures for the gh-rls tests: a fake GitHub API on 127.0.0.1, a project, a fixed host."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ivpm.errors import Location
from ivpm.fetch import ghassets
from ivpm.fetch.archive import kept_archive
from ivpm.fetch.ghrelease import fetch_release
from ivpm.fetch.result import FetchResult
from ivpm.project.model import Dep, Source
from tests.ghrelease.fakegithub import FakeGitHub
from tests.helpers.httpserver import FileServer

LINUX_X64 = ghassets.Host("linux", "x86_64", "glibc", (2, 36))


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """A fake GitHub API reached through GITHUB_API_URL; no token, no retries, linux x86_64."""
    with FileServer() as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        monkeypatch.delenv("GH_TOKEN", raising=False)
        monkeypatch.setenv("IVPM_HTTP_RETRIES", "0")
        monkeypatch.setattr(ghassets, "host_platform", lambda: LINUX_X64)
        yield FakeGitHub(server)


@pytest.fixture
def packages(tmp_path: Path) -> Path:
    """A project's packages directory (the project's ivpm.yaml beside it)."""
    (tmp_path / "ivpm.yaml").write_text("package:\n  name: p\n")
    path = tmp_path / "packages"
    path.mkdir()
    return path


def release_dep(packages: Path, url: str, **fields: Any) -> Dep:
    """A ``src: gh-rls`` dep named ``tool`` declared in the project's ivpm.yaml."""
    yaml = packages.parent / "ivpm.yaml"
    fields.setdefault("name", "tool")
    return Dep(
        src=Source.GH_RLS, url=url, location=Location(yaml, 5, 7), declared_in=yaml, **fields
    )


def fetch(dep: Dep, dest: Path) -> FetchResult:
    """Fetch ``dep`` into ``dest`` as the parallel fetcher does: kept when the record says so."""
    if os.path.lexists(dest):
        kept = kept_archive(dep, dest)
        if kept is not None:
            return kept
    return fetch_release(dep, dest)

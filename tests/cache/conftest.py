"""Fixtures for the cache tests: a cache folder and projects whose git deps say cache: true."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project
from tests.helpers.cli import run_ivpm

MakeProject = Callable[..., Project]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's cache folder (IVPM_CACHE, also for ivpm code run inside the test)."""
    path = tmp_path / "cache"
    monkeypatch.setenv("IVPM_CACHE", str(path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    return path


def dep_yaml(name: str, url: str, **fields: str) -> str:
    """ivpm.yaml text: project ``name`` with one cached git dep ``lib`` from ``url``."""
    lines = [
        "package:",
        f"  name: {name}",
        "  dep-sets:",
        "    - name: default-dev",
        "      deps:",
        "        - name: lib",
        f"          url: {url}",
        "          src: git",
        "          cache: true",
        *(f"          {key}: {value}" for key, value in fields.items()),
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def cached_project(make_project: MakeProject, cache_dir: Path) -> Callable[..., Project]:
    """A project with one cached git dep (see :func:`dep_yaml`), using the test's cache."""

    def make(url: str, *, name: str = "proj", **fields: str) -> Project:
        project = make_project(dep_yaml(name, url, **fields), name)
        project.env.update(
            IVPM_CACHE=str(cache_dir), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull
        )
        return project

    return make


def fetch(project: Project) -> subprocess.CompletedProcess[str]:
    """``ivpm update --skip-py-install`` in ``project`` (raw deps: nothing to install)."""
    return project.update("--skip-py-install")


def cache_cli(cache_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``ivpm cache ARGS`` against ``cache_dir``."""
    return run_ivpm(
        ["cache", *args],
        cwd=cwd,
        env={"IVPM_CACHE": str(cache_dir), "GIT_CONFIG_NOSYSTEM": "1"},
    )


def cache_info(cache_dir: Path, cwd: Path) -> dict[str, Any]:
    """The parsed ``ivpm cache info --json``."""
    result = cache_cli(cache_dir, cwd, "info", "--json")
    assert result.returncode == 0, result.stderr
    info: dict[str, Any] = json.loads(result.stdout)
    return info

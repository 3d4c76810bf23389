"""Fixtures for the submodule tests: repositories with (nested) submodules, a git config."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivpm.errors import Location
from ivpm.project.model import Dep, Source
from tests.helpers.gitrepos import GitRepo, make_repo


def allow_file_config(path: Path, *extra: str) -> Path:
    """Write a global git config allowing the file:// transport (plus ``extra`` lines)."""
    path.write_text('[protocol "file"]\n\tallow = always\n' + "".join(extra), encoding="utf-8")
    return path


@pytest.fixture
def allow_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's git configuration allows file:// submodules (as the tests' repos need)."""
    config = allow_file_config(tmp_path / "gitconfig")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    return config


@pytest.fixture
def deny_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's git configuration is git's default: no file:// submodules."""
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)


def add_submodule(repo: GitRepo, sub: GitRepo, path: str, message: str = "add submodule") -> str:
    """Add ``sub`` to ``repo`` as a submodule at ``path`` and commit; return the commit."""
    repo.git("submodule", "add", "-q", "--", sub.url, path)
    return repo.commit({}, message)


@dataclass(frozen=True)
class Tree:
    """``top`` has submodule ``lib/mid`` (at ``mid_pinned``), which has submodule ``inner``."""

    top: GitRepo
    mid: GitRepo
    inner: GitRepo
    mid_pinned: str


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """Upstream repositories with nested submodules; ``mid``'s tip has moved past its pin."""
    upstream = tmp_path / "upstream"
    inner = make_repo(upstream, "inner", {"inner.txt": "inner\n"})
    mid = make_repo(upstream, "mid", {"mid.txt": "mid v1\n"})
    mid_pinned = add_submodule(mid, inner, "inner")
    top = make_repo(upstream, "top", {"top.txt": "top\n"})
    add_submodule(top, mid, "lib/mid")
    top.tag("v1")
    mid.commit({"mid.txt": "mid v2 (not pinned)\n"}, "move the tip")
    return Tree(top, mid, inner, mid_pinned)


def dep(project: Path, name: str, url: str, **fields: object) -> Dep:
    """A git dep declared in ``project``'s ivpm.yaml."""
    return Dep(
        name=name,
        src=Source.GIT,
        url=url,
        location=Location(project / "ivpm.yaml", 5, 7),
        **fields,  # type: ignore[arg-type]
    )

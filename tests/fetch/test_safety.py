"""Validation before git runs, and refusing to act through links that leave the project."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn

import pytest

from ivpm.errors import ConfigError, SessionFailure
from ivpm.fetch import fetch_deps
from ivpm.project.model import Source
from tests.fetch.conftest import Project
from tests.helpers.gitrepos import clone_repo, git, make_repo


@pytest.fixture
def no_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if ivpm starts git."""

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError(f"git was run: {args}")

    monkeypatch.setattr("ivpm.fetch.git.run_command", refuse)


@pytest.mark.usefixtures("no_git")
@pytest.mark.parametrize(
    ("url", "fields", "expected"),
    [
        ("--upload-pack=touch /tmp/pwned", {}, "may not start with '-'"),
        ("  -oProxyCommand=x", {}, "may not start with '-'"),
        ("ext::sh -c touch% /tmp/pwned", {}, "runs commands"),
        ("EXT::sh -c id", {}, "runs commands"),
        ("fd::17", {}, "runs commands"),
        ("file:///x\n--evil", {}, "control characters"),
        ("file:///repo", {"branch": "--orphan"}, "invalid branch"),
        ("file:///repo", {"tag": "-x"}, "invalid tag"),
        ("file:///repo", {"commit": "-abc"}, "invalid commit"),
        ("file:///repo", {"commit": "HEAD~1"}, "not a hexadecimal commit"),
        ("file:///repo", {"depth": 0}, "depth"),
        ("", {}, "has no url"),
    ],
)
def test_dangerous_git_specs_refused_before_git(
    project: Project, url: str, fields: dict[str, Any], expected: str
) -> None:
    dep = project.dep("liba", url, line=4, **fields)
    with pytest.raises(ConfigError) as info:
        fetch_deps([dep], project.packages, jobs=1)
    assert expected in info.value.message
    assert info.value.location == dep.location
    assert not project.packages.exists()


@pytest.mark.usefixtures("no_git")
@pytest.mark.parametrize("name", ["a/b", "..", ".", ".hidden", "", "python", "x\\y", "a\nb"])
def test_bad_names_refused(project: Project, name: str) -> None:
    with pytest.raises(ConfigError) as info:
        fetch_deps([project.dep(name, "file:///repo")], project.packages, jobs=1)
    assert info.value.location is not None


@pytest.mark.usefixtures("no_git")
def test_duplicate_names_refused(project: Project) -> None:
    deps = [project.dep("liba", "file:///a", line=2), project.dep("liba", "file:///b", line=8)]
    with pytest.raises(ConfigError) as info:
        fetch_deps(deps, project.packages, jobs=1)
    assert "twice" in info.value.message


@pytest.mark.usefixtures("no_git")
def test_pypi_deps_are_skipped(project: Project) -> None:
    deps = [project.dep("requests", "", src=Source.PYPI)]
    assert fetch_deps(deps, project.packages, jobs=1) == {}
    assert not project.packages.exists()


@pytest.mark.usefixtures("no_git")
def test_invalid_pin_refused(project: Project) -> None:
    with pytest.raises(ConfigError) as info:
        fetch_deps(
            [project.dep("liba", "file:///a")], project.packages, jobs=1, pins={"liba": "--x"}
        )
    assert "lock file" in info.value.message


def test_symlink_outside_project_refused(project: Project, repos: Path, tmp_path: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "one\n"})
    elsewhere = clone_repo(repo.url, tmp_path / "elsewhere")
    (elsewhere / "a.txt").write_text("outside work\n")
    project.packages.mkdir()
    link = project.packages / "liba"
    link.symlink_to(elsewhere)
    repo.commit({"a.txt": "two\n"}, "second")
    with pytest.raises(SessionFailure) as info:
        fetch_deps(
            [project.dep("liba", repo.url)], project.packages, jobs=1, pins={"liba": repo.head()}
        )
    assert "outside the project" in info.value.details
    assert link.is_symlink()
    assert os.readlink(link) == str(elsewhere)
    assert (elsewhere / "a.txt").read_text() == "outside work\n"


def test_broken_symlink_refused(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba")
    project.packages.mkdir()
    link = project.packages / "liba"
    link.symlink_to(project.root / "gone")
    with pytest.raises(SessionFailure) as info:
        fetch_deps([project.dep("liba", repo.url)], project.packages, jobs=1)
    assert "broken symbolic link" in info.value.details
    assert link.is_symlink()


def test_symlink_inside_project_is_used(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba")
    inside = clone_repo(repo.url, project.root / "src-liba")
    project.packages.mkdir()
    (project.packages / "liba").symlink_to(inside)
    results = fetch_deps([project.dep("liba", repo.url)], project.packages, jobs=1)
    assert (results["liba"].action, results["liba"].commit) == ("kept", repo.head())
    assert git(inside, "rev-parse", "HEAD") == repo.head()

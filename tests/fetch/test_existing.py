"""Existing checkouts: kept without git processes; moved to pinned commits only when safe."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, NoReturn

import pytest

from ivpm.errors import SessionFailure
from ivpm.fetch import fetch_deps
from tests.fetch.conftest import Project
from tests.helpers.gitrepos import GitRepo, git, make_repo


def forbid_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make starting any subprocess fail the test."""

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError(f"unexpected process: {args} {kwargs}")

    monkeypatch.setattr(subprocess, "Popen", refuse)


def cloned(project: Project, repo: GitRepo, name: str = "liba", **fields: Any) -> Path:
    """Fetch ``repo`` as dep ``name`` and return its checkout."""
    fetch_deps([project.dep(name, repo.url, **fields)], project.packages, jobs=1)
    return project.packages / name


def test_existing_checkout_is_kept_without_git(
    project: Project, repos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "one\n"})
    path = cloned(project, repo)
    (path / "a.txt").write_text("local edit\n")
    repo.commit({"a.txt": "upstream moved on\n"}, "second")
    first = git(path, "rev-parse", "HEAD")
    forbid_processes(monkeypatch)
    results = fetch_deps([project.dep("liba", repo.url)], project.packages, jobs=4)
    assert (results["liba"].action, results["liba"].commit) == ("kept", first)
    assert (path / "a.txt").read_text() == "local edit\n"


def test_changed_spec_does_not_touch_existing_checkout(
    project: Project, repos: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "main\n"}, branches={"dev": {"a.txt": "dev\n"}})
    path = cloned(project, repo)
    results = fetch_deps([project.dep("liba", repo.url, branch="dev")], project.packages, jobs=1)
    assert results["liba"].action == "kept"
    assert (path / "a.txt").read_text() == "main\n"
    assert "packages/liba is on branch main, ivpm.yaml names branch dev" in caplog.text
    caplog.clear()
    fetch_deps([project.dep("liba", repo.url, branch="main")], project.packages, jobs=1)
    assert caplog.text == ""
    moved = make_repo(repos, "libb", {"a.txt": "b\n"})
    fetch_deps([project.dep("liba", moved.url)], project.packages, jobs=1)
    assert f"packages/liba is cloned from {repo.url}, ivpm.yaml names url {moved.url}" in (
        caplog.text
    )
    assert (path / "a.txt").read_text() == "main\n"


def test_noop_with_pins_starts_no_process(
    project: Project, repos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream = [make_repo(repos, f"lib{i}") for i in range(10)]
    deps = [project.dep(f"lib{i}", repo.url) for i, repo in enumerate(upstream)]
    fetch_deps(deps, project.packages, jobs=4)
    git(project.packages / "lib3", "pack-refs", "--all")
    pins = {f"lib{i}": repo.head() for i, repo in enumerate(upstream)}
    forbid_processes(monkeypatch)
    results = fetch_deps(deps, project.packages, jobs=4, pins=pins)
    assert {result.action for result in results.values()} == {"kept"}
    assert all(results[name].commit == sha for name, sha in pins.items())


def test_pin_checks_out_on_clean_tree(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "one\n"})
    first = repo.head()
    path = cloned(project, repo)
    second = repo.commit({"a.txt": "two\n"}, "second")  # not yet in the clone: needs a fetch
    (path / "untracked.txt").write_text("mine\n")
    dep = project.dep("liba", repo.url)
    results = fetch_deps([dep], project.packages, jobs=1, pins={"liba": second})
    assert (results["liba"].action, results["liba"].commit) == ("checked-out", second)
    assert (path / "a.txt").read_text() == "two\n"
    assert (path / "untracked.txt").read_text() == "mine\n"
    results = fetch_deps([dep], project.packages, jobs=1, pins={"liba": first})
    assert (results["liba"].action, results["liba"].commit) == ("checked-out", first)
    assert git(path, "rev-parse", "HEAD") == first


def test_pin_refused_on_dirty_tree(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "one\n"})
    path = cloned(project, repo)
    head = git(path, "rev-parse", "HEAD")
    second = repo.commit({"a.txt": "two\n"}, "second")
    (path / "a.txt").write_text("precious edit\n")
    with pytest.raises(SessionFailure) as info:
        fetch_deps([project.dep("liba", repo.url)], project.packages, jobs=1, pins={"liba": second})
    assert "liba" in info.value.message
    assert "uncommitted changes" in info.value.details
    assert "a.txt" in info.value.details
    assert (path / "a.txt").read_text() == "precious edit\n"
    assert git(path, "rev-parse", "HEAD") == head


def test_pin_refused_with_local_commits(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "one\n"})
    first = repo.head()
    repo.commit({"a.txt": "two\n"}, "second")
    path = cloned(project, repo)
    (path / "a.txt").write_text("local work\n")
    git(path, "commit", "-q", "-am", "my local work")
    local = git(path, "rev-parse", "HEAD")
    with pytest.raises(SessionFailure) as info:
        fetch_deps([project.dep("liba", repo.url)], project.packages, jobs=1, pins={"liba": first})
    assert "no remote branch" in info.value.details
    assert "my local work" in info.value.details
    assert git(path, "rev-parse", "HEAD") == local
    assert (path / "a.txt").read_text() == "local work\n"


def test_pin_change_after_shallow_pinned_clone(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "one\n"})
    first = repo.head()
    second = repo.commit({"a.txt": "two\n"}, "second")
    repo.commit({"a.txt": "three\n"}, "third")
    dep = project.dep("liba", repo.url, depth=1)
    results = fetch_deps([dep], project.packages, jobs=1, pins={"liba": first})
    assert results["liba"].commit == first
    results = fetch_deps([dep], project.packages, jobs=1, pins={"liba": second})
    assert (results["liba"].action, results["liba"].commit) == ("checked-out", second)


def test_pin_refused_for_non_git_directory(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba")
    path = project.packages / "liba"
    path.mkdir(parents=True)
    (path / "notes.txt").write_text("not a clone\n")
    results = fetch_deps([project.dep("liba", repo.url)], project.packages, jobs=1)
    assert (results["liba"].action, results["liba"].commit) == ("kept", None)
    with pytest.raises(SessionFailure) as info:
        fetch_deps(
            [project.dep("liba", repo.url)], project.packages, jobs=1, pins={"liba": repo.head()}
        )
    assert "not a git checkout" in info.value.details
    assert (path / "notes.txt").read_text() == "not a clone\n"


def test_nested_plain_directory_never_reaches_project_repo(project: Project, repos: Path) -> None:
    git(project.root, "init", "-q")
    git(project.root, "add", "ivpm.yaml")
    git(project.root, "commit", "-q", "-m", "project")
    project_head = git(project.root, "rev-parse", "HEAD")
    repo = make_repo(repos, "liba")
    (project.packages / "liba").mkdir(parents=True)
    with pytest.raises(SessionFailure):
        fetch_deps(
            [project.dep("liba", repo.url)], project.packages, jobs=1, pins={"liba": project_head}
        )
    assert git(project.root, "rev-parse", "HEAD") == project_head
    assert git(project.root, "symbolic-ref", "HEAD") == "refs/heads/main"

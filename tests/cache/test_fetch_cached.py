"""Cached git deps through ``fetch_deps``: results, refs, submodules and refusals."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ivpm.errors import Location, SessionFailure
from ivpm.fetch import fetch_deps
from ivpm.project.model import Dep, Source
from tests.helpers.gitrepos import GitRepo, git, make_repo
from tests.submodules.conftest import add_submodule, allow_file_config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "ivpm.yaml").write_text("package:\n  name: demo\n", encoding="utf-8")
    return root


def cached(project: Path, url: str, **fields: Any) -> Dep:
    fields.setdefault("cache", True)
    return Dep(
        name="lib",
        src=Source.GIT,
        url=url,
        location=Location(project / "ivpm.yaml", 5, 7),
        **fields,
    )


def repo_with_history(tmp_path: Path) -> tuple[GitRepo, str, str]:
    repo = make_repo(tmp_path / "upstream", "lib", {"a.txt": "one\n"})
    first = repo.head()
    second = repo.commit({"a.txt": "two\n"}, "second")
    return repo, first, second


def entries(cache_dir: Path) -> list[str]:
    return sorted(
        name
        for name in os.listdir(cache_dir / "git")
        if not name.endswith((".json", ".lock")) and ".tmp-" not in name
    )


def test_results_report_git_commits_and_whether_the_entry_was_made(
    project: Path, cache_dir: Path, tmp_path: Path
) -> None:
    repo, first, _second = repo_with_history(tmp_path)
    packages = project / "packages"
    made = fetch_deps([cached(project, repo.url, commit=first)], packages, jobs=1)["lib"]
    assert (made.kind, made.action, made.commit) == ("git", "cloned", first)
    (packages / "lib").unlink()
    hit = fetch_deps([cached(project, repo.url, commit=first)], packages, jobs=1)["lib"]
    assert (hit.kind, hit.action, hit.commit) == ("git", "linked", first)
    kept = fetch_deps([cached(project, repo.url, commit=first)], packages, jobs=1)["lib"]
    assert (kept.action, kept.commit) == ("kept", first)
    assert git(packages / "lib", "rev-parse", "HEAD") == first


def test_abbreviated_commit_finds_its_entry(project: Path, cache_dir: Path, tmp_path: Path) -> None:
    repo, first, _second = repo_with_history(tmp_path)
    packages = project / "packages"
    result = fetch_deps([cached(project, repo.url, commit=first[:9])], packages, jobs=1)["lib"]
    assert (result.action, result.commit) == ("cloned", first)
    (packages / "lib").unlink()
    os.rename(repo.path, tmp_path / "gone")
    again = fetch_deps([cached(project, repo.url, commit=first[:9])], packages, jobs=1)["lib"]
    assert (again.action, again.commit) == ("linked", first)
    assert len(entries(cache_dir)) == 1
    assert [name for name in os.listdir(cache_dir / "git") if name.startswith(".")] == []


def test_lock_file_pin_wins_over_the_branch(project: Path, cache_dir: Path, tmp_path: Path) -> None:
    repo, first, second = repo_with_history(tmp_path)
    packages = project / "packages"
    fetch_deps([cached(project, repo.url, branch="main")], packages, jobs=1)
    assert git(packages / "lib", "rev-parse", "HEAD") == second
    pinned = fetch_deps(
        [cached(project, repo.url, branch="main")], packages, jobs=1, pins={"lib": first}
    )["lib"]
    assert (pinned.action, pinned.commit) == ("cloned", first)
    assert (packages / "lib" / "a.txt").read_text() == "one\n"
    assert len(entries(cache_dir)) == 2


def test_missing_branch_is_a_clear_error(project: Path, cache_dir: Path, tmp_path: Path) -> None:
    repo, _first, _second = repo_with_history(tmp_path)
    with pytest.raises(SessionFailure) as failure:
        fetch_deps([cached(project, repo.url, branch="nope")], project / "packages", jobs=1)
    assert f"ivpm.yaml:5:7: lib: {repo.url} has no branch 'nope'" in failure.value.details


def test_users_own_checkout_is_kept(project: Path, cache_dir: Path, tmp_path: Path) -> None:
    repo, _first, second = repo_with_history(tmp_path)
    packages = project / "packages"
    fetch_deps([cached(project, repo.url, cache=False)], packages, jobs=1)
    result = fetch_deps([cached(project, repo.url)], packages, jobs=1)["lib"]
    assert (result.action, result.commit) == ("kept", second)
    assert not (packages / "lib").is_symlink()
    assert not (cache_dir / "git").exists()


def test_patches_are_refused(project: Path, cache_dir: Path, tmp_path: Path) -> None:
    repo, first, _second = repo_with_history(tmp_path)
    dep = cached(project, repo.url, commit=first, patches=("fix.patch",))
    with pytest.raises(SessionFailure) as failure:
        fetch_deps([dep], project / "packages", jobs=1)
    assert "cannot be patched" in failure.value.details


def test_cached_entry_includes_submodules(
    project: Path, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(allow_file_config(tmp_path / "gitconfig")))
    sub = make_repo(tmp_path / "upstream", "sub", {"s.txt": "s\n"})
    top = make_repo(tmp_path / "upstream", "top", {"t.txt": "t\n"})
    add_submodule(top, sub, "vendor/sub")
    top.tag("v1")
    dep = Dep(
        name="top",
        src=Source.GIT,
        url=top.url,
        tag="v1",
        depth=1,
        cache=True,
        location=Location(project / "ivpm.yaml", 5, 7),
    )
    fetch_deps([dep], project / "packages", jobs=1)
    checkout = project / "packages" / "top"
    assert (checkout / "vendor" / "sub" / "s.txt").read_text() == "s\n"
    assert os.stat(checkout / "vendor" / "sub" / "s.txt").st_mode & 0o222 == 0
    assert git(checkout, "status", "--porcelain") == ""
    assert git(checkout / "vendor" / "sub", "status", "--porcelain") == ""

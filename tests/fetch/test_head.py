"""read_head_commit agrees with ``git rev-parse HEAD`` without running git."""

from __future__ import annotations

from pathlib import Path

from ivpm.fetch import read_head_commit
from tests.helpers.gitrepos import clone_repo, git, make_repo


def test_loose_ref(repos: Path) -> None:
    repo = make_repo(repos, "liba")
    assert (repo.path / ".git" / "refs" / "heads" / "main").is_file()
    assert read_head_commit(repo.path) == repo.head()


def test_packed_refs(repos: Path) -> None:
    repo = make_repo(repos, "liba", tags=["v1"])
    repo.tag("v2", annotated=True)
    repo.commit({"b.txt": "b\n"}, "second")
    git(repo.path, "pack-refs", "--all")
    assert not (repo.path / ".git" / "refs" / "heads" / "main").exists()
    assert read_head_commit(repo.path) == repo.head()


def test_fresh_clone_uses_packed_refs(repos: Path, tmp_path: Path) -> None:
    repo = make_repo(repos, "liba")
    clone = clone_repo(repo.url, tmp_path / "clone", "--branch", "main")
    assert read_head_commit(clone) == git(clone, "rev-parse", "HEAD")


def test_detached_head(repos: Path) -> None:
    repo = make_repo(repos, "liba")
    first = repo.head()
    repo.commit({"b.txt": "b\n"}, "second")
    git(repo.path, "checkout", "-q", "--detach", first)
    assert read_head_commit(repo.path) == first == git(repo.path, "rev-parse", "HEAD")


def test_worktree_git_file(repos: Path, tmp_path: Path) -> None:
    repo = make_repo(repos, "liba", branches={"dev": {"d.txt": "d\n"}})
    worktree = tmp_path / "wt"
    git(repo.path, "worktree", "add", "-q", str(worktree), "dev")
    assert (worktree / ".git").is_file()
    assert read_head_commit(worktree) == repo.head("dev")
    git(repo.path, "pack-refs", "--all")
    assert read_head_commit(worktree) == repo.head("dev")


def test_not_a_repository(tmp_path: Path) -> None:
    assert read_head_commit(tmp_path) is None
    assert read_head_commit(tmp_path / "missing") is None


def test_unborn_branch(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.mkdir()
    git(path, "init", "-q")
    assert read_head_commit(path) is None

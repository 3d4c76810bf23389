"""Cloning git deps: refs, depth, parallelism, temp dirs and failures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ivpm.errors import SessionFailure
from ivpm.fetch import fetch_deps
from tests.fetch.conftest import Project
from tests.helpers.gitrepos import git, make_repo


def leftovers(packages: Path) -> list[str]:
    """Temporary entries left in ``packages``."""
    return sorted(name for name in os.listdir(packages) if name.startswith(".tmp-"))


def test_clone_default_branch(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"liba.txt": "hello\n"})
    results = fetch_deps([project.dep("liba", repo.url)], project.packages, jobs=2)
    result = results["liba"]
    assert (result.kind, result.action) == ("git", "cloned")
    assert result.path == project.packages / "liba"
    assert result.commit == repo.head()
    assert (result.path / "liba.txt").read_text() == "hello\n"
    assert git(result.path, "rev-parse", "HEAD") == repo.head()
    assert git(result.path, "symbolic-ref", "--short", "HEAD") == "main"
    assert leftovers(project.packages) == []


def test_clone_branch(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "main\n"}, branches={"dev": {"a.txt": "dev\n"}})
    results = fetch_deps([project.dep("liba", repo.url, branch="dev")], project.packages, jobs=1)
    assert results["liba"].commit == repo.head("dev")
    assert (project.packages / "liba" / "a.txt").read_text() == "dev\n"
    assert git(project.packages / "liba", "symbolic-ref", "--short", "HEAD") == "dev"


def test_clone_tag(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "v1\n"}, tags=["v1.0"])
    tagged = repo.head()
    repo.commit({"a.txt": "v2\n"}, "after the tag")
    results = fetch_deps([project.dep("liba", repo.url, tag="v1.0")], project.packages, jobs=1)
    assert results["liba"].commit == tagged
    assert (project.packages / "liba" / "a.txt").read_text() == "v1\n"


def test_clone_annotated_tag(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "v1\n"})
    tagged = repo.tag("v1.0", annotated=True)
    repo.commit({"a.txt": "v2\n"}, "after the tag")
    results = fetch_deps([project.dep("liba", repo.url, tag="v1.0")], project.packages, jobs=1)
    assert results["liba"].commit == tagged


def test_clone_commit(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "one\n"})
    first = repo.head()
    repo.commit({"a.txt": "two\n"}, "second")
    results = fetch_deps([project.dep("liba", repo.url, commit=first)], project.packages, jobs=1)
    assert results["liba"].commit == first
    assert (project.packages / "liba" / "a.txt").read_text() == "one\n"


def test_clone_abbreviated_commit(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "one\n"})
    first = repo.head()
    repo.commit({"a.txt": "two\n"}, "second")
    dep = project.dep("liba", repo.url, commit=first[:10])
    assert fetch_deps([dep], project.packages, jobs=1)["liba"].commit == first


def test_clone_depth_is_shallow(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "one\n"})
    repo.commit({"a.txt": "two\n"}, "second")
    repo.commit({"a.txt": "three\n"}, "third")
    results = fetch_deps([project.dep("liba", repo.url, depth=1)], project.packages, jobs=1)
    path = project.packages / "liba"
    assert results["liba"].commit == repo.head()
    assert git(path, "rev-parse", "--is-shallow-repository") == "true"
    assert git(path, "rev-list", "--count", "HEAD") == "1"


def test_depth_with_commit_behind_the_tip(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "one\n"})
    first = repo.head()
    repo.commit({"a.txt": "two\n"}, "second")
    repo.commit({"a.txt": "three\n"}, "third")
    dep = project.dep("liba", repo.url, depth=1, commit=first)
    results = fetch_deps([dep], project.packages, jobs=1)
    assert results["liba"].commit == first
    assert (project.packages / "liba" / "a.txt").read_text() == "one\n"


def test_depth_with_commit_on_another_branch(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "main\n"}, branches={"dev": {"a.txt": "dev\n"}})
    dev = repo.head("dev")
    dep = project.dep("liba", repo.url, depth=1, branch="main", commit=dev)
    results = fetch_deps([dep], project.packages, jobs=1)
    assert results["liba"].commit == dev
    assert (project.packages / "liba" / "a.txt").read_text() == "dev\n"


def test_pin_overrides_commit_on_clone(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "one\n"})
    first = repo.head()
    second = repo.commit({"a.txt": "two\n"}, "second")
    repo.commit({"a.txt": "three\n"}, "third")
    dep = project.dep("liba", repo.url, commit=first)
    results = fetch_deps([dep], project.packages, jobs=1, pins={"liba": second})
    assert results["liba"].commit == second


def test_parallel_fetch_with_progress(project: Project, repos: Path) -> None:
    upstream = [make_repo(repos, f"lib{i}", {f"f{i}.txt": f"{i}\n"}) for i in range(10)]
    deps = [project.dep(f"lib{i}", repo.url, line=i + 1) for i, repo in enumerate(upstream)]
    calls: list[tuple[str, int, int]] = []
    results = fetch_deps(
        deps,
        project.packages,
        jobs=4,
        progress=lambda name, done, total: calls.append((name, done, total)),
    )
    assert list(results) == [dep.name for dep in deps]
    assert sorted(name for name, _, _ in calls) == sorted(dep.name for dep in deps)
    assert [done for _, done, _ in calls] == list(range(1, 11))
    assert {total for _, _, total in calls} == {10}
    for i, repo in enumerate(upstream):
        assert results[f"lib{i}"].commit == repo.head()
        assert (project.packages / f"lib{i}" / f"f{i}.txt").read_text() == f"{i}\n"
    assert leftovers(project.packages) == []


def test_jobs_zero_uses_cpu_count(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba")
    results = fetch_deps([project.dep("liba", repo.url)], project.packages, jobs=0)
    assert results["liba"].action == "cloned"


def test_no_deps_is_fine(project: Project) -> None:
    assert fetch_deps([], project.packages, jobs=1) == {}


def test_git_dir_in_environment_is_ignored(
    project: Project, repos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "a\n"})
    other = make_repo(repos, "other")
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other.path))
    results = fetch_deps([project.dep("liba", repo.url)], project.packages, jobs=1)
    assert results["liba"].commit == repo.head()
    assert (project.packages / "liba" / "a.txt").is_file()


def test_bad_url_reports_dep_and_leaves_nothing(project: Project, repos: Path) -> None:
    missing = (repos / "nope").as_uri()
    with pytest.raises(SessionFailure) as info:
        fetch_deps([project.dep("ghost", missing, line=9)], project.packages, jobs=1)
    error = info.value
    assert "ghost" in error.message
    assert "ivpm.yaml:9:7" in error.details
    assert "ghost: git clone failed" in error.details
    assert "does not exist" in error.details or "not appear to be a git" in error.details
    assert not os.path.lexists(project.packages / "ghost")
    assert leftovers(project.packages) == []
    assert "error: failed to fetch dependency 'ghost'" in error.render()


def test_failures_are_collected(project: Project, repos: Path) -> None:
    good = make_repo(repos, "good")
    deps = [
        project.dep("bad1", (repos / "missing1").as_uri(), line=3),
        project.dep("good", good.url, line=6),
        project.dep("bad2", (repos / "missing2").as_uri(), line=9),
    ]
    calls: list[str] = []
    with pytest.raises(SessionFailure) as info:
        fetch_deps(deps, project.packages, jobs=3, progress=lambda n, d, t: calls.append(n))
    error = info.value
    assert error.message == "failed to fetch 2 dependencies: bad1, bad2"
    lines = error.details.splitlines()
    assert any("ivpm.yaml:3:7: bad1:" in line for line in lines)
    assert any("ivpm.yaml:9:7: bad2:" in line for line in lines)
    assert sorted(calls) == ["bad1", "bad2", "good"]
    assert (project.packages / "good" / "README").is_file()
    assert leftovers(project.packages) == []


def test_missing_branch_is_a_clear_error(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba")
    with pytest.raises(SessionFailure) as info:
        fetch_deps([project.dep("liba", repo.url, branch="nope")], project.packages, jobs=1)
    assert "liba" in info.value.message
    assert "nope" in info.value.details
    assert not os.path.lexists(project.packages / "liba")
    assert leftovers(project.packages) == []


def test_missing_commit_leaves_no_checkout(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba")
    dep = project.dep("liba", repo.url, commit="0123456789abcdef0123456789abcdef01234567")
    with pytest.raises(SessionFailure) as info:
        fetch_deps([dep], project.packages, jobs=1)
    assert "git checkout 0123456789abcdef" in info.value.details
    assert not os.path.lexists(project.packages / "liba")
    assert leftovers(project.packages) == []


def test_stale_temp_dirs_are_removed(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba")
    project.packages.mkdir()
    stale = project.packages / ".tmp-liba-0123abcd"
    (stale / ".git").mkdir(parents=True)
    stale_link = project.packages / ".tmp-liba-89abcdef"
    stale_link.symlink_to(repos)
    other = project.packages / ".tmp-liba-extra-0123abcd"  # belongs to a dep named liba-extra
    other.mkdir()
    fetch_deps([project.dep("liba", repo.url)], project.packages, jobs=1)
    assert not os.path.lexists(stale)
    assert not os.path.lexists(stale_link)
    assert repos.is_dir()
    assert other.is_dir()


def test_clone_of_plain_path_url(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba")
    results = fetch_deps([project.dep("liba", str(repo.path))], project.packages, jobs=1)
    assert results["liba"].commit == repo.head()


def test_relative_path_url_is_relative_to_yaml(
    project: Project, repos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo(repos, "liba")
    monkeypatch.chdir(repo.path)  # where the relative path means something else
    relative = os.path.relpath(repo.path, project.root)
    results = fetch_deps([project.dep("liba", relative)], project.packages, jobs=1)
    assert results["liba"].commit == repo.head()

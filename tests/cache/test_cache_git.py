"""``cache: true`` git deps end to end: real repositories, real ``ivpm update`` runs."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

from ivpm.cache import is_cached
from ivpm.fetch.checkout import checkout_state
from tests.cache.conftest import cache_cli, cache_info, fetch
from tests.conftest import Project
from tests.helpers.cli import ivpm_executable
from tests.helpers.gitrepos import GitRepo, git, make_repo

CachedProject = Callable[..., Project]


def lib_repo(tmp_path: Path) -> GitRepo:
    repo = make_repo(
        tmp_path / "upstream",
        "lib",
        {"rtl/top.sv": "module top; endmodule\n", "run.sh": "#!/bin/sh\n"},
    )
    os.chmod(repo.path / "run.sh", 0o755)
    repo.commit({}, "make run.sh executable")
    repo.tag("v1.0")
    return repo


def link_target(project: Project) -> Path:
    link = project.root / "packages" / "lib"
    assert link.is_symlink()
    return Path(os.readlink(link))


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_second_project_with_the_same_dep_fetches_nothing(
    cached_project: CachedProject, cache_dir: Path, tmp_path: Path
) -> None:
    repo = lib_repo(tmp_path)
    tagged = repo.head()
    first = cached_project(repo.url, name="first", tag="v1.0")
    fetch(first)
    entry = link_target(first)
    assert is_cached(first.root / "packages" / "lib", cache_dir)
    assert (first.root / "packages" / "lib" / "rtl" / "top.sv").is_file()
    assert git(entry, "rev-parse", "HEAD") == tagged

    os.rename(repo.path, tmp_path / "upstream-gone")  # upstream unreachable from now on
    second = cached_project(repo.url, name="second", tag="v1.0")
    result = fetch(second)
    assert link_target(second) == entry
    assert "$ git" not in result.stderr  # not even ls-remote: the tag is known to the cache
    info = cache_info(cache_dir, tmp_path)
    assert info["count"] == 1
    assert info["entries"][0]["version"] == tagged
    assert info["entries"][0]["name"] == "lib"

    again = fetch(first)  # the kept path: no git process at all
    assert "$ git" not in again.stderr
    lock = json.loads((first.root / "packages" / "package-lock.json").read_text())
    assert lock["git"]["lib"]["commit"] == tagged


def test_entry_is_read_only_and_git_status_is_clean(
    cached_project: CachedProject, tmp_path: Path
) -> None:
    repo = lib_repo(tmp_path)
    project = cached_project(repo.url, commit=repo.head())
    fetch(project)
    entry = link_target(project)
    assert mode(entry) == 0o555
    assert mode(entry / "rtl") == 0o555
    assert mode(entry / "rtl" / "top.sv") == 0o444
    assert mode(entry / "run.sh") == 0o555
    assert mode(entry / ".git" / "index") == 0o444
    index_before = os.stat(entry / ".git" / "index").st_mtime_ns
    state = checkout_state(project.root / "packages" / "lib")
    assert state is not None and state.dirty is False and state.commit == repo.head()
    assert os.stat(entry / ".git" / "index").st_mtime_ns == index_before


def test_branch_is_resolved_with_ls_remote_and_shares_the_commit_entry(
    cached_project: CachedProject, cache_dir: Path, tmp_path: Path
) -> None:
    repo = lib_repo(tmp_path)
    on_branch = cached_project(repo.url, name="onbranch", branch="main")
    result = fetch(on_branch)
    assert "ls-remote" in result.stderr
    assert git(link_target(on_branch), "rev-parse", "HEAD") == repo.head()

    at_commit = cached_project(repo.url, name="atcommit", commit=repo.head())
    fetch(at_commit)
    assert link_target(at_commit) == link_target(on_branch)
    assert cache_info(cache_dir, tmp_path)["count"] == 1


def test_changed_commit_repoints_the_link(
    cached_project: CachedProject, cache_dir: Path, tmp_path: Path
) -> None:
    repo = lib_repo(tmp_path)
    first = repo.head()
    second = repo.commit({"rtl/top.sv": "module top2; endmodule\n"}, "v2")
    project = cached_project(repo.url, commit=first)
    fetch(project)
    old = link_target(project)
    project.write(project.root.joinpath("ivpm.yaml").read_text().replace(first, second))
    result = fetch(project)
    assert "linked lib" in result.stderr or "cloned lib" in result.stderr
    assert link_target(project) != old
    assert (project.root / "packages" / "lib" / "rtl" / "top.sv").read_text() == (
        "module top2; endmodule\n"
    )
    assert old.is_dir()  # the other commit's entry stays for other projects
    assert cache_info(cache_dir, tmp_path)["count"] == 2
    lock = json.loads((project.root / "packages" / "package-lock.json").read_text())
    assert lock["git"]["lib"]["commit"] == second


def test_turning_the_cache_off_replaces_the_link_with_a_clone(
    cached_project: CachedProject, tmp_path: Path
) -> None:
    repo = lib_repo(tmp_path)
    project = cached_project(repo.url, tag="v1.0")
    fetch(project)
    project.write(
        project.root.joinpath("ivpm.yaml").read_text().replace("cache: true", "cache: false")
    )
    fetch(project)
    lib = project.root / "packages" / "lib"
    assert not lib.is_symlink()
    assert git(lib, "rev-parse", "HEAD") == repo.head()
    (lib / "scratch.txt").write_text("mine\n")  # an ordinary, writable checkout


def test_removed_entry_is_filled_again(
    cached_project: CachedProject, cache_dir: Path, tmp_path: Path
) -> None:
    repo = lib_repo(tmp_path)
    project = cached_project(repo.url, tag="v1.0")
    fetch(project)
    cleaned = cache_cli(cache_dir, tmp_path, "clean", "--all")
    assert cleaned.returncode == 0, cleaned.stderr
    assert not (project.root / "packages" / "lib").exists()  # a dangling link now
    result = fetch(project)
    assert "cloned lib" in result.stderr
    assert (project.root / "packages" / "lib" / "rtl" / "top.sv").is_file()


def test_two_concurrent_updates_share_one_entry(
    cached_project: CachedProject, cache_dir: Path, tmp_path: Path
) -> None:
    repo = lib_repo(tmp_path)
    projects = [cached_project(repo.url, name=f"p{index}", tag="v1.0") for index in range(2)]
    running = [
        subprocess.Popen(
            [ivpm_executable(), "-v", "update", "--skip-py-install"],
            cwd=project.root,
            env={**os.environ, **project.env, "NO_COLOR": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for project in projects
    ]
    outputs = [process.communicate(timeout=300) for process in running]
    for process, (_out, err) in zip(running, outputs, strict=True):
        assert process.returncode == 0, err
    targets = {link_target(project) for project in projects}
    assert len(targets) == 1
    info = cache_info(cache_dir, tmp_path)
    assert info["count"] == 1
    entry = targets.pop()
    assert git(entry, "rev-parse", "HEAD") == repo.head()
    assert git(entry, "status", "--porcelain") == ""
    leftovers = [name for name in os.listdir(entry.parent) if ".tmp-" in name]
    assert leftovers == []

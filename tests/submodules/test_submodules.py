"""Git submodules of git deps: initialised recursively, honouring the user's git config."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ivpm.errors import SessionFailure
from ivpm.fetch import fetch_deps
from tests.conftest import Project
from tests.helpers.gitrepos import git, make_repo
from tests.submodules.conftest import Tree, add_submodule, allow_file_config, dep


def packages_of(tmp_path: Path) -> Path:
    (tmp_path / "ivpm.yaml").write_text("package:\n  name: demo\n", encoding="utf-8")
    return tmp_path / "packages"


@pytest.mark.usefixtures("allow_file")
def test_clone_initialises_nested_submodules_at_their_pins(tree: Tree, tmp_path: Path) -> None:
    packages = packages_of(tmp_path)
    fetch_deps([dep(tmp_path, "top", tree.top.url)], packages, jobs=1)
    top = packages / "top"
    assert (top / "lib" / "mid" / "mid.txt").read_text() == "mid v1\n"
    assert (top / "lib" / "mid" / "inner" / "inner.txt").read_text() == "inner\n"
    assert git(top / "lib" / "mid", "rev-parse", "HEAD") == tree.mid_pinned
    assert git(top, "status", "--porcelain") == ""


@pytest.mark.usefixtures("allow_file")
def test_submodules_false_leaves_them_uninitialised(tree: Tree, tmp_path: Path) -> None:
    packages = packages_of(tmp_path)
    fetch_deps([dep(tmp_path, "top", tree.top.url, submodules=False)], packages, jobs=1)
    assert (packages / "top" / "top.txt").is_file()
    assert os.listdir(packages / "top" / "lib" / "mid") == []


@pytest.mark.usefixtures("deny_file")
def test_file_transport_refused_by_git_config_is_a_clear_error(tree: Tree, tmp_path: Path) -> None:
    packages = packages_of(tmp_path)
    with pytest.raises(SessionFailure) as failure:
        fetch_deps([dep(tmp_path, "top", tree.top.url)], packages, jobs=1)
    details = failure.value.details
    assert "ivpm.yaml:5:7: top: git submodule update failed for submodule 'lib/mid'" in details
    assert "protocol.file.allow" in details
    assert "transport 'file' not allowed" in details
    assert sorted(os.listdir(packages)) == []  # nothing half-made is left


@pytest.mark.usefixtures("allow_file")
def test_shallow_clone_with_submodules(tree: Tree, tmp_path: Path) -> None:
    packages = packages_of(tmp_path)
    tree.top.commit({"top.txt": "top v2\n"}, "second")
    fetch_deps([dep(tmp_path, "top", tree.top.url, depth=1)], packages, jobs=1)
    top = packages / "top"
    assert git(top, "rev-list", "--count", "HEAD") == "1"
    assert git(top / "lib" / "mid", "rev-parse", "HEAD") == tree.mid_pinned
    assert (top / "lib" / "mid" / "inner" / "inner.txt").is_file()


def test_shallow_submodule_refused_by_server_is_fetched_in_full(
    tree: Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Protocol v0 servers refuse unadvertised commits: the pinned, non-tip submodule commit
    # cannot be fetched shallowly, so the submodules are fetched again in full.
    config = allow_file_config(tmp_path / "gitconfig", "[protocol]\n\tversion = 0\n")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    packages = packages_of(tmp_path)
    fetch_deps([dep(tmp_path, "top", tree.top.url, depth=1)], packages, jobs=1)
    mid = packages / "top" / "lib" / "mid"
    assert git(mid, "rev-parse", "HEAD") == tree.mid_pinned
    assert (mid / "inner" / "inner.txt").is_file()


@pytest.mark.usefixtures("allow_file")
def test_pinned_checkout_move_updates_submodules(tree: Tree, tmp_path: Path) -> None:
    packages = packages_of(tmp_path)
    first = tree.top.head()
    fetch_deps([dep(tmp_path, "top", tree.top.url)], packages, jobs=1, pins={"top": first})
    mid_v2 = tree.mid.head()
    tree.top.git("-C", "lib/mid", "fetch", "-q", "origin")
    tree.top.git("-C", "lib/mid", "checkout", "-q", mid_v2)
    second = tree.top.commit({}, "move the submodule")
    results = fetch_deps(
        [dep(tmp_path, "top", tree.top.url)], packages, jobs=1, pins={"top": second}
    )
    assert results["top"].action == "checked-out"
    mid = packages / "top" / "lib" / "mid"
    assert git(mid, "rev-parse", "HEAD") == mid_v2
    assert (mid / "mid.txt").read_text() == "mid v2 (not pinned)\n"


@pytest.mark.usefixtures("allow_file")
def test_submodule_with_a_bad_url_names_it(tree: Tree, tmp_path: Path) -> None:
    lost = make_repo(tmp_path / "upstream", "lost")
    add_submodule(tree.top, lost, "vendor/lost")
    os.rename(lost.path, tmp_path / "moved-away")
    packages = packages_of(tmp_path)
    with pytest.raises(SessionFailure) as failure:
        fetch_deps([dep(tmp_path, "top", tree.top.url)], packages, jobs=1)
    assert "submodule 'vendor/lost'" in failure.value.details
    assert "submodules: false" in failure.value.details


def test_ivpm_update_fetches_submodules(
    tree: Tree, make_project: Callable[..., Project], tmp_path: Path
) -> None:
    project = make_project(
        f"""\
        package:
          name: subs
          dep-sets:
            - name: default-dev
              deps:
                - name: top
                  url: {tree.top.url}
                  src: git
                  tag: v1
        """
    )
    config = allow_file_config(tmp_path / "user-gitconfig")
    project.env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(config))
    project.update("--skip-py-install")
    inner = project.root / "packages" / "top" / "lib" / "mid" / "inner" / "inner.txt"
    assert inner.read_text() == "inner\n"

    other = make_project(project.root.joinpath("ivpm.yaml").read_text(), "denied")
    other.env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    result = other.ivpm("update", "--skip-py-install")
    assert result.returncode == 1
    assert "submodule 'lib/mid'" in result.stderr
    assert "protocol.file.allow" in result.stderr

"""``ivpm sync`` and submodules: they follow a fast-forward, and one that could not is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivpm.errors import Location
from ivpm.fetch.sync import Checkout, Verdict, sync_checkouts
from ivpm.project.model import Dep, Source
from tests.helpers.gitrepos import clone_repo, git, make_repo
from tests.submodules.conftest import add_submodule, allow_file_config


def test_submodules_follow_a_fast_forward_and_one_left_behind_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(allow_file_config(tmp_path / "gitconfig")))
    sub = make_repo(tmp_path / "up", "sub", {"sub.txt": "one\n"})
    top = make_repo(tmp_path / "up", "top")
    add_submodule(top, sub, "vendor/sub")
    (tmp_path / "packages").mkdir()
    checkout = clone_repo(top.url, tmp_path / "packages" / "top", "--recurse-submodules")
    dep = Dep(name="top", src=Source.GIT, url=top.url, location=Location(Path("ivpm.yaml"), 1, 1))

    moved_to = sub.commit({"sub.txt": "two\n"})
    top.git("-C", "vendor/sub", "pull", "-q", "origin", "main")
    top.commit({}, "submodule to two")
    (result,) = sync_checkouts([Checkout(dep, checkout)], jobs=1, dry_run=False)
    assert result.verdict is Verdict.MOVED, result.message
    assert git(checkout / "vendor" / "sub", "rev-parse", "HEAD") == moved_to
    assert (checkout / "vendor" / "sub" / "sub.txt").read_text() == "two\n"

    # the superproject now records a submodule commit its server does not have
    unpushed = clone_repo(sub.url, tmp_path / "elsewhere")
    (unpushed / "sub.txt").write_text("three\n")
    git(unpushed, "commit", "-q", "-am", "never pushed")
    missing = git(unpushed, "rev-parse", "HEAD")
    top.git("update-index", "--cacheinfo", f"160000,{missing},vendor/sub")
    top.git("commit", "-q", "-m", "submodule to a commit nobody pushed")
    (result,) = sync_checkouts([Checkout(dep, checkout)], jobs=1, dry_run=False)
    assert result.verdict is Verdict.LEFT
    assert "but its submodules did not follow" in result.message
    assert git(checkout, "rev-parse", "HEAD") == top.head()

    (again,) = sync_checkouts([Checkout(dep, checkout)], jobs=1, dry_run=False)
    assert again.verdict is Verdict.LEFT, "not 'up to date': its submodule is behind"
    assert "submodule vendor/sub is checked out at another commit" in again.message
    assert "uncommitted" not in again.message

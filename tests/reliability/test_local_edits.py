"""Work in a source checkout is never lost: not by update, --force-py-install or --lock-file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project, srcpkg_project_yaml
from tests.helpers.gitrepos import GitRepo, git, make_repo, python_package_files

pytestmark = pytest.mark.installer

MakeProject = Callable[..., Project]


def test_local_edits_survive_every_kind_of_update(
    make_project: MakeProject, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repos", "srcpkg", python_package_files("srcpkg", "srcpkg"))
    project = make_project(srcpkg_project_yaml("edits", repo.url))
    project.update()
    checkout = project.root / "packages" / "srcpkg"
    local_head = GitRepo(checkout).commit({"notes.txt": "committed locally\n"}, "local work")
    init = checkout / "srcpkg" / "__init__.py"
    edited = init.read_text() + "\nEDITED = 'mine'\n"
    init.write_text(edited)
    upstream = repo.commit({"srcpkg/new.py": "NEW = 1\n"}, "upstream moves on")

    def assert_kept() -> None:
        assert init.read_text() == edited
        assert git(checkout, "rev-parse", "HEAD") == local_head
        assert project.py("import srcpkg; print(srcpkg.EDITED)") == "mine"

    project.update()
    assert_kept()
    project.update("--force-py-install")
    assert_kept()

    lock = json.loads((project.root / "packages" / "package-lock.json").read_text())
    lock["git"]["srcpkg"]["commit"] = upstream
    lock_file = tmp_path / "other-lock.json"
    lock_file.write_text(json.dumps(lock))
    refused = project.ivpm("update", "--lock-file", str(lock_file))
    assert refused.returncode == 1
    assert "srcpkg" in refused.stderr and "uncommitted changes" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert_kept()

    git(checkout, "commit", "-q", "-am", "more local work")
    local_head = git(checkout, "rev-parse", "HEAD")
    refused = project.ivpm("update", "--lock-file", str(lock_file))
    assert refused.returncode == 1
    assert "srcpkg" in refused.stderr and "on no remote branch" in refused.stderr
    assert_kept()

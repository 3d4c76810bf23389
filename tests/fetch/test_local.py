"""``src: dir`` deps: copies and links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ivpm.errors import SessionFailure
from ivpm.fetch import fetch_deps
from ivpm.project.model import Source
from tests.fetch.conftest import Project
from tests.helpers.gitrepos import make_repo, write_files


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A local package directory with things a copy must skip."""
    root = tmp_path / "libsrc"
    write_files(
        root,
        {
            "pyproject.toml": "[project]\nname = 'libsrc'\n",
            "libsrc/__init__.py": "X = 1\n",
            "libsrc/__pycache__/junk.pyc": "junk",
            "packages/python/marker": "venv of the source project",
            "docs/packages/keep.txt": "nested packages dirs are ordinary",
        },
    )
    (root / "libsrc" / "alias.py").symlink_to("__init__.py")
    return root


def test_dir_copy(project: Project, source: Path) -> None:
    dep = project.dep("libsrc", source.as_uri(), src=Source.DIR)
    result = fetch_deps([dep], project.packages, jobs=1)["libsrc"]
    dest = project.packages / "libsrc"
    assert (result.kind, result.action, result.commit) == ("dir", "copied", None)
    assert not dest.is_symlink()
    assert (dest / "libsrc" / "__init__.py").read_text() == "X = 1\n"
    assert (dest / "docs" / "packages" / "keep.txt").is_file()
    assert not (dest / "packages").exists()
    assert not (dest / "libsrc" / "__pycache__").exists()
    assert os.readlink(dest / "libsrc" / "alias.py") == "__init__.py"
    assert not [name for name in os.listdir(project.packages) if name.startswith(".tmp-")]


def test_dir_copy_includes_git_metadata(project: Project, repos: Path) -> None:
    repo = make_repo(repos, "liba", {"a.txt": "a\n"})
    dep = project.dep("liba", str(repo.path), src=Source.DIR)
    fetch_deps([dep], project.packages, jobs=1)
    assert (project.packages / "liba" / ".git" / "HEAD").is_file()


def test_dir_relative_path_is_relative_to_yaml(project: Project, source: Path) -> None:
    relative = os.path.relpath(source, project.root)
    dep = project.dep("libsrc", relative, src=Source.DIR)
    fetch_deps([dep], project.packages, jobs=1)
    assert (project.packages / "libsrc" / "pyproject.toml").is_file()


def test_existing_copy_is_kept(project: Project, source: Path) -> None:
    dep = project.dep("libsrc", source.as_uri(), src=Source.DIR)
    fetch_deps([dep], project.packages, jobs=1)
    (project.packages / "libsrc" / "local.txt").write_text("mine\n")
    (source / "new.txt").write_text("new upstream\n")
    result = fetch_deps([dep], project.packages, jobs=1)["libsrc"]
    assert result.action == "kept"
    assert (project.packages / "libsrc" / "local.txt").read_text() == "mine\n"
    assert not (project.packages / "libsrc" / "new.txt").exists()


def test_dir_link(project: Project, source: Path, tmp_path: Path) -> None:
    dep = project.dep("libsrc", source.as_uri(), src=Source.DIR, link=True)
    result = fetch_deps([dep], project.packages, jobs=1)["libsrc"]
    dest = project.packages / "libsrc"
    assert (result.kind, result.action) == ("link", "linked")
    assert dest.is_symlink()
    assert os.readlink(dest) == str(source)
    assert fetch_deps([dep], project.packages, jobs=1)["libsrc"].action == "kept"

    moved = tmp_path / "libsrc2"
    moved.mkdir()
    dep = project.dep("libsrc", str(moved), src=Source.DIR, link=True)
    result = fetch_deps([dep], project.packages, jobs=1)["libsrc"]
    assert result.action == "relinked"
    assert os.readlink(dest) == str(moved)
    assert source.is_dir()  # re-pointing never touches the old target


def test_dir_link_keeps_existing_directory(project: Project, source: Path) -> None:
    (project.packages / "libsrc").mkdir(parents=True)
    dep = project.dep("libsrc", source.as_uri(), src=Source.DIR, link=True)
    result = fetch_deps([dep], project.packages, jobs=1)["libsrc"]
    assert (result.kind, result.action) == ("dir", "kept")
    assert not (project.packages / "libsrc").is_symlink()


@pytest.mark.parametrize("link", [False, True])
def test_missing_dir_source(project: Project, tmp_path: Path, link: bool) -> None:
    missing = tmp_path / "nowhere"
    dep = project.dep("libsrc", missing.as_uri(), src=Source.DIR, link=link, line=12)
    with pytest.raises(SessionFailure) as info:
        fetch_deps([dep], project.packages, jobs=1)
    assert "libsrc" in info.value.message
    assert "ivpm.yaml:12:7" in info.value.details
    assert str(missing) in info.value.details
    assert not os.path.lexists(project.packages / "libsrc")
    assert os.listdir(project.packages) == []


def test_project_itself_as_dir_source_skips_packages(project: Project) -> None:
    (project.root / "mod.py").write_text("Y = 2\n")
    dep = project.dep("self", ".", src=Source.DIR)
    fetch_deps([dep], project.packages, jobs=1)
    assert (project.packages / "self" / "mod.py").is_file()
    assert not (project.packages / "self" / "packages").exists()

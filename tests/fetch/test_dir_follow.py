"""A dir dep's ``packages/<name>`` follows its ``url`` and ``link``; bad records are ignored."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ivpm.fetch import fetch_deps, staging
from ivpm.fetch.local import dir_identity
from ivpm.layout import DIR_RECORDS_DIR_NAME
from ivpm.project.model import Dep, Source
from tests.fetch.conftest import Project
from tests.helpers.gitrepos import write_files


def source(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    write_files(root, {"pyproject.toml": f"[project]\nname = '{name}'\n", "mod.py": name})
    return root


def fetch(project: Project, url: Path, *, link: bool) -> str:
    dep = project.dep("lib", str(url), src=Source.DIR, link=link)
    return fetch_deps([dep], project.packages, jobs=1)["lib"].action


def record(project: Project) -> Path:
    return project.packages / DIR_RECORDS_DIR_NAME / "lib.json"


def content(project: Project) -> str:
    return (project.packages / "lib" / "mod.py").read_text()


def leftovers(project: Project) -> list[str]:
    return [name for name in os.listdir(project.packages) if name.startswith(".tmp-")]


def test_each_change_makes_the_entry_again(project: Project, tmp_path: Path) -> None:
    first, second = source(tmp_path, "first"), source(tmp_path, "second")
    dest = project.packages / "lib"
    assert fetch(project, first, link=False) == "copied"
    assert json.loads(record(project).read_text()) == {
        "version": 1,
        "mode": "copy",
        "source": str(first),
    }
    assert fetch(project, first, link=False) == "kept"
    assert fetch(project, second, link=False) == "recopied"
    assert (content(project), dest.is_symlink()) == ("second", False)
    assert fetch(project, second, link=True) == "relinked"
    assert os.readlink(dest) == str(second)
    assert fetch(project, second, link=True) == "kept"
    assert fetch(project, first, link=True) == "relinked"
    assert os.readlink(dest) == str(first)
    assert fetch(project, first, link=False) == "recopied"
    assert (content(project), dest.is_symlink()) == ("first", False)
    assert first.is_dir() and second.is_dir()  # replacing never touches a source
    assert leftovers(project) == []


def test_a_link_without_a_record_describes_itself(project: Project, tmp_path: Path) -> None:
    """An older ivpm's link holds no work: a change to a copy replaces it."""
    first = source(tmp_path, "first")
    project.packages.mkdir()
    (project.packages / "lib").symlink_to(first)
    assert fetch(project, first, link=True) == "kept"
    assert fetch(project, first, link=False) == "recopied"
    assert not (project.packages / "lib").is_symlink()


@pytest.mark.parametrize("link", [False, True])
def test_a_folder_without_a_record_is_kept(project: Project, tmp_path: Path, link: bool) -> None:
    first = source(tmp_path, "first")
    write_files(project.packages / "lib", {"mod.py": "mine"})
    assert fetch(project, first, link=link) == "kept"
    assert content(project) == "mine"
    assert not record(project).exists()


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"{",
        b"\xff\xfe",
        b"[]",
        b'{"version": 2, "mode": "copy", "source": "/x"}',
        b'{"version": 1, "mode": "copy", "source": null}',
        b'{"version": 1, "mode": "move", "source": "/x"}',
    ],
)
def test_a_bad_record_means_nothing_recorded(project: Project, tmp_path: Path, text: bytes) -> None:
    first, second = source(tmp_path, "first"), source(tmp_path, "second")
    fetch(project, first, link=False)
    record(project).write_bytes(text)
    assert fetch(project, second, link=False) == "kept"
    assert content(project) == "first"


def test_an_interrupted_replacement_is_redone(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until the new copy is in place, the record still describes the old one."""
    first, second = source(tmp_path, "first"), source(tmp_path, "second")
    fetch(project, first, link=False)

    def interrupted(temp: Path, dest: Path) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(staging, "move_into_place", interrupted)
        with pytest.raises(KeyboardInterrupt):
            fetch(project, second, link=False)
    assert content(project) == "first"
    assert json.loads(record(project).read_text())["source"] == str(first)
    assert leftovers(project) == []
    assert fetch(project, second, link=False) == "recopied"
    assert content(project) == "second"


def test_dir_identity(project: Project, tmp_path: Path) -> None:
    first = source(tmp_path, "first")

    def identity(url: str, link: bool) -> str:
        return dir_identity(
            Dep(
                name="lib",
                url=url,
                src=Source.DIR,
                link=link,
                location=project.dep("lib", url).location,
            )
        )

    assert identity(str(first), False) == f"copy:{first}"
    assert identity(first.as_uri() + "/", True) == f"link:{first}"
    relative = os.path.relpath(first, project.root)
    assert identity(relative, False) == identity(str(first), False)
    assert identity("file://elsewhere/x", True) == "link:file://elsewhere/x"

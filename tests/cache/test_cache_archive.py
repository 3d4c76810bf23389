"""``cache: true`` on archive deps: one shared read-only copy; a second project fetches nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ivpm.cache.meta import meta_path, read_meta
from ivpm.errors import Location, SessionFailure
from ivpm.fetch import fetch_deps
from ivpm.project.model import Dep, Source
from ivpm.pyenv.distributions import editable_location
from tests.archives.builders import build, files
from tests.archives.test_cli import archive_yaml
from tests.conftest import Project, dist_versions
from tests.helpers.gitrepos import python_package_files
from tests.helpers.httpserver import FileServer

MakeProject = Callable[..., Project]
UVM = {"src/uvm_pkg.sv": "package uvm_pkg; endpackage\n"}


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer() as running:
        yield running


def _cached(make_project: MakeProject, cache_dir: Path, text: str, name: str) -> Project:
    project = make_project(text, name)
    project.env["IVPM_CACHE"] = str(cache_dir)
    return project


def _archive_dep(tmp_path: Path, url: str, **fields: Any) -> Dep:
    """A ``cache: true`` archive dep ``uvm`` declared in ``tmp_path/ivpm.yaml``."""
    yaml = tmp_path / "ivpm.yaml"
    yaml.write_text("package:\n  name: p\n", encoding="utf-8")
    return Dep(
        name="uvm",
        src=Source.HTTP,
        url=url,
        cache=True,
        location=Location(yaml, 5, 7),
        declared_in=yaml,
        **fields,
    )


def test_a_kept_cached_archive_records_its_entry_as_used(
    tmp_path: Path, cache_dir: Path, server: FileServer
) -> None:
    url = server.add("/uvm-1.2.tar.gz", build(".tar.gz", files(UVM, top="uvm-1.2")))
    dep = _archive_dep(tmp_path, url)
    packages = tmp_path / "packages"
    assert fetch_deps([dep], packages, jobs=1)["uvm"].action == "downloaded"
    entry = Path(os.path.realpath(packages / "uvm")).parent
    data = json.loads(meta_path(entry).read_text())
    data["last_used"] = "2020-01-01T00:00:00+00:00"
    meta_path(entry).write_text(json.dumps(data))
    assert fetch_deps([dep], packages, jobs=1)["uvm"].action == "kept"
    assert (read_meta(entry) or {})["last_used"] > "2020-01-02"
    assert server.count("/uvm-1.2.tar.gz") == 1


def test_a_cached_archive_with_patches_is_refused_before_it_is_fetched(
    tmp_path: Path, cache_dir: Path, server: FileServer
) -> None:
    url = server.add("/uvm-1.2.tar.gz", build(".tar.gz", files(UVM, top="uvm-1.2")))
    dep = _archive_dep(tmp_path, url, patches=("fix.patch",))
    with pytest.raises(SessionFailure) as failure:
        fetch_deps([dep], tmp_path / "packages", jobs=1)
    assert "cannot be patched" in failure.value.details
    assert server.count("/uvm-1.2.tar.gz") == 0
    assert not cache_dir.exists()


def test_two_projects_share_one_archive_entry_and_the_second_downloads_nothing(
    make_project: MakeProject, cache_dir: Path, server: FileServer
) -> None:
    url = server.add("/uvm-1.2.tar.gz", build(".tar.gz", files(UVM, top="uvm-1.2")))
    text = archive_yaml("uvm", url, "cache: true", venv=False)
    first = _cached(make_project, cache_dir, text, "first")
    second = _cached(make_project, cache_dir, text, "second")

    for project in (first, second):
        result = project.ivpm("update", installer=False)
        assert result.returncode == 0, result.stderr

    assert server.count("/uvm-1.2.tar.gz") == 1
    links = [project.root / "packages" / "uvm" for project in (first, second)]
    assert all(link.is_symlink() for link in links)
    assert os.path.realpath(links[0]) == os.path.realpath(links[1])
    shared = Path(os.path.realpath(links[0]))
    assert shared.is_relative_to(os.path.realpath(cache_dir))
    assert (shared / "src" / "uvm_pkg.sv").read_text() == UVM["src/uvm_pkg.sv"]
    assert not os.access(shared / "src" / "uvm_pkg.sv", os.W_OK) or os.geteuid() == 0
    assert not (shared.stat().st_mode & 0o222)  # sealed read-only


def test_turning_the_cache_off_gives_the_project_its_own_copy(
    make_project: MakeProject, cache_dir: Path, server: FileServer
) -> None:
    url = server.add("/uvm.zip", build(".zip", files(UVM, top="uvm")))
    project = _cached(make_project, cache_dir, archive_yaml("uvm", url, "cache: true"), "p")
    assert project.ivpm("update", "--skip-py-install", installer=False).returncode == 0
    project.write(archive_yaml("uvm", url, venv=False))
    result = project.ivpm("update", installer=False)
    assert result.returncode == 0, result.stderr
    dest = project.root / "packages" / "uvm"
    assert dest.is_dir() and not dest.is_symlink()
    (dest / "src" / "uvm_pkg.sv").write_text("edited\n")  # the project's own, writable copy


@pytest.mark.installer
def test_a_cached_python_archive_is_installed_from_a_copy_not_editable(
    make_project: MakeProject, cache_dir: Path, server: FileServer
) -> None:
    content = python_package_files("arcpkg", "arcpkg", version="1.4.0")
    url = server.add("/arcpkg-1.4.0.tar.gz", build(".tar.gz", files(content, top="arcpkg-1.4.0")))
    project = _cached(make_project, cache_dir, archive_yaml("arcpkg", url, "cache: true"), "py")
    project.update()
    venv = project.root / "packages" / "python"
    assert editable_location(venv, "arcpkg") is None
    assert dist_versions(project.python, ["arcpkg"]) == {"arcpkg": "1.4.0"}
    assert project.py("import arcpkg; print(arcpkg.hello())") == "arcpkg 1.4.0"
    shared = Path(os.path.realpath(project.root / "packages" / "arcpkg"))
    assert sorted(p.name for p in shared.iterdir()) == sorted(
        p.name for p in shared.iterdir() if not p.name.endswith(".egg-info")
    )  # the build wrote nothing into the shared entry
    again = project.ivpm("update")
    assert again.returncode == 0 and "up to date" in again.stderr + again.stdout
    status = project.ivpm("status")
    assert status.returncode == 0, status.stdout + status.stderr

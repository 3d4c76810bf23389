"""``ivpm update`` end to end on projects whose ivpm.yaml names archive deps."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ivpm.pyenv.distributions import editable_location
from tests.archives.builders import build, files
from tests.conftest import Project
from tests.helpers.cli import ivpm_executable
from tests.helpers.gitrepos import python_package_files
from tests.helpers.httpserver import FileServer

MakeProject = Callable[..., Project]
UVM = {"src/uvm_pkg.sv": "package uvm_pkg; endpackage\n", "README.md": "UVM\n"}


def archive_yaml(name: str, url: str, *extra: str, venv: bool = True) -> str:
    settings = "" if venv else "  with:\n    python:\n      venv: false\n"
    lines = "".join(f"          {line}\n" for line in extra)
    return (
        f"package:\n  name: {name}-proj\n{settings}"
        "  dep-sets:\n    - name: default-dev\n      deps:\n"
        f"        - name: {name}\n          url: {url}\n{lines}"
    )


def leftovers(packages: Path, name: str) -> list[str]:
    """Entries of ``packages`` that a fetch of ``name`` made (its folder, temporaries, record)."""
    if not packages.exists():
        return []
    found = [p for p in os.listdir(packages) if p == name or p.startswith(f".tmp-{name}-")]
    if (packages / ".ivpm-archives" / f"{name}.json").exists():
        found.append(f".ivpm-archives/{name}.json")
    return found


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer() as running:
        yield running


def test_raw_archive_lands_in_packages_and_is_kept(
    make_project: MakeProject, server: FileServer
) -> None:
    url = server.add("/uvm-1.2.tar.gz", build(".tar.gz", files(UVM, top="uvm-1.2")))
    project = make_project(archive_yaml("uvm", url, venv=False))
    first = project.ivpm("update", installer=False)
    assert first.returncode == 0, first.stderr
    dest = project.root / "packages" / "uvm"
    assert (dest / "src" / "uvm_pkg.sv").read_text() == UVM["src/uvm_pkg.sv"]
    assert server.count("/uvm-1.2.tar.gz") == 1
    again = project.ivpm("update", installer=False)
    assert again.returncode == 0, again.stderr
    assert server.count("/uvm-1.2.tar.gz") == 1


def test_jar_is_saved_as_a_file(make_project: MakeProject, server: FileServer) -> None:
    data = build(".jar", files({"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n"}))
    url = server.add("/tool-3.0.jar", data)
    project = make_project(archive_yaml("tool", url, venv=False))
    result = project.ivpm("update", installer=False)
    assert result.returncode == 0, result.stderr
    assert (project.root / "packages" / "tool").read_bytes() == data


def test_404_fails_with_the_url_and_the_yaml_location(
    make_project: MakeProject, server: FileServer
) -> None:
    url = f"{server.url}/nowhere/ip-1.0.zip"
    text = archive_yaml("ip", url, venv=False)
    project = make_project(text)
    result = project.ivpm("update", installer=False)
    assert result.returncode != 0
    assert url in result.stderr and "404" in result.stderr
    line = text.splitlines().index("        - name: ip") + 1
    assert f"ivpm.yaml:{line}:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project.root / "packages" / "ip").exists()


def test_sha256_mismatch_fails_and_leaves_nothing(
    make_project: MakeProject, server: FileServer
) -> None:
    url = server.add("/ip.zip", build(".zip", files(UVM)))
    project = make_project(archive_yaml("ip", url, f"sha256: {'ab' * 32}", venv=False))
    result = project.ivpm("update", installer=False)
    assert result.returncode != 0
    assert "sha256 mismatch" in result.stderr and "ab" * 32 in result.stderr
    assert leftovers(project.root / "packages", "ip") == []


@pytest.mark.timeout(120)
def test_ctrl_c_during_a_download_leaves_nothing(
    make_project: MakeProject, server: FileServer
) -> None:
    url = server.hang("/ip.tar.gz")
    project = make_project(archive_yaml("ip", url, venv=False))
    env = {**os.environ, **project.env, "IVPM_HTTP_TIMEOUT": "5", "IVPM_HTTP_RETRIES": "0"}
    # The server thread runs, so no preexec_fn: a SIGINT handled here (not ignored, as in a
    # background job) is reset to its default in the child by exec.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(
            [ivpm_executable(), "update"],
            cwd=project.root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        assert server.wait_for_request("/ip.tar.gz", timeout=60), "ivpm never asked"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert "Traceback" not in stderr
    assert leftovers(project.root / "packages", "ip") == []


@pytest.mark.installer
def test_archived_python_project_is_installed_editable(
    make_project: MakeProject, server: FileServer
) -> None:
    content = python_package_files("arcpkg", "arcpkg", version="1.4.0")
    url = server.add("/arcpkg-1.4.0.tar.gz", build(".tar.gz", files(content, top="arcpkg-1.4.0")))
    project = make_project(archive_yaml("arcpkg", url))
    project.update()
    dest = project.root / "packages" / "arcpkg"
    assert (dest / "pyproject.toml").is_file()
    venv = project.root / "packages" / "python"
    assert editable_location(venv, "arcpkg") == dest
    assert project.py("import arcpkg; print(arcpkg.hello())") == "arcpkg 1.4.0"

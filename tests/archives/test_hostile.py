"""Hostile archives served over HTTP: every one is refused and leaves nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ivpm.fetch.result import DepFetchError
from tests.archives.builders import Entry, build, files
from tests.archives.conftest import Project
from tests.helpers.httpserver import FileServer


def refused(server: FileServer, project: Project, fmt: str, entries: list[Entry]) -> str:
    """Serve the archive, fetch it, and return the refusal's reason; checks nothing is left."""
    url = server.add(f"/bad{fmt}", build(fmt, entries))
    with pytest.raises(DepFetchError) as caught:
        project.fetch(project.dep("bad", url))
    assert os.listdir(project.packages) == []
    return caught.value.reason


@pytest.mark.parametrize("fmt", [".zip", ".tar.gz"])
def test_zip_slip_is_refused(
    fmt: str, server: FileServer, project: Project, tmp_path: Path
) -> None:
    entries = [*files({"ok.txt": "ok"}), Entry("../evil", b"pwned"), Entry("../../evil2", b"x")]
    reason = refused(server, project, fmt, entries)
    assert "'../evil'" in reason and "'..'" in reason
    assert not (project.root / "evil").exists() and not (tmp_path / "evil2").exists()


@pytest.mark.parametrize("fmt", [".zip", ".tar"])
def test_inner_dot_dot_is_refused(fmt: str, server: FileServer, project: Project) -> None:
    reason = refused(server, project, fmt, [Entry("a/../../evil", b"x")])
    assert "a/../../evil" in reason


@pytest.mark.parametrize("fmt", [".zip", ".tar.gz"])
def test_absolute_member_is_refused(
    fmt: str, server: FileServer, project: Project, tmp_path: Path
) -> None:
    target = tmp_path / "abs-target"
    reason = refused(server, project, fmt, [Entry(str(target), b"x")])
    assert "absolute path" in reason and str(target) in reason
    assert not target.exists()


def test_symlink_to_etc_in_a_tarball_is_refused(server: FileServer, project: Project) -> None:
    entries = [*files({"a.txt": "a"}, top="p"), Entry("p/etc", kind="symlink", target="/etc")]
    reason = refused(server, project, ".tar.gz", entries)
    assert "'p/etc'" in reason and "/etc" in reason and "outside" in reason


def test_symlink_then_write_through_it_is_refused(
    server: FileServer, project: Project, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    entries = [
        Entry("p/link", kind="symlink", target=str(outside)),
        Entry("p/link/planted.txt", b"x"),
    ]
    refused(server, project, ".tar.gz", entries)
    assert list(outside.iterdir()) == []


def test_relative_symlink_out_of_the_package_is_refused(
    server: FileServer, project: Project
) -> None:
    entries = [*files({"a": "a", "b": "b"}), Entry("up", kind="symlink", target="../../..")]
    reason = refused(server, project, ".tar.xz", entries)
    assert "'up'" in reason and "outside" in reason


def test_chained_symlinks_that_escape_are_refused(server: FileServer, project: Project) -> None:
    # Each target looks inside on its own; 't' really resolves above the package folder.
    entries = [
        Entry("deep/x/", kind="dir"),
        Entry("other.txt", b"o"),
        Entry("deep/x/s", kind="symlink", target="../.."),
        Entry("deep/x/t", kind="symlink", target="s/../.."),
    ]
    reason = refused(server, project, ".tar.gz", entries)
    assert "outside" in reason


def test_zip_symlink_to_etc_is_refused(server: FileServer, project: Project) -> None:
    entries = [*files({"a.txt": "a"}), Entry("etc", kind="symlink", target="/etc")]
    reason = refused(server, project, ".zip", entries)
    assert "'etc'" in reason and "outside" in reason


def test_hard_link_outside_is_refused(server: FileServer, project: Project) -> None:
    entries = [*files({"a.txt": "a"}), Entry("passwd", kind="hardlink", target="/etc/passwd")]
    reason = refused(server, project, ".tar", entries)
    assert "'passwd'" in reason and "/etc/passwd" in reason and "outside" in reason


def test_hard_link_up_the_tree_is_refused(server: FileServer, project: Project) -> None:
    entries = [*files({"a.txt": "a"}), Entry("h", kind="hardlink", target="../ivpm.yaml")]
    reason = refused(server, project, ".tar.gz", entries)
    assert "'h'" in reason


def test_hard_link_to_a_missing_member_is_refused(server: FileServer, project: Project) -> None:
    entries = [*files({"a.txt": "a"}), Entry("h", kind="hardlink", target="nope.txt")]
    reason = refused(server, project, ".tar.gz", entries)
    assert "not a file in the archive" in reason


@pytest.mark.parametrize("kind", ["chr", "fifo"])
def test_device_files_and_fifos_are_refused(
    kind: str, server: FileServer, project: Project
) -> None:
    entries = [*files({"a.txt": "a"}), Entry("dev", kind=kind)]
    reason = refused(server, project, ".tar.gz", entries)
    assert "'dev'" in reason


def test_unpacked_size_limit(
    server: FileServer, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVPM_MAX_UNPACK_BYTES", "1000")
    reason = refused(server, project, ".zip", [Entry("big.bin", b"\0" * 5000)])
    assert "more than 1000 bytes" in reason


def test_too_many_members(
    server: FileServer, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVPM_MAX_UNPACK_MEMBERS", "10")
    many = files({f"f{i}.txt": "x" for i in range(20)})
    reason = refused(server, project, ".tar.gz", many)
    assert "more than 10 members" in reason


def test_download_size_limit(
    server: FileServer, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVPM_MAX_DOWNLOAD_BYTES", "100")
    reason = refused(server, project, ".zip", [Entry("big.bin", os.urandom(5000))])
    assert "download limit of 100 bytes" in reason


def test_a_file_member_under_a_file_is_refused(server: FileServer, project: Project) -> None:
    entries = [Entry("a", b"file"), Entry("a/b", b"under a file")]
    reason = refused(server, project, ".tar.gz", entries)
    assert "'a'" in reason


def test_not_an_archive(server: FileServer, project: Project) -> None:
    url = server.add("/fake.tar.gz", b"<html>not found</html>")
    with pytest.raises(DepFetchError) as caught:
        project.fetch(project.dep("bad", url))
    assert "fake.tar.gz" in caught.value.reason and "not a valid" in caught.value.reason
    assert os.listdir(project.packages) == []

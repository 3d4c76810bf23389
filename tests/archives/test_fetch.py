"""Archive deps fetched from a real local HTTP server (and file URLs) into packages/<name>."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ivpm.fetch.archive import Download, kept_archive, record_path
from ivpm.fetch.ghassets import ARCHIVE_SUFFIXES
from ivpm.fetch.parallel import fetch_deps
from ivpm.fetch.result import DepFetchError
from ivpm.fetch.unpack import archive_format
from ivpm.project.model import Source
from tests.archives.builders import FORMATS, Entry, build, files
from tests.archives.conftest import Project
from tests.helpers.httpserver import FileServer

IP_FILES = {"rtl/top.sv": "module top; endmodule\n", "README": "an IP\n"}


def tree(root: Path) -> dict[str, str]:
    """Every file below ``root`` (relative path -> text)."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(root).as_posix()] = path.read_text()
    return found


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_top_folder_is_stripped(fmt: str, server: FileServer, project: Project) -> None:
    url = server.add(f"/ip-1.0{fmt}", build(fmt, files(IP_FILES, top="ip-1.0")))
    result = project.fetch(project.dep("ip", url))
    dest = project.packages / "ip"
    assert (result.kind, result.action, result.path) == ("archive", "downloaded", dest)
    assert tree(dest) == IP_FILES
    assert project.entries() == ["ip"]


def test_every_release_asset_ghassets_picks_can_be_unpacked() -> None:
    for suffix in ARCHIVE_SUFFIXES:
        assert archive_format(f"tool-linux-x64{suffix}") == suffix


@pytest.mark.parametrize("fmt", FORMATS)
def test_two_top_level_entries_stay(fmt: str, server: FileServer, project: Project) -> None:
    content = {"a/x.txt": "x", "b.txt": "b"}
    url = server.add(f"/two{fmt}", build(fmt, files(content)))
    project.fetch(project.dep("two", url))
    assert tree(project.packages / "two") == content


def test_a_single_top_level_file_is_not_stripped(server: FileServer, project: Project) -> None:
    url = server.add("/one.tar.gz", build(".tar.gz", files({"only.txt": "1"})))
    project.fetch(project.dep("one", url))
    assert tree(project.packages / "one") == {"only.txt": "1"}


@pytest.mark.parametrize("fmt", [".tar.gz", ".zip"])
def test_executable_bit_is_kept_and_setuid_dropped(
    fmt: str, server: FileServer, project: Project
) -> None:
    entries = [
        Entry("tool/bin/run", b"#!/bin/sh\necho hi\n", mode=0o4755),
        Entry("tool/data.txt", b"d", mode=0o600),
    ]
    url = server.add(f"/tool{fmt}", build(fmt, entries))
    project.fetch(project.dep("tool", url))
    run = (project.packages / "tool" / "bin" / "run").stat().st_mode
    data = (project.packages / "tool" / "data.txt").stat().st_mode
    assert run & 0o111 == 0o111 and not run & (stat.S_ISUID | stat.S_ISGID)
    assert data & 0o111 == 0


def test_relative_symlink_inside_is_kept(server: FileServer, project: Project) -> None:
    entries = [
        *files({"lib/real.v": "module m; endmodule\n"}, top="p"),
        Entry("p/lib/alias.v", kind="symlink", target="real.v"),
        Entry("p/top", kind="symlink", target="lib"),
    ]
    url = server.add("/p.tar.gz", build(".tar.gz", entries))
    project.fetch(project.dep("p", url))
    dest = project.packages / "p"
    assert os.readlink(dest / "lib" / "alias.v") == "real.v"
    assert (dest / "top" / "alias.v").read_text() == "module m; endmodule\n"


def test_hard_link_inside_becomes_a_file(server: FileServer, project: Project) -> None:
    entries = [
        *files({"a.txt": "same"}, top="h"),
        Entry("h/b.txt", kind="hardlink", target="h/a.txt"),
    ]
    url = server.add("/h.tar", build(".tar", entries))
    project.fetch(project.dep("h", url))
    assert tree(project.packages / "h") == {"a.txt": "same", "b.txt": "same"}


def test_unpack_false_saves_the_file_itself(server: FileServer, project: Project) -> None:
    data = build(".tar.gz", files(IP_FILES, top="ip"))
    url = server.add("/ip.tar.gz", data)
    result = project.fetch(project.dep("ip", url, unpack=False))
    dest = project.packages / "ip"
    assert (result.kind, result.action) == ("file", "downloaded")
    assert dest.is_file() and dest.read_bytes() == data


def test_jar_is_saved_as_a_file_by_default(server: FileServer, project: Project) -> None:
    data = build(".jar", files({"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n"}))
    url = server.add("/tool-2.1.jar", data)
    result = project.fetch(project.dep("tool", url))
    assert result.kind == "file"
    assert (project.packages / "tool").read_bytes() == data


def test_jar_with_unpack_true_is_unpacked(server: FileServer, project: Project) -> None:
    content = {"META-INF/MANIFEST.MF": "M\n", "org/Tool.class": "c"}
    url = server.add("/tool.jar", build(".jar", files(content)))
    result = project.fetch(project.dep("tool", url, unpack=True))
    assert result.kind == "archive"
    assert tree(project.packages / "tool") == content


def test_filename_decides_the_format_when_the_url_has_none(
    server: FileServer, project: Project
) -> None:
    url = server.add("/download/12345", build(".zip", files(IP_FILES, top="x")))
    result = project.fetch(project.dep("ip", url), download=Download(url, "ip-1.0.zip"))
    assert result.kind == "archive"
    assert tree(project.packages / "ip") == IP_FILES


def test_unknown_extension_is_an_error_with_a_hint(server: FileServer, project: Project) -> None:
    url = server.add("/blob.bin", b"\x00\x01")
    with pytest.raises(DepFetchError) as caught:
        project.fetch(project.dep("blob", url))
    assert "blob.bin" in caught.value.reason
    assert caught.value.hint is not None and "unpack: false" in caught.value.hint
    assert server.requests == []
    assert project.entries() == []


def test_unknown_extension_with_unpack_false_is_saved(server: FileServer, project: Project) -> None:
    url = server.add("/blob.bin", b"\x00\x01")
    project.fetch(project.dep("blob", url, unpack=False))
    assert (project.packages / "blob").read_bytes() == b"\x00\x01"


def test_sha256_that_matches_is_accepted(server: FileServer, project: Project) -> None:
    data = build(".tar.gz", files(IP_FILES, top="ip"))
    url = server.add("/ip.tar.gz", data)
    digest = hashlib.sha256(data).hexdigest()
    project.fetch(project.dep("ip", url, sha256=digest))
    assert tree(project.packages / "ip") == IP_FILES
    record = json.loads(record_path(project.packages, "ip").read_text())
    assert record["sha256"] == digest and record["url"] == url


def test_sha256_mismatch_leaves_nothing(server: FileServer, project: Project) -> None:
    data = build(".tar.gz", files(IP_FILES, top="ip"))
    url = server.add("/ip.tar.gz", data)
    wrong = "0" * 64
    with pytest.raises(DepFetchError) as caught:
        project.fetch(project.dep("ip", url, sha256=wrong))
    reason = caught.value.reason
    assert wrong in reason and hashlib.sha256(data).hexdigest() in reason and url in reason
    assert os.listdir(project.packages) == []


def test_404_names_the_url(server: FileServer, project: Project) -> None:
    url = f"{server.url}/missing/ip.tar.gz"
    with pytest.raises(DepFetchError) as caught:
        project.fetch(project.dep("ip", url))
    assert "404" in caught.value.reason and url in caught.value.reason
    assert os.listdir(project.packages) == []


def test_truncated_download_leaves_nothing_and_the_next_run_succeeds(
    server: FileServer, project: Project
) -> None:
    data = build(".tar.gz", files(IP_FILES, top="ip"))
    url = server.truncate("/ip.tar.gz", data, len(data) // 2)
    dep = project.dep("ip", url)
    with pytest.raises(DepFetchError) as caught:
        project.fetch(dep)
    assert "cut short" in caught.value.reason and url in caught.value.reason
    assert os.listdir(project.packages) == []
    server.add("/ip.tar.gz", data)
    assert project.fetch(dep).action == "downloaded"
    assert tree(project.packages / "ip") == IP_FILES


def test_transient_errors_are_retried(
    server: FileServer, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVPM_HTTP_RETRIES", "2")
    url = server.flaky("/ip.zip", build(".zip", files(IP_FILES)), failures=1)
    project.fetch(project.dep("ip", url))
    assert server.count("/ip.zip") == 2
    assert tree(project.packages / "ip") == IP_FILES


def test_a_4xx_is_not_retried(
    server: FileServer, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVPM_HTTP_RETRIES", "3")
    url = server.add("/ip.zip", b"no", status=403)
    with pytest.raises(DepFetchError):
        project.fetch(project.dep("ip", url))
    assert server.count("/ip.zip") == 1


@pytest.mark.timeout(60)
def test_a_server_that_never_answers_times_out(
    server: FileServer, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVPM_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("IVPM_HTTP_RETRIES", "0")
    url = server.hang("/ip.tar.gz")
    with pytest.raises(DepFetchError) as caught:
        project.fetch(project.dep("ip", url))
    assert "timed out after 1s" in caught.value.reason and url in caught.value.reason
    assert os.listdir(project.packages) == []


def test_file_url(tmp_path: Path, project: Project) -> None:
    archive = tmp_path / "dl" / "ip.tar.xz"
    archive.parent.mkdir()
    archive.write_bytes(build(".tar.xz", files(IP_FILES, top="ip")))
    project.fetch(project.dep("ip", archive.as_uri(), src=Source.FILE))
    assert tree(project.packages / "ip") == IP_FILES


def test_relative_path_is_relative_to_the_declaring_file(tmp_path: Path, project: Project) -> None:
    sub = project.root / "sub"
    (sub / "vendor").mkdir(parents=True)
    (sub / "vendor" / "ip.zip").write_bytes(build(".zip", files(IP_FILES, top="ip")))
    dep = project.dep("ip", "vendor/ip.zip", src=Source.FILE)
    dep = dataclasses.replace(dep, declared_in=sub / "ivpm.yaml")
    project.fetch(dep)
    assert tree(project.packages / "ip") == IP_FILES


def test_missing_local_file_is_an_error(project: Project) -> None:
    with pytest.raises(DepFetchError) as caught:
        project.fetch(project.dep("ip", "vendor/nothing.zip", src=Source.FILE))
    assert "nothing.zip" in caught.value.reason and "no such file" in caught.value.reason


def test_changed_url_replaces_the_entry(server: FileServer, project: Project) -> None:
    old = server.add("/ip-1.tar.gz", build(".tar.gz", files({"v1.txt": "1"}, top="ip-1")))
    new = server.add("/ip-2.tar.gz", build(".tar.gz", files({"v2.txt": "2"}, top="ip-2")))
    project.fetch(project.dep("ip", old))
    dep = project.dep("ip", new)
    assert kept_archive(dep, project.packages / "ip") is None
    result = project.fetch(dep)
    assert result.action == "replaced"
    assert tree(project.packages / "ip") == {"v2.txt": "2"}
    assert project.entries() == ["ip"]


def test_changed_sha256_or_unpack_fetches_again(server: FileServer, project: Project) -> None:
    data = build(".zip", files({"a": "a"}))
    url = server.add("/a.zip", data)
    project.fetch(project.dep("a", url))
    digest = hashlib.sha256(data).hexdigest()
    assert project.fetch(project.dep("a", url, sha256=digest)).action == "replaced"
    assert project.fetch(project.dep("a", url, sha256=digest)).action == "kept"
    result = project.fetch(project.dep("a", url, sha256=digest, unpack=False))
    assert (result.action, result.kind) == ("replaced", "file")


def test_unchanged_entry_is_kept_without_a_request(server: FileServer, project: Project) -> None:
    url = server.add("/ip.tar.bz2", build(".tar.bz2", files(IP_FILES, top="ip")))
    dep = project.dep("ip", url)
    first = fetch_deps([dep], project.packages, jobs=2)
    assert first["ip"].action == "downloaded"
    requests = len(server.requests)
    second = fetch_deps([dep], project.packages, jobs=2)
    assert (second["ip"].kind, second["ip"].action) == ("archive", "kept")
    assert len(server.requests) == requests == 1


def test_bad_record_means_fetch_again(server: FileServer, project: Project) -> None:
    url = server.add("/ip.zip", build(".zip", files(IP_FILES)))
    dep = project.dep("ip", url)
    project.fetch(dep)
    record_path(project.packages, "ip").write_text("{not json")
    assert kept_archive(dep, project.packages / "ip") is None
    assert project.fetch(dep).action == "replaced"
    assert server.count("/ip.zip") == 2


def test_failed_replacement_keeps_the_old_entry(server: FileServer, project: Project) -> None:
    old = server.add("/ip-1.zip", build(".zip", files({"v1.txt": "1"})))
    project.fetch(project.dep("ip", old))
    with pytest.raises(DepFetchError):
        project.fetch(project.dep("ip", f"{server.url}/gone.zip"))
    assert tree(project.packages / "ip") == {"v1.txt": "1"}
    assert project.entries() == ["ip"]


def test_nothing_is_printed_off_a_terminal(
    server: FileServer, project: Project, capfd: pytest.CaptureFixture[str]
) -> None:
    url = server.add("/ip.zip", build(".zip", files(IP_FILES)))
    project.fetch(project.dep("ip", url))
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_reading_the_record_imports_no_download_stack() -> None:
    code = (
        "import sys, ivpm.fetch.archive\n"
        "heavy = ('tarfile', 'zipfile', 'ssl', 'http.client', 'urllib.request')\n"
        "print(sorted(name for name in heavy if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

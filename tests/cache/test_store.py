"""The cache store: keys, sealed entries, locking, crash leftovers and metadata."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from ivpm.cache import Cache, archive_key, cache_root, copy_writable, git_key, is_cached
from ivpm.cache.keys import normalise_git_url
from ivpm.cache.meta import meta_path, read_meta


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def make_tree(folder: Path) -> None:
    (folder / "src").mkdir()
    (folder / "src" / "a.txt").write_text("a\n")
    (folder / "tool").write_text("#!/bin/sh\n")
    os.chmod(folder / "tool", 0o750)
    os.symlink("src/a.txt", folder / "link")


def test_cache_root_lookup(tmp_path: Path) -> None:
    assert cache_root({"IVPM_CACHE": str(tmp_path / "c")}) == tmp_path / "c"
    assert cache_root({"XDG_CACHE_HOME": str(tmp_path / "x")}) == tmp_path / "x" / "ivpm"
    home = Path(os.path.expanduser("~"))
    assert cache_root({}) == home / ".cache" / "ivpm"
    assert cache_root({"IVPM_CACHE": "  ", "XDG_CACHE_HOME": "relative"}) == (
        home / ".cache" / "ivpm"
    )


def test_git_urls_of_one_repository_share_a_key() -> None:
    commit = "a" * 40
    forms = (
        "https://github.com/Owner/Repo",
        "https://GitHub.com/Owner/Repo.git/",
        "git@github.com:Owner/Repo.git",
        "ssh://git@github.com/Owner/Repo",
    )
    assert {git_key(url, commit) for url in forms} == {git_key(forms[0], commit)}
    assert normalise_git_url(forms[0]) == "github.com/Owner/Repo"
    assert git_key(forms[0], commit) != git_key(forms[0], "b" * 40)
    assert git_key(forms[0], commit).entry_name.startswith("Repo-")
    archive = archive_key("https://x.org/dl/googletest-1.14.0.tar.gz", "F" * 64)
    assert archive.version == "sha256:" + "f" * 64
    assert archive.entry_name.startswith("googletest-1.14.0-")
    assert archive_key("https://x.org/a.zip").version == "url:https://x.org/a.zip"


def test_fill_seals_the_entry_and_records_metadata(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    key = archive_key("https://example.org/ip-1.0.tar.gz", "0" * 64)
    filled = cache.fill_entry(key, make_tree, name="ip", details={"sha256": "0" * 64})
    entry = filled.path
    assert filled.made
    assert entry == tmp_path / "cache" / "archive" / key.entry_name
    assert mode(entry) == 0o555
    assert mode(entry / "src") == 0o555
    assert mode(entry / "src" / "a.txt") == 0o444
    assert mode(entry / "tool") == 0o555
    assert os.readlink(entry / "link") == "src/a.txt"
    data = read_meta(entry)
    assert data is not None
    assert data["name"] == "ip"
    assert data["kind"] == "archive"
    assert data["sha256"] == "0" * 64
    assert data["size"] == len("a\n") + len("#!/bin/sh\n")
    assert data["created"] == data["last_used"]
    assert is_cached(entry, tmp_path / "cache")
    assert not is_cached(tmp_path, tmp_path / "cache")
    assert sorted(os.listdir(entry.parent)) == sorted(
        [key.entry_name, key.entry_name + ".json", key.entry_name + ".lock"]
    )


def test_a_hit_does_not_make_and_touches_last_used(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    key = git_key("file:///repo", "c" * 40)
    entry = cache.fill_entry(key, make_tree).path
    data = json.loads(meta_path(entry).read_text())
    data["last_used"] = "2020-01-01T00:00:00+00:00"
    meta_path(entry).write_text(json.dumps(data))

    def fail(_folder: Path) -> None:
        raise AssertionError("a hit must not make the entry again")

    again = cache.fill_entry(key, fail)
    assert again == type(again)(entry, made=False)
    assert read_meta(entry)["last_used"] > "2020-01-02"  # type: ignore[index]


def test_failed_make_leaves_nothing(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    key = git_key("file:///repo", "d" * 40)

    def broken(folder: Path) -> None:
        make_tree(folder)
        raise RuntimeError("network went away")

    with pytest.raises(RuntimeError):
        cache.fill_entry(key, broken)
    folder = tmp_path / "cache" / "git"
    assert [name for name in os.listdir(folder) if not name.endswith(".lock")] == []


def test_crashed_fill_leftover_is_removed_by_the_next_fill(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    key = git_key("file:///repo", "e" * 40)
    entry = cache.entry_path(key)
    leftover = entry.with_name(entry.name + ".tmp-0badf00d")
    (leftover / "half").mkdir(parents=True)
    os.chmod(leftover / "half", 0o555)
    assert cache.fill_entry(key, make_tree).path == entry
    assert not leftover.exists()


def test_threads_filling_one_entry_make_it_once(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    key = git_key("file:///repo", "f" * 40)
    calls: list[int] = []
    results: list[Path] = []

    def make(folder: Path) -> None:
        calls.append(1)
        make_tree(folder)

    threads = [
        threading.Thread(target=lambda: results.append(cache.fill_entry(key, make).path))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert set(results) == {cache.entry_path(key)}


def test_copy_writable_gives_an_editable_copy(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    entry = cache.fill_entry(git_key("file:///repo", "1" * 40), make_tree).path
    copy = tmp_path / "copy"
    copy_writable(entry, copy)
    assert mode(copy / "src" / "a.txt") == 0o644
    assert mode(copy / "tool") == 0o755
    assert mode(copy / "src") == 0o755
    assert os.readlink(copy / "link") == "src/a.txt"
    (copy / "src" / "b.txt").write_text("new\n")

"""The replay record's rules: where it is found, what counts as a change, when it is trusted."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ivpm.replay import record


def entry_for(paths: list[list[object]], *, started_ns: int, key: object = "k") -> record.Entry:
    return {
        "key": key,
        "project": "/p",
        "started_ns": started_ns,
        "paths": paths,
        "output": [],
        "exit": 0,
    }


def test_the_project_is_named_by_p_or_found_upward(tmp_path: Path) -> None:
    (tmp_path / "ivpm.yaml").write_text("package: {name: p}\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert record.project_dir_of(["update"], str(deep)) == str(tmp_path)
    assert record.project_dir_of(["-p", "x", "update"], "/w") == "/w/x"
    assert record.project_dir_of(["--project-dir=/x", "update"], "/w") == "/x"
    assert record.project_dir_of(["-p/x"], "/w") == "/x"
    assert record.project_dir_of(["activate", "--", "-p", "x"], "/") is None  # after --
    assert record.project_dir_of(["update"], "/") is None


def test_a_listed_directory_changes_with_its_names_not_with_ivpms_own_files(
    tmp_path: Path,
) -> None:
    listed = record.signature(str(tmp_path), record.LIST)
    stated = record.signature(str(tmp_path), record.STAT)
    (tmp_path / record.RECORD_NAME).write_text("x")
    (tmp_path / ".ivpm.lock.owner").write_text("x")
    assert record.signature(str(tmp_path), record.LIST) == listed
    (tmp_path / "new").mkdir()
    assert record.signature(str(tmp_path), record.LIST) != listed
    assert record.signature(str(tmp_path), record.STAT) == stated  # only what it is
    assert record.signature(str(tmp_path / "missing"), record.STAT) is None


def test_a_file_changes_with_its_content_and_a_link_with_its_target(tmp_path: Path) -> None:
    file = tmp_path / "f"
    file.write_text("one")
    before = record.signature(str(file), record.STAT)
    file.write_text("two!")
    assert record.signature(str(file), record.STAT) != before
    link = tmp_path / "l"
    link.symlink_to("f")
    seen = record.signature(str(link), record.LSTAT)
    link.unlink()
    link.symlink_to("elsewhere")
    assert record.signature(str(link), record.LSTAT) != seen


def test_an_entry_is_trusted_only_when_nothing_moved_and_nothing_is_racy(tmp_path: Path) -> None:
    file = tmp_path / "f"
    file.write_text("x")
    old = time.time_ns() - 10 * record.RACY_NS
    os.utime(file, ns=(old, old))
    paths: list[list[object]] = [[str(file), record.STAT, record.signature(str(file), record.STAT)]]
    ctime = os.stat(file).st_ctime_ns
    assert record.unchanged(entry_for(paths, started_ns=ctime + 2 * record.RACY_NS))
    # Written moments after the file changed: the file may change again unseen.
    assert not record.unchanged(entry_for(paths, started_ns=ctime + record.RACY_NS // 2))
    file.write_text("y")
    assert not record.unchanged(entry_for(paths, started_ns=time.time_ns() + record.RACY_NS * 2))


@pytest.mark.parametrize("content", [b"", b"\x00garbage", b"{}", b"\xe9\x01\x00\x00\x00"])
def test_a_damaged_record_has_no_entries(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / record.RECORD_NAME
    path.write_bytes(content)
    assert record.read_entries(str(path)) == []


def test_entries_are_replaced_by_key_and_only_the_newest_are_kept(tmp_path: Path) -> None:
    project = tmp_path
    (project / "packages").mkdir()
    for index in range(record.MAX_ENTRIES + 2):
        record.add_entry(str(project), entry_for([], started_ns=index, key=index))
    record.add_entry(str(project), entry_for([], started_ns=99, key=record.MAX_ENTRIES + 1))
    entries = record.read_entries(record.record_file(str(project)))
    assert [e["key"] for e in entries] == list(range(2, record.MAX_ENTRIES + 2))
    assert entries[-1]["started_ns"] == 99
    assert not [p for p in (project / "packages").iterdir() if p.name.endswith(".tmp")]


def test_an_entry_missing_a_field_answers_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ivpm.yaml").write_text("package: {name: p}\n")
    (tmp_path / "packages").mkdir()
    monkeypatch.chdir(tmp_path)
    entry = entry_for([], started_ns=0, key=record.run_key(["update"]))
    entry["project"] = os.getcwd()
    del entry["output"]
    record.add_entry(os.getcwd(), entry)
    assert record.find_entry(["update"]) is None
    entry["output"] = [[2, "ok\n"]]
    record.add_entry(os.getcwd(), entry)
    assert record.find_entry(["update"]) == entry

"""Waiting for the workspace lock without taking it (what ``ivpm activate`` does), in process."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from ivpm import layout
from ivpm.errors import LockTimeout
from ivpm.workspace_lock import WorkspaceLock, wait_for_workspace


def test_without_a_lock_file_there_is_nothing_to_wait_for_and_nothing_is_made(
    tmp_path: Path,
) -> None:
    wait_for_workspace(tmp_path / "packages", timeout=0)
    assert not (tmp_path / "packages").exists()
    (tmp_path / "packages").mkdir()
    wait_for_workspace(tmp_path / "packages", timeout=0)
    assert list((tmp_path / "packages").iterdir()) == []


def test_another_holder_is_waited_for_but_this_process_s_own_lock_is_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    packages = tmp_path / "packages"
    monkeypatch.setattr(sys, "argv", ["ivpm", "update"])
    with WorkspaceLock(packages, timeout=0):
        wait_for_workspace(packages, timeout=0)  # would never end if it waited
    owner = f"ivpm (pid {os.getpid()}): ivpm update"
    # A second open of the file is locked out as another process would be.
    with (
        FileLock(str(layout.workspace_lock(packages))),
        caplog.at_level(logging.WARNING, logger="ivpm"),
        pytest.raises(LockTimeout) as raised,
    ):
        layout.workspace_lock(packages).chmod(0o444)  # read-only does not hide the holder
        wait_for_workspace(packages, timeout=0.1)
    assert raised.value.message.startswith("gave up after 0.1 s waiting for the workspace lock")
    assert raised.value.message.endswith(f"held by {owner}")
    assert caplog.text.count(f"waiting for {owner} to finish") == 1
    wait_for_workspace(packages, timeout=0)  # released


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_lock_file_is_passed_by(tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    lock = layout.workspace_lock(packages)
    with FileLock(str(lock)):
        lock.chmod(0)
        wait_for_workspace(packages, timeout=0)

"""The workspace lock, in process: its files, a second holder, bad settings."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest

from ivpm import layout
from ivpm.errors import EXIT_SESSION_FAILED, LockTimeout, UsageError
from ivpm.workspace_lock import WorkspaceLock, lock_timeout_from_env


@pytest.fixture
def as_ivpm_update(monkeypatch: pytest.MonkeyPatch) -> str:
    """Run as ``ivpm update`` would (the owner file names the command); return the owner."""
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/ivpm", "update", "-d", "ci"])
    return f"ivpm (pid {os.getpid()}): ivpm update -d ci"


def test_holding_creates_packages_with_the_lock_and_owner_files(
    tmp_path: Path, as_ivpm_update: str
) -> None:
    packages = tmp_path / "project" / "packages"
    with WorkspaceLock(packages, timeout=0):
        assert layout.workspace_lock(packages).name == layout.WORKSPACE_LOCK_NAME
        assert layout.workspace_lock(packages).is_file()
        owner = layout.workspace_lock_owner(packages).read_text(encoding="utf-8")
        assert owner == as_ivpm_update + "\n"
    assert sorted(p.name for p in packages.iterdir()) == sorted(
        [layout.WORKSPACE_LOCK_NAME, layout.WORKSPACE_LOCK_OWNER_NAME]
    )


def test_the_lock_file_survives_release_and_the_lock_can_be_taken_again(tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    with WorkspaceLock(packages, timeout=0):
        pass
    assert layout.workspace_lock(packages).is_file()
    with WorkspaceLock(packages, timeout=0):
        assert layout.workspace_lock(packages).is_file()


def test_a_second_holder_gives_up_naming_the_owner(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, as_ivpm_update: str
) -> None:
    packages = tmp_path / "packages"
    with (
        WorkspaceLock(packages, timeout=0),
        caplog.at_level(logging.WARNING, logger="ivpm"),
        pytest.raises(LockTimeout) as raised,
    ):
        WorkspaceLock(packages, timeout=0).acquire()
    error = raised.value
    assert error.exit_code == EXIT_SESSION_FAILED
    assert "gave up after 0 s waiting for the workspace lock" in error.message
    assert error.message.endswith(f"held by {as_ivpm_update}")
    assert "IVPM_LOCK_TIMEOUT" in (error.hint or "")
    assert f"waiting for {as_ivpm_update} to finish" in caplog.text


def test_packages_being_a_file_is_a_usage_error(tmp_path: Path) -> None:
    packages = tmp_path / "packages"
    packages.write_text("not a folder\n", encoding="utf-8")
    with pytest.raises(UsageError) as raised:
        WorkspaceLock(packages, timeout=0).acquire()
    assert f"{packages} is not a directory" in raised.value.message
    assert raised.value.hint
    assert packages.read_text(encoding="utf-8") == "not a folder\n"


@pytest.mark.parametrize(("raw", "expected"), [("", -1.0), ("  ", -1.0), ("0", 0.0), ("2.5", 2.5)])
def test_lock_timeout_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: float
) -> None:
    monkeypatch.setenv("IVPM_LOCK_TIMEOUT", raw)
    assert lock_timeout_from_env() == expected


def test_an_unset_lock_timeout_waits_for_ever(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IVPM_LOCK_TIMEOUT", raising=False)
    assert lock_timeout_from_env() == -1.0


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("soon", "IVPM_LOCK_TIMEOUT must be a number of seconds, not 'soon'"),
        ("10s", "IVPM_LOCK_TIMEOUT must be a number of seconds, not '10s'"),
        ("-1", "IVPM_LOCK_TIMEOUT must be 0 or more seconds, not '-1'"),
        ("nan", "IVPM_LOCK_TIMEOUT must be 0 or more seconds, not 'nan'"),
    ],
)
def test_a_bad_lock_timeout_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, raw: str, says: str
) -> None:
    monkeypatch.setenv("IVPM_LOCK_TIMEOUT", raw)
    with pytest.raises(UsageError) as raised:
        lock_timeout_from_env()
    assert raised.value.message == says
    assert raised.value.exit_code == 2

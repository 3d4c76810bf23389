"""Creating, checking and rebuilding packages/python with real uv, virtualenv and venv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ivpm.errors import SessionFailure
from ivpm.pyenv.distributions import installed_distributions
from ivpm.pyenv.venv import (
    MARKER_NAME,
    Backend,
    create_venv,
    ensure_venv,
    read_venv_info,
    venv_is_healthy,
    venv_problem,
    venv_python,
)


def _create(
    venv_dir: Path, backend: Backend, python: str, uv_bin: str | None, env: dict[str, str]
) -> None:
    create_venv(venv_dir, backend=backend, python=python, uv=uv_bin, env=env)


@pytest.fixture
def uv_venv(tmp_path: Path, base_python: str, uv_bin: str, henv: dict[str, str]) -> Path:
    """A fresh environment built with uv (the fastest backend)."""
    venv_dir = tmp_path / "packages" / "python"
    _create(venv_dir, "uv", base_python, uv_bin, henv)
    return venv_dir


@pytest.mark.parametrize("backend", ["uv", "virtualenv", "venv"])
def test_each_backend_builds_a_complete_pip_only_environment(
    backend: Backend,
    tmp_path: Path,
    base_python: str,
    henv: dict[str, str],
    request: pytest.FixtureRequest,
) -> None:
    uv_bin = request.getfixturevalue("uv_bin") if backend == "uv" else None
    venv_dir = tmp_path / "packages" / "python"
    _create(venv_dir, backend, base_python, uv_bin, henv)

    for name in ("python", "pip", "activate"):
        assert (venv_dir / "bin" / name).exists(), name
    assert set(installed_distributions(venv_dir)) == {"pip"}
    info = read_venv_info(venv_dir)
    assert info is not None
    assert info.backend == backend
    assert info.python == os.path.realpath(base_python)
    assert info.version.startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert venv_is_healthy(venv_dir, base_python)
    version = subprocess.run(
        [venv_dir / "bin" / "pip", "--version"],
        capture_output=True,
        text=True,
        env=henv,
        check=True,
    )
    assert str(venv_dir) in version.stdout


def test_missing_completion_record_is_detected_and_rebuilt(
    uv_venv: Path, base_python: str, uv_bin: str, henv: dict[str, str]
) -> None:
    (uv_venv / MARKER_NAME).unlink()  # as if the build had been killed before its last step
    (uv_venv / "leftover.txt").write_text("half-built")

    problem = venv_problem(uv_venv, base_python)
    assert problem is not None and "interrupted" in problem
    assert ensure_venv(uv_venv, backend="uv", python=base_python, uv=uv_bin, env=henv)
    assert not (uv_venv / "leftover.txt").exists()
    assert venv_is_healthy(uv_venv, base_python)
    assert not ensure_venv(uv_venv, backend="uv", python=base_python, uv=uv_bin, env=henv)


def test_a_sound_environment_is_kept_whatever_the_backend(
    uv_venv: Path, base_python: str, henv: dict[str, str]
) -> None:
    marker_before = (uv_venv / MARKER_NAME).read_text()
    assert not ensure_venv(uv_venv, backend="virtualenv", python=base_python, env=henv)
    assert (uv_venv / MARKER_NAME).read_text() == marker_before


def test_interpreter_change_in_pyvenv_cfg_is_detected_and_rebuilt(
    uv_venv: Path, base_python: str, uv_bin: str, henv: dict[str, str]
) -> None:
    cfg = uv_venv / "pyvenv.cfg"
    original = cfg.read_text()
    cfg.write_text(
        "\n".join(
            "version_info = 3.99.0" if line.startswith(("version_info", "version ")) else line
            for line in original.splitlines()
        )
    )
    problem = venv_problem(uv_venv, base_python)
    assert problem is not None and "interpreter changed" in problem

    assert ensure_venv(uv_venv, backend="uv", python=base_python, uv=uv_bin, env=henv)
    assert "3.99.0" not in (uv_venv / "pyvenv.cfg").read_text()
    assert venv_is_healthy(uv_venv, base_python)


def test_a_different_requested_interpreter_makes_the_environment_stale(
    uv_venv: Path, tmp_path: Path
) -> None:
    other = tmp_path / "python3.99"
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    problem = venv_problem(uv_venv, str(other))
    assert problem is not None and "interpreter changed" in problem


def test_a_vanished_base_interpreter_makes_the_environment_stale(
    uv_venv: Path, base_python: str
) -> None:
    python = venv_python(uv_venv)
    python.unlink()
    python.symlink_to(uv_venv / "no-such-interpreter")
    problem = venv_problem(uv_venv, base_python)
    assert problem is not None and "bin/python" in problem


def test_health_check_starts_no_process(
    uv_venv: Path, base_python: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("venv_problem started a process")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    monkeypatch.setattr(os, "posix_spawn", no_process)
    assert venv_problem(uv_venv, base_python) is None


def test_nonexistent_environment_reports_it(tmp_path: Path, base_python: str) -> None:
    assert venv_problem(tmp_path / "nothing", base_python) == "it does not exist yet"


@pytest.mark.parametrize("backend", ["uv", "virtualenv", "venv"])
def test_failing_interpreter_raises_session_failure_with_its_output(
    tmp_path: Path, henv: dict[str, str], backend: Backend, request: pytest.FixtureRequest
) -> None:
    uv_bin = request.getfixturevalue("uv_bin") if backend == "uv" else None
    broken = tmp_path / "broken-python"
    broken.write_text("#!/bin/sh\necho 'boom: this interpreter is broken' >&2\nexit 3\n")
    broken.chmod(0o755)
    with pytest.raises(SessionFailure) as caught:
        _create(tmp_path / "venv", backend, str(broken), uv_bin, henv)
    assert "boom: this interpreter is broken" in caught.value.details
    assert caught.value.exit_code == 1
    assert not (tmp_path / "venv" / MARKER_NAME).exists()


def test_refuses_to_rebuild_the_environment_ivpm_runs_from(
    tmp_path: Path, base_python: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv_dir = tmp_path / "packages" / "python"
    venv_dir.mkdir(parents=True)
    (venv_dir / "keep.txt").write_text("x")
    monkeypatch.setattr(sys, "prefix", str(venv_dir))
    with pytest.raises(SessionFailure, match="runs from"):
        create_venv(venv_dir, backend="virtualenv", python=base_python)
    assert (venv_dir / "keep.txt").exists()


def test_completion_record_is_json_with_the_agreed_fields(uv_venv: Path) -> None:
    data = json.loads((uv_venv / MARKER_NAME).read_text())
    assert {"python", "version", "backend", "created", "home"} <= set(data)

"""The session runner and CLI, driven through the installed ``ivpm`` command."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import ivpm_executable, run_ivpm

PLUGIN_DIR = Path(__file__).parent
MINIMAL_YAML = """\
package:
  name: demo
  dep-sets:
    - name: default-dev
      deps: []
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "ivpm.yaml").write_text(MINIMAL_YAML)
    return root


@pytest.fixture
def plugin_env(tmp_path: Path) -> dict[str, str]:
    trace = tmp_path / "trace.txt"
    trace.write_text("")
    return {
        "IVPM_PLUGINS": "plugin_sessions",
        "PYTHONPATH": str(PLUGIN_DIR),
        "IVPM_TEST_TRACE": str(trace),
    }


def trace_of(env: dict[str, str]) -> list[str]:
    return Path(env["IVPM_TEST_TRACE"]).read_text().split()


def test_list_shows_sessions_help_and_requires(project: Path) -> None:
    result = run_ivpm(["-l"], cwd=project)
    assert result.returncode == 0
    lines = {
        line.split()[1]: line for line in result.stdout.splitlines() if line[:2] in ("* ", "- ")
    }
    assert {"fetch", "venv", "install_setup_deps", "install", "update", "build"} <= set(lines)
    assert lines["update"].startswith("* ")  # the default session
    assert "requires: install_setup_deps" in lines["install"]
    assert "requires: fetch, venv" in lines["install_setup_deps"]
    assert "Bring packages/ up to date" in lines["update"]


def test_chained_sessions_run_prerequisites_first_and_once(
    project: Path, plugin_env: dict[str, str]
) -> None:
    result = run_ivpm(["-s", "t_c", "t_b", "t_a"], cwd=project, env=plugin_env)
    assert result.returncode == 0, result.stderr
    assert trace_of(plugin_env) == ["t_a", "t_b", "t_c"]
    summary = [line for line in result.stderr.splitlines() if ": success" in line]
    assert summary == ["* t_a: success", "* t_b: success", "* t_c: success"]


def test_session_shorthand_equals_dash_s(project: Path, plugin_env: dict[str, str]) -> None:
    result = run_ivpm(["t_b"], cwd=project, env=plugin_env)
    assert result.returncode == 0, result.stderr
    assert trace_of(plugin_env) == ["t_a", "t_b"]


def test_unknown_session_is_exit_3_with_did_you_mean(project: Path) -> None:
    result = run_ivpm(["-s", "updte"], cwd=project)
    assert result.returncode == 3
    assert "unknown session 'updte' (did you mean 'update'?)" in result.stderr
    assert "Traceback" not in result.stderr


def test_cycle_is_exit_3_naming_the_chain(project: Path, plugin_env: dict[str, str]) -> None:
    result = run_ivpm(["t_cycle_a"], cwd=project, env=plugin_env)
    assert result.returncode == 3
    assert "t_cycle_a -> t_cycle_b -> t_cycle_a" in result.stderr


def test_failure_is_exit_1_and_aborts_dependents(project: Path, plugin_env: dict[str, str]) -> None:
    result = run_ivpm(["-s", "t_after_fail", "t_a"], cwd=project, env=plugin_env)
    assert result.returncode == 1
    assert "error: t_fail could not do its work" in result.stderr
    assert "tool output line" in result.stderr
    assert "x t_fail: failed" in result.stderr
    assert "! t_after_fail: aborted (t_fail did not succeed)" in result.stderr
    assert "* t_a: success" in result.stderr
    assert trace_of(plugin_env) == ["t_fail", "t_a"]


def test_skipped_session_summary(project: Path, plugin_env: dict[str, str]) -> None:
    result = run_ivpm(["t_skip"], cwd=project, env=plugin_env)
    assert result.returncode == 0
    assert "- t_skip: skipped (nothing to do)" in result.stderr


def test_internal_error_has_no_traceback_unless_asked(
    project: Path, plugin_env: dict[str, str]
) -> None:
    result = run_ivpm(["t_bug"], cwd=project, env=plugin_env)
    assert result.returncode == 1
    assert "internal error in session 't_bug': RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.stderr
    verbose = run_ivpm(["t_bug", "--traceback"], cwd=project, env=plugin_env)
    assert "Traceback" in verbose.stderr


def test_interrupt_exits_130(project: Path, plugin_env: dict[str, str]) -> None:
    result = run_ivpm(["t_interrupt"], cwd=project, env=plugin_env)
    assert result.returncode == 130
    assert "interrupted" in result.stderr


def test_usage_error_exit_2(project: Path) -> None:
    result = run_ivpm(["update", "--no-such-flag"], cwd=project)
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-flag" in result.stderr
    jobs = run_ivpm(["update", "-j", "-3"], cwd=project)
    assert jobs.returncode == 2
    assert "-j/--jobs" in jobs.stderr


def test_missing_project_is_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_ivpm(["update"], cwd=empty)
    assert result.returncode == 2
    assert "no ivpm.yaml in" in result.stderr
    assert not (empty / "packages").exists()
    explicit = run_ivpm(["-p", str(empty), "update"], cwd=tmp_path)
    assert explicit.returncode == 2
    assert f"no ivpm.yaml in {empty}" in explicit.stderr


def test_project_found_upward_like_git(project: Path, plugin_env: dict[str, str]) -> None:
    nested = project / "src" / "deep"
    nested.mkdir(parents=True)
    result = run_ivpm(["t_project"], cwd=nested, env=plugin_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(project.resolve())


def test_version_and_help(project: Path) -> None:
    version = run_ivpm(["--version"], cwd=project)
    assert version.returncode == 0
    assert version.stdout.startswith("ivpm ")
    general = run_ivpm(["--help"], cwd=project)
    assert general.returncode == 0
    assert "--py-uv" in general.stdout
    specific = run_ivpm(["update", "--help"], cwd=project)
    assert specific.returncode == 0
    assert specific.stdout.startswith("ivpm update: Bring packages/ up to date")
    assert "requires: install" in specific.stdout


def test_python_dash_m_works(project: Path) -> None:
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "ivpm", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("ivpm ")


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "release.fifo"
    os.mkfifo(path)
    yield path


def _start(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [ivpm_executable(), *args],
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_line(stream: object, needle: str) -> str:
    seen = []
    for line in stream:  # type: ignore[attr-defined]
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"stream ended without {needle!r}: {''.join(seen)}")


def test_concurrent_runs_serialize_on_the_lock(
    project: Path, plugin_env: dict[str, str], fifo: Path
) -> None:
    env = {**plugin_env, "IVPM_TEST_FIFO": str(fifo)}
    holder = _start(["t_hold"], project, env)
    try:
        assert holder.stdout is not None
        _wait_for_line(holder.stdout, "holding")
        waiter = _start(["t_locked"], project, env)
        assert waiter.stderr is not None
        waited = _wait_for_line(waiter.stderr, "waiting for")
        assert "ivpm (pid" in waited and "t_hold" in waited
        with fifo.open("w") as release:
            release.write("go\n")
        assert holder.wait(timeout=60) == 0
        assert waiter.wait(timeout=60) == 0
    finally:
        holder.kill()
    assert trace_of(plugin_env) == ["t_hold", "t_locked"]
    assert (project / "packages" / ".ivpm.lock").exists()


def test_lock_timeout_fails_clearly(project: Path, plugin_env: dict[str, str], fifo: Path) -> None:
    env = {**plugin_env, "IVPM_TEST_FIFO": str(fifo)}
    holder = _start(["t_hold"], project, env)
    try:
        assert holder.stdout is not None
        _wait_for_line(holder.stdout, "holding")
        waiter = run_ivpm(["t_locked"], cwd=project, env={**env, "IVPM_LOCK_TIMEOUT": "1"})
        assert waiter.returncode == 1
        assert "gave up after 1 s waiting for the workspace lock" in waiter.stderr
        assert "Traceback" not in waiter.stderr
    finally:
        with fifo.open("w") as release:
            release.write("go\n")
        holder.wait(timeout=60)
    assert trace_of(plugin_env) == ["t_hold"]

"""Servers that accept connections and never answer, or refuse them: ivpm never hangs.

A git "smart HTTP" server and a package index are played by :class:`FileServer` routes that
accept a request and never answer. git, pip and uv either give up by their own network
timeouts (``IVPM_HTTP_TIMEOUT``) or, with those set high, are stopped by the silent-child
watchdog (``IVPM_SILENCE_TIMEOUT``). Either way ivpm exits 1 with an error naming what it was
fetching, and the workspace lock is free for the next run at once (``IVPM_LOCK_TIMEOUT=0``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.helpers.cli import default_signals, ivpm_executable
from tests.helpers.httpserver import FileServer
from tests.reliability.harness import make_pause_dir, start_ivpm

MakeProject = Callable[..., Project]
#: Short enough for a quick test; a working step (pip starting on a busy machine) is not taken
#: for silence, since the watchdog also looks for CPU time and bytes read.
SILENCE = "5"
#: Network timeouts the watchdog tests keep out of the way (the watchdog must act first).
PATIENT = {"IVPM_HTTP_TIMEOUT": "600", "IVPM_SILENCE_TIMEOUT": SILENCE}


def run_ivpm(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """``ivpm ARGS`` with exactly ``env``: the machine's own ``PIP_DEFAULT_TIMEOUT`` or
    ``PIP_FIND_LINKS`` (which :func:`tests.helpers.cli.run_ivpm` keeps) would change what pip
    waits for."""
    return subprocess.run(
        [ivpm_executable(), *args],
        cwd=cwd,
        env={**env, "NO_COLOR": "1"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        preexec_fn=default_signals,
    )


@pytest.fixture
def server() -> Iterator[FileServer]:
    """A local HTTP server whose routes a test sets up."""
    with FileServer() as running:
        yield running


def git_project(make_project: MakeProject, *urls: str) -> Project:
    """A project whose only deps are git deps ``stuck0``, ``stuck1``, ... cloned from ``urls``."""
    deps = "".join(
        f"        - name: stuck{index}\n          url: {url}\n          src: git\n"
        for index, url in enumerate(urls)
    )
    return make_project(
        f"package:\n  name: hangs\n  dep-sets:\n    - name: default-dev\n      deps:\n{deps}"
    )


def index_project(make_project: MakeProject, index_url: str) -> Project:
    """A project with one PyPI dep, installed from ``index_url`` only."""
    project = make_project(
        """\
        package:
          name: hangs
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
        """
    )
    for name in ("IVPM_NO_INDEX", "IVPM_FIND_LINKS"):
        project.env.pop(name, None)
    project.env["IVPM_INDEX_URL"] = index_url
    return project


def hanging_git(server: FileServer, name: str) -> str:
    """The clone URL of a repository whose server accepts git's first request and never answers."""
    server.hang(f"/{name}.git/info/refs")
    return f"{server.url}/{name}.git"


def live_group_members(pgid: int) -> list[str]:
    """The processes (not zombies) left in process group ``pgid``, as "pid (name)"."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text() if entry.isdigit() else ""
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            found.append(stat[: stat.rfind(")") + 1])
    return found


def assert_clean_failure(result: object, *expected: str) -> str:
    """Exit 1, no traceback, and every string in ``expected`` in the error; returns stderr."""
    assert getattr(result, "returncode", None) == 1, getattr(result, "stderr", "")
    stderr: str = getattr(result, "stderr", "")
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    for text in expected:
        assert text in stderr, f"{text!r} not in:\n{stderr}"
    return stderr


def assert_lock_free(project: Project, yaml_text: str, **env: str) -> None:
    """Right after the failure, an update of the repaired project gets the lock and succeeds."""
    project.write(yaml_text)
    result = run_ivpm(
        ["update", f"--py-{project.installer}"],
        cwd=project.root,
        env={**project.env, "IVPM_LOCK_TIMEOUT": "0", **env},
    )
    assert result.returncode == 0, result.stderr


NO_DEPS = """\
package:
  name: hangs
  dep-sets:
    - name: default-dev
      deps: []
"""

WORKING_INDEX_YAML = """\
package:
  name: hangs
  dep-sets:
    - name: default-dev
      deps:
        - name: ivpmtest-alpha
"""


# --- git ------------------------------------------------------------------------------------


def test_a_silent_git_server_is_given_up_on_and_named(
    make_project: MakeProject, server: FileServer
) -> None:
    url = hanging_git(server, "x")
    project = git_project(make_project, url)
    result = run_ivpm(["update"], cwd=project.root, env={**project.env, **PATIENT})
    stderr = assert_clean_failure(
        result, "failed to fetch dependency 'stuck0'", url, f"no output for {SILENCE} s"
    )
    assert "IVPM_SILENCE_TIMEOUT" in stderr
    assert server.count("/x.git/info/refs") >= 1
    assert not (project.root / "packages" / "stuck0").exists()
    assert_lock_free(project, NO_DEPS)


def test_parallel_clones_from_silent_servers_all_fail_and_are_all_named(
    make_project: MakeProject, server: FileServer
) -> None:
    urls = [hanging_git(server, "a"), hanging_git(server, "b")]
    project = git_project(make_project, *urls)
    result = run_ivpm(["update", "-j", "2"], cwd=project.root, env={**project.env, **PATIENT})
    assert_clean_failure(result, "failed to fetch 2 dependencies: stuck0, stuck1", *urls)


def test_git_gives_up_by_its_low_speed_limit_without_the_watchdog(
    make_project: MakeProject, server: FileServer
) -> None:
    url = hanging_git(server, "slow")
    project = git_project(make_project, url)
    env = {**project.env, "IVPM_HTTP_TIMEOUT": "2", "IVPM_SILENCE_TIMEOUT": "0"}
    result = run_ivpm(["update"], cwd=project.root, env=env)
    stderr = assert_clean_failure(result, "stuck0", "Operation too slow", "IVPM_HTTP_TIMEOUT")
    assert "last 2 seconds" in stderr


def test_ctrl_c_during_a_silent_clone_stops_everything(
    make_project: MakeProject, server: FileServer, tmp_path: Path
) -> None:
    project = git_project(make_project, hanging_git(server, "ctrlc"))
    env = {**project.env, "IVPM_HTTP_TIMEOUT": "600", "IVPM_SILENCE_TIMEOUT": "0"}
    running = start_ivpm(
        ["update"], cwd=project.root, env=env, pause_dir=make_pause_dir(tmp_path / "p")
    )
    assert server.wait_for_request("/ctrlc.git/info/refs")
    running.signal_group(signal.SIGINT)
    assert running.finish() == 130, running.text
    assert "Traceback" not in running.text
    assert live_group_members(running.proc.pid) == []


def test_a_bad_silence_timeout_is_a_usage_error(
    make_project: MakeProject, server: FileServer
) -> None:
    project = git_project(make_project, hanging_git(server, "bad"))
    result = run_ivpm(
        ["update"], cwd=project.root, env={**project.env, "IVPM_SILENCE_TIMEOUT": "soon"}
    )
    assert result.returncode == 2, result.stderr
    assert "IVPM_SILENCE_TIMEOUT must be a number of seconds, not 'soon'" in result.stderr
    assert "Traceback" not in result.stderr


# --- pip and uv -----------------------------------------------------------------------------


@pytest.mark.installer
def test_a_silent_index_stops_the_installer_with_an_error_naming_the_package(
    make_project: MakeProject, server: FileServer, ivpm_env: dict[str, str]
) -> None:
    server.hang("/simple/ivpmtest-alpha/")
    project = index_project(make_project, f"{server.url}/simple")
    env = {**project.env, **PATIENT}
    result = run_ivpm(["update", f"--py-{project.installer}"], cwd=project.root, env=env)
    assert_clean_failure(
        result,
        f"{project.installer} could not install ivpmtest-alpha",
        f"printed nothing for {SILENCE} s",
    )
    assert server.count("/simple/ivpmtest-alpha/") >= 1
    project.env = dict(ivpm_env)
    assert_lock_free(project, WORKING_INDEX_YAML)
    assert project.can_import("ivpmtest_alpha")


@pytest.mark.installer
def test_the_installer_gives_up_on_a_silent_index_by_ivpm_http_timeout(
    make_project: MakeProject, server: FileServer
) -> None:
    server.hang("/simple/ivpmtest-alpha/")
    index = f"{server.url}/simple"
    project = index_project(make_project, index)
    env = {**project.env, "IVPM_HTTP_TIMEOUT": "1", "IVPM_HTTP_RETRIES": "1"}
    env["IVPM_SILENCE_TIMEOUT"] = "0"
    result = run_ivpm(["update", f"--py-{project.installer}"], cwd=project.root, env=env)
    stderr = assert_clean_failure(
        result, "could not install ivpmtest-alpha", f"the package index {index} was unreachable"
    )
    assert "timed out" in stderr.lower()


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A local port that refuses connections: bound, never listening, for the whole test."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.mark.installer
def test_an_index_refusing_connections_shows_the_installers_connection_errors(
    make_project: MakeProject, refusing_port: int
) -> None:
    index = f"http://127.0.0.1:{refusing_port}/simple"
    project = index_project(make_project, index)
    env = {**project.env, "IVPM_HTTP_RETRIES": "2"}
    result = run_ivpm(["update", f"--py-{project.installer}"], cwd=project.root, env=env)
    stderr = assert_clean_failure(
        result,
        "could not install ivpmtest-alpha",
        "Connection refused",
        f"the package index {index} was unreachable",
    )
    if project.installer == "pip":
        assert "Failed to establish a new connection" in stderr
        retries = [line for line in stderr.splitlines() if "Retrying (Retry(" in line]
        assert len(retries) == 1, stderr  # pip's line per retry, shown once
        assert "[2 times]" in retries[0]
    else:
        assert "Failed to fetch" in stderr


@pytest.mark.installer
def test_ctrl_c_while_the_installer_waits_on_a_silent_index_stops_it(
    make_project: MakeProject, server: FileServer, tmp_path: Path
) -> None:
    server.hang("/simple/ivpmtest-alpha/")
    project = index_project(make_project, f"{server.url}/simple")
    env = {**project.env, "IVPM_HTTP_TIMEOUT": "600", "IVPM_SILENCE_TIMEOUT": "0"}
    running = start_ivpm(
        ["update", f"--py-{project.installer}"],
        cwd=project.root,
        env=env,
        pause_dir=make_pause_dir(tmp_path / "p"),
    )
    assert server.wait_for_request("/simple/ivpmtest-alpha/")
    os.kill(running.proc.pid, signal.SIGINT)  # ivpm only, not the installer
    assert running.finish() == 130, running.text
    assert "Traceback" not in running.text
    assert live_group_members(running.proc.pid) == []

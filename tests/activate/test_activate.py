"""``ivpm activate`` end to end: commands, programs and an interactive shell in packages/python."""

from __future__ import annotations

import os
import pty
import select
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ivpm.workspace_lock import WorkspaceLock
from tests.conftest import Project
from tests.helpers.cli import ivpm_executable, run_ivpm

HOSTILE_RC = 'export PATH=/hostile/bin\nunset VIRTUAL_ENV PYTHONPATH\nPS1="hostile$ "\nexit 1\n'
REPORT = (
    'echo "VIRTUAL_ENV=$VIRTUAL_ENV"; echo "FIRST=${PATH%%:*}"; '
    'echo "PROJECT=$IVPM_PROJECT"; echo "PACKAGES=$IVPM_PACKAGES"; '
    'echo "PYTHONPATH=$PYTHONPATH"; echo "MODE=$MODE"; echo "PYTHON=$(command -v python)"; '
    "python -c \"import mylocal, ivpmtest_alpha; print('IMPORTS=' + mylocal.WHERE)\""
)


@pytest.fixture(scope="module")
def activated(module_project: Callable[[str, str], Project]) -> Project:
    """An updated project with a PyPI dep and env-sets (PYTHONPATH to its src/, MODE)."""
    project = module_project(
        "actproj",
        """\
        package:
          name: actproj
          env-sets:
            - name: project
              env:
                - name: PYTHONPATH
                  path-prepend: ${IVPM_PROJECT}/src
                - name: MODE
                  value: from-env-set
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
        """,
    )
    (project.root / "src").mkdir()
    (project.root / "src" / "mylocal.py").write_text("WHERE = 'src'\n")
    project.update()
    return project


@pytest.fixture(scope="module")
def hostile_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """HOME, BASH_ENV and ENV pointing at rc files that reset PATH and exit 1."""
    home = tmp_path_factory.mktemp("hostile-home")
    for name in (".bashrc", ".bash_profile", ".profile", ".zshenv", ".zshrc", "env.sh"):
        (home / name).write_text(HOSTILE_RC)
    rc = str(home / "env.sh")
    return {"HOME": str(home), "BASH_ENV": rc, "ENV": rc, "PYTHONPATH": "/elsewhere"}


def report(output: str) -> dict[str, str]:
    """``KEY=value`` lines of ``REPORT``'s output as a dict."""
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


@pytest.mark.parametrize(
    "argv",
    [
        ["-c", REPORT],
        ["--", "bash", "-c", REPORT],
        ["--", "sh", "-c", REPORT],
    ],
    ids=["dash-c", "bash", "sh"],
)
@pytest.mark.parametrize("shell", ["/bin/sh", "/bin/bash"])
@pytest.mark.installer
def test_commands_get_the_environment_despite_hostile_rc_files(
    activated: Project, hostile_home: dict[str, str], argv: list[str], shell: str
) -> None:
    env = {**activated.env, **hostile_home, "SHELL": shell}
    result = run_ivpm(["activate", *argv], cwd=activated.root, env=env)
    assert result.returncode == 0, result.stderr
    venv = activated.root / "packages" / "python"
    assert report(result.stdout) == {
        "VIRTUAL_ENV": str(venv),
        "FIRST": str(venv / "bin"),
        "PROJECT": str(activated.root),
        "PACKAGES": str(activated.root / "packages"),
        "PYTHONPATH": f"{activated.root}/src:/elsewhere",
        "MODE": "from-env-set",
        "PYTHON": str(venv / "bin" / "python"),
        "IMPORTS": "src",
    }


def test_exit_status_and_signals_are_the_command_s(activated: Project) -> None:
    assert activated.ivpm("activate", "-c", "exit 7", installer=False).returncode == 7
    program = activated.ivpm(
        "activate", "--", "python", "-c", "import sys; sys.exit(3)", installer=False
    )
    assert program.returncode == 3
    killed = activated.ivpm("activate", "-c", "kill -TERM $$", installer=False)
    assert killed.returncode == -15


def test_program_arguments_pass_through_without_a_shell(activated: Project) -> None:
    args = ["a b", "$HOME", "*", "it's"]
    result = activated.ivpm(
        "activate",
        "--",
        "python",
        "-c",
        "import sys; print(sys.argv[1:])",
        *args,
        installer=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(args)
    both = activated.ivpm("activate", "-c", "true", "--", "python", installer=False)
    assert both.returncode == 2 and "either -c CMD or -- PROG" in both.stderr
    missing = activated.ivpm("activate", "--", "no-such-program-ivpm", installer=False)
    assert missing.returncode == 1 and "cannot run 'no-such-program-ivpm'" in missing.stderr
    assert "Traceback" not in both.stderr + missing.stderr


def test_never_updated_project_says_to_run_update(
    make_project: Callable[[str], Project],
) -> None:
    project = make_project(
        """\
        package:
          name: fresh
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
        """
    )
    result = project.ivpm("activate", "-c", "true", installer=False)
    assert result.returncode == 1
    assert "ivpm update" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project.root / "packages" / "python").exists()


@pytest.fixture
def update_running(activated: Project, monkeypatch: pytest.MonkeyPatch) -> Iterator[WorkspaceLock]:
    """The workspace lock of ``activated``, held by this process as ``ivpm update``."""
    monkeypatch.setattr(sys, "argv", ["ivpm", "update"])
    with WorkspaceLock(activated.root / "packages", timeout=0) as lock:
        yield lock


@pytest.mark.timeout(120)
def test_activate_waits_for_a_running_update_then_runs(
    activated: Project, update_running: WorkspaceLock
) -> None:
    env = {**os.environ, **activated.env, "NO_COLOR": "1"}
    env.pop("IVPM_LOCK_TIMEOUT", None)
    waiting = subprocess.Popen(
        [ivpm_executable(), "activate", "-c", "echo ran"],
        cwd=activated.root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert waiting.stdout is not None and waiting.stderr is not None
        said = ""
        while "waiting for" not in said:
            line = waiting.stderr.readline()
            assert line, f"activate ended without waiting: {said!r}"
            said += line
        assert f"waiting for ivpm (pid {os.getpid()}): ivpm update to finish" in said
        assert waiting.poll() is None
        assert select.select([waiting.stdout], [], [], 0)[0] == []  # nothing ran yet
        update_running.release()
        out, err = waiting.communicate(timeout=60)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.wait()
    assert waiting.returncode == 0, said + err
    assert out == "ran\n"
    assert "waiting for" not in err  # said once


def test_giving_up_on_a_running_update_is_a_one_screen_error(
    activated: Project, update_running: WorkspaceLock
) -> None:
    env = {**activated.env, "IVPM_LOCK_TIMEOUT": "0.5"}
    result = run_ivpm(["activate", "-c", "echo ran"], cwd=activated.root, env=env)
    assert result.returncode == 1
    assert "gave up after 0.5 s waiting for the workspace lock" in result.stderr
    assert "held by ivpm (pid" in result.stderr and "IVPM_LOCK_TIMEOUT" in result.stderr
    assert "ran" not in result.stdout
    assert "Traceback" not in result.stderr


def test_the_command_runs_without_the_workspace_lock(activated: Project, tmp_path: Path) -> None:
    take_lock = tmp_path / "take_lock.py"
    take_lock.write_text(
        "import os, pathlib\n"
        "from ivpm.workspace_lock import WorkspaceLock\n"
        "with WorkspaceLock(pathlib.Path(os.environ['IVPM_PACKAGES']), timeout=0):\n"
        "    print('took the lock')\n"
    )
    alone = run_ivpm(
        ["activate", "--", sys.executable, take_lock], cwd=activated.root, env=activated.env
    )
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout == "took the lock\n"
    # Here the update before activate holds the lock in the same process: activate must not
    # wait for itself, and the nested update must find the lock free (bounded, not hanging).
    flag = f"--py-{activated.installer}"
    nested = f"{shlex.quote(ivpm_executable())} -v update {flag} && echo nested-done"
    env = {**activated.env, "IVPM_LOCK_TIMEOUT": "5"}
    chained = run_ivpm(
        ["-s", "update", "activate", "-c", nested, flag], cwd=activated.root, env=env
    )
    assert chained.returncode == 0, chained.stderr
    assert chained.stdout.endswith("nested-done\n")
    assert "waiting for" not in chained.stderr


class Terminal:
    """A process on a pseudo-terminal: type lines, read until some text shows."""

    def __init__(self, argv: list[str], *, cwd: Path, env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
        os.close(slave)
        self.seen = b""

    def expect(self, text: str, timeout: float = 60) -> str:
        """Read until ``text`` appears; return everything read up to and including it."""
        token = text.encode()
        while token not in self.seen:
            ready, _, _ = select.select([self.master], [], [], timeout)
            if not ready:
                raise AssertionError(f"no {text!r} on the terminal; saw {self.seen!r}")
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the other end is closed
                chunk = b""
            if not chunk:
                raise AssertionError(f"terminal closed before {text!r}; saw {self.seen!r}")
            self.seen += chunk
        end = self.seen.index(token) + len(token)
        before, self.seen = self.seen[:end], self.seen[end:]
        return before.decode(errors="replace")

    def type(self, line: str) -> None:
        """Type ``line`` and Enter."""
        os.write(self.master, line.encode() + b"\n")

    def close(self) -> int:
        """Wait for the process to end; return its exit status."""
        try:
            return self.process.wait(timeout=60)
        finally:
            os.close(self.master)


def shell_env(activated: Project, tmp_path: Path, shell: str) -> dict[str, str]:
    """The environment of an interactive ``shell`` whose rc files undo all they can."""
    home = tmp_path / "home"
    home.mkdir()
    # Interactive shells run these, so they must not exit, but they undo all they can.
    rc = home / "rc.sh"
    rc.write_text(HOSTILE_RC.replace("exit 1\n", ""))
    (home / ".bashrc").write_text(rc.read_text())
    env = {
        **os.environ,
        **activated.env,
        "HOME": str(home),
        "ENV": str(rc),
        "SHELL": shell,
        "TERM": "dumb",
        "NO_COLOR": "1",
    }
    env.pop("DEBUG", None)
    return env


@pytest.mark.parametrize("shell", ["/bin/bash", "/bin/sh"])
@pytest.mark.installer
def test_interactive_shell_in_a_terminal(activated: Project, tmp_path: Path, shell: str) -> None:
    env = shell_env(activated, tmp_path, shell)
    terminal = Terminal([ivpm_executable(), "activate"], cwd=activated.root, env=env)
    prompt = terminal.expect("$ ")
    assert "(ivpm:actproj) " in prompt
    terminal.type(
        'echo "VE=$VIRTUAL_ENV"; echo "PY=$(command -v python)"; echo "PP=$PYTHONPATH"; echo DONE'
    )
    terminal.expect("DONE\r\n")  # the echoed command line
    output = terminal.expect("DONE\r\n")
    venv = activated.root / "packages" / "python"
    assert f"VE={venv}\r\n" in output
    assert f"PY={venv}/bin/python\r\n" in output
    assert f"PP={activated.root}/src\r\n" in output
    assert "(ivpm:actproj) " in terminal.expect("$ ")
    terminal.type("exit 4")
    assert terminal.close() == 4


@pytest.mark.parametrize("shell", ["/bin/bash", "/bin/sh"])
def test_deactivate_puts_the_shell_back(activated: Project, tmp_path: Path, shell: str) -> None:
    env = {**shell_env(activated, tmp_path, shell), "VIRTUAL_ENV": "/outer/venv", "MODE": "outer"}
    env.pop("IVPM_PROJECT", None)
    terminal = Terminal([ivpm_executable(), "activate"], cwd=activated.root, env=env)
    assert "(ivpm:actproj) " in terminal.expect("$ ")
    terminal.type("deactivate")
    assert "(ivpm:actproj)" not in terminal.expect("$ ")
    terminal.type(
        'echo "VE=$VIRTUAL_ENV"; echo "FIRST=${PATH%%:*}"; echo "PS1=$PS1"; echo "MODE=$MODE"; '
        'echo "PROJECT=${IVPM_PROJECT-unset}"; '
        'case "$(type deactivate 2>&1)" in *function*) echo FN=yes;; *) echo FN=no;; esac; '
        "echo DONE"
    )
    terminal.expect("DONE\r\n")  # the echoed command line
    output = report(terminal.expect("DONE\r\n").replace("\r\n", "\n"))
    assert output == {
        "VE": "/outer/venv",
        "FIRST": env["PATH"].split(os.pathsep)[0],
        "PS1": "hostile$ ",  # as the rc file left it, the marker gone
        "MODE": "outer",
        "PROJECT": "unset",
        "FN": "no",
    }
    terminal.type("exit 5")
    assert terminal.close() == 5

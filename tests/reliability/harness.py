"""Stopping a real ``ivpm`` process at a chosen step, and checking what it leaves behind.

ivpm has no test hooks of its own. A process is stopped either by the test plugin
:mod:`tests.reliability.pause_plugin`, which :func:`start_ivpm` loads into every ivpm it starts
through ``IVPM_PLUGINS`` (``IVPM_TEST_PAUSE_AT`` names the point: ``venv``, ``setup-deps``,
``install``), or by a wrapper (a ``git`` script first on ``PATH``, a ``setup.py`` run by the
installer) that does its real work and then blocks the same way: it writes the name of the
point to the FIFO ``ready`` and blocks reading the FIFO ``hold``. The test waits on ``ready``
and on the process's stderr at once, so it never sleeps and never hangs when ivpm exits
before reaching the point.

Every ivpm starts with SIGINT at its default disposition (see
:func:`tests.helpers.cli.default_signals`), so interrupting it works even when the tests run
in a background job, which has SIGINT ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers.cli import default_signals, ivpm_executable, run_ivpm

#: The plugin that places the pause points, and the folder it is imported from.
PAUSE_PLUGIN = "tests.reliability.pause_plugin"
REPO_ROOT = str(Path(__file__).resolve().parents[2])

#: The longest a test waits for ivpm to reach a pause point (a bound, never a synchronisation).
PAUSE_DEADLINE = 300.0
#: The variable a blocking setup.py (:func:`blocking_setup_py`) reads its pause folder from.
SETUP_PAUSE_VAR = "IVPM_RELIABILITY_SETUP_PAUSE"


def make_pause_dir(root: Path) -> Path:
    """A directory holding the ``ready`` and ``hold`` FIFOs of one pause."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("ready", "hold"):
        os.mkfifo(root / name)
    return root


@dataclass
class Running:
    """An ``ivpm`` process started in its own process group, with stderr read as it comes."""

    proc: subprocess.Popen[bytes]
    pause_dir: Path
    stderr: bytearray = field(default_factory=bytearray)

    def wait_paused(self) -> str:
        """Block until the process reports a pause point; return its name.

        Fails (with ivpm's output) when the process exits first.
        """
        ready = os.open(self.pause_dir / "ready", os.O_RDWR | os.O_NONBLOCK)
        try:
            assert self.proc.stderr is not None
            err = self.proc.stderr.fileno()
            while True:
                readable, _, _ = select.select([ready, err], [], [], PAUSE_DEADLINE)
                assert readable, f"ivpm reached no pause point:\n{self.text}"
                if ready in readable:
                    return os.read(ready, 4096).decode().strip()
                chunk = os.read(err, 65536)
                if not chunk:
                    self.proc.wait()
                    raise AssertionError(
                        f"ivpm exited ({self.proc.returncode}) before pausing:\n{self.text}"
                    )
                self.stderr += chunk
        finally:
            os.close(ready)

    def release(self) -> None:
        """Let a paused process go on."""
        with open(self.pause_dir / "hold", "w", encoding="utf-8") as hold:
            hold.write("go\n")

    def signal_group(self, sig: int) -> None:
        """Send ``sig`` to ivpm and every process it started (as a terminal or the OOM killer)."""
        os.killpg(self.proc.pid, sig)

    def finish(self) -> int:
        """Wait for the exit, collecting the rest of stderr; return the exit status."""
        assert self.proc.stderr is not None
        self.stderr += self.proc.stderr.read()
        self.proc.wait(timeout=PAUSE_DEADLINE)
        if self.proc.returncode == -signal.SIGKILL:
            # Orphans of the group (none expected) must not outlive the test.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        return self.proc.returncode

    @property
    def text(self) -> str:
        """What ivpm printed on stderr so far."""
        return self.stderr.decode(errors="replace")


STARTED: list[Running] = []


def kill_leftovers() -> None:
    """Kill the process groups of every ivpm a test started and left running (a failed test)."""
    while STARTED:
        running = STARTED.pop()
        if running.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(running.proc.pid, signal.SIGKILL)
            running.proc.wait()
        if running.proc.stderr is not None:
            running.proc.stderr.close()


def start_ivpm(
    args: list[str], *, cwd: Path, env: dict[str, str], pause_dir: Path, point: str | None = None
) -> Running:
    """Start ``ivpm ARGS`` in its own process group, with the pause plugin loaded.

    With ``point``, ivpm pauses there (see :mod:`tests.reliability.pause_plugin`).
    """
    full = dict(os.environ)
    full.pop("DEBUG", None)
    full.update(env)
    full["NO_COLOR"] = "1"
    full["IVPM_TEST_PAUSE_DIR"] = str(pause_dir)
    full["IVPM_PLUGINS"] = ",".join(filter(None, (full.get("IVPM_PLUGINS"), PAUSE_PLUGIN)))
    full["PYTHONPATH"] = os.pathsep.join(filter(None, (full.get("PYTHONPATH"), REPO_ROOT)))
    if point is not None:
        full["IVPM_TEST_PAUSE_AT"] = point
    else:
        full.pop("IVPM_TEST_PAUSE_AT", None)
    proc = subprocess.Popen(
        [ivpm_executable(), *args],
        cwd=cwd,
        env=full,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=default_signals,  # noqa: PLW1509 (the tests start no threads)
    )
    running = Running(proc, pause_dir)
    STARTED.append(running)
    return running


def git_wrapper(bin_dir: Path, pause_dir: Path) -> Path:
    """A ``git`` first on ``PATH`` that, for ``clone``, clones for real and then pauses."""
    real = shutil.which("git")
    assert real is not None
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "git"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!/bin/sh
            for arg in "$@"; do
              if [ "$arg" = clone ]; then
                "{real}" "$@" || exit $?
                echo clone > "{pause_dir}/ready"
                read line < "{pause_dir}/hold"
                exit 0
              fi
            done
            exec "{real}" "$@"
            """
        )
    )
    script.chmod(0o755)
    return bin_dir


def blocking_setup_py(pause_dir_var: str) -> str:
    """A ``setup.py`` that pauses while the installer builds it, when ``pause_dir_var`` is set."""
    return textwrap.dedent(
        f"""\
        import os
        from setuptools import setup

        _pause = os.environ.get("{pause_dir_var}")
        if _pause:
            with open(os.path.join(_pause, "ready"), "w") as ready:
                ready.write("installer\\n")
            with open(os.path.join(_pause, "hold")) as hold:
                hold.readline()
        setup()
        """
    )


def pip_check(python: Path) -> subprocess.CompletedProcess[str]:
    """``python -m pip check`` in the environment."""
    return subprocess.run(
        [str(python), "-m", "pip", "check"], capture_output=True, text=True, check=False
    )


def assert_sound_environment(root: Path) -> None:
    """The state a user relies on after an update: pip check passes, records are valid JSON."""
    packages = root / "packages"
    checked = pip_check(packages / "python" / "bin" / "python")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for record in (packages / "package-lock.json", packages / "python" / ".ivpm-state.json"):
        json.loads(record.read_text(encoding="utf-8"))
    leftovers = [p.name for p in packages.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == [], leftovers


#: The module :func:`pip_uninstall_pause` puts into site-packages (and the ``.pth`` loading it).
_UNINSTALL_HOOK = "_ivpm_test_uninstall_pause"


def pip_uninstall_pause(venv_dir: Path, pause_dir_var: str) -> None:
    """Make the environment's pip pause right after its first uninstall of a run.

    A ``.pth`` file in site-packages loads a module that, only when ``pause_dir_var`` is set,
    wraps pip's ``UninstallPathSet.remove``: once the first distribution's files have been
    stashed away (pip moves them to ``~name`` folders until the new version is in place), it
    writes ``uninstall`` to the FIFO ``ready`` and blocks on ``hold``. It pauses once (a marker
    file in the pause directory), so the pip processes that follow run normally.
    """
    from ivpm.pyenv.distributions import site_packages_dirs

    site = site_packages_dirs(venv_dir)[0]
    (site / f"{_UNINSTALL_HOOK}.py").write_text(
        textwrap.dedent(
            f"""\
            import os

            _pause = os.environ.get("{pause_dir_var}")
            if _pause:
                try:
                    from pip._internal.req import req_uninstall as _req_uninstall
                except ImportError:
                    _req_uninstall = None
                if _req_uninstall is not None:
                    _real = _req_uninstall.UninstallPathSet.remove

                    def _remove(self, *args, **kwargs):
                        _real(self, *args, **kwargs)
                        try:
                            marker = os.path.join(_pause, "paused")
                            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
                        except FileExistsError:
                            return
                        with open(os.path.join(_pause, "ready"), "w") as ready:
                            ready.write("uninstall\\n")
                        with open(os.path.join(_pause, "hold")) as hold:
                            hold.readline()

                    _req_uninstall.UninstallPathSet.remove = _remove
            """
        )
    )
    (site / f"{_UNINSTALL_HOOK}.pth").write_text(f"import {_UNINSTALL_HOOK}\n")


def file_size_limit(limit: int) -> Callable[[], None]:
    """A ``preexec_fn`` that caps the size of any file the process (and its children) write.

    ``RLIMIT_FSIZE`` is inherited by every child; SIGXFSZ is ignored here so that a write past
    the cap fails with EFBIG, as a full disk fails with ENOSPC. (Children started with
    ``restore_signals``, as Python's subprocess does, get SIGXFSZ back at its default, so a
    non-Python installer may instead be killed by it mid-write.)
    """

    def limit_files() -> None:
        default_signals()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_files


def run_ivpm_limited(
    args: list[str], *, cwd: Path, env: dict[str, str], max_file_size: int
) -> subprocess.CompletedProcess[str]:
    """Run ``ivpm ARGS`` to its end with every file it (or a child) writes capped in size."""
    return run_ivpm(
        args, cwd=cwd, env=env, timeout=PAUSE_DEADLINE, preexec=file_size_limit(max_file_size)
    )

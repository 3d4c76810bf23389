"""``ivpm.nox`` end to end: real nox runs a fixture project's noxfile on the leg's installer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import INSTALLER, dist_versions
from tests.helpers.gitrepos import python_package_files, write_files
from tests.helpers.wheelhouse import hermetic_env

NOXFILE = """\
import nox

import ivpm.nox


@ivpm.nox.session(ivpm_args=["-v"])
@nox.parametrize("installer", ["pip", "uv"])
def tests(session, installer):
    session.install("ivpmtest-gamma", "-e", "../src/extrapkg")
    session.run(
        "python", "-c",
        "import os, sys, srcpkg, extrapkg, ivpmtest_alpha, ivpmtest_gamma; "
        "print('PY', sys.executable); print('SRC', srcpkg.__file__); "
        "print('EXTRA', extrapkg.__file__); "
        "print('VENV', os.environ['VIRTUAL_ENV']); print('LEG', os.environ['LEG'])",
        env={"LEG": installer},
    )
    session.run("ivpmtest-gamma")


@nox.session(venv_backend="none")
def check(session):
    session = ivpm.nox.use(session, update=False)
    session.run("python", "-c", "import sys; print('CHECK', sys.prefix)")


@nox.session
def lint(session):
    session.run("python", "-c", "import sys; print('LINT', sys.prefix)")


@nox.session(venv_backend="none")
def bad_install(session):
    ivpm.nox.install(session, "-r", "requirements.txt")
"""


@dataclass
class NoxProject:
    """A project with an ivpm.yaml and the noxfile above."""

    root: Path
    env: Mapping[str, str]

    @property
    def venv(self) -> Path:
        return self.root / "packages" / "python"

    def start(self, *sessions: str, log: Path) -> subprocess.Popen[bytes]:
        """Start ``nox -s SESSIONS`` here, its combined output going to ``log``."""
        with log.open("wb") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "nox", "--no-color", "-s", *sessions],
                cwd=self.root,
                env=dict(self.env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def nox(self, *sessions: str, options: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
        """Run ``nox OPTIONS -s SESSIONS`` here and capture its combined output."""
        return subprocess.run(
            [sys.executable, "-m", "nox", "--no-color", *options, "-s", *sessions],
            cwd=self.root,
            env=dict(self.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
            check=False,
        )


def leg(installer: str = INSTALLER) -> str:
    """The nox session name of one installer leg."""
    return f"tests(installer='{installer}')"


def make_nox_project(base: Path, wheelhouse: Path) -> NoxProject:
    """A project whose default dep-set holds an editable source package and a PyPI dep."""
    write_files(base / "src" / "srcpkg", python_package_files("srcpkg", "srcpkg"))
    write_files(base / "src" / "extrapkg", python_package_files("extrapkg", "extrapkg"))
    root = base / "proj"
    root.mkdir()
    (root / "ivpm.yaml").write_text(
        textwrap.dedent(
            f"""\
            package:
              name: noxdemo
              dep-sets:
                - name: default-dev
                  deps:
                    - name: srcpkg
                      url: {base / "src" / "srcpkg"}
                      src: dir
                    - name: ivpmtest-alpha
                      version: "==1.1.0"
            """
        )
    )
    (root / "noxfile.py").write_text(NOXFILE)
    env = hermetic_env(os.environ)
    env.update(IVPM_NO_INDEX="1", IVPM_FIND_LINKS=str(wheelhouse), NO_COLOR="1")
    env.pop("DEBUG", None)
    return NoxProject(root, env)


def check_session_output(project: NoxProject, output: str) -> None:
    """The session ran in packages/python and imported the editable package from packages/."""
    venv = project.venv.resolve()
    assert f"PY {venv / 'bin' / 'python'}" in output, output
    assert f"SRC {project.root.resolve() / 'packages' / 'srcpkg' / 'srcpkg'}" in output, output
    assert f"VENV {venv}" in output, output
    assert f"EXTRA {project.root.parent.resolve() / 'src' / 'extrapkg' / 'extrapkg'}" in output
    assert "ivpmtest-gamma 0.1.0" in output, output  # the console script from the venv's bin


@pytest.fixture(scope="module")
def cold(
    tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path
) -> tuple[NoxProject, subprocess.CompletedProcess[str]]:
    """A project whose environment the leg's nox session built from nothing."""
    project = make_nox_project(tmp_path_factory.mktemp("noxcold"), wheelhouse)
    return project, project.nox(leg())


@pytest.mark.installer
def test_cold_session_builds_env_and_imports_editable_packages(
    cold: tuple[NoxProject, subprocess.CompletedProcess[str]],
) -> None:
    project, result = cold
    assert result.returncode == 0, result.stdout
    check_session_output(project, result.stdout)
    assert f"update --py-{INSTALLER}" in result.stdout
    assert "created packages/python" in result.stdout
    assert "installing ivpmtest-gamma -e" in result.stdout
    versions = dist_versions(project.venv / "bin" / "python", ["ivpmtest-alpha", "ivpmtest-gamma"])
    assert versions == {"ivpmtest-alpha": "1.1.0", "ivpmtest-gamma": "0.1.0"}


@pytest.mark.installer
def test_second_run_of_both_legs_reinstalls_nothing(
    cold: tuple[NoxProject, subprocess.CompletedProcess[str]],
) -> None:
    project, first = cold
    assert first.returncode == 0, first.stdout
    state = project.venv / ".ivpm-state.json"
    before = state.read_bytes()
    result = project.nox("tests", "check")
    assert result.returncode == 0, result.stdout
    out = result.stdout
    for installer in ("pip", "uv"):
        assert f"Session {leg(installer)} was successful" in out, out
        assert f"LEG {installer}" in out
    check_session_output(project, out)
    assert out.count("- install: skipped (up to date)") == 2, out
    assert out.count("already installed: ivpmtest-gamma -e") == 2, out
    assert "installing ivpmtest-gamma" not in out
    assert " pip install" not in out and "created packages/python" not in out
    assert f"CHECK {project.venv.resolve()}" in out
    assert state.read_bytes() == before


@pytest.mark.installer
def test_plain_session_keeps_its_own_nox_venv(
    cold: tuple[NoxProject, subprocess.CompletedProcess[str]],
) -> None:
    project, first = cold
    assert first.returncode == 0, first.stdout
    result = project.nox("lint")
    assert result.returncode == 0, result.stdout
    assert f"LINT {project.root.resolve() / '.nox' / 'lint'}" in result.stdout
    assert "-m ivpm" not in result.stdout and "packages/python" not in result.stdout
    assert (project.venv / "bin" / "python").exists()


@pytest.mark.installer
def test_two_nox_runs_in_parallel_leave_a_consistent_env(tmp_path: Path, wheelhouse: Path) -> None:
    project = make_nox_project(tmp_path, wheelhouse)
    logs = [tmp_path / "nox-a.log", tmp_path / "nox-b.log"]
    runs = [project.start(leg(), log=log) for log in logs]
    codes = [run.wait(timeout=600) for run in runs]
    outputs = [log.read_text() for log in logs]
    assert codes == [0, 0], outputs
    for output in outputs:
        check_session_output(project, output)
    both = "".join(outputs)
    assert both.count("created packages/python") == 1, both
    assert both.count("installing ivpmtest-gamma -e") == 1, both
    pip_check = subprocess.run(
        [str(project.venv / "bin" / "python"), "-m", "pip", "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert pip_check.returncode == 0, pip_check.stdout + pip_check.stderr
    state = json.loads((project.venv / ".ivpm-state.json").read_text())
    assert {"srcpkg", "ivpmtest-alpha"} <= set(state["requirements"])


def test_missing_project_is_a_clear_session_error(tmp_path: Path, wheelhouse: Path) -> None:
    project = make_nox_project(tmp_path, wheelhouse)
    (project.root / "ivpm.yaml").unlink()
    result = project.nox("check")
    assert result.returncode != 0
    assert "no ivpm.yaml in" in result.stdout
    assert "Traceback" not in result.stdout


def test_install_rejects_pip_options_it_cannot_honour(tmp_path: Path, wheelhouse: Path) -> None:
    project = make_nox_project(tmp_path, wheelhouse)
    result = project.nox("bad_install")
    assert result.returncode != 0
    assert "install() takes requirements and -e FOLDER, not '-r'" in result.stdout
    assert "Traceback" not in result.stdout
    assert not (project.root / "packages").exists()


def test_docs_example_noxfile_loads(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "nox.md"
    text = docs.read_text(encoding="utf-8")
    example = text.split("## A complete example", 1)[1].split("```python\n", 1)[1]
    (tmp_path / "noxfile.py").write_text(example.split("```", 1)[0])
    result = subprocess.run(
        [sys.executable, "-m", "nox", "--no-color", "-l"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("tests(installer='pip')", "tests(installer='uv')", "docs", "smoke", "lint"):
        assert f" {name}" in result.stdout, result.stdout


def test_session_forced_into_a_nox_virtualenv_stops_with_an_error(
    tmp_path: Path, wheelhouse: Path
) -> None:
    project = make_nox_project(tmp_path, wheelhouse)
    result = project.nox("check", options=("--force-venv-backend", "virtualenv"))
    assert result.returncode != 0
    assert "has a nox virtualenv (virtualenv)" in result.stdout, result.stdout
    assert "Traceback" not in result.stdout
    assert not (project.root / "packages").exists()


def test_ivpm_itself_never_imports_nox() -> None:
    code = (
        "import sys\n"
        "import ivpm, ivpm.cli\n"
        "from ivpm.sessions import load_builtin_sessions\n"
        "load_builtin_sessions()\n"
        "print(sorted(m for m in sys.modules if m == 'nox' or m.startswith('nox.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

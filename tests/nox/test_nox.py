"""``ivpm.nox`` end to end: real nox runs a fixture project's noxfile on the leg's installer."""

from __future__ import annotations

import ast
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
import atexit
import sys

import nox
import nox.virtualenv

import ivpm.nox

# Every attribute that code of ivpm.nox reads or sets on nox's session and environment objects,
# printed when nox exits: the tests check that none is private.
IVPM_READS = set()


def watch(cls):
    get, set_ = cls.__getattribute__, cls.__setattr__

    def __getattribute__(self, name):
        if not name.startswith("__") and sys._getframe(1).f_globals["__name__"] == "ivpm.nox":
            IVPM_READS.add(name)
        return get(self, name)

    def __setattr__(self, name, value):
        if sys._getframe(1).f_globals["__name__"] == "ivpm.nox":
            IVPM_READS.add("set " + name)
        set_(self, name, value)

    cls.__getattribute__, cls.__setattr__ = __getattribute__, __setattr__


watch(nox.Session)
watch(nox.virtualenv.ProcessEnv)
atexit.register(lambda: print("IVPM-READS", sorted(IVPM_READS), flush=True))


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


@ivpm.nox.session
def probe(session):
    session.env["PROBE"] = "set through the IvpmSession"
    session.run(
        "python", "-c", "import os, sys; print('PROBE-RUN', sys.executable, os.environ['PROBE'])"
    )
    session.run_install("python", "-c", "import sys; print('PROBE-INSTALL', sys.prefix)")
    session.run_always("python", "-c", "import sys; print('PROBE-ALWAYS', sys.prefix)")
    with session.chdir(session.create_tmp()):
        session.run("python", "-c", "import os; print('PROBE-CWD', os.getcwd())")
    print("PROBE-SESSION", session.name, session.posargs, session.interactive, session.bin)
    print("PROBE-TYPE", type(session).__name__, isinstance(session, nox.Session))
    session.log("PROBE-LOG")
    session.notify("check")


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

    def nox(
        self, *sessions: str, options: Sequence[str] = (), posargs: Sequence[str] = ()
    ) -> subprocess.CompletedProcess[str]:
        """Run ``nox OPTIONS -s SESSIONS -- POSARGS`` here and capture its combined output."""
        extra = ["--", *posargs] if posargs else []
        return subprocess.run(
            [sys.executable, "-m", "nox", "--no-color", *options, "-s", *sessions, *extra],
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


def ivpm_reads(output: str) -> list[str]:
    """The attributes of nox's objects that ivpm.nox used in one nox run (see NOXFILE)."""
    lines = [line for line in output.splitlines() if line.startswith("IVPM-READS ")]
    assert len(lines) == 1, output
    reads = ast.literal_eval(lines[0].removeprefix("IVPM-READS "))
    assert isinstance(reads, list)
    return reads


def assert_public_api_only(output: str) -> None:
    """ivpm.nox read no private attribute of a nox object in that run, and set none at all."""
    reads = ivpm_reads(output)
    assert [name for name in reads if name.startswith(("_", "set "))] == [], reads


def check_session_output(project: NoxProject, output: str) -> None:
    """The session ran in packages/python and imported the editable package from packages/."""
    assert_public_api_only(output)
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
def test_second_run_of_the_same_leg_reinstalls_nothing(
    cold: tuple[NoxProject, subprocess.CompletedProcess[str]],
) -> None:
    project, first = cold
    assert first.returncode == 0, first.stdout
    state = project.venv / ".ivpm-state.json"
    before = state.read_bytes()
    result = project.nox(leg(), "check")
    assert result.returncode == 0, result.stdout
    out = result.stdout
    assert f"Session {leg()} was successful" in out, out
    assert f"LEG {INSTALLER}" in out
    check_session_output(project, out)
    assert out.count("- install: skipped (up to date)") == 1, out
    assert out.count("already installed: ivpmtest-gamma -e") == 1, out
    assert "installing ivpmtest-gamma" not in out
    assert " pip install" not in out and "created packages/python" not in out
    assert f"CHECK {project.venv.resolve()}" in out
    assert state.read_bytes() == before


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


def test_ivpm_session_wraps_the_nox_session_through_its_public_api(
    cold: tuple[NoxProject, subprocess.CompletedProcess[str]],
) -> None:
    project, first = cold
    assert first.returncode == 0, first.stdout
    result = project.nox("probe", posargs=["one", "two"])
    out = result.stdout
    assert result.returncode == 0, out
    venv = project.venv.resolve()
    assert f"PROBE-RUN {venv / 'bin' / 'python'} set through the IvpmSession" in out, out
    assert f"PROBE-INSTALL {venv}" in out and f"PROBE-ALWAYS {venv}" in out, out
    assert f"PROBE-CWD {project.root.resolve() / '.nox' / 'probe' / 'tmp'}" in out, out
    assert f"PROBE-SESSION probe ['one', 'two'] False {venv / 'bin'}" in out, out
    assert "PROBE-TYPE IvpmSession False" in out, out  # a wrapper, not a nox.Session subclass
    assert "nox > PROBE-LOG" in out, out
    assert "Session check was successful" in out and f"CHECK {venv}" in out, out
    assert_public_api_only(out)
    reads = ivpm_reads(out)
    for name in ("env", "posargs", "run", "run_install", "run_always", "chdir", "notify"):
        assert name in reads, reads  # the IvpmSession passed these on to the nox session


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
    assert_public_api_only(result.stdout)


def test_install_rejects_pip_options_it_cannot_honour(tmp_path: Path, wheelhouse: Path) -> None:
    project = make_nox_project(tmp_path, wheelhouse)
    result = project.nox("bad_install")
    assert result.returncode != 0
    assert "install() takes requirements and -e FOLDER, not '-r'" in result.stdout
    assert "Traceback" not in result.stdout
    assert_public_api_only(result.stdout)
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
    assert_public_api_only(result.stdout)
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

"""Crashes while ivpm replaces installed distributions: the next plain update repairs them.

``ivpm update --force-py-install`` uninstalls and reinstalls everything, so a kill -9 of the
whole process group in the middle can leave distributions removed, half-copied, or pip's
``~name`` stash folders behind (issue 15). Each test populates a real project, starts the forced
reinstall, stops it at one point, kills it, and checks that a plain ``ivpm update`` brings back
the complete environment. A full disk during an update is checked the same way.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.version import Version

from tests.conftest import Project
from tests.helpers.gitrepos import make_repo, python_package_files
from tests.helpers.wheelhouse import wheel_names
from tests.reliability.envcheck import (
    assert_consistent,
    imports,
    pip_check,
    site_packages,
    venv_of,
    versions,
)
from tests.reliability.harness import (
    SETUP_PAUSE_VAR,
    blocking_setup_py,
    make_pause_dir,
    pip_uninstall_pause,
    run_ivpm_limited,
    start_ivpm,
)

MakeProject = Callable[..., Project]
UNINSTALL_PAUSE_VAR = "IVPM_RELIABILITY_UNINSTALL_PAUSE"
THIRD_PARTY_SETUP = ("setuptools", "wheel", "cython")
IMPORTS = ("setuptools", "wheel", "Cython", "ivpmtest_alpha", "ivpmtest_beta", "blocker")


def newest(wheelhouse: Path, name: str) -> str:
    """The newest final version of ``name`` in the wheelhouse."""
    found = [Version(v) for v in wheel_names(wheelhouse)[name]]
    return str(max(v for v in found if not v.is_prerelease))


def expected_versions(wheelhouse: Path) -> dict[str, str]:
    """What the crash project's environment holds when complete."""
    return {
        **{name: newest(wheelhouse, name) for name in THIRD_PARTY_SETUP},
        "ivpmtest-alpha": "2.0.0",
        "ivpmtest-beta": "1.0.0",
        "blocker": "0.1.0",
    }


def crash_project(make_project: MakeProject, repos: Path) -> Project:
    """setuptools, wheel and cython as setup-deps (as the issue measured), a PyPI dep with a
    dependency of its own, and a git source package whose setup.py can pause its build."""
    files = python_package_files("blocker", "blocker", deps=["ivpmtest-alpha"])
    files["setup.py"] = blocking_setup_py(SETUP_PAUSE_VAR)
    repo = make_repo(repos, "blocker", files)
    return make_project(
        f"""\
        package:
          name: crash
          setup-deps:
            - setuptools
            - wheel
            - cython
          dep-sets:
            - name: default-dev
              deps:
                - name: blocker
                  url: {repo.url}
                  src: git
                - name: ivpmtest-beta
        """
    )


def assert_complete(project: Project, wheelhouse: Path, log: str = "") -> None:
    """Every package imports at its version; pip check, records, leftovers, RECORD files.

    ``log`` (ivpm's output of the update that should have repaired it) is shown on failure.
    """
    have = versions(venv_of(project.root))
    want = expected_versions(wheelhouse)
    assert {name: have.get(name) for name in want} == want, log
    for module in IMPORTS:
        assert imports(project.python, module), module
    assert_consistent(project.root)


# state:1 - the first state record save of the forced run (before it is written): the dirty
# mark, before the installer touches anything. (A kill after the installer finished is the
# "install" point of test_faults.py.)
# uninstall - pip stashed the first distribution's files away and installed nothing yet.
# installer - the installer is building the source package (its setup.py is running).
# On the uv leg only the installer point runs: the other two do not depend on the installer.
POINTS = ["state:1", "uninstall", pytest.param("installer", marks=pytest.mark.installer)]


@pytest.mark.parametrize("point", POINTS)
def test_kill_during_force_py_install_is_repaired_by_a_plain_update(
    make_project: MakeProject, tmp_path: Path, wheelhouse: Path, point: str
) -> None:
    project = crash_project(make_project, tmp_path / "repos")
    if point == "uninstall" and project.installer != "pip":
        pytest.skip("pip's uninstall stash: the pip leg only")
    project.update()
    assert_complete(project, wheelhouse)

    pause_dir = make_pause_dir(tmp_path / "pause")
    env = dict(project.env)
    hook: str | None = None
    if point == "installer":
        env[SETUP_PAUSE_VAR] = str(pause_dir)
    elif point == "uninstall":
        pip_uninstall_pause(venv_of(project.root), UNINSTALL_PAUSE_VAR)
        env[UNINSTALL_PAUSE_VAR] = str(pause_dir)
    else:
        hook = point
    running = start_ivpm(
        ["-v", "update", "--force-py-install", f"--py-{project.installer}"],
        cwd=project.root,
        env=env,
        pause_dir=pause_dir,
        point=hook,
    )
    assert running.wait_paused() == point
    running.signal_group(signal.SIGKILL)
    assert running.finish() == -signal.SIGKILL

    repair = project.update()
    assert_complete(project, wheelhouse, repair.stderr)


# --- disk full ----------------------------------------------------------------------------

ADDED = ("cython", "pytest", "wheel")
#: Larger than every file of the small packages, smaller than cython's biggest extension module.
MAX_FILE_SIZE = 1_000_000


def prime_uv_cache(project: Project, wheelhouse: Path, uv_bin: str, tmp_path: Path) -> None:
    """Unpack cython into the project's uv cache, so that uv fails copying it into the
    environment (not unpacking it into the cache) when files are capped."""
    scratch = tmp_path / "scratch-venv"
    for argv in (
        [uv_bin, "venv", "--no-project", str(scratch)],
        [
            *(uv_bin, "pip", "install", "--python", str(scratch / "bin" / "python")),
            *("--no-index", "--find-links", str(wheelhouse), "cython", "pytest"),
        ],
    ):
        done = subprocess.run(argv, env=project.env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr


@pytest.mark.installer
def test_disk_full_during_an_update_is_repaired_once_space_is_back(
    make_project: MakeProject, tmp_path: Path, wheelhouse: Path, request: pytest.FixtureRequest
) -> None:
    small = """\
        package:
          name: full
          setup-deps:
            - setuptools
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
        """
    project = make_project(small)
    project.env["UV_CACHE_DIR"] = str(tmp_path / "uv-cache")
    project.update()
    if project.installer == "uv":
        prime_uv_cache(project, wheelhouse, request.getfixturevalue("uv_bin"), tmp_path)
    project.write(small.rstrip(" ") + "".join(f"{' ' * 16}- name: {name}\n" for name in ADDED))

    full = run_ivpm_limited(
        ["-v", "update", f"--py-{project.installer}"],
        cwd=project.root,
        env=project.env,
        max_file_size=MAX_FILE_SIZE,
    )
    assert full.returncode == 1, full.stderr
    assert "Traceback" not in full.stderr and "internal error" not in full.stderr
    # The failed change left the environment that worked before it.
    assert imports(project.python, "ivpmtest_alpha")
    checked = pip_check(project.python)
    assert checked.returncode == 0, checked.stdout

    project.update()
    have = versions(venv_of(project.root))
    for name in ("cython", "pytest", "wheel", "setuptools", "pluggy", "iniconfig"):
        assert have.get(name) == newest(wheelhouse, name), name
    for module in ("Cython", "pytest", "wheel", "setuptools", "ivpmtest_alpha"):
        assert imports(project.python, module), module
    assert project.py("import Cython.Compiler.Code") == ""
    assert_consistent(project.root)


@pytest.mark.installer
def test_a_half_copied_distribution_is_reinstalled_by_a_plain_update(
    make_project: MakeProject, tmp_path: Path, wheelhouse: Path
) -> None:
    # An installer killed while copying (or out of space) leaves a distribution whose
    # dist-info is there, so it looks installed, while files its RECORD lists are not. The
    # installer finished here; its files are cut before ivpm records the step, then ivpm is
    # killed: the state it leaves is the one a kill in the middle of the copy leaves.
    text = deps_text("ivpmtest-alpha")
    project = make_project(text)
    project.update()
    project.write(deps_text("ivpmtest-alpha", "pytest"))
    pause_dir = make_pause_dir(tmp_path / "pause")
    running = start_ivpm(
        ["-v", "update", f"--py-{project.installer}"],
        cwd=project.root,
        env=project.env,
        pause_dir=pause_dir,
        point="install",
    )
    assert running.wait_paused() == "install"
    site = site_packages(venv_of(project.root))
    for relative in ("_pytest/python.py", "_pytest/fixtures.py", "pluggy/_manager.py"):
        (site / relative).unlink()
    running.signal_group(signal.SIGKILL)
    assert running.finish() == -signal.SIGKILL
    assert not imports(project.python, "pytest")

    repaired = project.update()
    assert imports(project.python, "pytest"), repaired.stderr
    have = versions(venv_of(project.root))
    assert have.get("pytest") == newest(wheelhouse, "pytest")
    assert have.get("pluggy") == newest(wheelhouse, "pluggy")
    assert_consistent(project.root)


def deps_text(*names: str) -> str:
    """ivpm.yaml text: a default-dev dep-set of the named PyPI deps."""
    deps = "".join(f"        - name: {name}\n" for name in names)
    return f"package:\n  name: half\n  dep-sets:\n    - name: default-dev\n      deps:\n{deps}"

"""The environment is exactly what ivpm.yaml says, whatever was in it before (issue 15).

Each test populates a real project with the real CLI, then changes ivpm.yaml, the dep-set, the
installer or the pre-release mode, and checks what a user sees afterwards: installed versions,
``INSTALLER`` files, ``pip check``, imports, ivpm's exit status and log.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project, dist_versions, installer_commands
from tests.helpers.gitrepos import make_repo, python_package_files
from tests.reliability.envcheck import (
    assert_consistent,
    imports,
    installers,
    pip_check,
    venv_of,
)

MakeProject = Callable[..., Project]


def deps_yaml(*deps: str, setup: tuple[str, ...] = (), name: str = "exact") -> str:
    """ivpm.yaml text: one default-dev dep-set with ``deps`` (each ``name`` or
    ``name|version``), and ``setup`` as setup-deps."""
    lines = ["package:", f"  name: {name}"]
    if setup:
        lines += ["  setup-deps:", *(f"    - {dep}" for dep in setup)]
    lines += ["  dep-sets:", "    - name: default-dev", "      deps:"]
    for dep in deps:
        dep_name, _, version = dep.partition("|")
        lines.append(f"        - name: {dep_name}")
        if version:
            lines.append(f'          version: "{version}"')
    return "\n".join(lines) + "\n"


def other(installer: str) -> str:
    """The installer this leg does not test."""
    return "uv" if installer == "pip" else "pip"


# --- one resolver view -------------------------------------------------------------------


@pytest.mark.installer
def test_conflicting_pin_on_a_populated_environment_is_refused(make_project: MakeProject) -> None:
    # ivpmtest-plugin requires ivpmtest-core>=1.0; the wheelhouse also has ivpmtest-core 0.3.0.
    base = deps_yaml("ivpmtest-plugin", "ivpmtest-gamma")
    project = make_project(base)
    project.update()
    before = dist_versions(project.python, ["ivpmtest-core", "ivpmtest-plugin"])
    assert before == {"ivpmtest-core": "1.0.0", "ivpmtest-plugin": "1.0.0"}

    project.write(deps_yaml("ivpmtest-plugin", "ivpmtest-gamma", "ivpmtest-core|<1.0"))
    refused = project.ivpm("update")
    assert refused.returncode == 1, refused.stderr
    assert "ivpmtest-core" in refused.stderr and "ivpmtest-plugin" in refused.stderr
    assert "<1.0" in refused.stderr
    assert "Traceback" not in refused.stderr and "internal error" not in refused.stderr
    # The environment is as it was: the old core, and everything still consistent.
    assert dist_versions(project.python, ["ivpmtest-core", "ivpmtest-plugin"]) == before
    checked = pip_check(project.python)
    assert checked.returncode == 0, checked.stdout
    assert imports(project.python, "ivpmtest_plugin")

    again = project.ivpm("update")  # still refused: nothing was recorded as done
    assert again.returncode == 1, again.stderr

    project.write(base)
    project.update()
    assert dist_versions(project.python, ["ivpmtest-core", "ivpmtest-plugin"]) == before
    assert_consistent(project.root)


# --- exact sync --------------------------------------------------------------------------


def hand_install(project: Project, wheelhouse: Path, name: str) -> None:
    """Install ``name`` the way a user does, with the environment's own ``bin/pip``."""
    pip = venv_of(project.root) / "bin" / "pip"
    env = {**project.env, "PATH": os.environ.get("PATH", "")}
    completed = subprocess.run(
        [str(pip), "install", "--no-index", "--find-links", str(wheelhouse), name],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


PYTEST_ONLY = ("pytest", "pluggy", "iniconfig", "pygments")  # pytest and what only it brings


@pytest.mark.installer
def test_dropping_a_dep_removes_what_only_it_brought_in(
    make_project: MakeProject, wheelhouse: Path
) -> None:
    # ivpmtest-delta requires packaging, which pytest requires too.
    project = make_project(deps_yaml("pytest", "ivpmtest-delta"))
    project.update()
    present = dist_versions(project.python, [*PYTEST_ONLY, "packaging"])
    assert all(present.values()), present
    hand_install(project, wheelhouse, "ivpmtest-gamma")

    project.write(deps_yaml("ivpmtest-delta"))
    project.update()
    after = dist_versions(
        project.python, [*PYTEST_ONLY, "packaging", "ivpmtest-delta", "ivpmtest-gamma"]
    )
    assert {name: after[name] for name in PYTEST_ONLY} == dict.fromkeys(PYTEST_ONLY)
    assert after["packaging"] == present["packaging"]  # ivpmtest-delta still needs it
    assert after["ivpmtest-delta"] == "1.0.0"
    assert after["ivpmtest-gamma"] == "0.1.0"  # installed by hand: never removed
    assert_consistent(project.root)


def test_a_smaller_dep_set_removes_the_dropped_deps_dependencies(
    make_project: MakeProject,
) -> None:
    project = make_project(
        """\
        package:
          name: sets
          default-dep-set: default
          dep-sets:
            - name: default
              deps:
                - name: ivpmtest-delta
            - name: default-dev
              uses: default
              deps:
                - name: pytest
        """
    )
    project.update("-d", "default-dev")
    assert project.can_import("pytest")
    project.update("-d", "default")
    after = dist_versions(project.python, [*PYTEST_ONLY, "packaging", "ivpmtest-delta"])
    assert {name: after[name] for name in PYTEST_ONLY} == dict.fromkeys(PYTEST_ONLY)
    assert after["packaging"] is not None and after["ivpmtest-delta"] == "1.0.0"
    ran = project.ivpm("activate", "-c", "python -c 'import pytest'", installer=False)
    assert ran.returncode != 0, ran.stdout + ran.stderr
    assert "No module named 'pytest'" in ran.stderr
    assert_consistent(project.root)


# --- the state record holds the installer and the pre-release mode ------------------------


@pytest.mark.installer
def test_an_installer_switch_reinstalls_everything_with_the_new_one(
    make_project: MakeProject, tmp_path: Path, installer: str, uv_bin: str
) -> None:
    # This leg's installer is the new one: the pip leg switches uv -> pip, the uv leg pip -> uv.
    del uv_bin  # both installers run here: skipped without uv
    repo = make_repo(
        tmp_path / "repos", "srcpkg", python_package_files("srcpkg", "srcpkg", deps=["pluggy"])
    )
    text = deps_yaml("ivpmtest-beta", "ivpmtest-gamma", setup=("setuptools",))
    text += f"        - name: srcpkg\n          url: {repo.url}\n          src: git\n"
    project = make_project(text)
    project.installer = other(installer)
    project.update()
    first = installers(venv_of(project.root))
    assert set(first.values()) == {other(installer)}, first

    project.installer = installer
    switched = project.update()
    now = installers(venv_of(project.root))
    # Every distribution but the pip that seeded the venv: top-level ones and their dependencies.
    assert set(now) == set(first)
    assert {name: kind for name, kind in now.items() if kind != installer} == {}, switched.stderr
    assert project.py("import srcpkg; print(srcpkg.hello())") == "srcpkg 0.1.0"
    assert_consistent(project.root)


def test_the_prerelease_mode_is_part_of_the_record(make_project: MakeProject) -> None:
    project = make_project(deps_yaml("ivpmtest-alpha"))
    project.update()
    assert dist_versions(project.python, ["ivpmtest-alpha"]) == {"ivpmtest-alpha": "2.0.0"}
    project.update("--py-prerls-packages")
    assert dist_versions(project.python, ["ivpmtest-alpha"]) == {"ivpmtest-alpha": "2.1.0rc1"}
    project.update()
    assert dist_versions(project.python, ["ivpmtest-alpha"]) == {"ivpmtest-alpha": "2.0.0"}
    assert_consistent(project.root)


# --- setup-deps in declared order ---------------------------------------------------------


def installing_lines(stderr: str) -> list[str]:
    """What follows ``ivpm: installing`` on each of ivpm's install log lines."""
    return [m.group(1) for m in re.finditer(r"^ivpm: installing (.*)$", stderr, re.MULTILINE)]


@pytest.mark.installer
def test_a_setup_dep_that_needs_an_earlier_one_builds(
    make_project: MakeProject, tmp_path: Path
) -> None:
    # stage2's setup.py imports stage1 at build time (no build isolation).
    repos = tmp_path / "repos"
    stage1 = make_repo(repos, "stage1", python_package_files("stage1", "stage1"))
    files = python_package_files("stage2", "stage2", build="setup.py")
    files["setup.py"] = "import stage1  # needed at build time\n" + files["setup.py"]
    stage2 = make_repo(repos, "stage2", files)
    project = make_project(
        f"""\
        package:
          name: ordered
          setup-deps:
            - setuptools
            - stage1
            - stage2
          dep-sets:
            - name: default-dev
              deps:
                - name: stage1
                  url: {stage1.url}
                  src: git
                - name: stage2
                  url: {stage2.url}
                  src: git
                - name: ivpmtest-alpha
        """
    )
    result = project.ivpm("update")
    assert result.returncode == 0, result.stderr
    lines = installing_lines(result.stderr)
    with_stage = [line for line in lines if "stage" in line]
    assert with_stage == ["-e stage1", "-e stage2"], lines
    commands = installer_commands(result.stderr)
    stage_commands = [c for c in commands if "stage" in c]
    assert len(stage_commands) == 2, commands
    assert "stage1" in stage_commands[0] and "stage2" not in stage_commands[0]
    assert "stage2" in stage_commands[1] and "stage1" not in stage_commands[1]
    assert project.py("import stage2; print(stage2.hello())") == "stage2 0.1.0"


# --- the --force-py-install log -----------------------------------------------------------


# the log is ivpm's, whichever installer runs: the pip leg checks it
def test_force_py_install_log_names_each_package(make_project: MakeProject, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repos", "srcpkg", python_package_files("srcpkg", "srcpkg"))
    text = deps_yaml(
        "ivpmtest-alpha|>=1.0", "ivpmtest-beta", "ivpmtest-gamma|==0.1.0", setup=("setuptools",)
    )
    text += f"        - name: srcpkg\n          url: {repo.url}\n          src: git\n"
    project = make_project(text)
    project.update()
    forced = project.update("--force-py-install")
    labels = " ".join(installing_lines(forced.stderr))
    # Each package once, spelt as ivpm.yaml spells it, marked as a reinstall.
    expected = [
        "setuptools (reinstall)",
        "ivpmtest-alpha>=1.0 (reinstall)",
        "ivpmtest-beta (reinstall)",
        "ivpmtest-gamma==0.1.0 (reinstall)",
        "-e srcpkg (reinstall)",
    ]
    for label in expected:
        assert label in labels, forced.stderr
    rest = labels
    for label in expected:
        rest = rest.replace(label, "", 1)
    assert rest.split() == [], forced.stderr

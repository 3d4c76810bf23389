"""Killing or interrupting ``ivpm update`` at chosen steps: the next update repairs everything."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project, dist_versions
from tests.helpers.gitrepos import make_repo, python_package_files
from tests.reliability.harness import (
    SETUP_PAUSE_VAR,
    assert_sound_environment,
    blocking_setup_py,
    git_wrapper,
    make_pause_dir,
    start_ivpm,
)

MakeProject = Callable[..., Project]


def faults_project(make_project: MakeProject, repos: Path) -> Project:
    """A git source package whose setup.py can pause its own build, a PyPI dep, a setup-dep."""
    files = python_package_files("blocker", "blocker", deps=["ivpmtest-alpha"])
    files["setup.py"] = blocking_setup_py(SETUP_PAUSE_VAR)
    repo = make_repo(repos, "blocker", files)
    return make_project(
        f"""\
        package:
          name: faults
          setup-deps:
            - ivpmtest-gamma
          dep-sets:
            - name: default-dev
              deps:
                - name: blocker
                  url: {repo.url}
                  src: git
                - name: ivpmtest-beta
                - name: ivpmtest-gamma
        """
    )


def assert_repaired(project: Project) -> None:
    """A plain ``ivpm update`` succeeds and leaves the complete, consistent environment."""
    project.update()
    assert_sound_environment(project.root)
    assert dist_versions(
        project.python, ["blocker", "ivpmtest-alpha", "ivpmtest-beta", "ivpmtest-gamma"]
    ) == {
        "blocker": "0.1.0",
        "ivpmtest-alpha": "2.0.0",
        "ivpmtest-beta": "1.0.0",
        "ivpmtest-gamma": "0.1.0",
    }
    assert project.py("import blocker; print(blocker.hello())") == "blocker 0.1.0"


# clone: git finished cloning into the staging directory, not yet moved into place.
# venv: the venv tool ran, the completion record is not written.
# setup-deps / install: the installer finished, the state record does not say so yet.
# installer: the installer is building the source package (a setup.py is running).
# The clone and venv points do not depend on the installer: the uv leg leaves them out.
POINTS = ["clone", "venv", "setup-deps", "installer", "install"]


@pytest.mark.parametrize(
    ("point", "sig"),
    [
        *((point, signal.SIGKILL) for point in POINTS if point in ("clone", "venv")),
        *(
            pytest.param(point, signal.SIGKILL, marks=pytest.mark.installer)
            for point in POINTS
            if point not in ("clone", "venv")
        ),
        ("clone", signal.SIGINT),
        pytest.param("install", signal.SIGINT, marks=pytest.mark.installer),
    ],
    ids=lambda value: value.name if isinstance(value, signal.Signals) else value,
)
def test_interrupted_update_is_repaired_by_the_next(
    make_project: MakeProject, tmp_path: Path, point: str, sig: signal.Signals
) -> None:
    project = faults_project(make_project, tmp_path / "repos")
    pause_dir = make_pause_dir(tmp_path / "pause")
    env = dict(project.env)
    hook: str | None = None
    if point == "clone":
        env["PATH"] = f"{git_wrapper(tmp_path / 'bin', pause_dir)}:{env.get('PATH', '')}"
    elif point == "installer":
        env[SETUP_PAUSE_VAR] = str(pause_dir)
    else:
        hook = point
    running = start_ivpm(
        ["-v", "update", f"--py-{project.installer}"],
        cwd=project.root,
        env=env,
        pause_dir=pause_dir,
        point=hook,
    )
    assert running.wait_paused() == point
    running.signal_group(sig)
    code = running.finish()
    if sig == signal.SIGINT:
        assert code == 130, running.text
        assert "interrupted" in running.text
        assert "Traceback" not in running.text
    else:
        assert code == -signal.SIGKILL
    assert_repaired(project)

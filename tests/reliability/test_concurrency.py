"""Several ivpm processes on one project: the workspace lock serialises them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project, dist_versions, installer_commands, srcpkg_project_yaml
from tests.helpers.cli import run_ivpm
from tests.helpers.gitrepos import make_repo, python_package_files
from tests.reliability.harness import (
    assert_sound_environment,
    make_pause_dir,
    start_ivpm,
)

pytestmark = pytest.mark.installer

MakeProject = Callable[..., Project]


def shared_project(make_project: MakeProject, repos: Path) -> Project:
    repo = make_repo(
        repos, "srcpkg", python_package_files("srcpkg", "srcpkg", deps=["ivpmtest-alpha"])
    )
    return make_project(
        srcpkg_project_yaml("together", repo.url, "ivpmtest-beta", "ivpmtest-gamma")
    )


def test_four_updates_at_once_install_once(make_project: MakeProject, tmp_path: Path) -> None:
    project = shared_project(make_project, tmp_path / "repos")
    pause_dir = make_pause_dir(tmp_path / "pause")
    runs = [
        start_ivpm(
            ["-v", "update", f"--py-{project.installer}"],
            cwd=project.root,
            env=project.env,
            pause_dir=pause_dir,
        )
        for _ in range(4)
    ]
    codes = [run.finish() for run in runs]
    outputs = [run.text for run in runs]
    assert codes == [0, 0, 0, 0], "\n\n".join(outputs)
    counts = [len(installer_commands(text)) for text in outputs]
    assert sorted(counts)[:3] == [0, 0, 0] and counts.count(0) == 3, counts
    for text, count in zip(outputs, counts, strict=True):
        if count == 0:
            assert "- install: skipped (up to date)" in text
            assert "cloned srcpkg" not in text
    assert sum("cloned srcpkg" in text for text in outputs) == 1
    assert_sound_environment(project.root)
    assert dist_versions(project.python, ["srcpkg", "ivpmtest-beta", "ivpmtest-gamma"]) == {
        "srcpkg": "0.1.0",
        "ivpmtest-beta": "1.0.0",
        "ivpmtest-gamma": "0.1.0",
    }


def test_build_waits_for_a_running_update(make_project: MakeProject, tmp_path: Path) -> None:
    project = shared_project(make_project, tmp_path / "repos")
    pause_dir = make_pause_dir(tmp_path / "pause")
    update = start_ivpm(
        ["-v", "update", f"--py-{project.installer}"],
        cwd=project.root,
        env=project.env,
        pause_dir=pause_dir,
        point="install",
    )
    assert update.wait_paused() == "install"
    build = start_ivpm(
        ["build", f"--py-{project.installer}"],
        cwd=project.root,
        env=project.env,
        pause_dir=pause_dir,
    )
    assert build.proc.stderr is not None
    first = build.proc.stderr.readline().decode()
    assert "waiting for ivpm (pid" in first and "update" in first, first
    assert build.proc.poll() is None
    update.release()
    assert update.finish() == 0, update.text
    assert build.finish() == 0, build.text
    assert_sound_environment(project.root)
    assert project.can_import("srcpkg")


def test_lock_timeout_gives_up_with_the_owner(make_project: MakeProject, tmp_path: Path) -> None:
    project = shared_project(make_project, tmp_path / "repos")
    pause_dir = make_pause_dir(tmp_path / "pause")
    update = start_ivpm(
        ["update", f"--py-{project.installer}"],
        cwd=project.root,
        env=project.env,
        pause_dir=pause_dir,
        point="install",
    )
    assert update.wait_paused() == "install"
    waiting = run_ivpm(["update"], cwd=project.root, env={**project.env, "IVPM_LOCK_TIMEOUT": "0"})
    update.release()
    assert update.finish() == 0, update.text
    assert waiting.returncode == 1
    assert "gave up after 0 s" in waiting.stderr and "update" in waiting.stderr
    assert "Traceback" not in waiting.stderr

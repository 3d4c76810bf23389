"""``ivpm sync`` against real upstreams: local bare repositories that gain commits."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.helpers.cli import default_signals, ivpm_executable
from tests.helpers.gitrepos import git, python_package_files
from tests.sync.conftest import Upstream, make_upstream

SCENARIOS = ("behind", "ahead", "dirty", "diverged", "tagged", "parent", "detached")


def _yaml(upstreams: dict[str, Upstream]) -> str:
    deps = []
    for name, upstream in upstreams.items():
        deps.append(f"        - name: {name}\n          url: {upstream.url}\n          src: git")
        if name == "tagged":
            deps.append("          tag: v1")
    return (
        "package:\n  name: syncproj\n  dep-sets:\n    - name: default-dev\n      deps:\n"
        + "\n".join(deps)
        + "\n"
    )


def head(path: Path) -> str:
    return git(path, "rev-parse", "HEAD")


def installed_version(project: Project, dist: str) -> str:
    return project.py(f"import importlib.metadata as m; print(m.version({dist!r}))")


def lines_by_name(output: str) -> dict[str, str]:
    """The one line per checkout that sync prints on stdout, by dep name."""
    return {line.split()[0]: line.split(None, 1)[1] for line in output.splitlines() if line}


@pytest.fixture
def synced(
    tmp_path: Path, make_project: Callable[[str], Project]
) -> tuple[Project, dict[str, Upstream]]:
    """A project with one git dep per scenario, updated once, then each scenario set up."""
    upstreams = {
        name: make_upstream(tmp_path / "up", name, python_package_files(name, name))
        for name in SCENARIOS
    }
    upstreams["tagged"].work.tag("v1")
    upstreams["tagged"].publish({}, "tag v1")
    upstreams["newdep"] = make_upstream(
        tmp_path / "up", "newdep", python_package_files("newdep", "newdep")
    )
    project = make_project(_yaml({k: v for k, v in upstreams.items() if k != "newdep"}))
    project.update()
    packages = project.root / "packages"
    upstreams["behind"].publish(
        python_package_files("behind", "behind", version="0.2.0"), "release 0.2.0"
    )
    git(packages / "ahead", "commit", "-q", "--allow-empty", "-m", "local work")
    upstreams["dirty"].publish({"dirty/more.py": "X = 1\n"})
    (packages / "dirty" / "dirty" / "__init__.py").write_text("# edited\n")
    upstreams["diverged"].publish({"diverged/more.py": "X = 1\n"})
    git(packages / "diverged", "commit", "-q", "--allow-empty", "-m", "local work")
    upstreams["tagged"].publish({"tagged/more.py": "X = 1\n"})
    git(packages / "detached", "checkout", "-q", "--detach")
    sub_yaml = f"""\
        package:
          name: parent
          dep-sets:
            - name: default-dev
              deps:
                - name: newdep
                  url: {upstreams["newdep"].url}
                  src: git
        """
    upstreams["parent"].publish({"ivpm.yaml": textwrap.dedent(sub_yaml)}, "depend on newdep")
    return project, upstreams


def test_sync_moves_clean_checkouts_and_says_why_it_left_the_others(
    synced: tuple[Project, dict[str, Upstream]],
) -> None:
    project, upstreams = synced
    packages = project.root / "packages"
    before = {name: head(packages / name) for name in SCENARIOS}

    dry = project.ivpm("sync", "--dry-run")
    assert dry.returncode == 1, dry.stderr  # dirty and diverged cannot be fast-forwarded
    said = lines_by_name(dry.stdout)
    assert said["behind"] == "1 commit behind origin/main: would fast-forward"
    assert said["ahead"].startswith("1 commit ahead of origin/main, nothing new upstream: kept")
    assert said["dirty"] == (
        "left as it is: 1 commit behind origin/main, but 1 file has uncommitted changes: "
        "commit or stash them"
    )
    assert said["diverged"].startswith(
        "left as it is: diverged from origin/main (1 commit only here, 1 commit only upstream)"
    )
    assert said["tagged"].startswith("pinned to tag v1 (")
    assert said["parent"] == "1 commit behind origin/main: would fast-forward"
    assert said["detached"].startswith("left as it is: detached HEAD at ")
    assert "'git switch BRANCH' in it follows a branch again" in said["detached"]
    assert {name: head(packages / name) for name in SCENARIOS} == before
    assert not (packages / "newdep").exists()
    assert installed_version(project, "behind") == "0.1.0"

    result = project.ivpm("sync")
    assert result.returncode == 1, result.stderr
    said = lines_by_name(result.stdout)
    assert said["behind"].startswith("fast-forwarded 1 commit from origin/main (")
    assert head(packages / "behind") == upstreams["behind"].work.head()
    assert head(packages / "parent") == upstreams["parent"].work.head()
    for name in ("ahead", "dirty", "diverged", "tagged", "detached"):
        assert head(packages / name) == before[name], name
    assert (packages / "dirty" / "dirty" / "__init__.py").read_text() == "# edited\n"
    assert "3 of 7 checkouts left behind their upstream: dirty, diverged, detached" in (
        result.stderr
    )
    assert "x sync: failed" in result.stderr and "* update: success" in result.stderr
    # the update that follows: a changed build file reinstalls, a new sub-project dep arrives
    assert installed_version(project, "behind") == "0.2.0"
    assert installed_version(project, "newdep") == "0.1.0"
    assert project.py("import newdep, os; print(os.path.dirname(newdep.__file__))") == str(
        packages / "newdep" / "newdep"
    )
    lock = json.loads((packages / "package-lock.json").read_text())
    assert lock["git"]["behind"]["commit"] == head(packages / "behind")
    assert lock["git"]["newdep"]["commit"] == head(packages / "newdep")

    git(packages / "dirty", "checkout", "-q", "--", ".")
    git(packages / "diverged", "reset", "-q", "--hard", "origin/main")
    git(packages / "detached", "switch", "-q", "main")
    settled = project.ivpm("sync")
    assert settled.returncode == 0, settled.stderr
    said = lines_by_name(settled.stdout)
    assert said["dirty"].startswith("fast-forwarded 1 commit")
    assert said["diverged"] == "up to date with origin/main"
    assert said["newdep"] == "up to date with origin/main"
    assert said["detached"] == "up to date with origin/main"


def _gated_git(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A ``git`` for PATH that stops before each ``merge`` until the test lets it go.

    It writes its folder to the ``started`` FIFO, then blocks reading the ``go`` FIFO: both
    block until the other side opens them, so the test and the wrapper meet without sleeps.
    """
    real = shutil.which("git")
    assert real is not None
    gate = tmp_path / "gate"
    gate.mkdir()
    started, go = gate / "started", gate / "go"
    os.mkfifo(started)
    os.mkfifo(go)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do\n'
        '  if [ "$arg" = merge ]; then\n'
        f"    pwd > {started}\n"
        f"    read _ < {go}\n"
        "    break\n"
        "  fi\n"
        "done\n"
        f'exec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    return bin_dir, started, go


@pytest.mark.timeout(120)
def test_an_interrupted_sync_finishes_the_move_it_started_and_starts_no_other(
    tmp_path: Path, make_project: Callable[[str], Project]
) -> None:
    upstreams = {
        name: make_upstream(tmp_path / "up", name, python_package_files(name, name))
        for name in ("first", "second")
    }
    project = make_project(_yaml(upstreams))
    project.update()
    packages = project.root / "packages"
    before = {name: head(packages / name) for name in upstreams}
    for upstream in upstreams.values():
        upstream.publish({"more.txt": "more\n"})
    bin_dir, started, go = _gated_git(tmp_path)
    env = {**os.environ, **project.env, "NO_COLOR": "1"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    sync = subprocess.Popen(
        [ivpm_executable(), "sync", "-j", "1", f"--py-{project.installer}"],
        cwd=project.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=default_signals,  # noqa: PLW1509 (the test starts no threads)
    )
    moving = Path(started.read_text().strip())  # blocks until a merge is under way
    os.killpg(sync.pid, signal.SIGINT)  # Ctrl-C at the terminal: the whole process group
    go.write_text("go\n")  # the merge goes on after the interrupt
    out, err = sync.communicate()
    assert sync.returncode == 130, err
    assert "interrupted" in err
    assert "update" not in err.replace("ivpm sync", "")  # the update did not start
    name = moving.name
    other = next(n for n in upstreams if n != name)
    assert head(moving) == upstreams[name].work.head()  # the started move completed
    assert git(moving, "status", "--porcelain") == ""
    assert lines_by_name(out)[name].startswith("fast-forwarded 1 commit")
    assert [line.split()[0] for line in out.splitlines()].count(name) == 1
    assert head(packages / other) == before[other]  # the next one never started
    assert git(packages / other, "status", "--porcelain") == ""

    again = project.ivpm("sync")
    assert again.returncode == 0, again.stderr
    assert head(packages / other) == upstreams[other].work.head()

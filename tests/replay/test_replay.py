"""A repeated run answered from the replay record, and every change that makes ivpm run in
full again: real ivpm processes, a real git checkout, a real venv."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from ivpm.workspace_lock import WorkspaceLock
from tests.conftest import Project, installer_commands, srcpkg_project_yaml
from tests.helpers.cli import run_ivpm
from tests.helpers.gitrepos import make_repo, python_package_files

MakeProject = Callable[..., Project]


def lock_owner_inode(project: Project) -> int:
    """The inode of the workspace lock's owner note: a run that takes the lock writes a new one."""
    return (project.root / "packages" / ".ivpm.lock.owner").stat().st_ino


def plain_update(project: Project, **env: str) -> subprocess.CompletedProcess[str]:
    """``ivpm update`` as a user types it (no -v), asserting success."""
    args = ["update", f"--py-{project.installer}"]
    result = run_ivpm(args, cwd=project.root, env={**project.env, **env})
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def settled(make_project: MakeProject, tmp_path: Path) -> Project:
    """A project with a git source package and a PyPI dep, updated, then updated again with
    nothing changed (that run, which changes nothing, is the one recorded)."""
    repo = make_repo(tmp_path / "repos", "srcpkg", python_package_files("srcpkg", "srcpkg"))
    project = make_project(srcpkg_project_yaml("replayed", repo.url, "ivpmtest-alpha"))
    project.update()
    plain_update(project)
    return project


@pytest.mark.installer
def test_a_repeated_update_is_answered_without_taking_the_lock(settled: Project) -> None:
    full = plain_update(settled, IVPM_NO_REPLAY="1")  # in full; it forgets the record
    plain_update(settled)  # in full again, and recorded
    before = lock_owner_inode(settled)
    replayed = plain_update(settled)
    assert lock_owner_inode(settled) == before  # the workspace lock was not taken
    assert replayed.stdout == full.stdout
    assert replayed.stderr == full.stderr
    assert "- install: skipped (up to date)" in replayed.stderr
    # Another command line, directory or environment is another question.
    assert lock_owner_inode(settled) == before
    plain_update(settled, SOME_SETTING="1")
    assert lock_owner_inode(settled) != before


def test_an_edited_ivpm_yaml_is_acted_on(settled: Project) -> None:
    text = (settled.root / "ivpm.yaml").read_text()
    settled.write(text + "        - name: ivpmtest-beta\n")
    result = settled.update()
    assert any("ivpmtest-beta" in line for line in installer_commands(result.stderr))
    assert settled.can_import("ivpmtest_beta")


def test_a_changed_build_file_reinstalls_the_source_package(settled: Project) -> None:
    pyproject = settled.root / "packages" / "srcpkg" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))
    plain_update(settled)
    assert settled.py("import importlib.metadata as m; print(m.version('srcpkg'))") == "0.2.0"


def test_a_new_commit_in_a_checkout_reaches_the_lock_file(settled: Project) -> None:
    checkout = settled.root / "packages" / "srcpkg"
    (checkout / "NEWS").write_text("news\n")
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["add", "NEWS"], ["commit", "-q", "-m", "news"]):
        subprocess.run(["git", "-C", str(checkout), *identity, *args], check=True)
    head = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    plain_update(settled)
    assert head in (settled.root / "packages" / "package-lock.json").read_text()


def test_a_removed_environment_is_rebuilt(settled: Project) -> None:
    (settled.root / "packages" / "python" / "pyvenv.cfg").unlink()
    plain_update(settled)
    assert settled.can_import("srcpkg")


def test_no_answer_while_another_run_holds_the_lock(settled: Project) -> None:
    with WorkspaceLock(settled.root / "packages", timeout=0):
        result = run_ivpm(
            ["update", f"--py-{settled.installer}"],
            cwd=settled.root,
            env={**settled.env, "IVPM_LOCK_TIMEOUT": "0.2"},
        )
    assert result.returncode != 0
    assert "waiting for" in result.stderr


def test_a_damaged_record_is_no_record(settled: Project) -> None:
    record = settled.root / "packages" / ".ivpm-replay"
    assert record.is_file()
    record.write_bytes(b"\x00not a record")
    result = plain_update(settled)
    assert "* update: success" in result.stderr
    assert record.read_bytes() != b"\x00not a record"  # the full run wrote it again


def test_a_repeated_activate_command_runs_in_the_environment(settled: Project) -> None:
    code = "import os, srcpkg; print(os.environ['VIRTUAL_ENV'], srcpkg.__name__)"
    outputs = []
    for _ in range(3):
        result = run_ivpm(
            ["activate", "-c", f'python -c "{code}"'], cwd=settled.root, env=settled.env
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    venv = os.path.realpath(settled.root / "packages" / "python")
    assert all(out.split()[1] == "srcpkg" for out in outputs)
    assert all(os.path.realpath(out.split()[0]) == venv for out in outputs)
    assert len(set(outputs)) == 1

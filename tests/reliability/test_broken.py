"""Broken environments are repaired by the next update; failed fetches leave nothing behind."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import INSTALLER, Project, srcpkg_project_yaml
from tests.helpers.cli import run_ivpm
from tests.helpers.gitrepos import clone_repo, make_repo, python_package_files
from tests.helpers.wheelhouse import hermetic_env
from tests.reliability.harness import assert_sound_environment

MakeProject = Callable[..., Project]


def _delete_python(venv: Path) -> None:
    (venv / "bin" / "python").unlink()


def _corrupt_state(venv: Path) -> None:
    (venv / ".ivpm-state.json").write_text('{"version": 1, "requirements": {"x": ')


def _corrupt_marker(venv: Path) -> None:
    (venv / ".ivpm-venv.json").write_text("not json")


def _delete_pyvenv_cfg(venv: Path) -> None:
    (venv / "pyvenv.cfg").unlink()


BREAKAGES = {
    "deleted-bin-python": _delete_python,
    "corrupt-state-json": _corrupt_state,
    "corrupt-venv-marker": _corrupt_marker,
    "deleted-pyvenv-cfg": _delete_pyvenv_cfg,
}


def offline_project(root: Path, wheelhouse: Path) -> Project:
    """A project at ``root`` (made here) installing only from ``wheelhouse``."""
    root.mkdir(parents=True)
    env = hermetic_env(os.environ)
    env["IVPM_NO_INDEX"] = "1"
    env["IVPM_FIND_LINKS"] = str(wheelhouse)
    return Project(root, env, INSTALLER)


def srcpkg_and_beta_project(base: Path, wheelhouse: Path) -> Project:
    """A project with a git source package and a PyPI dep (with a dependency), updated once."""
    repo = make_repo(base / "repos", "srcpkg", python_package_files("srcpkg", "srcpkg"))
    project = offline_project(base / "proj", wheelhouse)
    project.write(srcpkg_project_yaml(base.name, repo.url, "ivpmtest-beta"))
    project.update()
    return project


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Project:
    return srcpkg_and_beta_project(tmp_path_factory.mktemp("broken"), wheelhouse)


@pytest.mark.installer
@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_next_update_repairs_a_broken_environment(built: Project, breakage: str) -> None:
    BREAKAGES[breakage](built.root / "packages" / "python")
    result = built.ivpm("update")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert_sound_environment(built.root)
    assert built.can_import("srcpkg") and built.can_import("ivpmtest_beta")


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"url": "file:///nonexistent/repo.git"}, "git clone failed"),
        ({"branch": "nosuch"}, "nosuch"),
    ],
    ids=["bad-url", "missing-branch"],
)
def test_failed_clone_leaves_nothing_and_says_why(
    make_project: MakeProject, tmp_path: Path, fields: dict[str, str], says: str
) -> None:
    repo = make_repo(tmp_path / "repos", "gooddep")
    spec = {"url": repo.url, **fields}
    extra = "".join(f"          {key}: {value}\n" for key, value in spec.items())
    project = make_project(
        "package:\n  name: clonefail\n  dep-sets:\n    - name: default-dev\n      deps:\n"
        "        - name: faildep\n          src: git\n" + extra
    )
    result = project.ivpm("update", "--skip-py-install", installer=False)
    assert result.returncode == 1, result.stderr
    assert "faildep" in result.stderr and says in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) < 25
    packages = project.root / "packages"
    assert sorted(p.name for p in packages.iterdir() if not p.name.startswith(".ivpm.lock")) == []


def test_symlinked_checkout_outside_the_project_is_refused(
    make_project: MakeProject, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repos", "dep", {"a.txt": "one\n"})
    outside = clone_repo(repo.url, tmp_path / "outside-checkout")
    (outside / "a.txt").write_text("work outside\n")
    before = sorted(p.name for p in outside.iterdir())
    project = make_project(
        f"package:\n  name: link\n  dep-sets:\n    - name: default-dev\n      deps:\n"
        f"        - name: dep\n          url: {repo.url}\n          src: git\n"
    )
    (project.root / "packages").mkdir()
    (project.root / "packages" / "dep").symlink_to(outside)
    result = project.ivpm("update", "--skip-py-install", installer=False)
    assert result.returncode == 1
    assert "outside the project" in result.stderr and "Traceback" not in result.stderr
    assert (outside / "a.txt").read_text() == "work outside\n"
    assert sorted(p.name for p in outside.iterdir()) == before


def test_packages_that_is_not_a_writable_directory(make_project: MakeProject) -> None:
    project = make_project(
        "package:\n  name: ro\n  dep-sets:\n    - name: default-dev\n      deps: []\n"
    )
    (project.root / "packages").write_text("a file, not a directory\n")
    result = run_ivpm(["update"], cwd=project.root, env=project.env)
    assert result.returncode == 2
    assert "packages is not a directory" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) < 25
    assert (project.root / "packages").read_text() == "a file, not a directory\n"


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """Make ``directory`` read-only for this process, root included (``chattr +i`` for root)."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(0o755)
        return
    made = subprocess.run(["chattr", "+i", str(directory)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("root ignores permissions and chattr +i is not available here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)


def test_read_only_packages_directory(make_project: MakeProject) -> None:
    project = make_project(
        "package:\n  name: ro\n  dep-sets:\n    - name: default-dev\n      deps: []\n"
    )
    packages = project.root / "packages"
    packages.mkdir()
    with read_only(packages):
        result = run_ivpm(["update"], cwd=project.root, env=project.env)
        assert sorted(packages.iterdir()) == []
    assert result.returncode in (1, 2)
    assert "packages" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) < 25

"""``ivpm clone`` end to end: a real git repository reached by file:// URL or path, then update."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import dist_versions
from tests.helpers.cli import run_ivpm
from tests.helpers.gitrepos import GitRepo, git, make_repo, python_package_files

PROJECT_YAML = """\
package:
  name: cloneme
  dep-sets:
    - name: default-dev
      deps:
        - name: ivpmtest-alpha
          version: "==1.0.0"
        - name: inner
          url: libs/inner
          src: dir
"""


@pytest.fixture
def project_repo(tmp_path: Path) -> GitRepo:
    """A repository holding an ivpm project (a PyPI dep and a package inside the repository);
    its ``dev`` branch adds ivpmtest-gamma."""
    files = {"ivpm.yaml": PROJECT_YAML}
    files.update({f"libs/inner/{k}": v for k, v in python_package_files("inner", "inner").items()})
    dev_yaml = PROJECT_YAML + "        - name: ivpmtest-gamma\n"
    return make_repo(
        tmp_path / "repos", "cloneme.git", files, branches={"dev": {"ivpm.yaml": dev_yaml}}
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.mark.installer
def test_clone_into_the_directory_named_by_the_url(
    project_repo: GitRepo, workdir: Path, ivpm_env: dict[str, str], installer: str
) -> None:
    result = run_ivpm(["clone", project_repo.url, f"--py-{installer}"], cwd=workdir, env=ivpm_env)
    assert result.returncode == 0, result.stderr
    clone = workdir / "cloneme"
    assert git(clone, "remote", "get-url", "origin") == project_repo.url
    assert git(clone, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    python = clone / "packages" / "python" / "bin" / "python"
    assert dist_versions(python, ["ivpmtest-alpha", "inner", "ivpmtest-gamma"]) == {
        "ivpmtest-alpha": "1.0.0",
        "inner": "0.1.0",
        "ivpmtest-gamma": None,
    }
    assert "* update: success" in result.stderr
    again = run_ivpm(["-p", str(clone), "update", f"--py-{installer}"], cwd=workdir, env=ivpm_env)
    assert again.returncode == 0 and "- install: skipped (up to date)" in again.stderr


@pytest.mark.installer
def test_clone_a_branch_from_a_path_into_a_named_directory(
    project_repo: GitRepo, workdir: Path, ivpm_env: dict[str, str], installer: str
) -> None:
    (workdir / "empty").mkdir()
    result = run_ivpm(
        ["clone", str(project_repo.path), "empty", "-b", "dev", f"--py-{installer}"],
        cwd=workdir,
        env=ivpm_env,
    )
    assert result.returncode == 0, result.stderr
    clone = workdir / "empty"
    assert git(clone, "rev-parse", "--abbrev-ref", "HEAD") == "dev"
    python = clone / "packages" / "python" / "bin" / "python"
    assert dist_versions(python, ["ivpmtest-gamma"]) == {"ivpmtest-gamma": "0.1.0"}


def test_a_non_empty_directory_is_refused_and_left_alone(
    project_repo: GitRepo, workdir: Path, ivpm_env: dict[str, str]
) -> None:
    target = workdir / "cloneme"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n")
    result = run_ivpm(["clone", project_repo.url], cwd=workdir, env=ivpm_env)
    assert result.returncode == 2
    assert "already exists and is not empty" in result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert (target / "notes.txt").read_text() == "mine\n"


def test_a_repository_without_ivpm_yaml_is_a_clear_error(
    tmp_path: Path, workdir: Path, ivpm_env: dict[str, str]
) -> None:
    plain = make_repo(tmp_path / "repos", "plain")
    result = run_ivpm(["clone", plain.url, "here"], cwd=workdir, env=ivpm_env)
    assert result.returncode == 1
    assert "has no ivpm.yaml" in result.stderr
    assert "Traceback" not in result.stderr
    assert (workdir / "here" / "README").is_file()
    assert not (workdir / "here" / "packages").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "clone needs a URL"),
        (["--upload-pack=touch x"], "not a repository URL"),
        (["ext::sh -c touch% x"], "not a repository URL"),
        (["file:///nowhere/repo.git", "a", "b"], "takes URL [DIR]"),
    ],
)
def test_bad_clone_arguments_are_usage_errors(
    workdir: Path, ivpm_env: dict[str, str], args: list[str], message: str
) -> None:
    result = run_ivpm(["clone", *args], cwd=workdir, env=ivpm_env)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert list(workdir.iterdir()) == []


def test_a_missing_branch_fails_without_leaving_a_directory(
    project_repo: GitRepo, workdir: Path, ivpm_env: dict[str, str]
) -> None:
    result = run_ivpm(["clone", project_repo.url, "-b", "nope"], cwd=workdir, env=ivpm_env)
    assert result.returncode == 1
    assert "git clone of" in result.stderr and "nope" in result.stderr
    assert not (workdir / "cloneme").exists()

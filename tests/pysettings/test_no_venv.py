"""``with.python.venv: false``: sources are fetched, no environment is made, nothing installed.

As in the published ivpm, the setting wins over ``--py-uv``/``--py-pip``; an existing
``packages/python`` is left alone; ``activate`` and ``build`` still work.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project, installer_commands
from tests.helpers.gitrepos import make_repo, python_package_files

MakeProject = Callable[..., Project]


def no_venv_yaml(repo_url: str, venv: str = "false") -> str:
    return f"""\
        package:
          name: novenv
          with:
            python:
              venv: {venv}
          env:
            - name: MODE
              value: no-venv
          dep-sets:
            - name: default-dev
              deps:
                - name: srcpkg
                  url: {repo_url}
                  src: git
                - name: ivpmtest-alpha
        """


@pytest.fixture
def repo_url(tmp_path: Path) -> str:
    return make_repo(tmp_path / "repos", "srcpkg", python_package_files("srcpkg", "srcpkg")).url


def test_update_fetches_and_makes_no_environment(make_project: MakeProject, repo_url: str) -> None:
    project = make_project(no_venv_yaml(repo_url))
    result = project.ivpm("update", installer=False)
    assert result.returncode == 0, result.stderr
    packages = project.root / "packages"
    assert (packages / "srcpkg" / "pyproject.toml").is_file()
    assert not (packages / "python").exists()
    assert installer_commands(result.stderr) == []
    assert "with.python.venv is false in ivpm.yaml: no Python environment is made" in result.stderr
    assert "- venv: skipped (with.python.venv is false in ivpm.yaml)" in result.stderr
    assert "- install: skipped (with.python.venv is false in ivpm.yaml)" in result.stderr


def test_installer_options_are_ignored_and_said_so(
    make_project: MakeProject, repo_url: str
) -> None:
    project = make_project(no_venv_yaml(repo_url))
    result = project.ivpm("update", "--py-system-site-packages")  # and --py-<installer>
    assert result.returncode == 0, result.stderr
    assert not (project.root / "packages" / "python").exists()
    assert f"--py-{project.installer}, --py-system-site-packages ignored" in result.stderr


@pytest.mark.installer
def test_an_existing_environment_is_left_as_it_is(make_project: MakeProject, repo_url: str) -> None:
    project = make_project(no_venv_yaml(repo_url, venv="true"))
    project.update()
    record = project.root / "packages" / "python" / ".ivpm-venv.json"
    before = record.stat().st_mtime_ns
    project.write(no_venv_yaml(repo_url))
    result = project.update()
    assert installer_commands(result.stderr) == []
    assert record.stat().st_mtime_ns == before
    assert project.can_import("ivpmtest_alpha")
    assert "(packages/python is left as it is)" in result.stderr


def test_activate_runs_without_an_environment(make_project: MakeProject, repo_url: str) -> None:
    project = make_project(no_venv_yaml(repo_url))
    assert project.ivpm("update", installer=False).returncode == 0
    report = 'echo "VE=${VIRTUAL_ENV:-none}"; echo "PATH=$PATH"; echo "MODE=$MODE $IVPM_PROJECT"'
    env_without_venv = {k: v for k, v in project.env.items() if k != "VIRTUAL_ENV"}
    project.env = env_without_venv
    os_env_venv = os.environ.get("VIRTUAL_ENV")
    result = project.ivpm("activate", "-c", report, installer=False)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert lines["VE"] == (os_env_venv or "none")
    assert str(project.root / "packages" / "python" / "bin") not in lines["PATH"].split(":")
    assert lines["MODE"] == f"no-venv {project.root}"


def test_build_is_skipped_not_broken(make_project: MakeProject, repo_url: str) -> None:
    project = make_project(no_venv_yaml(repo_url))
    result = project.ivpm("build", installer=False)
    assert result.returncode == 0, result.stderr
    assert "- build: skipped (with.python.venv is false in ivpm.yaml)" in result.stderr
    assert not (project.root / "packages" / "python").exists()

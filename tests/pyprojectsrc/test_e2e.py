"""``src: pyproject.toml`` through the real ``ivpm`` command, with the local wheelhouse."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project, dist_versions

MakeProject = Callable[..., Project]

PYPROJECT = """\
[project]
name = "pssc"
dependencies = ["ivpmtest-beta", "ivpmtest-gamma; python_version < '3'"]

[project.optional-dependencies]
cli = ["ivpmtest-gamma"]

[dependency-groups]
pinned = ["ivpmtest-alpha<2"]
dev = [{include-group = "pinned"}]
"""

DISTS = ("ivpmtest-alpha", "ivpmtest-beta", "ivpmtest-gamma")


def with_pyproject(
    make_project: MakeProject, deps: str, text: str = PYPROJECT, where: str = "pyproject.toml"
) -> Project:
    """A project whose ivpm.yaml holds ``deps`` (YAML list items), with a pyproject.toml
    holding ``text`` at ``where`` (relative to the project)."""
    project = make_project(
        "package:\n  name: pssc\n  dep-sets:\n    - name: default-dev\n      deps:\n"
        + textwrap.indent(textwrap.dedent(deps), "        ")
    )
    path = project.root / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return project


@pytest.mark.installer
def test_update_installs_the_listed_requirements(make_project: MakeProject) -> None:
    project = with_pyproject(
        make_project,
        """\
        - name: python
          src: pyproject.toml
          include: [dependencies, dependency-groups.dev]
        """,
    )
    project.update()
    versions = dist_versions(project.python, DISTS)
    assert versions == {"ivpmtest-alpha": "1.1.0", "ivpmtest-beta": "1.0.0", "ivpmtest-gamma": None}
    assert project.can_import("ivpmtest_beta")
    assert not (project.root / "packages" / "python" / "pyproject.toml").exists()


@pytest.mark.installer
def test_an_explicit_pypi_entry_wins(make_project: MakeProject) -> None:
    project = with_pyproject(
        make_project,
        """\
        - name: reqs
          src: pyproject.toml
          path: py/pyproject.toml
          include: all
        - name: ivpmtest-alpha
          src: pypi
          version: "==1.0.0"
        """,
        text=PYPROJECT.replace('"ivpmtest-alpha<2"', '"ivpmtest-alpha>=2"'),
        where="py/pyproject.toml",
    )
    project.update()
    versions = dist_versions(project.python, DISTS)
    assert versions == {
        "ivpmtest-alpha": "1.0.0",
        "ivpmtest-beta": "1.0.0",
        "ivpmtest-gamma": "0.1.0",
    }


@pytest.mark.installer
def test_a_wheel_named_by_direct_reference(make_project: MakeProject, wheelhouse: Path) -> None:
    wheel = wheelhouse / "ivpmtest_gamma-0.1.0-py3-none-any.whl"
    project = with_pyproject(
        make_project,
        "- name: python\n  src: pyproject.toml\n",
        text=f'[project]\ndependencies = ["ivpmtest-gamma @ {wheel.as_uri()}"]\n',
    )
    project.update()
    assert dist_versions(project.python, ["ivpmtest-gamma"]) == {"ivpmtest-gamma": "0.1.0"}


def test_a_malformed_pyproject_fails_with_its_location(make_project: MakeProject) -> None:
    project = with_pyproject(
        make_project,
        "- name: python\n  src: pyproject.toml\n",
        text='[project]\ndependencies = [\n  "ivpmtest-beta",\n  nope,\n]\n',
    )
    result = project.ivpm("update")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "ivpm.yaml:6:11: error: pyproject.toml is not valid TOML" in result.stderr
    assert "pyproject.toml:4:3: note: the TOML error is here" in result.stderr


def test_a_missing_group_fails_naming_the_file(make_project: MakeProject) -> None:
    project = with_pyproject(
        make_project,
        "- name: python\n  src: pyproject.toml\n  include: dependency-groups.test\n",
    )
    result = project.ivpm("update")
    assert result.returncode != 0
    assert "pyproject.toml: there is no dependency-groups list 'test'" in result.stderr


def test_check_notes_only_a_remote_pyproject(make_project: MakeProject) -> None:
    project = with_pyproject(
        make_project,
        """\
        - name: python
          src: pyproject.toml
        - name: far
          src: pyproject.toml
          url: https://example.com/pyproject.toml
        """,
    )
    result = project.ivpm("check", installer=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dep 'far': a remote pyproject.toml is not downloaded" in result.stdout
    assert "dep 'python'" not in result.stdout


def test_check_reports_a_malformed_pyproject(make_project: MakeProject) -> None:
    project = with_pyproject(
        make_project, "- name: python\n  src: pyproject.toml\n", text="[project]\nx = \n"
    )
    result = project.ivpm("check", installer=False)
    assert result.returncode != 0
    assert "ivpm.yaml:6:11: error: pyproject.toml is not valid TOML" in result.stderr

"""``with.python.pre-release: true`` means what ``pre: true`` and ``--py-prerls-packages`` mean."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Project, dist_versions, installer_commands

pytestmark = pytest.mark.installer

MakeProject = Callable[..., Project]


def yaml_text(python: str) -> str:
    return f"""\
        package:
          name: prerls
          with:
            python:
              {python}
          dep-sets:
            - name: default-dev
              deps:
                - name: ivpmtest-alpha
        """


def test_pre_release_in_ivpm_yaml_installs_a_pre_release(make_project: MakeProject) -> None:
    project = make_project(yaml_text("pre-release: true"))
    result = project.update()
    assert dist_versions(project.python, ["ivpmtest-alpha"]) == {"ivpmtest-alpha": "2.1.0rc1"}
    (command,) = installer_commands(result.stderr)
    assert ("--prerelease=allow" if project.installer == "uv" else "--pre") in command.split()


def test_without_it_the_latest_release_is_installed(make_project: MakeProject) -> None:
    project = make_project(yaml_text("pre-release: false"))
    project.update()
    assert dist_versions(project.python, ["ivpmtest-alpha"]) == {"ivpmtest-alpha": "2.0.0"}

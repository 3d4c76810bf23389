"""Projects that live as long as a test module, for suites whose set-up is costly."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import INSTALLER, Project
from tests.helpers.wheelhouse import hermetic_env


def module_project_factory(
    tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path
) -> Callable[[str, str], Project]:
    """A maker of projects (name, ivpm.yaml text) with the same environment as ``make_project``."""

    def make(name: str, yaml_text: str) -> Project:
        env = hermetic_env(os.environ)
        env["IVPM_NO_INDEX"] = "1"
        env["IVPM_FIND_LINKS"] = str(wheelhouse)
        project = Project(tmp_path_factory.mktemp(name), env, INSTALLER)
        project.write(yaml_text)
        return project

    return make

"""Fixtures of this suite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.helpers.module_projects import module_project_factory


@pytest.fixture(scope="module")
def module_project(
    tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path
) -> Callable[[str, str], Project]:
    """Make a project (name, ivpm.yaml text) that lives as long as the test module."""
    return module_project_factory(tmp_path_factory, wheelhouse)

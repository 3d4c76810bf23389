"""Shared fixtures for the pyenv tests; the session's wheelhouse comes from tests/conftest.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ivpm.pyenv.index import IndexSettings
from ivpm.pyenv.interpreter import resolve_python
from tests.helpers.wheelhouse import FIXTURES, hermetic_env

# ivpm's own settings variables; a developer's values must not leak into these tests.
IVPM_VARS = (
    "IVPM_UV",
    "IVPM_PYTHON",
    "IVPM_INDEX_URL",
    "IVPM_EXTRA_INDEX_URL",
    "IVPM_FIND_LINKS",
    "IVPM_NO_INDEX",
)


@pytest.fixture(autouse=True)
def _no_ivpm_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in IVPM_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def henv() -> dict[str, str]:
    """The environment for installer processes: no pip/uv configuration of this machine."""
    base = {k: v for k, v in os.environ.items() if k not in IVPM_VARS}
    return hermetic_env(base)


@pytest.fixture(scope="session")
def local_index(wheelhouse: Path) -> IndexSettings:
    """Index settings that install from the local wheelhouse only."""
    return IndexSettings(no_index=True, find_links=(str(wheelhouse),))


@pytest.fixture(scope="session")
def base_python() -> str:
    """The interpreter the test environments are built from."""
    return resolve_python(None, {})


@pytest.fixture
def src_package(tmp_path: Path) -> Path:
    """A private copy of the ivpmtest-srcpkg source tree (editable builds write into it)."""
    target = tmp_path / "ivpmtest-srcpkg"
    shutil.copytree(FIXTURES / "ivpmtest-srcpkg", target)
    return target

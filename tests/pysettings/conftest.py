"""Fixtures of the Python-settings suite."""

from __future__ import annotations

import os

import pytest

from ivpm.pyenv.uvfind import find_uv


@pytest.fixture(scope="session")
def uv_bin() -> str:
    """The uv binary (tests that need one are skipped without it)."""
    found = find_uv({"PATH": os.environ.get("PATH", "")})
    if found is None:
        pytest.skip("no uv binary available")
    return found

"""Fixtures of the reliability suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.harness import kill_leftovers


@pytest.fixture(autouse=True)
def _no_stray_ivpm() -> Iterator[None]:
    """A test that fails while ivpm is paused must not leave it blocked for ever."""
    yield
    kill_leftovers()

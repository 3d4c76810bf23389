"""A test-only pause point, inert unless ``IVPM_TEST_PAUSE_AT`` names it.

The reliability tests stop ivpm at a precise step (then kill or interrupt it) without sleeping:
with ``IVPM_TEST_PAUSE_AT=<point>`` and ``IVPM_TEST_PAUSE_DIR=<dir>`` (holding the FIFOs
``ready`` and ``hold``), reaching ``<point>`` writes the point's name to ``ready`` and blocks
until a line can be read from ``hold``. It pauses once per process.
"""

from __future__ import annotations

import os
import sys


def pause_point(name: str) -> None:
    """Block here when the tests asked to (``IVPM_TEST_PAUSE_AT``); otherwise do nothing."""
    if os.environ.get("IVPM_TEST_PAUSE_AT") != name:
        return
    directory = os.environ.get("IVPM_TEST_PAUSE_DIR", "")
    if not directory:
        return
    del os.environ["IVPM_TEST_PAUSE_AT"]
    print(f"ivpm: test pause at {name}", file=sys.stderr, flush=True)
    with open(os.path.join(directory, "ready"), "w", encoding="utf-8") as ready:
        ready.write(name + "\n")
    with open(os.path.join(directory, "hold"), encoding="utf-8") as hold:
        hold.readline()

"""Real ivpm.yaml files other people wrote (``../shared/wild``, when it is there) load.

The files are data next to the repository, not part of it: the test skips cleanly without them.
Each is checked as ``ivpm check`` checks it (in-process, no network); only files with real
mistakes in them may be refused, and nothing may fail other than with a located error.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ivpm.project.check import check_project

WILD = Path(__file__).resolve().parents[2].parent / "shared" / "wild" / "files"


@pytest.mark.skipif(not WILD.is_dir(), reason="../shared/wild is not present")
def test_real_world_manifests_load(tmp_path: Path) -> None:
    refused: dict[str, str] = {}
    files = sorted(WILD.iterdir())
    for index, source in enumerate(files):
        project = tmp_path / str(index)
        project.mkdir()
        shutil.copyfile(source, project / "ivpm.yaml")
        report = check_project(project)
        if not report.valid:
            first = report.problems[0]
            assert first.location is not None, (source.name, first.message)
            refused[source.name] = first.message
    assert len(files) - len(refused) >= 175, refused

"""``ivpm.nox.use`` puts the tree's env into ``session.env``, as ``ivpm activate`` does."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, NoReturn

import pytest

pytest.importorskip("nox")

import ivpm.nox


class StandIn:
    """The public attributes of a ``venv_backend="none"`` nox session that ``use`` reads."""

    def __init__(self) -> None:
        self.name = "unit"
        self.venv_backend = "none"
        self.env: dict[str, str | None] = {}

    def run(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"nothing is run with update=False: {args}")

    def error(self, *args: Any) -> NoReturn:
        raise AssertionError(*args)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A root with one dep already under packages/ (its own ivpm.yaml sets env) and a venv."""
    root = tmp_path / "proj"
    write(
        root / "ivpm.yaml",
        "package:\n"
        "  name: noxroot\n"
        "  env:\n"
        "    - name: SHARED\n"
        "      value: root\n"
        "  dep-sets:\n"
        "    - name: default-dev\n"
        "      deps:\n"
        "        - name: dep\n"
        f"          url: {tmp_path / 'elsewhere'}\n"
        "          src: dir\n"
        "    - name: other\n"
        "      deps: []\n",
    )
    write(
        root / "packages" / "dep" / "ivpm.yaml",
        "package:\n"
        "  name: dep\n"
        "  env:\n"
        "    - name: FROM_DEP\n"
        "      value: present\n"
        "    - name: SHARED\n"
        "      value: dep\n"
        "    - name: PATH\n"
        "      path-prepend: /opt/dep/bin\n",
    )
    python = root / "packages" / "python" / "bin" / "python"
    write(python, "#!/bin/sh\n")
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    return root


def test_use_applies_the_dependencies_env_then_the_roots(project: Path) -> None:
    base = StandIn()
    ivpm.nox.use(base, project=project, update=False)  # type: ignore[arg-type]
    assert base.env["FROM_DEP"] == "present"
    assert base.env["SHARED"] == "root"
    path = str(base.env["PATH"]).split(os.pathsep)
    assert path[:2] == ["/opt/dep/bin", str(project / "packages" / "python" / "bin")]


def test_use_reads_the_tree_of_its_dep_set(project: Path) -> None:
    base = StandIn()
    ivpm.nox.use(base, project=project, update=False, dep_set="other")  # type: ignore[arg-type]
    assert "FROM_DEP" not in base.env, "dep is not in dep-set 'other'"
    assert base.env["SHARED"] == "root"

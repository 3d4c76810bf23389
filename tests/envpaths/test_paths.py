"""``ivpm paths`` and ``ivpm.paths.query``: the tree's declared paths, without network or writes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ivpm.errors import IvpmError
from ivpm.paths import query
from ivpm.sessions import load_builtin_sessions
from tests.conftest import Project
from tests.envpaths.conftest import Tree, plain_project


def paths(project: Project, *args: str) -> list[str]:
    """``ivpm paths ARGS``, asserting success; the lines printed."""
    result = project.ivpm("paths", *args, installer=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_every_packages_paths_dependencies_first_root_last(fetched: tuple[Project, Tree]) -> None:
    project, _ = fetched
    packages = project.root / "packages"
    assert paths(project) == [
        str(packages / "suba" / "build" / "lib"),
        str(packages / "suba" / "include"),
        str(packages / "suba" / "include" / "extra"),
        str(packages / "subb" / "lib"),
        str(packages / "subb" / "private"),
        str(project.root / "build"),
        str(project.root / "include"),
    ]


def test_kind_and_type_select(fetched: tuple[Project, Tree]) -> None:
    project, _ = fetched
    packages = project.root / "packages"
    assert paths(project, "-k", "export", "-t", "lib-dirs") == [
        str(packages / "suba" / "build" / "lib"),
        str(packages / "subb" / "lib"),
        str(project.root / "build"),
    ]
    assert paths(project, "--kind", "internal") == [str(packages / "subb" / "private")]
    assert paths(project, "-t", "include-dirs")[-1] == str(project.root / "include")
    result = project.ivpm("paths", "-k", "no-such-kind", installer=False)
    assert result.returncode == 0 and result.stdout == ""
    assert "no paths declared of kind 'no-such-kind'" in result.stderr


def test_json_names_the_package_kind_and_type(fetched: tuple[Project, Tree]) -> None:
    project, _ = fetched
    (project.root / "build").mkdir(exist_ok=True)
    report = json.loads("\n".join(paths(project, "--json", "-t", "lib-dirs")))
    assert report["paths"] == [
        {
            "package": "suba",
            "kind": "export",
            "type": "lib-dirs",
            "path": str(project.root / "packages" / "suba" / "build" / "lib"),
            "exists": False,
        },
        {
            "package": "subb",
            "kind": "export",
            "type": "lib-dirs",
            "path": str(project.root / "packages" / "subb" / "lib"),
            "exists": False,
        },
        {
            "package": "subb",
            "kind": "internal",
            "type": "lib-dirs",
            "path": str(project.root / "packages" / "subb" / "private"),
            "exists": False,
        },
        {
            "package": "treeroot",
            "kind": "export",
            "type": "lib-dirs",
            "path": str(project.root / "build"),
            "exists": True,
        },
    ]


def test_query_for_build_scripts(fetched: tuple[Project, Tree]) -> None:
    project, _ = fetched
    packages = project.root / "packages"
    expected = [
        packages / "suba" / "build" / "lib",
        packages / "subb" / "lib",
        project.root / "build",
    ]
    assert query(project.root, "export", "lib-dirs") == expected
    # Inside a dependency, its own ivpm.yaml is the nearest: its tree (not fetched) alone.
    assert query(packages / "subb", "export") == [packages / "subb" / "lib"]
    assert query(project.root / "build", type="include-dirs")[-1] == project.root / "include"
    with pytest.raises(IvpmError, match=r"no ivpm\.yaml"):
        query(Path("/"))


def test_query_is_cheap_to_import() -> None:
    code = (
        "import sys, ivpm.paths; "
        "print(sorted(m for m in sys.modules if m.startswith(('ivpm.', 'yaml', 'packaging'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['ivpm.paths']"


def test_paths_fetches_and_writes_nothing(
    tree_factory: Callable[[bool], Tree], tmp_path: Path
) -> None:
    tree = tree_factory(False)
    project = plain_project(tmp_path / "never-fetched", tree.root_yaml())
    assert paths(project) == [str(project.root / "build"), str(project.root / "include")]
    assert not (project.root / "packages").exists(), "no fetch, no lock file"
    spec = load_builtin_sessions().get("paths")
    assert spec.writes is False and spec.needs_project is True


def test_outside_a_project_is_a_usage_error(tmp_path: Path) -> None:
    project = Project(tmp_path, {}, "pip")
    result = project.ivpm("paths", installer=False)
    assert result.returncode == 2, result.stderr
    assert "no ivpm.yaml" in result.stderr and "Traceback" not in result.stderr

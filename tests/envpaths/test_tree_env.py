"""The env of the whole tree in ``ivpm activate`` and ``ivpm build``: dependencies first."""

from __future__ import annotations

import ast
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import INSTALLER, Project
from tests.envpaths.conftest import Tree
from tests.helpers.wheelhouse import hermetic_env

REPORT = (
    'echo "FROM_A=$FROM_A"; echo "FROM_CEXT=$FROM_CEXT"; echo "SHARED_AB=$SHARED_AB"; '
    'echo "SHARED_ALL=$SHARED_ALL"; echo "A_LIBS=$A_LIBS"; echo "MODE=$MODE"; echo "PATH=$PATH"'
)


def report(output: str) -> dict[str, str]:
    """``KEY=value`` lines as a dict."""
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


@pytest.fixture(scope="module")
def updated(
    tree_factory: Callable[[bool], Tree], tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path
) -> tuple[Project, Tree]:
    """The tree, updated for real: a venv with cext installed, suba cloned, subb copied."""
    tree = tree_factory(True)
    env = hermetic_env(os.environ)
    env.update(IVPM_NO_INDEX="1", IVPM_FIND_LINKS=str(wheelhouse))
    project = Project(tmp_path_factory.mktemp("treeroot"), env, INSTALLER)
    project.write(tree.root_yaml())
    project.update()
    return project, tree


def activate(project: Project, command: str) -> dict[str, str]:
    """``ivpm activate -c COMMAND``, asserting success; its ``KEY=value`` lines."""
    result = project.ivpm("activate", "-c", command, installer=False)
    assert result.returncode == 0, result.stderr
    return report(result.stdout)


def test_sub_projects_env_is_set_in_activate(updated: tuple[Project, Tree]) -> None:
    project, _ = updated
    seen = activate(project, REPORT)
    assert seen["FROM_A"] == "hello from a", "a two-level dependency's env, list joined by spaces"
    assert seen["FROM_CEXT"] == "cext-env", "with.env of a dependency"
    assert seen["SHARED_AB"] == "b", "the dependent (subb) wins over its dependency (suba)"
    assert seen["SHARED_ALL"] == "root", "the root wins over every dependency"
    assert seen["A_LIBS"] == "lib1:lib2:from-b", "a path list, then appended to by subb"
    assert seen["MODE"] == "from-env-set", "the root's env-sets still apply"


def test_path_prepends_stack_dependencies_first(updated: tuple[Project, Tree]) -> None:
    project, _ = updated
    path = activate(project, REPORT)["PATH"].split(os.pathsep)
    packages = project.root / "packages"
    assert path[:4] == [
        "/opt/root/bin",
        "/opt/subb/bin",
        str(packages / "suba" / "bin"),  # ${IVPM_PACKAGES} expanded
        str(packages / "python" / "bin"),
    ]


def test_dep_not_fetched_yet_contributes_nothing(
    updated: tuple[Project, Tree], tmp_path: Path
) -> None:
    project, _ = updated
    yaml_file = project.root / "ivpm.yaml"
    original = yaml_file.read_text()
    later = tmp_path / "later"
    later.mkdir()
    (later / "ivpm.yaml").write_text(
        "package:\n  name: later\n  env:\n    - name: FROM_LATER\n      value: x\n"
    )
    yaml_file.write_text(
        original + f"        - name: later\n          url: {later}\n          src: dir\n"
    )
    try:
        seen = activate(project, 'echo "FROM_LATER=${FROM_LATER-unset}"; ' + REPORT)
        assert seen["FROM_LATER"] == "unset"
        assert seen["SHARED_ALL"] == "root" and seen["FROM_A"] == "hello from a"
        assert not (project.root / "packages" / "later").exists(), "activate fetched nothing"
    finally:
        yaml_file.write_text(original)


@pytest.mark.installer
def test_build_sees_the_trees_env(updated: tuple[Project, Tree]) -> None:
    project, _ = updated
    seen_file = project.root / "packages" / "cext" / "env-seen.txt"
    seen_file.unlink(missing_ok=True)
    result = project.ivpm("build", "--debug")
    assert result.returncode == 0, result.stderr
    seen = ast.literal_eval(seen_file.read_text())
    assert seen == {"FROM_CEXT": "cext-env", "FROM_A": "hello from a", "DEBUG": "1"}

"""A sub-project's local deps stay inside the sub-project's own tree, unless the root says so.

A fetched dep's own ivpm.yaml is not the user's file: a ``src: dir`` dep there (or a local
``src: ivpm.yaml`` / ``src: pyproject.toml`` file) may name only a folder inside that dep's
real folder. The root ivpm.yaml may name anything, and a dep the root declares wins over the
sub-project's entry. Every case runs ``ivpm update --skip-py-install`` for real.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from tests.helpers.cli import run_ivpm
from tests.helpers.gitrepos import make_repo
from tests.helpers.wheelhouse import hermetic_env


def sub_yaml(url: str, src: str = "dir") -> str:
    """The ivpm.yaml of sub-project ``sub``: one local dep ``reach`` at ``url``."""
    return (
        "package:\n  name: sub\n  dep-sets:\n    - name: default-dev\n      deps:\n"
        f"        - name: reach\n          url: {url}\n          src: {src}\n"
    )


def root_yaml(sub: str, *extra: str) -> str:
    """The root ivpm.yaml: dep ``sub`` (``sub`` holds its url/src/link lines) and ``extra``."""
    deps = [f"        - name: sub\n{textwrap.indent(sub, ' ' * 10)}", *extra]
    return "package:\n  name: root\n  dep-sets:\n    - name: default-dev\n      deps:\n" + "".join(
        deps
    )


@pytest.fixture
def env() -> dict[str, str]:
    return hermetic_env(os.environ)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside every project, with a file in it."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("outside\n")
    return folder


def git_sub(tmp_path: Path, url: str, src: str = "dir") -> str:
    """A git repository holding sub-project ``sub`` (and a folder ``lib``); its URL."""
    repo = make_repo(
        tmp_path / "repos", "sub", {"ivpm.yaml": sub_yaml(url, src), "lib/inner.txt": "inner\n"}
    )
    return repo.url


def project(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "ivpm.yaml").write_text(text)
    return root


@pytest.mark.parametrize(
    ("url", "src"),
    [
        ("..", "dir"),
        ("../../..", "dir"),
        ("/etc", "dir"),
        ("OUTSIDE", "dir"),
        ("file://OUTSIDE", "dir"),
        ("../..", "pyproject.toml"),
        ("OUTSIDE/ivpm.yaml", "ivpm.yaml"),
    ],
    ids=["dotdot", "far-up", "etc", "absolute", "file-url", "pyproject", "ivpm-yaml"],
)
def test_a_git_sub_project_cannot_reach_outside(
    tmp_path: Path, env: dict[str, str], outside: Path, url: str, src: str
) -> None:
    url = url.replace("OUTSIDE", str(outside))
    (outside / "ivpm.yaml").write_text(sub_yaml("."))
    root = project(tmp_path, root_yaml(f"url: {git_sub(tmp_path, url, src)}\nsrc: git\n"))
    result = run_ivpm(["update", "--skip-py-install"], cwd=root, env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) < 25
    assert (
        f"packages/sub/ivpm.yaml:7:16: error: {src} dep 'reach' of sub-project packages/sub "
        "points outside that sub-project"
    ) in result.stderr
    assert "declare 'reach' in the root ivpm.yaml to allow it" in result.stderr
    assert not (root / "packages" / "reach").exists()
    assert sorted(p.name for p in outside.iterdir()) == ["ivpm.yaml", "secret.txt"]


def test_a_folder_inside_the_sub_project_is_fine(tmp_path: Path, env: dict[str, str]) -> None:
    root = project(tmp_path, root_yaml(f"url: {git_sub(tmp_path, './lib')}\nsrc: git\n"))
    result = run_ivpm(["update", "--skip-py-install"], cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    assert (root / "packages" / "reach" / "inner.txt").read_text() == "inner\n"


def test_the_root_declaring_the_dep_allows_it(
    tmp_path: Path, env: dict[str, str], outside: Path
) -> None:
    """The root's own entry is used; its dir deps may point anywhere."""
    root = project(
        tmp_path,
        root_yaml(
            f"url: {git_sub(tmp_path, '..')}\nsrc: git\n",
            f"        - name: reach\n          url: {outside}\n          src: dir\n",
        ),
    )
    result = run_ivpm(["update", "--skip-py-install"], cwd=root, env=env)
    assert result.returncode == 0, result.stderr
    assert (root / "packages" / "reach" / "secret.txt").read_text() == "outside\n"


def test_a_linked_sub_project_is_held_to_its_source_folder(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """``packages/sub`` is a link to the source: the sub's tree is that source folder."""
    source = tmp_path / "src" / "sub"
    (source / "lib").mkdir(parents=True)
    (source / "lib" / "inner.txt").write_text("inner\n")
    (tmp_path / "src" / "sibling").mkdir()
    (source / "ivpm.yaml").write_text(sub_yaml("../sibling"))
    root = project(tmp_path, root_yaml(f"url: {source}\nsrc: dir\nlink: true\n"))
    refused = run_ivpm(["update", "--skip-py-install"], cwd=root, env=env)
    assert refused.returncode == 2, refused.stderr
    assert "dir dep 'reach' of sub-project packages/sub points outside" in refused.stderr
    assert not (root / "packages" / "reach").exists()

    (source / "ivpm.yaml").write_text(sub_yaml("./lib"))
    allowed = run_ivpm(["update", "--skip-py-install"], cwd=root, env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert (root / "packages" / "reach" / "inner.txt").read_text() == "inner\n"

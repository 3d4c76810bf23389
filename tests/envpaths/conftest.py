"""Fixtures of this suite: a dependency tree whose packages declare ``env`` and ``paths``.

The tree (``suba`` is a git repository, ``subb`` and ``cext`` are folders)::

    root -> subb -> suba
         -> cext            (a Python package with a C extension)

Each package's own ivpm.yaml sets variables and declares paths, so what a user notices (the
environment of ``ivpm activate``/``ivpm build``, the output of ``ivpm paths``) shows whose
setting won.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import INSTALLER, Project
from tests.helpers.gitrepos import GitRepo, make_repo, python_package_files, write_files
from tests.helpers.wheelhouse import hermetic_env

SUBA_YAML = """\
    package:
      name: suba
      env:
        - name: FROM_A
          value: [hello, from, a]
        - name: PATH
          path-prepend: ${IVPM_PACKAGES}/suba/bin
        - name: A_LIBS
          path: [lib1, lib2]
        - name: SHARED_AB
          value: a
        - name: SHARED_ALL
          value: a
      paths:
        export:
          lib-dirs: [build/lib]
          include-dirs: [include, include/extra]
    """

SUBB_YAML = """\
    package:
      name: subb
      env:
        - name: PATH
          path-prepend: /opt/subb/bin
        - name: SHARED_AB
          value: b
        - name: SHARED_ALL
          value: b
        - name: A_LIBS
          path-append: from-b
      paths:
        export:
          lib-dirs: [lib]
        internal:
          lib-dirs: [private]
      dep-sets:
        - name: default-dev
          deps:
            - name: suba
              url: {suba_url}
              src: git
    """

# Only a build by ivpm (build_ext --inplace) records what it saw: pip's install does not.
CEXT_SETUP = """\
    import os
    import sys
    from pathlib import Path

    from setuptools import Extension, setup

    if "--inplace" in sys.argv:
        seen = {name: os.environ.get(name, "<unset>") for name in ("FROM_CEXT", "FROM_A", "DEBUG")}
        Path(__file__).with_name("env-seen.txt").write_text(repr(seen))

    setup(
        name="cext",
        version="0.1.0",
        packages=["cext"],
        ext_modules=[Extension("cext._speedups", ["cext/_speedups.c"])],
    )
    """

CEXT_YAML = """\
    package:
      name: cext
      with:
        env:
          - name: FROM_CEXT
            value: cext-env
    """

ROOT_YAML = """\
    package:
      name: treeroot
      env:
        - name: PATH
          path-prepend: /opt/root/bin
        - name: SHARED_ALL
          value: root
      env-sets:
        - name: project
          env:
            - name: MODE
              value: from-env-set
      paths:
        export:
          lib-dirs: [build]
          include-dirs: [include]
      dep-sets:
        - name: default-dev
          deps:
            - name: subb
              url: {subb_dir}
              src: dir
            - name: cext
              url: {cext_dir}
              src: dir
    """


@dataclass(frozen=True)
class Tree:
    """The sources of the tree's dependencies."""

    suba: GitRepo
    subb_dir: Path
    cext_dir: Path

    def root_yaml(self) -> str:
        """The root project's ivpm.yaml text (dedented)."""
        return textwrap.dedent(ROOT_YAML.format(subb_dir=self.subb_dir, cext_dir=self.cext_dir))


def make_tree(base: Path, *, cext: bool = True) -> Tree:
    """Create the dependencies' sources under ``base``."""
    suba = make_repo(base / "repos", "suba", {"ivpm.yaml": textwrap.dedent(SUBA_YAML)})
    subb_dir = base / "src" / "subb"
    write_files(subb_dir, {"ivpm.yaml": textwrap.dedent(SUBB_YAML.format(suba_url=suba.url))})
    cext_dir = base / "src" / "cext"
    if cext:
        files = python_package_files("cext", "cext", build="setup.py", c_ext=True)
        files["setup.py"] = textwrap.dedent(CEXT_SETUP)
        files["ivpm.yaml"] = textwrap.dedent(CEXT_YAML)
        write_files(cext_dir, files)
    else:
        write_files(cext_dir, {"README": "not a package\n"})
    return Tree(suba, subb_dir, cext_dir)


def plain_project(root: Path, yaml_text: str, env: dict[str, str] | None = None) -> Project:
    """A project at ``root`` for sessions that install nothing (no wheelhouse needed)."""
    root.mkdir(parents=True, exist_ok=True)
    project = Project(root, env or hermetic_env(os.environ), INSTALLER)
    project.write(yaml_text)
    return project


@pytest.fixture(scope="module")
def tree_factory(tmp_path_factory: pytest.TempPathFactory) -> Callable[[bool], Tree]:
    """Make the dependencies' sources in a fresh folder (``cext`` a real package or not)."""

    def make(cext: bool) -> Tree:
        return make_tree(tmp_path_factory.mktemp("tree"), cext=cext)

    return make


@pytest.fixture(scope="module")
def fetched(
    tree_factory: Callable[[bool], Tree], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Project, Tree]:
    """The tree (its deps raw folders) fetched into packages/; no environment is made."""
    tree = tree_factory(False)
    project = plain_project(tmp_path_factory.mktemp("root"), tree.root_yaml())
    result = project.ivpm("fetch", installer=False)
    assert result.returncode == 0, result.stderr
    return project, tree

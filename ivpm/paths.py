"""The ``paths`` the packages of a project's tree declare, for build scripts.

Each package's ivpm.yaml may declare ``paths`` (kind -> type -> folders, relative to that
file's folder)::

    package:
      name: mylib
      paths:
        export:
          lib-dirs: [build/lib]
          include-dirs: [include]

:func:`query` collects them for the whole tree of a project, dependencies first and the root
last, reading only what is under ``packages/`` (no network, no writes)::

    from ivpm.paths import query

    include_dirs = query(".", "export", "include-dirs")

``ivpm paths [-k KIND] [-t TYPE] [--json]`` prints the same. Importing this module is cheap:
ivpm's other modules are imported only when a query runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ivpm.project.model import Project

__all__ = ["PackagePath", "query", "tree_paths"]


@dataclass(frozen=True)
class PackagePath:
    """One declared path: the package declaring it, its kind and type, and the absolute path."""

    package: str
    kind: str
    type: str
    path: Path

    def as_json(self) -> dict[str, Any]:
        """The machine-readable form (``ivpm paths --json``)."""
        return {
            "package": self.package,
            "kind": self.kind,
            "type": self.type,
            "path": str(self.path),
            "exists": self.path.exists(),
        }


def tree_paths(
    project: Project,
    packages_dir: Path,
    *,
    kind: str | None = None,
    type: str | None = None,
    dep_sets: Sequence[str] = (),
) -> list[PackagePath]:
    """Every ``paths`` entry of ``project``'s tree matching ``kind`` and ``type`` (None: any).

    The tree of ``dep_sets`` (none: the default) is read from ``packages_dir`` without fetching:
    a dependency not fetched yet contributes nothing. Dependencies come first, the root last;
    within one package, the order of its ivpm.yaml.
    """
    from ivpm.pyenv.tree_env import tree_packages

    return [
        PackagePath(package.name, entry.kind, entry.type, entry.path)
        for package in tree_packages(project, packages_dir, dep_sets=dep_sets)
        for entry in package.project.paths
        if (kind is None or entry.kind == kind) and (type is None or entry.type == type)
    ]


def unique_paths(entries: Sequence[PackagePath]) -> list[Path]:
    """The paths of ``entries`` in order, each once."""
    return list(dict.fromkeys(entry.path for entry in entries))


def query(
    project_dir: str | os.PathLike[str] = ".",
    kind: str | None = None,
    type: str | None = None,
    *,
    dep_sets: Sequence[str] = (),
    variables: Mapping[str, str] | None = None,
) -> list[Path]:
    """The absolute paths of ``kind`` and ``type`` (None: any) that ``project_dir``'s tree declares.

    ``project_dir`` is the project, or any folder below it (the nearest ivpm.yaml above is
    used). Dependencies come first, the root last, each path once. ``dep_sets`` selects the
    dep-sets (none: the default); ``variables`` are ``-D NAME=VALUE`` definitions. A problem
    (no ivpm.yaml, an invalid one) raises :class:`ivpm.errors.IvpmError`.
    """
    from ivpm import layout
    from ivpm.errors import UsageError
    from ivpm.project.loader import load_project

    start = Path(project_dir).absolute()
    found = layout.find_project_file(start)
    if found is None:
        raise UsageError(f"no {layout.PROJECT_FILE} in {start} or any directory above it")
    project = load_project(found, variables=variables)
    entries = tree_paths(
        project,
        layout.packages_dir(found.parent, project.deps_dir),
        kind=kind,
        type=type,
        dep_sets=dep_sets,
    )
    return unique_paths(entries)

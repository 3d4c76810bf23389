"""The packages of a project's dependency tree, and the environment settings they bring.

A package of the tree is the root project or a dependency with its own ivpm.yaml already
under ``packages/``. The tree is resolved offline (:func:`ivpm.fetch.tree.resolve_offline`):
nothing is fetched, and a dependency not fetched yet simply contributes nothing. The order is
dependencies before dependents, the root last, so a setting of a dependent wins over one of its
dependencies and the root's win over all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ivpm.project.model import EnvSet, Project, Resolution


@dataclass(frozen=True)
class TreePackage:
    """One package of the tree: its name (the dep's, or the root project's) and its ivpm.yaml."""

    name: str
    project: Project
    is_root: bool = False


def ordered_packages(resolution: Resolution) -> list[TreePackage]:
    """The packages of ``resolution`` that have an ivpm.yaml, dependencies first, root last."""
    from ivpm.project.graph import topo_levels

    names = list(resolution.deps)
    try:
        levels = topo_levels(names, lambda name: resolution.deps[name].requires)
    except ValueError:  # a cycle: resolving reports it; keep the order deps were found in
        levels = [names]
    packages = [
        TreePackage(name, sub)
        for level in levels
        for name in level
        if (sub := resolution.deps[name].sub_project) is not None
    ]
    root = resolution.project
    packages.append(TreePackage(root.name, root, is_root=True))
    return packages


def tree_packages(
    project: Project, packages_dir: Path, *, dep_sets: Sequence[str] = ()
) -> list[TreePackage]:
    """The packages of ``project``'s tree (``dep_sets`` selected) from ``packages_dir``.

    Reads only what is on disk; dependencies first, the root last.
    """
    from ivpm.fetch.tree import resolve_offline

    resolution, _missing = resolve_offline(project, packages_dir, dep_sets=dep_sets)
    return ordered_packages(resolution)


def package_env_sets(packages: Sequence[TreePackage]) -> tuple[EnvSet, ...]:
    """The env settings of ``packages`` in the order they apply.

    Each dependency's package-level ``env`` (as an env-set named after the dependency), then
    the root's :attr:`~ivpm.project.model.Project.env_settings` (its ``env``, then its
    env-sets). A dependency's env-sets are its own business and are not applied.
    """
    env_sets: list[EnvSet] = []
    for package in packages:
        if package.is_root:
            env_sets.extend(package.project.env_settings)
        elif package.project.env:
            env_sets.append(EnvSet(package.name, package.project.location, package.project.env))
    return tuple(env_sets)


def tree_env_sets(
    project: Project, packages_dir: Path, *, dep_sets: Sequence[str] = ()
) -> tuple[EnvSet, ...]:
    """What :func:`ivpm.pyenv.activation.activation_env` applies for ``project``'s whole tree.

    The sub-projects' package-level ``env`` (dependencies before dependents), then the root's
    ``env`` and env-sets, which so win.
    """
    return package_env_sets(tree_packages(project, packages_dir, dep_sets=dep_sets))

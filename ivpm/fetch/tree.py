"""Resolving a project's dependency tree while fetching it, level by level.

Each level's source deps are fetched (in parallel) before their own ivpm.yaml files are read,
which is what brings in the next level. :func:`resolve_offline` resolves from what is already
under ``packages/`` instead, fetching nothing (``ivpm status``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from ivpm.fetch.parallel import fetch_deps
from ivpm.fetch.patches import apply_patches
from ivpm.fetch.result import FetchResult
from ivpm.progress import Progress
from ivpm.project.depsets import select_dep_sets
from ivpm.project.diagnostics import Diagnostics
from ivpm.project.model import Dep, Project, Resolution
from ivpm.project.resolve import resolve

log = logging.getLogger("ivpm")


def fetch_tree(
    project: Project,
    packages_dir: Path,
    *,
    dep_sets: Sequence[str] = (),
    jobs: int,
    pins: Mapping[str, str] | None = None,
    quiet: bool = False,
    ssh: bool = False,
) -> tuple[Resolution, dict[str, FetchResult]]:
    """Resolve ``dep_sets`` of ``project`` (none: its default), fetching into ``packages_dir``.

    ``pins`` maps dep names to the commits a lock file holds them at; ``ssh`` is ``--ssh``
    (see :mod:`ivpm.fetch.urls`). Returns the resolution and every source dep's fetch result;
    what was cloned, copied or moved is logged.
    """
    fetched: dict[str, FetchResult] = {}
    progress = Progress("fetching", quiet=quiet)

    def fetch_level(deps: Sequence[Dep]) -> Mapping[str, Path]:
        results = fetch_deps(deps, packages_dir, jobs=jobs, pins=pins, progress=progress, ssh=ssh)
        for dep in deps:
            apply_patches(dep, results[dep.name])
        fetched.update(results)
        return {name: result.path for name, result in results.items()}

    try:
        resolution = resolve(project, select_dep_sets(project, dep_sets), fetch_level)
    finally:
        progress.close()
    for name, result in fetched.items():
        if result.action != "kept":
            at = f" at {result.commit[:12]}" if result.commit else ""
            log.info("%s %s%s", result.action, name, at)
    return resolution, fetched


def resolve_offline(
    project: Project,
    packages_dir: Path,
    *,
    dep_sets: Sequence[str] = (),
    diagnostics: Diagnostics | None = None,
) -> tuple[Resolution, set[str]]:
    """Resolve ``dep_sets`` from what is already under ``packages_dir``, fetching nothing.

    Returns the resolution and the names of source deps that have not been fetched (their
    own ivpm.yaml, and so their deps, are unknown).
    """
    missing: set[str] = set()

    def existing(deps: Sequence[Dep]) -> Mapping[str, Path]:
        paths = {dep.name: packages_dir / dep.name for dep in deps}
        missing.update(name for name, path in paths.items() if not path.is_dir())
        return paths

    selected = select_dep_sets(project, dep_sets)
    return resolve(project, selected, existing, diagnostics=diagnostics), missing

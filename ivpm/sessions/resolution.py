"""Resolving the project and fetching its sources, once per run, shared by the sessions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ivpm.session import Session

if TYPE_CHECKING:
    from ivpm.fetch import FetchResult
    from ivpm.project.model import Dep, Resolution

_RESOLUTION = "resolution"


def resolution_of(s: Session) -> tuple[Resolution, dict[str, FetchResult]]:
    """Resolve the selected dep-set, fetching source deps level by level (cached per run)."""
    cached: tuple[Resolution, dict[str, FetchResult]] | None = s.context.results.get(_RESOLUTION)
    if cached is not None:
        return cached
    from ivpm.fetch import fetch_deps
    from ivpm.progress import Progress
    from ivpm.project.depsets import select_dep_set
    from ivpm.project.resolve import resolve

    lock = s.context.lock_data
    pins = {name: pin.commit for name, pin in lock.git.items()} if lock else None
    fetched: dict[str, FetchResult] = {}
    progress = Progress("fetching", quiet=s.options.verbosity < 0)

    def fetch_level(deps: Sequence[Dep]) -> Mapping[str, Path]:
        results = fetch_deps(
            deps, s.packages_dir, jobs=s.options.jobs, pins=pins, progress=progress
        )
        fetched.update(results)
        return {name: result.path for name, result in results.items()}

    try:
        dep_set = select_dep_set(s.project, s.options.dep_set)
        resolution = resolve(s.project, dep_set, fetch_level)
    finally:
        progress.close()
    for name, result in fetched.items():
        if result.action != "kept":
            s.log.info(
                "%s %s%s", result.action, name, f" at {result.commit[:12]}" if result.commit else ""
            )
    s.context.results[_RESOLUTION] = (resolution, fetched)
    return resolution, fetched

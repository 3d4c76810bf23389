"""Resolve a project's selected dep-set into the full, ordered dependency graph.

Source deps are fetched level by level (one ``fetch`` call per level, so the caller can fetch
in parallel); each fetched checkout's own ivpm.yaml contributes its deps. The root project's
entries win over everything; between other files the first entry seen wins, and a different
spec for the same name is an error showing both places.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ivpm.errors import ConfigError, Location
from ivpm.layout import project_file
from ivpm.project.depsets import effective_deps, missing_dep_set, same_spec, spec_difference
from ivpm.project.graph import find_cycle, topo_levels
from ivpm.project.loader import load_project
from ivpm.project.model import Dep, PackageType, Project, Resolution, ResolvedDep, Source
from ivpm.project.names import PYTHON_BUILD_FILES, canonical_name, is_distribution_name

Fetch = Callable[[Sequence[Dep]], Mapping[str, Path]]


_log = logging.getLogger(__name__)


def resolve(project: Project, dep_set: str, fetch: Fetch) -> Resolution:
    """Resolve ``dep_set`` of ``project`` recursively.

    ``fetch`` receives the source deps first seen at one level of the breadth-first walk and
    returns ``{dep.name: checkout path}``; it is called once per level that has source deps.
    """
    return _Resolver(project, fetch).run(dep_set)


def is_python_checkout(path: Path) -> bool:
    """True when ``path`` holds a Python build file (pyproject.toml, setup.py or setup.cfg)."""
    return any((path / name).is_file() for name in PYTHON_BUILD_FILES)


def sub_project_dep_set(sub: Project, dep: Dep, parent_set: str) -> str | None:
    """The dep-set to take from a fetched dep's own ivpm.yaml; None when it defines none.

    The dep's ``dep-set``, else the sub-project's ``default-dep-set``, else the parent's set name
    when the sub-project has it, else its first set.
    """
    if dep.dep_set is not None:
        if dep.dep_set not in sub.dep_sets:
            raise missing_dep_set(sub, dep.dep_set, requested_by=dep)
        return dep.dep_set
    if sub.default_dep_set is not None:
        return sub.default_dep_set
    if parent_set in sub.dep_sets:
        return parent_set
    return next(iter(sub.dep_sets), None)


@dataclass
class _Entry:
    dep: Dep
    from_root: bool
    path: Path | None = None
    sub: Project | None = None
    requires: list[str] = field(default_factory=list)  # canonical names


class _Resolver:
    def __init__(self, project: Project, fetch: Fetch) -> None:
        self.project = project
        self.fetch = fetch
        self.entries: dict[str, _Entry] = {}  # canonical name -> entry, in discovery order
        self.edges: dict[tuple[str, str], Location] = {}  # (from, to) -> where `from` lists `to`

    def run(self, dep_set: str) -> Resolution:
        frontier: list[tuple[str, str]] = []  # (canonical name, dep-set of the declaring file)
        for dep in effective_deps(self.project, dep_set).values():
            key = canonical_name(dep.name)
            self.entries[key] = _Entry(dep, from_root=True)
            if dep.is_source:
                frontier.append((key, dep_set))
        while frontier:
            frontier = self.expand(frontier)
        self.check_cycles()
        setup = self.setup_deps()
        deps = {
            entry.dep.name: ResolvedDep(
                dep=entry.dep,
                requires=tuple(self.entries[key].dep.name for key in entry.requires),
                path=entry.path,
                is_python=self.is_python(entry),
                sub_project=entry.sub,
            )
            for entry in self.entries.values()
        }
        setup_keys = set(setup)
        installable = [
            key
            for key, entry in self.entries.items()
            if key not in setup_keys and deps[entry.dep.name].is_python
        ]
        levels = topo_levels(installable, lambda key: self.entries[key].requires)
        return Resolution(
            project=self.project,
            dep_set=dep_set,
            deps=deps,
            setup_deps=tuple(self.entries[key].dep.name for key in setup),
            levels=tuple(tuple(self.entries[key].dep.name for key in level) for level in levels),
        )

    def expand(self, frontier: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Fetch one level of source deps and queue the new source deps their files bring."""
        paths = self.fetch([self.entries[key].dep for key, _ in frontier])
        root_key = canonical_name(self.project.name)
        following: list[tuple[str, str]] = []
        for key, parent_set in frontier:
            entry = self.entries[key]
            if entry.dep.name not in paths:
                raise LookupError(f"fetch returned no path for dep '{entry.dep.name}'")
            entry.path = Path(paths[entry.dep.name])
            sub_file = project_file(entry.path)
            if not sub_file.is_file():
                continue
            entry.sub = load_project(sub_file)
            set_name = sub_project_dep_set(entry.sub, entry.dep, parent_set)
            if set_name is None:
                continue
            for dep in effective_deps(entry.sub, set_name).values():
                dep_key = canonical_name(dep.name)
                if dep_key in (key, root_key):
                    continue  # a package listing itself, or the project being resolved
                if self.add(dep_key, dep) and dep.is_source:
                    following.append((dep_key, set_name))
                if dep_key not in entry.requires:
                    entry.requires.append(dep_key)
                    self.edges[(key, dep_key)] = dep.location
        return following

    def add(self, key: str, dep: Dep) -> bool:
        """Record ``dep`` from a non-root file; True when it is new."""
        existing = self.entries.get(key)
        if existing is None:
            self.entries[key] = _Entry(dep, from_root=False)
            return True
        if same_spec(existing.dep, dep):
            return False
        if existing.from_root:
            _log.debug("%s: '%s' overridden by the root project", dep.location, dep.name)
            return False
        raise ConfigError(
            f"conflicting specs for '{dep.name}' ({spec_difference(existing.dep, dep)})",
            dep.location,
            related=[("first declared here", existing.dep.location)],
            hint=f"declare '{dep.name}' in the root project's dep-set to choose one",
        )

    def check_cycles(self) -> None:
        cycle = find_cycle(self.entries, lambda key: self.entries[key].requires)
        if cycle is None:
            return
        names = [self.entries[key].dep.name for key in cycle]
        notes = [
            (f"'{names[i]}' requires '{names[i + 1]}' here", self.edges[(cycle[i], cycle[i + 1])])
            for i in range(len(cycle) - 2)
        ]
        raise ConfigError(
            "dependency cycle: " + " -> ".join(names),
            self.edges[(cycle[-2], cycle[-1])],
            related=notes,
        )

    def setup_deps(self) -> list[str]:
        """Canonical names of the setup-deps: the root's first, then sub-projects' (BFS order)."""
        order: list[str] = []
        seen: set[str] = set()
        projects = [self.project, *(e.sub for e in list(self.entries.values()) if e.sub)]
        for project in projects:
            locations = project.setup_deps_locations or (
                (project.setup_deps_location or project.location,) * len(project.setup_deps)
            )
            for name, location in zip(project.setup_deps, locations, strict=True):
                key = canonical_name(name)
                if key in seen:
                    continue
                seen.add(key)
                order.append(key)
                if key not in self.entries:
                    if not is_distribution_name(name):
                        raise ConfigError(
                            f"setup-dep '{name}' is not declared as a dep and is not a valid "
                            "PyPI package name",
                            location,
                        )
                    dep = Dep(name=name, src=Source.PYPI, location=location)
                    self.entries[key] = _Entry(dep, from_root=project is self.project)
        return order

    def is_python(self, entry: _Entry) -> bool:
        if not entry.dep.is_source:
            return True
        if entry.dep.type is not None:
            return entry.dep.type is PackageType.PYTHON
        return entry.path is not None and is_python_checkout(entry.path)

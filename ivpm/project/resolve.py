"""Resolve a project's selected dep-set(s) into the full, ordered dependency graph.

Source deps are fetched level by level (one ``fetch`` call per level, so the caller can fetch
in parallel); each fetched checkout's own ivpm.yaml contributes its deps. Those files are read
leniently: they are not the user's, so an unknown key there is a warning. The root project's
entries win over everything. Between other files, two PyPI specs for one name both apply (their
intersection is installed); for anything else the first entry found (breadth-first) wins, with
a warning naming both places.

A local ``src: pyproject.toml`` dep is not fetched: its requirements become deps of their own
(see :mod:`ivpm.project.pyproject_reqs`). An entry written in any ivpm.yaml beats one derived
from a pyproject.toml, wherever either was found; derived PyPI specs for one name intersect.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ivpm.errors import ConfigError, Location, display_path
from ivpm.layout import PROJECT_FILE, project_file
from ivpm.project.depsets import (
    combined_version,
    effective_deps,
    missing_dep_set,
    same_spec,
    satisfiable,
    select_dep_set,
    spec_difference,
)
from ivpm.project.diagnostics import Diagnostics
from ivpm.project.graph import find_cycle, topo_levels
from ivpm.project.loader import load_project
from ivpm.project.model import Dep, PackageType, Project, Resolution, ResolvedDep, Source
from ivpm.project.names import PYTHON_BUILD_FILES, canonical_name, is_distribution_name

Fetch = Callable[[Sequence[Dep]], Mapping[str, Path]]


_log = logging.getLogger(__name__)


def resolve(
    project: Project,
    dep_set: str | Sequence[str],
    fetch: Fetch,
    *,
    diagnostics: Diagnostics | None = None,
) -> Resolution:
    """Resolve ``dep_set`` of ``project`` recursively (several names: their union).

    ``fetch`` receives the source deps first seen at one level of the breadth-first walk and
    returns ``{dep.name: checkout path}``; it is called once per level that has source deps.
    ``diagnostics`` collects the warnings about sub-projects' files (a lenient one is made
    when not given).
    """
    names = (dep_set,) if isinstance(dep_set, str) else tuple(dep_set)
    return _Resolver(project, fetch, diagnostics or Diagnostics(strict=False)).run(names)


def is_python_checkout(path: Path) -> bool:
    """True when ``path`` holds a Python build file (pyproject.toml, setup.py or setup.cfg)."""
    return any((path / name).is_file() for name in PYTHON_BUILD_FILES)


@dataclass(frozen=True)
class _Parent:
    """The dep-set a dep was found in: its name and its ``default-dep-set``."""

    name: str
    default: str | None = None


def sub_project_dep_set(
    sub: Project, dep: Dep, parent: _Parent, *, from_root: bool, diagnostics: Diagnostics
) -> str | None:
    """The dep-set to take from a fetched dep's own ivpm.yaml; None when it defines none.

    The dep's ``dep-set``, else the declaring dep-set's ``default-dep-set``, else the
    declaring dep-set's own name; when the sub-project has no set of that name, its own
    ``default-dep-set`` (else its first set), with a note. A ``dep-set`` the root file names
    and the sub-project lacks is an error; one a sub-project names is a warning.
    """
    if dep.dep_set is not None:
        if dep.dep_set in sub.dep_sets:
            return dep.dep_set
        if from_root:
            raise missing_dep_set(sub, dep.dep_set, requested_by=dep)
        fallback = _fallback_set(sub)
        diagnostics.warn(
            f"{display_path(sub.path)} has no dep-set '{dep.dep_set}'; "
            f"using '{fallback}' for '{dep.name}'",
            dep.location,
        )
        return fallback
    wanted = parent.default or parent.name
    if wanted in sub.dep_sets:
        return wanted
    fallback = _fallback_set(sub)
    if fallback is not None:
        _log.info(
            "note: %s has no dep-set '%s'; using its dep-set '%s'",
            display_path(sub.path),
            wanted,
            fallback,
        )
    return fallback


def _fallback_set(sub: Project) -> str | None:
    return select_dep_set(sub, None) if sub.dep_sets else None


@dataclass
class _Entry:
    dep: Dep
    from_root: bool
    path: Path | None = None
    sub: Project | None = None
    requires: list[str] = field(default_factory=list)  # canonical names
    derived: bool = False  # from a pyproject.toml's requirement list, not written in an ivpm.yaml
    # Declared in a sub-project: the real folder its local paths must stay in (None: the root).
    declared_tree: Path | None = None


class _Resolver:
    def __init__(self, project: Project, fetch: Fetch, diagnostics: Diagnostics) -> None:
        self.project = project
        self.fetch = fetch
        self.diagnostics = diagnostics
        self.entries: dict[str, _Entry] = {}  # canonical name -> entry, in discovery order
        self.edges: dict[tuple[str, str], Location] = {}  # (from, to) -> where `from` lists `to`
        self.more_pyprojects: dict[str, list[Dep]] = {}  # same-named root pyproject.toml deps

    def run(self, dep_sets: tuple[str, ...]) -> Resolution:
        frontier: list[tuple[str, _Parent]] = []
        for set_name in dep_sets:
            declared = self.project.dep_sets.get(set_name)
            parent = _Parent(set_name, declared.default_dep_set if declared else None)
            for dep in effective_deps(self.project, set_name).values():
                key = canonical_name(dep.name)
                if key in self.entries:
                    self.merge_root(key, dep)
                    continue
                self.entries[key] = _Entry(dep, from_root=True)
                frontier.append((key, parent))
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
            dep_set=dep_sets[0],
            deps=deps,
            setup_deps=tuple(self.entries[key].dep.name for key in setup),
            levels=tuple(tuple(self.entries[key].dep.name for key in level) for level in levels),
            unhandled=tuple(e.dep.name for e in self.entries.values() if _unhandled(e.dep)),
            dep_sets=dep_sets,
        )

    def merge_root(self, key: str, dep: Dep) -> None:
        """A second root entry for one name, from another selected dep-set (``-d a,b``)."""
        existing = self.entries[key]
        if existing.dep.src is Source.PYPROJECT and dep.src is Source.PYPROJECT:
            self.more_pyprojects.setdefault(key, []).append(dep)  # both dep-sets' lists apply
            return
        if same_spec(existing.dep, dep):
            return
        if existing.dep.src is Source.PYPI and dep.src is Source.PYPI:
            existing.dep = self.intersect(existing.dep, dep)
            return
        raise ConfigError(
            f"dep '{dep.name}' differs between the selected dep-sets "
            f"({spec_difference(existing.dep, dep)})",
            dep.location,
            related=[("the other spec", existing.dep.location)],
            hint="select one of the dep-sets, or declare the dep the same way in both",
        )

    def expand(self, frontier: list[tuple[str, _Parent]]) -> list[tuple[str, _Parent]]:
        """Fetch one level of source deps and queue the new deps their files bring."""
        start = {key: self.entries[key].dep for key, _ in frontier}
        fetched = [dep for dep in start.values() if dep.is_source]
        paths = self.fetch(fetched) if fetched else {}
        root_key = canonical_name(self.project.name)
        following: dict[str, _Parent] = {}
        for key, parent in frontier:
            entry = self.entries[key]
            if entry.dep is not start[key]:
                continue  # replaced by an explicit entry during this level: queued again
            if entry.dep.src is Source.PYPROJECT:
                for dep in (entry.dep, *self.more_pyprojects.pop(key, ())):
                    self.take_pyproject(dep, (key, root_key), parent, following)
                continue
            sub = self.sub_project(entry, paths)
            if sub is None:
                continue
            entry.sub = sub
            tree = entry.declared_tree
            if entry.dep.is_source and entry.path is not None:
                tree = Path(os.path.realpath(entry.path))
            set_name = sub_project_dep_set(
                sub,
                entry.dep,
                parent,
                from_root=entry.from_root,
                diagnostics=self.diagnostics,
            )
            if set_name is None:
                continue
            child = _Parent(set_name, sub.dep_sets[set_name].default_dep_set)
            for dep in effective_deps(sub, set_name).values():
                dep_key = canonical_name(dep.name)
                if dep.src is Source.PYPROJECT and dep_key in (key, root_key, *self.entries):
                    if tree is not None:
                        self.check_inside(dep, dep_key, tree, sub)
                    # its name is taken, but the requirements of its file still apply
                    self.take_pyproject(dep, (key, root_key), child, following)
                    continue
                if dep_key in (key, root_key):
                    continue  # a package listing itself, or the project being resolved
                if tree is not None:
                    self.check_inside(dep, dep_key, tree, sub)
                if self.add(dep_key, dep, tree=tree):
                    following.setdefault(dep_key, child)
                if dep_key not in entry.requires and entry.dep.src is not Source.IVPM_YAML:
                    entry.requires.append(dep_key)
                    self.edges[(key, dep_key)] = dep.location
        return list(following.items())

    def take_pyproject(
        self, dep: Dep, skip: tuple[str, ...], parent: _Parent, following: dict[str, _Parent]
    ) -> None:
        """Record the requirements a local pyproject.toml dep lists, queueing the new ones.

        Requirements naming ``skip`` (the dep itself, the project being resolved) are left
        out; a remote pyproject.toml brings nothing (it stays reported as unhandled).
        """
        from ivpm.project.pyproject_reqs import pyproject_deps, pyproject_file

        if pyproject_file(dep) is None:
            return
        for derived in pyproject_deps(dep):
            key = canonical_name(derived.name)
            if key not in skip and self.add(key, derived, derived=True):
                following.setdefault(key, parent)

    def sub_project(self, entry: _Entry, paths: Mapping[str, Path]) -> Project | None:
        """The ivpm.yaml that brings ``entry``'s own deps, loaded leniently; None if none."""
        dep = entry.dep
        if dep.is_source:
            if dep.name not in paths:
                raise LookupError(f"fetch returned no path for dep '{dep.name}'")
            entry.path = Path(paths[dep.name])
            sub_file = project_file(entry.path)
            if not dep.read_deps or not sub_file.is_file():
                return None
        elif dep.src is Source.IVPM_YAML:
            named = _named_file(dep)
            if named is None:
                return None
            sub_file = named
            if not sub_file.is_file():
                raise ConfigError(
                    f"ivpm.yaml dep '{dep.name}': {sub_file} does not exist", dep.location
                )
        else:
            return None
        return load_project(sub_file, diagnostics=self.diagnostics)

    def check_inside(self, dep: Dep, key: str, tree: Path, sub: Project) -> None:
        """Refuse a local path (a dir dep's folder, a local ivpm.yaml or pyproject.toml) that
        sub-project ``sub`` names outside its own ``tree``, unless the root declares the dep
        (the root's entry is the one used) or an entry found earlier already is."""
        existing = self.entries.get(key)
        if existing is not None and not existing.derived:
            return
        target = _local_target(dep)
        if target is None:
            return
        real = Path(os.path.realpath(target))
        if real == tree or real.is_relative_to(tree):
            return
        kind = {Source.DIR: "dir dep"}.get(dep.src, f"{dep.src.value} dep")
        raise ConfigError(
            f"{kind} '{dep.name}' of sub-project {display_path(sub.root)} points outside that "
            f"sub-project, to {display_path(real)}",
            dep.source_location or dep.location,
            hint=f"a sub-project's local deps stay inside its own folder ({display_path(tree)});"
            f" declare '{dep.name}' in the root {PROJECT_FILE} to allow it",
        )

    def add(self, key: str, dep: Dep, *, derived: bool = False, tree: Path | None = None) -> bool:
        """Record ``dep`` from a non-root file (or a pyproject.toml: ``derived``); True when it
        is new, or replaces a derived entry, so that it is expanded. ``tree`` is the folder
        the declaring sub-project's local paths must stay in."""
        existing = self.entries.get(key)
        if existing is None:
            self.entries[key] = _Entry(dep, from_root=False, derived=derived, declared_tree=tree)
            return True
        if existing.from_root:
            if not same_spec(existing.dep, dep):
                _log.debug("%s: '%s' overridden by the root project", dep.location, dep.name)
            return False
        if derived and not existing.derived:
            _log.debug(
                "%s: '%s' from the pyproject.toml overridden by the entry at %s",
                dep.location,
                dep.name,
                existing.dep.location,
            )
            return False
        if existing.derived and not derived:
            _log.debug(
                "%s: '%s' overrides the pyproject.toml requirement from %s",
                dep.location,
                dep.name,
                existing.dep.location,
            )
            existing.dep, existing.derived, existing.declared_tree = dep, False, tree
            return True
        if same_spec(existing.dep, dep):
            return False
        if existing.dep.src is Source.PYPI and dep.src is Source.PYPI:
            existing.dep = self.intersect(existing.dep, dep)
            return False
        self.diagnostics.warn(
            f"'{dep.name}' is declared differently here ({spec_difference(existing.dep, dep)}); "
            f"using the spec first found at {existing.dep.location}",
            dep.location,
        )
        return False

    def intersect(self, first: Dep, other: Dep) -> Dep:
        """One PyPI dep asking for both specs: versions intersected, extras joined."""
        version = combined_version(first.version, other.version)
        if version is not None and not satisfiable(version):
            raise ConfigError(
                f"no version of '{other.name}' satisfies both '{first.version}' and "
                f"'{other.version}'",
                other.location,
                related=[("the other spec", first.location)],
                hint=f"declare '{other.name}' in the root project's dep-set to choose one",
            )
        extras = tuple(dict.fromkeys((*first.extras, *other.extras)))
        return replace(first, version=version, extras=extras)

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
        if entry.dep.src is Source.PYPI or entry.dep.is_wheel:
            return True
        if not entry.dep.is_source:
            return False
        if entry.dep.type is not None:
            return entry.dep.type is PackageType.PYTHON
        return entry.path is not None and is_python_checkout(entry.path)


def _named_file(dep: Dep) -> Path | None:
    """The local file a ``src: ivpm.yaml`` dep names (``path``, or a ``file://`` url).

    None for a remote URL: downloading one is not done by this ivpm (reported as unhandled).
    """
    base = dep.declared_in.parent if dep.declared_in is not None else Path.cwd()
    if dep.path is not None:
        path = Path(dep.path).expanduser()
        return path if path.is_absolute() else base / path
    url = dep.url or ""
    if url.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(url).path))
    if "://" not in url:
        path = Path(url).expanduser()
        return path if path.is_absolute() else base / path
    return None


def _local_target(dep: Dep) -> Path | None:
    """The local folder or file ``dep`` takes its content from; None for remote sources."""
    if dep.src is Source.DIR and dep.url is not None:
        from ivpm.fetch.local import dir_source
        from ivpm.fetch.result import DepFetchError

        try:
            return dir_source(dep)
        except DepFetchError:
            return None  # not a local path: the fetch refuses it
    if dep.src is Source.IVPM_YAML:
        return _named_file(dep)
    if dep.src is Source.PYPROJECT:
        from ivpm.project.pyproject_reqs import pyproject_file

        return pyproject_file(dep)
    return None


def _unhandled(dep: Dep) -> bool:
    """True for a dep this ivpm cannot install (its kind, or a remote ivpm.yaml or
    pyproject.toml)."""
    if dep.src is Source.IVPM_YAML:
        return _named_file(dep) is None
    if dep.src is Source.PYPROJECT:
        from ivpm.project.pyproject_reqs import pyproject_file

        return pyproject_file(dep) is None
    return not dep.src.handled

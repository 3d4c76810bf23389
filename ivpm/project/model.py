"""The validated, typed model of an ivpm.yaml file and of a resolved dependency graph."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from ivpm.errors import Location


class Source(enum.Enum):
    """Where a dependency comes from."""

    PYPI = "pypi"
    GIT = "git"
    DIR = "dir"


class PackageType(enum.Enum):
    """How a fetched source dependency is treated; ``None`` on a Dep means auto-detect."""

    PYTHON = "python"
    RAW = "raw"


@dataclass(frozen=True)
class Dep:
    """One dependency entry of a dep-set, as written in an ivpm.yaml."""

    name: str
    src: Source
    location: Location
    url: str | None = None
    version: str | None = None  # a PEP 440 specifier set, already validated; None = latest
    extras: tuple[str, ...] = ()
    branch: str | None = None
    tag: str | None = None
    commit: str | None = None
    depth: int | None = None
    type: PackageType | None = None
    link: bool = False
    dep_set: str | None = None

    @property
    def is_source(self) -> bool:
        """True for deps that are fetched into ``packages/<name>`` (git and dir)."""
        return self.src is not Source.PYPI


@dataclass(frozen=True)
class DepSet:
    """A named dependency set; ``deps`` are this set's own entries (``uses`` not applied)."""

    name: str
    location: Location
    deps: tuple[Dep, ...] = ()
    uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class EnvAction:
    """One environment setting of an env-set.

    ``kind`` is ``value`` (set), ``path`` (set to a path list), ``path-append`` or
    ``path-prepend``; ``values`` holds the string(s) with ``${VAR}`` references left as written.
    """

    name: str
    kind: str
    values: tuple[str, ...]
    location: Location


@dataclass(frozen=True)
class EnvSet:
    """A named set of environment settings."""

    name: str
    location: Location
    actions: tuple[EnvAction, ...] = ()


@dataclass(frozen=True)
class PythonSettings:
    """Index settings under ``package.with.python``; empty means the installer's defaults."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    pre: bool = False


@dataclass(frozen=True)
class Project:
    """One loaded ivpm.yaml file."""

    path: Path  # the ivpm.yaml file itself
    name: str
    location: Location
    dep_sets: dict[str, DepSet]
    default_dep_set: str | None = None
    setup_deps: tuple[str, ...] = ()
    setup_deps_location: Location | None = None
    env_sets: dict[str, EnvSet] = field(default_factory=dict)
    python: PythonSettings = field(default_factory=PythonSettings)
    setup_deps_locations: tuple[Location, ...] = ()  # one per setup_deps entry, when known

    @property
    def root(self) -> Path:
        """The directory holding the ivpm.yaml."""
        return self.path.parent


@dataclass(frozen=True)
class ResolvedDep:
    """A dependency after resolution: the winning spec plus what fetching found."""

    dep: Dep
    requires: tuple[str, ...] = ()  # names of the source deps its own ivpm.yaml brings in
    path: Path | None = None  # packages/<name> for source deps, None for PyPI deps
    is_python: bool = False  # PyPI deps: always True; source deps: detected or from `type`
    sub_project: Project | None = None  # the dep's own ivpm.yaml, when it has one


@dataclass(frozen=True)
class Resolution:
    """The outcome of resolving the selected dep-set recursively.

    ``setup_deps`` lists the setup-deps in install order; ``levels`` lists the remaining deps in
    dependency order, grouped so that everything in one level can be installed in one call.
    """

    project: Project
    dep_set: str
    deps: dict[str, ResolvedDep]
    setup_deps: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]

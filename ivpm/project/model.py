"""The validated, typed model of an ivpm.yaml file and of a resolved dependency graph."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from ivpm.errors import Location
from ivpm.project.names import url_ending


class Source(enum.Enum):
    """Where a dependency comes from (the ``src`` values the published ivpm knows)."""

    PYPI = "pypi"
    GIT = "git"
    DIR = "dir"
    HTTP = "http"
    FILE = "file"
    URL = "url"
    GH_RLS = "gh-rls"
    PYPROJECT = "pyproject.toml"
    IVPM_YAML = "ivpm.yaml"
    NPM = "npm"
    PACKAGE_JSON = "package.json"
    FUSESOC = "fusesoc"
    MODULE = "module"
    MARKETPLACE = "marketplace"

    @property
    def fetched(self) -> bool:
        """True for kinds whose content lands in ``packages/<name>``."""
        return self in _FETCHED

    @property
    def handled(self) -> bool:
        """True for kinds this ivpm installs; the others are reported by ``update``."""
        return self in _HANDLED


#: The kinds whose ``url`` names an archive (or a wheel) to download.
ARCHIVE_SOURCES = frozenset({Source.HTTP, Source.FILE, Source.URL})
_FETCHED = frozenset({Source.GIT, Source.DIR, *ARCHIVE_SOURCES, Source.GH_RLS})
_HANDLED = frozenset({*_FETCHED, Source.PYPI, Source.IVPM_YAML, Source.PYPROJECT})


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
    editable: bool = True  # source deps: `type: {python: {editable: false}}` turns it off
    read_deps: bool = True  # False for `deps: skip`: its own ivpm.yaml is not read
    path: str | None = None  # src ivpm.yaml / pyproject.toml / package.json: a local file
    anonymous: bool | None = None
    ssh: bool | None = None
    cache: bool | None = None
    submodules: bool | None = None
    prerelease: bool | None = None
    unpack: bool | None = None
    sha256: str | None = None
    patches: tuple[str, ...] = ()  # patch files, relative to the declaring file's folder
    include: tuple[str, ...] = ()  # src pyproject.toml: which requirement lists
    options: tuple[tuple[str, str], ...] = ()  # other kind-specific keys, as written
    declared_in: Path | None = None  # the ivpm.yaml this entry was written in
    # Where its `path` (else `url`) value is written; not part of the spec.
    source_location: Location | None = field(default=None, compare=False)

    @property
    def is_source(self) -> bool:
        """True for deps fetched into ``packages/<name>``: git, dir, archives, GitHub releases.

        A wheel URL is not: it is installed as that wheel, straight from its URL.
        """
        return self.src.fetched and not self.is_wheel

    @property
    def is_wheel(self) -> bool:
        """True for an archive dep whose URL names a wheel (``.whl``)."""
        if self.src not in ARCHIVE_SOURCES or self.url is None:
            return False
        return url_ending(self.url).endswith(".whl")


@dataclass(frozen=True)
class DepSet:
    """A named dependency set; ``deps`` are this set's own entries (``uses`` not applied)."""

    name: str
    location: Location
    deps: tuple[Dep, ...] = ()
    uses: tuple[str, ...] = ()
    default_dep_set: str | None = None  # the set handed to sub-projects declared here


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
    venv: bool = True  # False: `venv: false`, no environment is made
    installer: str | None = None  # `venv: uv` or `venv: pip`: the installer unless overridden
    system_site_packages: bool = False


@dataclass(frozen=True)
class PathEntry:
    """One entry of ``paths``: kind (e.g. ``export``), type (e.g. ``vlog-incdir``) and path.

    ``path`` is absolute: resolved against the folder of the file that declared it.
    """

    kind: str
    type: str
    path: Path
    location: Location


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
    env: tuple[EnvAction, ...] = ()  # package-level `env` and `with.env`, applied always
    paths: tuple[PathEntry, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)  # `vars` after -D / IVPM_VAR_
    deps_dir: str = "packages"
    includes: tuple[Path, ...] = ()  # files merged in by `include`, in the order read

    @property
    def env_settings(self) -> tuple[EnvSet, ...]:
        """Everything that sets the environment: the package's ``env``, then its env-sets."""
        package = (EnvSet("", self.location, self.env),) if self.env else ()
        return (*package, *self.env_sets.values())

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
    unhandled: tuple[str, ...] = ()  # deps of kinds this ivpm does not install (Source.handled)
    dep_sets: tuple[str, ...] = ()  # every root dep-set selected (``-d a,b``); dep_set is the first

"""The keys of one dep, the source kinds each applies to, and reading a dep-set's ``deps``.

:class:`DepKeys` is the one table of a dep's keys: each row says how its value is read, which
source kinds it applies to, the hint when it is used on another kind, and the keys it cannot be
combined with. The kinds and keys are those the published ivpm accepts; what this ivpm does
with each kind is :attr:`~ivpm.project.model.Source.handled`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from ivpm.errors import ConfigError, did_you_mean
from ivpm.project import fields as f
from ivpm.project import values as v
from ivpm.project.diagnostics import Diagnostics
from ivpm.project.keys import Entries, Key, Table
from ivpm.project.model import ARCHIVE_SOURCES, Dep, PackageType, Source
from ivpm.project.names import (
    canonical_name,
    dep_name_problem,
    is_distribution_name,
    quoted,
    source_name_problem,
    url_ending,
)
from ivpm.project.yamlnodes import Map, Node, Scalar, Seq, describe

T = TypeVar("T")

S = Source
ALL = frozenset(Source)
PYPI = frozenset({S.PYPI})
GIT = frozenset({S.GIT})
DIR = frozenset({S.DIR})
ARCHIVE = ARCHIVE_SOURCES
RELEASE = frozenset({S.GH_RLS})
#: The kinds whose content is found at a ``url``.
URL_KINDS = frozenset(
    {S.GIT, S.DIR, *ARCHIVE, S.GH_RLS, S.IVPM_YAML, S.PYPROJECT, S.PACKAGE_JSON, S.MARKETPLACE}
)
#: The kinds that name a file with ``path`` instead of (or besides) ``url``.
PATH_KINDS = frozenset({S.IVPM_YAML, S.PYPROJECT, S.PACKAGE_JSON})
#: The kinds that may carry Python content.
CONTENT_KINDS = frozenset({S.PYPI, S.GIT, S.DIR, *ARCHIVE, S.GH_RLS})
#: The kinds whose own ivpm.yaml (or the file they name) brings more deps.
SUB_PROJECT_KINDS = frozenset({S.GIT, S.DIR, *ARCHIVE, S.GH_RLS, S.IVPM_YAML})

_NOT_FOR_PYPI_HINT = "a dep without 'url' is installed from the package index; add 'url' for git"
_URL_HINT = "a pypi dep is installed by name; use 'src: git' or 'src: dir' for a URL"
_PIN_HINT = "'version' applies to pypi deps; pin a git dep with 'tag' or 'commit'"
_LINK_HINT = "'link' applies to 'src: dir' deps"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:")
_LOCAL_PATH = re.compile(r"^(/|\./|\.\./|~|\.$|\.\.$|[A-Za-z]:[\\/])")
#: URL endings that mean an archive (or a single file) to download, never a repository.
ARCHIVE_EXTENSIONS = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".jar", ".whl")
_CONTENT_TYPES = ("python", "raw", "module", "node")
_PYTHON_TYPE_KEYS = ("editable", "extras")


@dataclass(frozen=True)
class DepKey(Key[T]):
    """A dep key, with the rules that depend on the dep's source kind.

    ``only``: the source kinds it applies to; ``hint``: why it is refused on another kind
    (default "'<key>' applies to <kinds> deps"); ``excludes``: a key it cannot be combined with.
    """

    only: frozenset[Source] = ALL
    hint: str | None = None
    excludes: str | None = None

    def not_applicable_hint(self) -> str:
        """Why this key is refused on a dep of a kind it does not apply to."""
        if self.hint is not None:
            return self.hint
        kinds = ", ".join(src.value for src in Source if src in self.only)
        return f"'{self.name}' applies to deps of src: {kinds}"


@dataclass(frozen=True)
class TypeSpec:
    """A dep's ``type``: the content kind, and for python its ``editable`` and ``extras``."""

    kind: PackageType | None = None
    editable: bool | None = None
    extras: tuple[str, ...] = ()


def content_type(pair: f.Pair) -> TypeSpec:
    """``type``: ``python``, ``raw`` (``module`` and ``node`` are not Python: raw), a mapping
    ``{python: {editable: false, extras: [...]}}``, or a list of those."""
    items = pair[1].items if isinstance(pair[1], Seq) else (pair[1],)
    spec = TypeSpec()
    for item in items:
        if isinstance(item, Map):
            for name, (key_node, opts) in item.entries.items():
                spec = _merge_type(spec, _type_name(name, key_node.loc), (key_node, opts))
        elif isinstance(item, Scalar) and item.kind == "str":
            spec = _merge_type(spec, _type_name(item.text, item.loc), None)
        else:
            raise f.type_error((pair[0], item), "a type name or a mapping such as {python: {}}")
    return spec


def _type_name(name: str, loc: Any) -> str:
    if name not in _CONTENT_TYPES:
        raise ConfigError(
            f"unknown type '{name}'{did_you_mean(name, _CONTENT_TYPES)}",
            loc,
            hint="'type' is one of: " + ", ".join(_CONTENT_TYPES),
        )
    return name


def _merge_type(spec: TypeSpec, name: str, opts: f.Pair | None) -> TypeSpec:
    kind = PackageType.PYTHON if name == "python" else PackageType.RAW
    if spec.kind is PackageType.PYTHON:
        kind = PackageType.PYTHON  # python together with other content is still installed
    editable, extras = spec.editable, spec.extras
    if opts is not None and not f.is_null(opts[1]):
        options = f.get_map(opts)
        allowed = _PYTHON_TYPE_KEYS if name == "python" else ()
        for key, (key_node, _) in options.entries.items():
            if key not in allowed:
                raise ConfigError(
                    f"unknown option '{key}' for type '{name}'{did_you_mean(key, allowed)}",
                    key_node.loc,
                    hint=("options of type python: editable, extras" if allowed else None),
                )
        if "editable" in options.entries:
            editable = f.get_bool(options.entries["editable"])
        if "extras" in options.entries:
            extras = (*extras, *v.extras(options.entries["extras"]))
    return TypeSpec(kind, editable, extras)


class DepKeys(Table):
    """The keys of a dep."""

    WHAT = "a dep"
    KIND = "dep"
    name: DepKey[str] = DepKey("name", v.text, "", required=True)
    src: DepKey[Source | None] = DepKey("src", v.choice(Source), None)
    pypi: DepKey[bool] = DepKey("pypi", f.get_bool, False)
    url: DepKey[str | None] = DepKey("url", v.git_url, None, only=URL_KINDS, hint=_URL_HINT)
    path: DepKey[str | None] = DepKey("path", v.text, None, only=PATH_KINDS)
    version: DepKey[str | None] = DepKey(
        "version", v.version, None, only=PYPI | RELEASE | {S.NPM, S.MODULE}, hint=_PIN_HINT
    )
    extras: DepKey[tuple[str, ...]] = DepKey("extras", v.extras, (), only=CONTENT_KINDS)
    branch: DepKey[str | None] = DepKey("branch", v.ref, None, only=GIT)
    tag: DepKey[str | None] = DepKey("tag", v.ref, None, only=GIT, excludes="branch")
    commit: DepKey[str | None] = DepKey("commit", v.commit, None, only=GIT, excludes="tag")
    depth: DepKey[int | None] = DepKey("depth", v.depth, None, only=GIT)
    anonymous: DepKey[bool | None] = DepKey("anonymous", f.get_bool, None, only=GIT)
    ssh: DepKey[bool | None] = DepKey("ssh", f.get_bool, None, only=GIT)
    submodules: DepKey[bool | None] = DepKey("submodules", v.submodules, None, only=GIT)
    type: DepKey[TypeSpec] = DepKey("type", content_type, TypeSpec())
    link: DepKey[bool] = DepKey("link", f.get_bool, False, only=DIR, hint=_LINK_HINT)
    dep_set: DepKey[str | None] = DepKey("dep-set", v.text, None, only=SUB_PROJECT_KINDS)
    deps: DepKey[bool] = DepKey("deps", v.skip_deps, False)
    deps_mode: DepKey[str | None] = DepKey("deps-mode", v.deps_mode, None, checked_only=True)
    cache: DepKey[bool | None] = DepKey("cache", f.get_bool, None, only=URL_KINDS)
    unpack: DepKey[bool | None] = DepKey("unpack", f.get_bool, None, only=ARCHIVE | RELEASE)
    sha256: DepKey[str | None] = DepKey("sha256", v.sha256, None, only=ARCHIVE)
    prerelease: DepKey[bool | None] = DepKey("prerelease", f.get_bool, None, only=RELEASE)
    source: DepKey[bool | None] = DepKey("source", f.get_bool, None, only=RELEASE)
    file: DepKey[str | None] = DepKey("file", v.text, None, only=RELEASE)
    include: DepKey[tuple[str, ...]] = DepKey(
        "include", v.text_list, (), only=frozenset({S.PYPROJECT})
    )
    vlnv: DepKey[str | None] = DepKey("vlnv", v.text, None, only=frozenset({S.FUSESOC}))
    module: DepKey[str | None] = DepKey("module", v.text, None, only=frozenset({S.MODULE}))
    modulefile: DepKey[str | None] = DepKey("modulefile", v.text, None, only=frozenset({S.MODULE}))
    root: DepKey[str | None] = DepKey("root", v.text, None, only=frozenset({S.MODULE}))
    resolve_root: DepKey[Node | None] = DepKey(
        "resolve-root", v.node, None, only=frozenset({S.MODULE}), checked_only=True
    )
    dev: DepKey[bool | None] = DepKey(
        "dev", f.get_bool, None, only=frozenset({S.NPM}), checked_only=True
    )
    optional: DepKey[bool | None] = DepKey(
        "optional", f.get_bool, None, only=frozenset({S.NPM}), checked_only=True
    )
    plugins: DepKey[tuple[str, ...]] = DepKey(
        "plugins", v.text_list, (), only=frozenset({S.MARKETPLACE})
    )
    marketplace_file: DepKey[str | None] = DepKey(
        "marketplace-file", v.text, None, only=frozenset({S.MARKETPLACE})
    )
    patches: DepKey[tuple[str, ...]] = DepKey("patches", v.text_list, ())
    agents: DepKey[Node | None] = DepKey("agents", v.node, None, checked_only=True)
    description: DepKey[str] = DepKey("description", v.doc_text, "", checked_only=True)
    doc: DepKey[str] = DepKey("doc", v.doc_text, "", checked_only=True)


_ROWS: dict[str, DepKey[Any]] = {row.name: row for row in DepKeys.KEYS if isinstance(row, DepKey)}


def infer_src(url: str) -> Source | None:
    """The source kind a ``url`` implies when ``src`` is not given; None if it cannot tell.

    ``.git`` endings, ``git://``, ``ssh://``, ``git+...://`` and ``user@host:path`` mean git;
    an http(s) URL ending in an archive extension (``.tar.gz``, ``.zip``, ``.jar``, ...) is an
    archive to download (``http``), a ``file://`` one a local archive (``file``); any other
    ``file://`` URL and local paths (``/``, ``./``, ``../``, ``~``) mean a directory; any other
    ``http(s)://`` URL is taken to be a git repository.
    """
    stripped = url.rstrip("/")
    scheme_match = _SCHEME.match(url)
    scheme = scheme_match.group(1).lower() if scheme_match else None
    if stripped.endswith(".git") or _SCP_LIKE.match(url):
        return Source.GIT
    archive = url_ending(stripped).endswith(ARCHIVE_EXTENSIONS)
    if scheme is None:
        return Source.DIR if _LOCAL_PATH.match(url) else None
    if scheme in ("http", "https"):
        return Source.HTTP if archive else Source.GIT
    if scheme in ("git", "ssh") or scheme.startswith("git+"):
        return Source.GIT
    if scheme == "file":
        return Source.FILE if archive else Source.DIR
    return None


def read_deps(nodes: tuple[Node, ...], set_name: str, diagnostics: Diagnostics) -> tuple[Dep, ...]:
    """The ``deps`` of dep-set ``set_name``; a name listed twice (as PEP 503 names) is an error.

    In collecting mode a dep with an error is left out and the error recorded.
    """
    result: dict[str, Dep] = {}
    for item in nodes:
        with diagnostics.entry():
            dep = read_dep(item, diagnostics)
            key = canonical_name(dep.name)
            first = result.get(key)
            if first is not None:
                same = "" if first.name == dep.name else f" (same as '{first.name}')"
                raise ConfigError(
                    f"dep '{dep.name}' is listed twice in dep-set '{set_name}'{same}",
                    dep.location,
                    related=[("first listed here", first.location)],
                )
            result[key] = dep
    return tuple(result.values())


def read_dep(node: Node, diagnostics: Diagnostics) -> Dep:
    """One dep entry, checked against :class:`DepKeys` and the rules of its source kind."""
    if isinstance(node, Scalar) and node.kind != "null":
        raise ConfigError(
            f"a dep must be a mapping, got {describe(node)}",
            node.loc,
            hint=f"write '- name: {node.text}'",
        )
    mapping = f.expect_map(node, "a dep")
    if "with" in mapping.entries:
        raise ConfigError(
            "a dep's 'with' is no longer supported",
            mapping.entries["with"][0].loc,
            hint="write options inline, e.g. 'type: {python: {editable: false}}'",
        )
    entries = DepKeys.read(mapping, diagnostics, suggest=_keys_for(_likely_source(mapping)))
    name = entries.get(DepKeys.name)
    problem = dep_name_problem(name)
    if problem:
        raise ConfigError(
            f"invalid dep name {quoted(name)}: {problem}", entries.value_loc(DepKeys.name)
        )
    url = entries.get(DepKeys.url)
    src = _source(entries, url)
    _check_kind(entries, name, src, url)
    spec = entries.get(DepKeys.type)
    if src is Source.PYPI and spec.kind is PackageType.RAW:
        raise ConfigError("a pypi dep is always a Python package", entries.value_loc(DepKeys.type))
    extras = (*entries.get(DepKeys.extras), *spec.extras)
    if spec.kind is PackageType.RAW and extras:
        raise ConfigError("'extras' do not apply to a raw dep", entries.key_loc(DepKeys.extras))
    return Dep(
        name=name,
        src=src,
        location=entries.location,
        url=url,
        version=_version(entries, src),
        extras=extras,
        branch=entries.get(DepKeys.branch),
        tag=entries.get(DepKeys.tag),
        commit=entries.get(DepKeys.commit),
        depth=entries.get(DepKeys.depth),
        type=None if src is Source.PYPI else spec.kind,
        link=entries.get(DepKeys.link),
        dep_set=entries.get(DepKeys.dep_set),
        editable=spec.editable is not False,
        read_deps=not entries.get(DepKeys.deps),
        path=entries.get(DepKeys.path),
        anonymous=entries.get(DepKeys.anonymous),
        ssh=entries.get(DepKeys.ssh),
        cache=entries.get(DepKeys.cache),
        submodules=entries.get(DepKeys.submodules),
        prerelease=entries.get(DepKeys.prerelease),
        unpack=entries.get(DepKeys.unpack),
        sha256=entries.get(DepKeys.sha256),
        patches=entries.get(DepKeys.patches),
        include=entries.get(DepKeys.include),
        options=_options(entries),
        declared_in=entries.location.path,
        source_location=next(
            (entries.value_loc(key) for key in (DepKeys.path, DepKeys.url) if entries.has(key)),
            None,
        ),
    )


#: Kind-specific keys kept as text in :attr:`Dep.options`.
_KEPT_AS_TEXT: tuple[DepKey[Any], ...] = (
    DepKeys.source,
    DepKeys.file,
    DepKeys.vlnv,
    DepKeys.module,
    DepKeys.modulefile,
    DepKeys.root,
    DepKeys.plugins,
    DepKeys.marketplace_file,
)


def _options(entries: Entries) -> tuple[tuple[str, str], ...]:
    """The kind-specific keys as ``(key, text)``; the informational keys are only checked."""
    entries.check_only()
    return tuple(
        (row.name, _as_text(entries.get(row))) for row in _KEPT_AS_TEXT if entries.has(row)
    )


def _as_text(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _likely_source(mapping: Map) -> Source:
    """The source kind a dep's raw mapping most likely has, for messages only."""
    src = mapping.get("src")
    if src is not None and isinstance(src[1], Scalar):
        try:
            return Source(src[1].text)
        except ValueError:
            pass
    url = mapping.get("url")
    if url is not None and isinstance(url[1], Scalar):
        return infer_src(url[1].text) or Source.GIT
    return Source.PYPI


@functools.cache
def _keys_for(src: Source) -> tuple[str, ...]:
    """The dep keys that apply to ``src`` deps, in table order."""
    return tuple(row.name for row in _ROWS.values() if src in row.only)


def _version(entries: Entries, src: Source) -> str | None:
    """``version``: a PEP 440 specifier for pypi deps; as written for the other kinds."""
    if not entries.has(DepKeys.version):
        return None
    if src is Source.PYPI:
        return entries.get(DepKeys.version)
    return v.text(entries.mapping.entries["version"])  # a release: as written


def _source(entries: Entries, url: str | None) -> Source:
    """``src`` as written, else ``pypi: true``, else what ``url`` implies, else pypi (no url)."""
    explicit = entries.get(DepKeys.src)
    if explicit is not None:
        if entries.get(DepKeys.pypi) and explicit is not S.PYPI:
            raise ConfigError(
                f"'pypi: true' contradicts 'src: {explicit.value}'",
                entries.key_loc(DepKeys.pypi),
            )
        return explicit
    if entries.get(DepKeys.pypi):
        return Source.PYPI
    if url is None:
        return Source.PYPI
    inferred = infer_src(url)
    if inferred is None:
        raise ConfigError(
            f"cannot tell what kind of source '{url}' is",
            entries.value_loc(DepKeys.url),
            hint="add 'src: git', 'src: dir' or 'src: http'",
        )
    return inferred


def _check_kind(entries: Entries, name: str, src: Source, url: str | None) -> None:
    """The rules that depend on the dep's source kind, in the order they are reported."""
    if src.fetched and source_name_problem(name) is not None:
        raise ConfigError(
            f"invalid dep name {quoted(name)}: ivpm keeps packages/{name} for itself",
            entries.value_loc(DepKeys.name),
            hint="a source dep lives in packages/<name>; choose another name",
        )
    _check_applicable(entries, src)
    if src is Source.PYPI and not is_distribution_name(name):
        raise ConfigError(
            f"'{name}' is not a valid PyPI package name", entries.value_loc(DepKeys.name)
        )
    if src in URL_KINDS - PATH_KINDS and url is None:
        raise ConfigError(f"{src.value} dep '{name}' needs a 'url'", entries.location)
    if src is Source.IVPM_YAML and url is None and not entries.has(DepKeys.path):
        raise ConfigError(f"ivpm.yaml dep '{name}' needs a 'url' or a 'path'", entries.location)
    if src is Source.DIR and url is not None:
        scheme = _SCHEME.match(url)
        if scheme and scheme.group(1).lower() != "file":
            raise ConfigError(
                "a dir dep needs a local path or a file:// URL",
                entries.value_loc(DepKeys.url),
                hint="use 'src: git' to clone a repository",
            )
    _check_exclusive(entries)


def _check_applicable(entries: Entries, src: Source) -> None:
    """Refuse, in file order, each key that does not apply to a ``src`` dep."""
    implicit_pypi = src is Source.PYPI and not entries.has(DepKeys.src)
    for key in entries.mapping.entries:
        row = _ROWS[key]
        if src not in row.only:
            raise ConfigError(
                f"'{key}' does not apply to a {src.value} dep",
                entries.key_loc(row),
                hint=_NOT_FOR_PYPI_HINT if implicit_pypi else row.not_applicable_hint(),
            )


def _check_exclusive(entries: Entries) -> None:
    """Refuse a key written together with the key its row ``excludes``."""
    for row in _ROWS.values():
        if row.excludes is not None and entries.has(row) and entries.has(_ROWS[row.excludes]):
            raise ConfigError(
                f"'{row.name}' cannot be combined with '{row.excludes}'", entries.key_loc(row)
            )

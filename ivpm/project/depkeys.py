"""The keys of one dep, the source kinds each applies to, and reading a dep-set's ``deps``.

:class:`DepKeys` is the one table of a dep's keys: each row says how its value is read, which
source kinds (pypi, git, dir) it applies to, the hint when it is used on another kind, and the
keys it cannot be combined with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

from ivpm.errors import ConfigError
from ivpm.project import fields as f
from ivpm.project import values as v
from ivpm.project.keys import Entries, Key, Table
from ivpm.project.model import Dep, PackageType, Source
from ivpm.project.names import (
    canonical_name,
    dep_name_problem,
    is_distribution_name,
    quoted,
    source_name_problem,
)
from ivpm.project.yamlnodes import Node, Scalar, describe

T = TypeVar("T")

ALL = frozenset(Source)
PYPI = frozenset({Source.PYPI})
GIT = frozenset({Source.GIT})
DIR = frozenset({Source.DIR})
GIT_DIR = GIT | DIR

_NOT_FOR_PYPI_HINT = "a dep without 'url' is installed from the package index; add 'url' for git"
_URL_HINT = "a pypi dep is installed by name; use 'src: git' or 'src: dir' for a URL"
_PIN_HINT = "'version' applies to pypi deps; pin a git dep with 'tag' or 'commit'"
_LINK_HINT = "'link' applies to 'src: dir' deps"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:")
_LOCAL_PATH = re.compile(r"^(/|\./|\.\./|~|\.$|\.\.$|[A-Za-z]:[\\/])")


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
        kinds = " and ".join(src.value for src in Source if src in self.only)
        return f"'{self.name}' applies to {kinds} deps"


class DepKeys(Table):
    """The keys of a dep."""

    WHAT = "a dep"
    KIND = "dep"
    name: DepKey[str] = DepKey("name", v.text, "", required=True)
    src: DepKey[Source | None] = DepKey("src", v.choice(Source), None)
    url: DepKey[str | None] = DepKey("url", v.git_url, None, only=GIT_DIR, hint=_URL_HINT)
    version: DepKey[str | None] = DepKey("version", v.version, None, only=PYPI, hint=_PIN_HINT)
    extras: DepKey[tuple[str, ...]] = DepKey("extras", v.extras, ())
    branch: DepKey[str | None] = DepKey("branch", v.ref, None, only=GIT)
    tag: DepKey[str | None] = DepKey("tag", v.ref, None, only=GIT, excludes="branch")
    commit: DepKey[str | None] = DepKey("commit", v.commit, None, only=GIT, excludes="tag")
    depth: DepKey[int | None] = DepKey("depth", v.depth, None, only=GIT)
    type: DepKey[PackageType | None] = DepKey("type", v.choice(PackageType), None, only=GIT_DIR)
    link: DepKey[bool] = DepKey("link", f.get_bool, False, only=DIR, hint=_LINK_HINT)
    dep_set: DepKey[str | None] = DepKey("dep-set", v.text, None, only=GIT_DIR)


_ROWS: dict[str, DepKey[Any]] = {row.name: row for row in DepKeys.KEYS if isinstance(row, DepKey)}


def infer_src(url: str) -> Source | None:
    """The source kind a ``url`` implies when ``src`` is not given; None if it cannot tell.

    ``.git`` endings, ``git://``, ``ssh://``, ``git+...://`` and ``user@host:path`` mean git;
    ``file://`` and local paths (``/``, ``./``, ``../``, ``~``) mean a directory; any other
    ``http(s)://`` URL is taken to be a git repository too.
    """
    stripped = url.rstrip("/")
    scheme_match = _SCHEME.match(url)
    scheme = scheme_match.group(1).lower() if scheme_match else None
    if stripped.endswith(".git") or _SCP_LIKE.match(url):
        return Source.GIT
    if scheme is None:
        return Source.DIR if _LOCAL_PATH.match(url) else None
    if scheme in ("git", "ssh", "http", "https") or scheme.startswith("git+"):
        return Source.GIT
    if scheme == "file":
        return Source.DIR
    return None


def read_deps(nodes: tuple[Node, ...], set_name: str) -> tuple[Dep, ...]:
    """The ``deps`` of dep-set ``set_name``; a name listed twice (as PEP 503 names) is an error."""
    result: dict[str, Dep] = {}
    for item in nodes:
        dep = read_dep(item)
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


def read_dep(node: Node) -> Dep:
    """One dep entry, checked against :class:`DepKeys` and the rules of its source kind."""
    if isinstance(node, Scalar) and node.kind != "null":
        raise ConfigError(
            f"a dep must be a mapping, got {describe(node)}",
            node.loc,
            hint=f"write '- name: {node.text}'",
        )
    entries = DepKeys.read(f.expect_map(node, "a dep"))
    name = entries.get(DepKeys.name)
    problem = dep_name_problem(name)
    if problem:
        raise ConfigError(
            f"invalid dep name {quoted(name)}: {problem}", entries.value_loc(DepKeys.name)
        )
    url = entries.get(DepKeys.url)
    src = _source(entries, url)
    _check_kind(entries, name, src, url)
    dep_type = entries.get(DepKeys.type)
    extras = entries.get(DepKeys.extras)
    if dep_type is PackageType.RAW and extras:
        raise ConfigError("'extras' do not apply to a raw dep", entries.key_loc(DepKeys.extras))
    return Dep(
        name=name,
        src=src,
        location=entries.location,
        url=url,
        version=entries.get(DepKeys.version),
        extras=extras,
        branch=entries.get(DepKeys.branch),
        tag=entries.get(DepKeys.tag),
        commit=entries.get(DepKeys.commit),
        depth=entries.get(DepKeys.depth),
        type=dep_type,
        link=entries.get(DepKeys.link),
        dep_set=entries.get(DepKeys.dep_set),
    )


def _source(entries: Entries, url: str | None) -> Source:
    """``src`` as written, else what ``url`` implies, else pypi (no url)."""
    explicit = entries.get(DepKeys.src)
    if explicit is not None:
        return explicit
    if url is None:
        return Source.PYPI
    inferred = infer_src(url)
    if inferred is None:
        raise ConfigError(
            f"cannot tell whether '{url}' is a git repository or a local directory",
            entries.value_loc(DepKeys.url),
            hint="add 'src: git' or 'src: dir'",
        )
    return inferred


def _check_kind(entries: Entries, name: str, src: Source, url: str | None) -> None:
    """The rules that depend on the dep's source kind, in the order they are reported."""
    if src is not Source.PYPI and source_name_problem(name) is not None:
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
    if src is not Source.PYPI and url is None:
        raise ConfigError(f"{src.value} dep '{name}' needs a 'url'", entries.location)
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

"""Dep-set selection, ``uses`` inheritance, and comparing two specs of one dependency."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ivpm.errors import ConfigError, did_you_mean, display_path
from ivpm.project.model import Dep, Project
from ivpm.project.names import canonical_name

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

EMPTY_DEP_SET = "default"  # the name selected when a project defines no dep-sets at all


def select_dep_set(project: Project, requested: str | None) -> str:
    """The dep-set to use: ``requested`` (``-d``), else ``default-dep-set``, else the first set.

    A project without dep-sets selects ``"default"``, which has no deps. A requested set that does
    not exist is a ConfigError listing the sets that do.
    """
    if requested is not None:
        if requested in project.dep_sets:
            return requested
        raise missing_dep_set(project, requested)
    if project.default_dep_set is not None:
        return project.default_dep_set
    return next(iter(project.dep_sets), EMPTY_DEP_SET)


def select_dep_sets(project: Project, requested: Sequence[str]) -> tuple[str, ...]:
    """The dep-sets to use: each of ``requested`` (``-d a,b``), else the one default set."""
    if not requested:
        return (select_dep_set(project, None),)
    return tuple(select_dep_set(project, name) for name in requested)


def missing_dep_set(project: Project, name: str, requested_by: Dep | None = None) -> ConfigError:
    """The error for a dep-set ``name`` that ``project`` does not define."""
    where = display_path(project.path)
    available = ", ".join(project.dep_sets) if project.dep_sets else "(none)"
    return ConfigError(
        f"no dep-set '{name}' in {where}{did_you_mean(name, project.dep_sets)}",
        requested_by.location if requested_by else None,
        hint=f"dep-sets in {where}: {available}",
    )


def effective_deps(project: Project, dep_set: str) -> dict[str, Dep]:
    """The deps of ``dep_set`` with ``uses`` applied, keyed by each winning entry's name.

    A set's own entries win over inherited ones, at any depth: an entry is overridden by one in
    any set that (directly or through others) uses the set it came from. Two surviving entries
    for one name with different specs are an error, so the outcome never depends on the order of
    ``uses``. Order: the set's own deps as written, then inherited ones (depth-first in ``uses``
    order).
    """
    if dep_set not in project.dep_sets:
        if not project.dep_sets and dep_set == EMPTY_DEP_SET:
            return {}
        raise missing_dep_set(project, dep_set)
    order = _preorder(project, dep_set)
    candidates: dict[str, list[tuple[str, Dep]]] = {}
    for set_name in order:
        for dep in project.dep_sets[set_name].deps:
            candidates.setdefault(canonical_name(dep.name), []).append((set_name, dep))
    reach: dict[str, frozenset[str]] = {}
    result: dict[str, Dep] = {}
    for entries in candidates.values():
        live = [
            (origin, dep)
            for origin, dep in entries
            if not any(
                other != origin and origin in _reachable(project, other, reach)
                for other, _ in entries
            )
        ]
        winner_set, winner = live[0]
        for other_set, other in live[1:]:
            if not same_spec(winner, other):
                raise ConfigError(
                    f"dep '{other.name}' is inherited from dep-sets '{winner_set}' and "
                    f"'{other_set}' with different specs ({spec_difference(winner, other)})",
                    other.location,
                    related=[(f"the spec in dep-set '{winner_set}'", winner.location)],
                    hint=f"declare '{other.name}' in dep-set '{dep_set}' to choose one",
                )
        result[winner.name] = winner
    return result


def same_spec(a: Dep, b: Dep) -> bool:
    """True when two entries ask for the same thing (locations and fetch options aside)."""
    return not spec_difference(a, b)


def spec_difference(a: Dep, b: Dep) -> str:
    """A short description of how two specs differ, e.g. ``version '>=1' vs '>=2'``; or ''."""
    parts = []
    for label, left, right in _spec_fields(a, b):
        if left != right:
            parts.append(f"{label} {_show(left)} vs {_show(right)}")
    return ", ".join(parts)


def _spec_fields(a: Dep, b: Dep) -> list[tuple[str, object, object]]:
    fields: list[tuple[str, object, object]] = [("src", a.src.value, b.src.value)]
    if _url_key(a.url) != _url_key(b.url):
        fields.append(("url", a.url, b.url))
    if _version_key(a.version) != _version_key(b.version):
        fields.append(("version", a.version, b.version))
    if _extras_key(a.extras) != _extras_key(b.extras):
        fields.append(("extras", ",".join(a.extras), ",".join(b.extras)))
    fields.extend(
        [
            ("branch", a.branch, b.branch),
            ("tag", a.tag, b.tag),
            ("commit", (a.commit or "").lower() or None, (b.commit or "").lower() or None),
        ]
    )
    return fields


def _show(value: object) -> str:
    return "(none)" if value in (None, "") else f"'{value}'"


def _url_key(url: str | None) -> str | None:
    if url is None:
        return None
    url = url.rstrip("/")
    return url[: -len(".git")] if url.endswith(".git") else url


def _version_key(version: str | None) -> SpecifierSet | None:
    if not version:
        return None
    from packaging.specifiers import SpecifierSet  # imported only when versions are compared

    return SpecifierSet(version)


def _extras_key(extras: tuple[str, ...]) -> frozenset[str]:
    return frozenset(canonical_name(extra) for extra in extras)


def _preorder(project: Project, start: str) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()
    stack = [start]
    while stack:
        name = stack.pop()
        if name in seen or name not in project.dep_sets:
            continue
        seen.add(name)
        order.append(name)
        stack.extend(reversed(project.dep_sets[name].uses))
    return order


def _reachable(project: Project, start: str, memo: dict[str, frozenset[str]]) -> frozenset[str]:
    """The sets ``start`` uses, directly or indirectly (not including ``start`` itself)."""
    cached = memo.get(start)
    if cached is None:
        cached = frozenset(_preorder(project, start)[1:]) - {start}
        memo[start] = cached
    return cached


def combined_version(first: str | None, second: str | None) -> str | None:
    """Both version specifiers at once (their intersection), as one specifier text."""
    parts = [part for part in (first, second) if part]
    if not parts:
        return None
    from packaging.specifiers import SpecifierSet

    combined = SpecifierSet(parts[0])
    for part in parts[1:]:
        combined &= SpecifierSet(part)
    return str(combined)


def satisfiable(specifier: str) -> bool:
    """False when no version can satisfy ``specifier`` (e.g. ``>=2,<1`` or ``==1,==2``).

    Tried on the versions the specifier names and versions just beside them: a satisfiable
    set of PEP 440 clauses always admits one of those.
    """
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    spec = SpecifierSet(specifier)
    candidates: list[Version] = [Version("0")]
    for clause in spec:
        text = clause.version.rstrip(".*")
        try:
            version = Version(text)
        except InvalidVersion:
            return True  # an arbitrary-equality clause: let the installer decide
        release = version.release
        candidates.extend(
            [
                version,
                Version(".".join(map(str, (*release, 0, 1)))),
                Version(".".join(map(str, (*release[:-1], release[-1] + 1)))),
                Version(".".join(map(str, (release[0] + 1,)))),
            ]
        )
    return any(spec.contains(candidate, prereleases=True) for candidate in candidates)

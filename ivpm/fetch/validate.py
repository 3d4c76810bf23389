"""Defence-in-depth checks on source deps before anything touches the disk or runs git.

The loader validates ivpm.yaml too; these checks make the fetchers safe on their own, whoever
builds the :class:`~ivpm.project.model.Dep`. The rules themselves (names, URLs, refs, commit
ids) are those of :mod:`ivpm.project.names`; only the wording of the messages is this module's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ivpm.errors import ConfigError
from ivpm.fetch.result import DepFetchError
from ivpm.layout import RESERVED_NAMES
from ivpm.project.model import Dep, Source
from ivpm.project.names import (
    forbidden_transport,
    is_commit_id,
    ref_problem,
    source_name_problem,
    url_problem,
)


def check_deps(deps: Sequence[Dep], pins: Mapping[str, str]) -> None:
    """Validate every source dep and pin; raise :class:`ConfigError` at the first problem."""
    seen: dict[str, Dep] = {}
    for dep in deps:
        check_dep_name(dep)
        if dep.name in seen:
            raise ConfigError(
                f"dependency '{dep.name}' is listed twice",
                dep.location,
                related=[("first listed here", seen[dep.name].location)],
            )
        seen[dep.name] = dep
        if dep.src is Source.GIT:
            check_git_dep(dep)
        elif dep.src in (Source.DIR, Source.HTTP, Source.FILE, Source.URL, Source.GH_RLS):
            if not dep.url:
                raise ConfigError(
                    f"dependency '{dep.name}' (src: {dep.src.value}) has no url", dep.location
                )
        else:
            raise ConfigError(
                f"dependency '{dep.name}' comes from {dep.src.value}, not a source that can be "
                "fetched",
                dep.location,
            )
    for name, commit in pins.items():
        if name in seen and not is_commit_id(commit):
            raise ConfigError(f"the lock file pins '{name}' to an invalid commit {commit!r}")


#: The kinds ``cache: true`` applies to: git deps, archives and GitHub release assets.
_CACHED_KINDS = frozenset({Source.GIT, Source.HTTP, Source.FILE, Source.URL, Source.GH_RLS})


def check_cacheable(dep: Dep) -> None:
    """Refuse a ``cache: true`` dep with ``patches``; raise :class:`DepFetchError`.

    Its cache entry is shared by every project that links it, and read-only, so patches
    cannot be applied to it. Checked for every kind the cache applies to, before the dep is
    fetched or kept.
    """
    if dep.cache and dep.patches and dep.src in _CACHED_KINDS:
        raise DepFetchError(
            dep,
            "a cached dep cannot be patched: its cache entry is shared and read-only",
            hint="remove 'cache: true' from the dep, or its patches",
        )


def check_dep_name(dep: Dep) -> None:
    """A dep name must be one plain path component that ivpm does not use itself."""
    name = dep.name
    if source_name_problem(name) is None:
        return
    if name in RESERVED_NAMES:
        raise ConfigError(
            f"dependency name '{name}' is reserved: ivpm uses packages/{name} itself",
            dep.location,
        )
    raise ConfigError(
        f"invalid dependency name {name!r}: it must be a single directory name",
        dep.location,
        hint="names may not contain '/' or start with '.'",
    )


def check_git_dep(dep: Dep) -> None:
    """Refuse URLs and refs that git could mistake for options or for a command transport."""
    url = dep.url
    if not url:
        raise ConfigError(f"git dependency '{dep.name}' has no url", dep.location)
    if url_problem(url) is not None:
        raise ConfigError(_url_refusal(url), dep.location)
    for field, value in (("branch", dep.branch), ("tag", dep.tag), ("commit", dep.commit)):
        if value is not None and ref_problem(value) is not None:
            raise ConfigError(f"invalid {field} {value!r} for '{dep.name}'", dep.location)
    if dep.commit is not None and not is_commit_id(dep.commit):
        raise ConfigError(
            f"commit {dep.commit!r} of '{dep.name}' is not a hexadecimal commit id",
            dep.location,
        )
    if dep.depth is not None and dep.depth < 1:
        raise ConfigError(f"depth of '{dep.name}' must be at least 1", dep.location)


def _url_refusal(url: str) -> str:
    """This module's message for a git ``url`` that :func:`names.url_problem` refuses."""
    if url.lstrip().startswith("-"):
        return f"git url {url!r} may not start with '-'"
    if forbidden_transport(url) is not None:
        return f"git url {url!r} uses a transport that runs commands; ivpm refuses it"
    return f"git url {url!r} contains control characters"

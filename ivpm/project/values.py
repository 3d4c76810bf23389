"""Readers for the values of ivpm.yaml keys: type check, conversion and each value's own rules.

Each reader takes the located ``(key, value)`` pair of one mapping entry and returns the model
value, or raises a ConfigError at the offending node. The key tables (:mod:`ivpm.project.keys`)
name one reader per key; the rules of names, URLs and commit ids are asked of
:mod:`ivpm.project.names`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ivpm.errors import ConfigError, Location, did_you_mean
from ivpm.project import fields as f
from ivpm.project.names import (
    canonical_name,
    dep_name_problem,
    forbidden_transport,
    has_control_chars,
    is_commit_id,
    is_distribution_name,
    is_env_name,
    quoted,
    ref_problem,
    url_problem,
)

E = TypeVar("E", bound=enum.Enum)

_SPECIFIER_CHARS = re.compile(r"[<>=!~\[\];@ ,]")


def text(pair: f.Pair) -> str:
    """A non-empty string."""
    return f.get_str(pair)


def any_text(pair: f.Pair) -> str:
    """A string, possibly empty."""
    return f.get_str(pair, allow_empty=True)


def package_name(pair: f.Pair) -> str:
    """The project's own name: any text without control characters."""
    name = f.get_str(pair)
    if has_control_chars(name):
        raise ConfigError("the package name must not contain control characters", pair[1].loc)
    return name


def env_name(pair: f.Pair) -> str:
    """A portable environment variable name."""
    name = f.get_str(pair)
    if not is_env_name(name):
        raise ConfigError(f"invalid environment variable name '{name}'", pair[1].loc)
    return name


def choice(kind: type[E]) -> Callable[[f.Pair], E]:
    """A reader for one of the values of the enum ``kind``, with a did-you-mean."""
    options = [str(member.value) for member in kind]

    def read(pair: f.Pair) -> E:
        value = f.get_str(pair)
        if value not in options:
            raise ConfigError(
                f"unknown {pair[0].text} '{value}'{did_you_mean(value, options)}",
                pair[1].loc,
                hint=f"'{pair[0].text}' is one of: " + ", ".join(options),
            )
        return kind(value)

    return read


def git_url(pair: f.Pair) -> str:
    """A dep's URL: safe to hand to git (no option-like start, no command transport)."""
    value = f.get_str(pair)
    _check_url(value, pair[1].loc, git=True)
    return value


def index_url(pair: f.Pair) -> str:
    """A package-index URL (no option-like start, no control characters)."""
    value = f.get_str(pair)
    _check_url(value, pair[1].loc, git=False)
    return value


def index_urls(pair: f.Pair) -> tuple[str, ...]:
    """One package-index URL or a list of them."""
    values = f.get_str_list(pair)
    for value, loc in values:
        _check_url(value, loc, git=False)
    return tuple(value for value, _ in values)


def _check_url(value: str, loc: Location, *, git: bool) -> None:
    """Refuse a URL that breaks a rule of :func:`names.url_problem` (the transport rule: git)."""
    if url_problem(value) is None:
        return
    if value.lstrip().startswith("-"):
        raise ConfigError(f"a URL must not start with '-': {quoted(value)}", loc)
    if has_control_chars(value):
        raise ConfigError("a URL must not contain control characters or line breaks", loc)
    transport = forbidden_transport(value)
    if git and transport is not None:
        written = value.strip()[: len(transport)]
        raise ConfigError(f"the '{written}' git transport is not allowed", loc)


def version(pair: f.Pair) -> str | None:
    """A PEP 440 specifier set; empty text means any version (None)."""
    value = f.get_str(pair, allow_empty=True).strip()
    if not value:
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # only when needed

    try:
        SpecifierSet(value)
    except InvalidSpecifier:
        try:
            SpecifierSet("==" + value)
            hint = f"did you mean '=={value}'?"
        except InvalidSpecifier:
            hint = "use a PEP 440 specifier such as '>=1.2', '==1.2.3' or '~=1.2'"
        raise ConfigError(f"invalid version specifier '{value}'", pair[1].loc, hint=hint) from None
    return value


def extras(pair: f.Pair) -> tuple[str, ...]:
    """One extra name or a list of them."""
    result = []
    for extra, loc in f.get_str_list(pair):
        if not is_distribution_name(extra):
            raise ConfigError(f"invalid extra name '{extra}'", loc)
        result.append(extra)
    return tuple(result)


def ref(pair: f.Pair) -> str:
    """A git branch or tag name git cannot mistake for an option."""
    value = f.get_str(pair)
    if ref_problem(value) is not None:
        raise ConfigError(f"invalid git {pair[0].text} name {quoted(value)}", pair[1].loc)
    return value


def commit(pair: f.Pair) -> str:
    """A full or abbreviated hexadecimal commit id."""
    value = f.get_str(pair)
    if not is_commit_id(value):
        raise ConfigError(
            f"'commit' must be 4 to 64 hexadecimal digits, got '{value}'", pair[1].loc
        )
    return value


def depth(pair: f.Pair) -> int:
    """A positive clone depth."""
    value = f.get_int(pair)
    if value < 1:
        raise ConfigError(f"'depth' must be a positive integer, got {value}", pair[1].loc)
    return value


def uses(pair: f.Pair) -> tuple[tuple[str, Location], ...]:
    """A dep-set's ``uses``: dep-set names, each once, with their locations."""
    result: list[tuple[str, Location]] = []
    for used, loc in f.get_str_list(pair):
        if any(used == seen for seen, _ in result):
            raise ConfigError(f"dep-set '{used}' is listed twice in 'uses'", loc)
        result.append((used, loc))
    return tuple(result)


def one_text(pair: f.Pair) -> tuple[str, ...]:
    """A single (possibly empty) string, as a one-element tuple."""
    return (f.get_str(pair, allow_empty=True),)


def text_list(pair: f.Pair) -> tuple[str, ...]:
    """A string or a non-empty list of strings."""
    values = tuple(value for value, _ in f.get_str_list(pair))
    if not values:
        raise ConfigError(f"'{pair[0].text}' must not be an empty list", pair[1].loc)
    return values


@dataclass(frozen=True)
class SetupDeps:
    """The ``setup-deps`` names, where each is written, and where the list is (None: absent)."""

    names: tuple[str, ...] = ()
    locations: tuple[Location, ...] = ()
    location: Location | None = None


def setup_deps(pair: f.Pair) -> SetupDeps:
    """The ``setup-deps`` list: plain dep names, each once (compared as PEP 503 names)."""
    names: list[str] = []
    locs: list[Location] = []
    seen: dict[str, int] = {}
    for node in f.get_list(pair):
        item, loc = f.get_str((pair[0], node)), node.loc
        if _SPECIFIER_CHARS.search(item):
            raise ConfigError(
                f"setup-dep '{item}' is not a plain name",
                loc,
                hint="setup-deps lists names only; put the version on the dep in a dep-set",
            )
        problem = dep_name_problem(item)
        if problem:
            raise ConfigError(f"invalid setup-dep name {quoted(item)}: {problem}", loc)
        key = canonical_name(item)
        if key in seen:
            raise ConfigError(
                f"setup-dep '{item}' is listed twice",
                loc,
                related=[("first listed here", locs[seen[key]])],
            )
        seen[key] = len(names)
        names.append(item)
        locs.append(loc)
    return SetupDeps(tuple(names), tuple(locs), pair[1].loc)

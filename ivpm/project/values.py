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
from ivpm.project.yamlnodes import Map, Node, Scalar, Seq

E = TypeVar("E", bound=enum.Enum)

_SPECIFIER_CHARS = re.compile(r"[<>=!~\[\];@ ,]")


def text(pair: f.Pair) -> str:
    """A non-empty string."""
    return f.get_str(pair)


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
    """A PEP 440 specifier set; a bare version ``8.2.3`` means ``==8.2.3``; empty: any (None)."""
    value = f.get_str(pair, allow_empty=True).strip()
    if not value:
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # only when needed

    try:
        SpecifierSet(value)
    except InvalidSpecifier:
        from packaging.version import InvalidVersion, Version

        try:
            Version(value)
        except InvalidVersion:
            raise ConfigError(
                f"invalid version specifier '{value}'",
                pair[1].loc,
                hint="use a version such as '1.2.3' or a PEP 440 specifier such as '>=1.2'",
            ) from None
        return "==" + value
    return value


def doc_text(pair: f.Pair) -> str:
    """Documentation: any scalar, taken as the text written (empty allowed)."""
    value = pair[1]
    if isinstance(value, Scalar) and value.kind != "null":
        return value.text
    if isinstance(value, Scalar):
        return ""
    raise f.type_error(pair, "text")


def node(pair: f.Pair) -> Node:
    """The value node itself, for keys that are accepted and not acted on."""
    return pair[1]


def sha256(pair: f.Pair) -> str:
    """A SHA-256 digest: 64 hexadecimal digits."""
    value = f.get_str(pair).strip().lower()
    if len(value) != 64 or any(char not in "0123456789abcdef" for char in value):
        raise ConfigError("'sha256' must be 64 hexadecimal digits", pair[1].loc)
    return value


def submodules(pair: f.Pair) -> bool:
    """``true``/``false``, or a mapping of submodule settings (which means true)."""
    value = pair[1]
    if isinstance(value, Map):
        return True
    return f.get_bool(pair)


def deps_mode(pair: f.Pair) -> str:
    """``flatten`` or ``nested`` (``hierarchical`` is the same as ``nested``)."""
    value = f.get_str(pair).strip().lower()
    modes = {"flatten": "flatten", "nested": "nested", "hierarchical": "nested"}
    if value not in modes:
        raise ConfigError(
            f"unknown deps-mode '{value}'{did_you_mean(value, modes)}",
            pair[1].loc,
            hint="'deps-mode' is one of: flatten, nested",
        )
    return modes[value]


def skip_deps(pair: f.Pair) -> bool:
    """A dep's ``deps``: only ``skip`` (do not read the dep's own ivpm.yaml)."""
    value = f.get_str(pair).strip()
    if value != "skip":
        raise ConfigError(
            f"a dep's 'deps' must be 'skip', got '{value}'{did_you_mean(value, ['skip'])}",
            pair[1].loc,
            hint="'deps: skip' leaves the dep's own ivpm.yaml unread",
        )
    return True


def venv_mode(pair: f.Pair) -> str:
    """``with.python.venv``: true, false, uv or pip (as ``"true"``, ``"false"``, ...)."""
    value = pair[1]
    if isinstance(value, Scalar) and value.kind == "bool":
        return "true" if f.get_bool(pair) else "false"
    text = f.get_str(pair).strip().lower()
    modes = ("true", "false", "uv", "pip")
    if text not in modes:
        raise ConfigError(
            f"unknown venv setting '{text}'{did_you_mean(text, modes)}",
            value.loc,
            hint="'venv' is one of: true, false, uv, pip",
        )
    return text


def deps_dir(pair: f.Pair) -> str:
    """``deps-dir``: a relative folder inside the project."""
    value = f.get_str(pair).strip().rstrip("/")
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "~")) or ".." in parts or not value or value == ".":
        raise ConfigError(
            f"'deps-dir' must be a folder inside the project, got '{value}'",
            pair[1].loc,
            hint="for example 'packages' (the default) or 'deps'",
        )
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
    """A (possibly empty) string, or a list of strings joined with spaces: one-element tuple."""
    if isinstance(pair[1], Seq):
        return (" ".join(value for value, _ in f.get_str_list(pair)),)
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

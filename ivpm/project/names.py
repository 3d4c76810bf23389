"""Rules for the names that appear in an ivpm.yaml: packages, extras, env variables."""

from __future__ import annotations

import re

_CANON = re.compile(r"[-_.]+")
_PEP508_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def canonical_name(name: str) -> str:
    """The PEP 503 normalised form of a package name (as ``packaging.utils.canonicalize_name``)."""
    return _CANON.sub("-", name).lower()


def is_distribution_name(name: str) -> bool:
    """True when ``name`` is a valid PEP 508 distribution (or extra) name."""
    return _PEP508_NAME.match(name) is not None


def is_env_name(name: str) -> bool:
    """True when ``name`` is a portable environment variable name."""
    return _ENV_NAME.match(name) is not None


def has_control_chars(text: str) -> bool:
    """True when ``text`` contains an ASCII control character (including NUL and newline)."""
    return _CONTROL.search(text) is not None


def quoted(text: str) -> str:
    """``text`` in single quotes for a message, with control characters escaped."""
    if has_control_chars(text):
        return repr(text)
    return f"'{text}'"


def dep_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a dep name (one path component under ``packages/``), or None."""
    if not name:
        return "must not be empty"
    if name in (".", ".."):
        return f"'{name}' is not a directory name"
    if "/" in name or "\\" in name:
        return "must be a single path component (no '/' or '\\')"
    if name.startswith("-"):
        return "must not start with '-'"
    if has_control_chars(name):
        return "must not contain control characters"
    return None

"""The naming rules of ivpm.yaml, each defined once: packages, extras, env variables, git.

The loader, the fetchers (as a second line of defence), the lock-file reader and ``clone`` all
ask these functions, so a name or URL is judged the same way wherever it comes from.
"""

from __future__ import annotations

import re

from ivpm.layout import RESERVED_NAMES, is_reserved

_CANON = re.compile(r"[-_.]+")
_PEP508_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# An abbreviated or full commit id: SHA-1 (40 digits) or SHA-256 (64 digits) repositories.
_COMMIT = re.compile(r"^[0-9a-fA-F]{4,64}$")
_FULL_COMMIT = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
#: git "remote helper" transports that run a command named in the URL.
FORBIDDEN_TRANSPORTS = ("ext::", "fd::")


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


def is_commit_id(text: str) -> bool:
    """True when ``text`` is a (possibly abbreviated, at least 4 digits) hexadecimal commit id."""
    return _COMMIT.match(text) is not None


def is_full_commit_id(text: str) -> bool:
    """True when ``text`` is a full (not abbreviated) hexadecimal commit id: 40 digits (SHA-1)
    or 64 (SHA-256)."""
    return _FULL_COMMIT.match(text) is not None


def is_commit(commit: str, name: str) -> bool:
    """True when ``name`` (a full or abbreviated commit id, any case) names ``commit``."""
    return commit.lower().startswith(name.lower())


def url_ending(url: str) -> str:
    """``url`` without its query and fragment, lower-cased: what its file extension is read
    from (``x.tar.gz?dl=1`` -> ``x.tar.gz``)."""
    return url.split("?", 1)[0].split("#", 1)[0].lower()


def forbidden_transport(url: str) -> str | None:
    """The command-running git transport ``url`` uses (``ext::``, ``fd::``), or None."""
    lowered = url.strip().lower()
    for transport in FORBIDDEN_TRANSPORTS:
        if lowered.startswith(transport):
            return transport
    return None


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be handed to git or read as a path, or None when it can."""
    if url.lstrip().startswith("-"):
        return "must not start with '-'"
    if has_control_chars(url):
        return "must not contain control characters or line breaks"
    transport = forbidden_transport(url)
    if transport is not None:
        return f"uses the '{transport}' git transport, which runs commands"
    return None


def ref_problem(ref: str) -> str | None:
    """Why ``ref`` cannot be a git branch or tag name given to git, or None when it can."""
    if not ref.strip():
        return "must not be empty"
    if ref.startswith("-"):
        return "must not start with '-'"
    if has_control_chars(ref) or " " in ref:
        return "must not contain spaces or control characters"
    return None


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


def source_name_problem(name: str) -> str | None:
    """Why a fetched dep (one that gets ``packages/<name>``) cannot be called ``name``."""
    problem = dep_name_problem(name)
    if problem is not None:
        return problem
    if is_reserved(name):
        if name in RESERVED_NAMES:
            return f"ivpm keeps packages/{name} for itself"
        return "must not start with '.'"
    return None


#: The files whose presence makes a folder a Python project, and whose content decides how it
#: is built: a change to any of them means the source package must be reinstalled.
PYTHON_BUILD_FILES = ("pyproject.toml", "setup.py", "setup.cfg")

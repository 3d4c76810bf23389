"""``packages/package-lock.json``: the resolved git commits and installed versions of a project.

:func:`read_lock` also reads the lock file of the published ivpm (PyPI ``ivpm`` 2.x, the
``"ivpm_lock_version"`` documents), so a project moving over keeps its git commits and the
exact Python versions that lock recorded; nothing else of that format carries over.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from packaging.version import InvalidVersion, Version

from ivpm.errors import ConfigError, Location, UsageError, display_path
from ivpm.fsutil import RefusedFile, format_size, read_regular_file, write_json_atomic
from ivpm.project.names import (
    canonical_name,
    has_control_chars,
    is_commit_id,
    is_distribution_name,
    is_full_commit_id,
)

if TYPE_CHECKING:
    from ivpm.fetch.result import FetchResult
    from ivpm.project.model import Resolution

LOCK_FORMAT = 1
#: The largest lock file :func:`read_lock` reads (one of a few thousand packages is ~100 KiB).
MAX_LOCK_FILE_BYTES = 16 * 1024 * 1024
#: The ``ivpm_lock_version`` values of the published ivpm's lock files that :func:`read_lock` reads.
PUBLISHED_LOCK_VERSIONS = (1, 2, 3)

log = logging.getLogger("ivpm")

# Sources the published ivpm installs into the environment from their checkout (editable).
_PUBLISHED_SOURCE_SRCS = frozenset({"git", "dir", "file"})


@dataclass(frozen=True)
class GitPin:
    """A git dependency's URL and the exact commit that was checked out."""

    url: str
    commit: str


@dataclass(frozen=True)
class LockData:
    """The content of a lock file."""

    dep_set: str = ""
    git: Mapping[str, GitPin] = field(default_factory=dict)
    python: Mapping[str, str] = field(default_factory=dict)  # distribution -> exact version
    editable: Mapping[str, str] = field(default_factory=dict)  # distribution -> source path

    def constraints(self) -> list[str]:
        """``name==version`` lines for every non-editable distribution."""
        return [f"{name}=={version}" for name, version in sorted(self.python.items())]


def write_lock(path: Path, data: LockData) -> None:
    """Write ``data`` to ``path`` atomically."""
    write_json_atomic(
        path,
        {
            "ivpm-lock-format": LOCK_FORMAT,
            "dep-set": data.dep_set,
            "git": {
                name: {"url": pin.url, "commit": pin.commit}
                for name, pin in sorted(data.git.items())
            },
            "python": dict(sorted(data.python.items())),
            "editable": dict(sorted(data.editable.items())),
        },
    )


def git_pins_of(path: Path) -> dict[str, GitPin] | None:
    """The git section of an existing lock file of ours; None when it is missing, unreadable
    or a published ivpm's lock file (which :func:`write_project_lock` then replaces)."""
    try:
        raw = _load_json(path)
        if _is_published(raw):
            return None
        return dict(_read_own(raw, Location(path, 1, 1)).git)
    except ConfigError:
        return None


def read_lock(path: Path) -> LockData:
    """Load a lock file; anything malformed is a :class:`ConfigError` naming the file.

    A document with ``"ivpm_lock_version"`` (and not our ``"ivpm-lock-format": 1``) is the
    published ivpm's lock file: its git commits and exact Python versions are read.
    """
    raw = _load_json(path)
    where = Location(path, 1, 1)
    if _is_published(raw):
        return _read_published(raw, where)
    return _read_own(raw, where)


def _load_json(path: Path) -> Any:
    """The parsed JSON of ``path``; a file that is not regular, over
    :data:`MAX_LOCK_FILE_BYTES`, unreadable, non-UTF-8 or malformed is a ConfigError."""
    try:
        data = read_regular_file(path, MAX_LOCK_FILE_BYTES)
    except RefusedFile as refused:
        raise ConfigError(
            f"cannot read lock file {path}: it {refused.reason}",
            hint="--lock-file names a package-lock.json that ivpm wrote "
            f"(a regular file of at most {format_size(MAX_LOCK_FILE_BYTES)})",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read lock file {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        where = Location(path, data.count(b"\n", 0, exc.start) + 1, exc.start - line_start + 1)
        raise ConfigError(
            f"lock file is not UTF-8 text (byte 0x{data[exc.start]:02x})", where
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"lock file is not valid JSON: {exc.msg}", Location(path, exc.lineno, exc.colno)
        ) from None
    except (ValueError, RecursionError) as exc:
        # An integer beyond the interpreter's digit limit, or nesting deeper than the parser's.
        reason = "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ConfigError(f"lock file is not valid JSON: {reason}", Location(path, 1, 1)) from None


def _is_published(raw: Any) -> TypeGuard[dict[str, Any]]:
    """True for a published ivpm's lock document (``ivpm_lock_version``, not ours)."""
    return (
        isinstance(raw, dict)
        and "ivpm_lock_version" in raw
        and raw.get("ivpm-lock-format") != LOCK_FORMAT
    )


def _read_own(raw: Any, where: Location) -> LockData:
    """Our format (``"ivpm-lock-format": 1``) from its parsed JSON."""
    if not isinstance(raw, dict) or raw.get("ivpm-lock-format") != LOCK_FORMAT:
        raise ConfigError(
            f'not an ivpm lock file (expected "ivpm-lock-format": {LOCK_FORMAT})', where
        )
    git = _mapping(raw, "git", where)
    python = _mapping(raw, "python", where)
    editable = _mapping(raw, "editable", where)
    pins: dict[str, GitPin] = {}
    for name, entry in git.items():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("commit"), str)
            and isinstance(entry.get("url", ""), str)
        ):
            raise ConfigError(f'lock file entry git.{name} needs a "commit" string', where)
        if not is_commit_id(entry["commit"]):
            raise ConfigError(
                f"lock file entry git.{name} has an invalid commit {entry['commit']!r}", where
            )
        pins[name] = GitPin(url=entry.get("url", ""), commit=entry["commit"])
    for name, version in python.items():
        _check_pin(f"python.{_show(name)}", name, version, where)
    for name, location in editable.items():
        if not isinstance(location, str) or has_control_chars(location):
            raise ConfigError(f"lock file entry editable.{_show(name)} must be a path", where)
    dep_set = raw.get("dep-set", "")
    if not isinstance(dep_set, str) or has_control_chars(dep_set):
        raise ConfigError('lock file key "dep-set" must be a dep-set name', where)
    return LockData(
        dep_set=dep_set,
        git=pins,
        python=dict(python),
        editable=dict(editable),
    )


def _check_pin(label: str, name: str, version: Any, where: Location) -> None:
    """A pinned distribution: a PEP 508 name and an exact PEP 440 version.

    Both become ``name==version`` lines of the installer's constraints file, where anything
    else (an option such as ``-i URL``, a line break) would be read as an instruction.
    """
    if not is_distribution_name(name):
        raise ConfigError(
            f"lock file entry {label} is not named after a package (PEP 508 name)", where
        )
    if not isinstance(version, str):
        raise ConfigError(f"lock file entry {label} must be a version string", where)
    if not _is_exact_version(version) or version != version.strip():
        raise ConfigError(
            f"lock file entry {label} has {_show(version)}, not an exact version", where
        )


def _mapping(raw: dict[str, Any], key: str, where: Location) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f'lock file key "{key}" must be an object', where)
    return value


# The published ivpm's lock file ----------------------------------------------------------------
#
# ``{"ivpm_lock_version": 1|2|3, "packages": {KEY: ENTRY}, "python_packages": {DIST: VERSION},
# "dep_sets": [...], "sha256": ...}``. KEY is the package name (v1) or its scope path (v2, v3:
# ``owner/deps-dir/name`` inside a nested scope, the bare name at the root), with the name in
# ENTRY's ``name`` and the scope in ``scope``. ENTRY's ``src`` names its source: ``git`` entries
# carry ``url``, ``commit_requested`` (as written in ivpm.yaml) and ``commit_resolved`` (what was
# checked out); ``pypi`` entries carry ``version_requested`` (ivpm.yaml's version or specifier)
# and ``version_resolved`` (set only when a version was actually resolved). ``python_packages``
# is ``pip list`` of the environment when the lock was written, editable installs included.


def _read_published(raw: dict[str, Any], where: Location) -> LockData:
    """Git pins and exact Python versions of a published ivpm's lock document."""
    version = raw["ivpm_lock_version"]
    if (
        not isinstance(version, int)
        or isinstance(version, bool)
        or version not in PUBLISHED_LOCK_VERSIONS
    ):
        supported = ", ".join(str(v) for v in PUBLISHED_LOCK_VERSIONS)
        raise ConfigError(
            f"lock file has ivpm_lock_version {json.dumps(version)}; "
            f"the published ivpm's lock versions {supported} can be read",
            where,
        )
    _check_published_checksum(raw, where)
    packages = _mapping(raw, "packages", where)
    entries = [(key, _published_entry(key, entry, where)) for key, entry in packages.items()]
    # Root-scope entries first: they are the project's own resolution.
    entries.sort(key=lambda item: item[1].scope != "")

    root_pins: dict[str, GitPin] = {}
    nested_pins: dict[str, set[GitPin]] = {}
    resolved: dict[str, str] = {}
    from_source: set[str] = set()
    ignored: list[str] = []
    requested_only: list[str] = []
    for key, entry in entries:
        if entry.src in _PUBLISHED_SOURCE_SRCS:
            from_source.add(canonical_name(entry.name))
        if entry.src == "git":
            pin = _published_git_pin(key, entry.raw, where)
            if entry.scope:
                nested_pins.setdefault(entry.name, set()).add(pin)
            elif root_pins.setdefault(entry.name, pin) != pin:
                raise ConfigError(
                    f"lock file pins git package {_show(entry.name)} to two commits "
                    f"({root_pins[entry.name].commit}, {pin.commit})",
                    where,
                )
        elif entry.src == "pypi":
            exact = _published_exact_version(key, entry.raw, where)
            if not is_distribution_name(entry.name):
                ignored.append(f"{_show(entry.name)} (pypi, not a package name)")
            elif exact is None:
                requested_only.append(entry.name)
            else:
                resolved.setdefault(canonical_name(entry.name), exact)
        else:
            ignored.append(f"{entry.name} ({entry.src or 'no src'})")

    pins = dict(root_pins)
    for name, candidates in sorted(nested_pins.items()):
        if name in pins:
            if candidates != {pins[name]}:
                ignored.append(f"{name} (git, another commit in a nested scope)")
            continue
        if len(candidates) == 1:
            pins[name] = next(iter(candidates))
        else:
            ignored.append(f"{name} (git, pinned to {len(candidates)} commits in nested scopes)")

    python = _published_python_packages(raw, where, from_source)
    for name, exact in resolved.items():
        python.setdefault(name, exact)

    if ignored:
        log.debug(
            "%s: not carried over from the published lock: %s", where.path, ", ".join(ignored)
        )
    if requested_only:
        log.debug(
            "%s: no resolved version recorded (so no pin) for: %s",
            where.path,
            ", ".join(requested_only),
        )
    dep_sets = raw.get("dep_sets")
    dep_set = (
        dep_sets[0]
        if isinstance(dep_sets, list) and len(dep_sets) == 1 and isinstance(dep_sets[0], str)
        else ""
    )
    return LockData(dep_set=dep_set, git=pins, python=dict(sorted(python.items())))


@dataclass(frozen=True)
class _PublishedEntry:
    """The parts of a published lock entry every source has."""

    name: str
    src: str
    scope: str  # "" for the root scope
    raw: dict[str, Any]


def _published_entry(key: str, entry: Any, where: Location) -> _PublishedEntry:
    """The name, source and scope of the entry at ``packages.KEY``, checked."""
    label = _entry_label(key)
    if not isinstance(entry, dict):
        raise ConfigError(f"lock file entry {label} must be an object", where)
    src = entry.get("src", "")
    if src is None:
        src = ""
    name = entry.get("name", key)
    scope = entry.get("scope")
    if not isinstance(src, str):
        raise ConfigError(f'lock file entry {label} has a "src" that is not a string', where)
    if not isinstance(name, str) or not name:
        raise ConfigError(f'lock file entry {label} has a "name" that is not a string', where)
    if scope is None:
        # v1 entries, and root entries of v2 and v3, have none: the key tells.
        scope = key.rsplit("/", 1)[0] if "/" in key else ""
    elif not isinstance(scope, str):
        raise ConfigError(f'lock file entry {label} has a "scope" that is not a string', where)
    return _PublishedEntry(name=name, src=src, scope=scope, raw=entry)


def _published_git_pin(key: str, entry: dict[str, Any], where: Location) -> GitPin:
    """``commit_resolved``, else a full ``commit_requested``; anything else is refused."""
    label = _entry_label(key)
    url = entry.get("url")
    if url is not None and not isinstance(url, str):
        raise ConfigError(f'lock file entry {label} has a "url" that is not a string', where)
    resolved = entry.get("commit_resolved")
    requested = entry.get("commit_requested")
    for field_name, value in (("commit_resolved", resolved), ("commit_requested", requested)):
        if value is not None and not isinstance(value, str):
            raise ConfigError(
                f'lock file entry {label} has a "{field_name}" that is not a string', where
            )
    if resolved:
        if not is_commit_id(resolved):
            raise ConfigError(
                f"lock file entry {label} has an invalid commit_resolved {resolved!r}", where
            )
        return GitPin(url=url or "", commit=resolved)
    if requested and is_full_commit_id(requested):
        return GitPin(url=url or "", commit=requested)
    if requested:
        raise ConfigError(
            f"lock file entry {label} has no commit_resolved, and its commit_requested "
            f"{requested!r} is not a full commit id",
            where,
        )
    raise ConfigError(f'lock file entry {label} (git) needs a "commit_resolved" commit', where)


def _published_exact_version(key: str, entry: dict[str, Any], where: Location) -> str | None:
    """A PyPI entry's ``version_resolved`` when it is an exact version, else None.

    ``version_requested`` is what ivpm.yaml asked for (a specifier, or a version that was
    never checked against what got installed) and is never taken as a pin.
    """
    value = entry.get("version_resolved")
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(
            f'lock file entry {_entry_label(key)} has a "version_resolved" that is not a string',
            where,
        )
    return value if _is_exact_version(value) else None


def _published_python_packages(
    raw: dict[str, Any], where: Location, from_source: set[str]
) -> dict[str, str]:
    """``python_packages`` (canonical name -> version), without the source packages.

    The published ivpm installs its git and dir packages editable from their checkouts; their
    versions follow the checkout, so they are not pinned (as our own format does not pin
    editable distributions).
    """
    python: dict[str, str] = {}
    skipped: list[str] = []
    for name, version in _mapping(raw, "python_packages", where).items():
        if not isinstance(version, str):
            raise ConfigError(
                f"lock file entry python_packages.{_show(name)} must be a version string", where
            )
        if not is_distribution_name(name):
            raise ConfigError(
                f"lock file entry python_packages.{_show(name)} is not named after a package "
                "(PEP 508 name)",
                where,
            )
        canonical = canonical_name(name)
        if canonical in from_source or not _is_exact_version(version):
            skipped.append(f"{name} {version}")
            continue
        python.setdefault(canonical, version)
    if skipped:
        log.debug("%s: python_packages not pinned: %s", where.path, ", ".join(skipped))
    return python


def _is_exact_version(text: str) -> bool:
    """True when ``text`` is a PEP 440 version (not a specifier, not empty)."""
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def _check_published_checksum(raw: dict[str, Any], where: Location) -> None:
    """Warn when ``sha256`` (over the sorted, 2-space-indented JSON without it) does not match."""
    recorded = raw.get("sha256")
    if recorded is None:
        return
    try:
        body = json.dumps({k: v for k, v in raw.items() if k != "sha256"}, indent=2, sort_keys=True)
    except (RecursionError, ValueError):  # deeper than the encoder goes: cannot tell
        log.debug("%s: the lock file's sha256 was not checked", where.path)
        return
    if hashlib.sha256(body.encode()).hexdigest() != recorded:
        log.warning("%s: the lock file's sha256 does not match its content", where.path)


def _entry_label(key: str) -> str:
    """How messages name the entry at ``packages.KEY``."""
    return f"packages.{_show(key)}"


def _show(text: str) -> str:
    """``text`` for a message: as is, or quoted when empty or holding control characters or
    spaces."""
    return repr(text) if has_control_chars(text) or not text or " " in text else text


def write_project_lock(
    path: Path,
    *,
    resolution: Resolution,
    fetched: Mapping[str, FetchResult],
    venv_dir: Path,
    project_dir: Path,
    only_if_stale: bool = False,
) -> bool:
    """Record the git commits fetched and the versions installed in ``path``.

    With ``only_if_stale`` (the no-op path) the file is rewritten only when it is missing or a
    git checkout now stands at another commit than the one it records. Returns True when the
    file was written.
    """
    from ivpm.project.model import Source

    git = {
        name: GitPin(url=resolution.deps[name].dep.url or "", commit=result.commit)
        for name, result in fetched.items()
        if result.commit and resolution.deps[name].dep.src is Source.GIT
    }
    if only_if_stale and git_pins_of(path) == git:
        return False
    _clear_non_file(path)
    from ivpm.pyenv.distributions import editable_distributions, installed_distributions

    editable = editable_distributions(venv_dir)
    python = {
        name: version
        for name, version in installed_distributions(venv_dir).items()
        if name not in editable
    }
    write_lock(
        path,
        LockData(
            dep_set=resolution.dep_set,
            git=git,
            python=python,
            editable={
                name: _relative(location, project_dir) for name, location in editable.items()
            },
        ),
    )
    return True


def _clear_non_file(path: Path) -> None:
    """Make room for the lock file where an empty folder stands in its place (a FIFO or other
    non-directory is replaced by the atomic rename); a folder with content is refused."""
    if not path.is_dir() or path.is_symlink():
        return
    try:
        path.rmdir()
    except OSError:
        raise UsageError(
            f"{display_path(path)} is a folder with content, where ivpm keeps its lock file",
            hint="move that folder away; the next update writes the lock file",
        ) from None


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)

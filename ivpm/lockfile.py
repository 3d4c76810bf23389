"""``packages/package-lock.json``: the resolved git commits and installed versions of a project."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivpm.errors import ConfigError, Location
from ivpm.fsutil import write_json_atomic
from ivpm.project.names import is_commit_id

if TYPE_CHECKING:
    from ivpm.fetch.result import FetchResult
    from ivpm.project.model import Resolution

LOCK_FORMAT = 1


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
    """The git section of an existing lock file; None when it is missing or unreadable."""
    try:
        return dict(read_lock(path).git)
    except ConfigError:
        return None


def read_lock(path: Path) -> LockData:
    """Load a lock file; anything malformed is a :class:`ConfigError` naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read lock file {path}: {exc.strerror}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"lock file is not valid JSON: {exc.msg}", Location(path, exc.lineno, exc.colno)
        ) from None
    where = Location(path, 1, 1)
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
        if not isinstance(version, str):
            raise ConfigError(f"lock file entry python.{name} must be a version string", where)
    return LockData(
        dep_set=str(raw.get("dep-set", "")),
        git=pins,
        python={str(k): str(v) for k, v in python.items()},
        editable={str(k): str(v) for k, v in editable.items()},
    )


def _mapping(raw: dict[str, Any], key: str, where: Location) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f'lock file key "{key}" must be an object', where)
    return value


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


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)

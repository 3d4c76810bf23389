"""The state record of ``packages/python``: what ivpm installed, and how it differs from the wanted.

The record lives inside the venv (``.ivpm-state.json``), so a recreated venv starts with none.
Before a step that installs, replaces or removes distributions the record is marked *dirty*
with the requirements the step touches; it is advanced, and the mark cleared, only after the
step succeeds. A crash at any point therefore leaves either the old record or a dirty one, and
a dirty record makes the next run repair the environment and redo what was being touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ivpm import layout
from ivpm.fsutil import read_json, write_json_atomic
from ivpm.project.names import PYTHON_BUILD_FILES

STATE_VERSION = 1


@dataclass(frozen=True)
class Requirement:
    """One top-level thing ivpm installs: a PyPI requirement or an editable source package."""

    name: str  # canonical distribution name (for source packages: the dep name, canonicalized)
    line: str  # a PEP 508 requirement, or the path of an editable source package
    editable: bool = False
    extras: tuple[str, ...] = ()
    digest: str = ""  # source packages: digest of their build files
    setup: bool = False  # a setup-dep (installed before everything else)
    source: str = ""  # dir deps: where packages/<name> comes from and how (copy or link)

    @property
    def is_source(self) -> bool:
        """True for a source package (a folder), editable or not."""
        return self.editable or bool(self.digest)

    def as_record(self) -> dict[str, Any]:
        """The JSON form stored in the state record."""
        record: dict[str, Any] = {
            "line": self.line,
            "editable": self.editable,
            "extras": list(self.extras),
            "digest": self.digest,
            "setup": self.setup,
        }
        if self.source:
            record["source"] = self.source
        return record

    def same_install(self, other: Requirement) -> bool:
        """True when installing ``other`` instead of this one would change nothing."""
        return (self.line, self.editable, self.extras, self.digest, self.source) == (
            other.line,
            other.editable,
            other.extras,
            other.digest,
            other.source,
        )


@dataclass(frozen=True)
class EnvState:
    """The settings an environment was installed with and its top-level requirements.

    ``installer`` (pip or uv) installed it and ``backend`` created the venv; a different
    installer than recorded reinstalls everything (``backend`` is for the record's readers).
    ``ivpm_installed`` names every distribution an installer call of ivpm brought in (None:
    an older record that did not say); what is not in it was installed some other way and is
    never removed by ivpm. ``dirty`` is set while a step that changes distributions runs,
    ``pending`` names the requirements it touches, ``baseline`` the inconsistencies the
    environment had when the run began and ``refreshing`` whether it was refreshing
    everything, so that a run after a crash judges and finishes the work as the crashed one
    would have.
    """

    settings: Mapping[str, Any] = field(default_factory=dict)
    requirements: Mapping[str, Requirement] = field(default_factory=dict)
    installer: str = ""
    backend: str = ""
    ivpm_installed: frozenset[str] | None = None
    dirty: bool = False
    pending: tuple[str, ...] = ()
    baseline: tuple[str, ...] = ()  # while dirty: the inconsistencies there were before
    refreshing: bool = False  # while dirty: the interrupted run was refreshing everything

    def with_installed(self, installed: Iterable[Requirement]) -> EnvState:
        """This state after ``installed`` were installed successfully."""
        merged = dict(self.requirements)
        merged.update((req.name, req) for req in installed)
        return replace(self, requirements=merged)

    def without(self, removed: Iterable[str]) -> EnvState:
        """This state after the named requirements were uninstalled."""
        gone = set(removed)
        kept = {name: req for name, req in self.requirements.items() if name not in gone}
        return replace(self, requirements=kept)

    def marked_dirty(self, pending: Iterable[str] = ()) -> EnvState:
        """This state while a step touching ``pending`` (and possibly other distributions)
        runs; earlier pending names are kept."""
        names = dict.fromkeys((*self.pending, *pending))
        return replace(self, dirty=True, pending=tuple(names))

    def clean(self) -> EnvState:
        """This state with the dirty mark cleared."""
        return replace(self, dirty=False, pending=(), baseline=(), refreshing=False)


@dataclass(frozen=True)
class Changes:
    """What an update has to do to turn the recorded state into the wanted one.

    ``refresh`` (the installer or the settings changed) reinstalls every distribution an
    installer call touches, dependencies included, as a fresh environment would get them;
    ``repair`` (the record was left dirty) first repairs what an interrupted step left.
    """

    install: tuple[Requirement, ...] = ()
    reinstall: tuple[Requirement, ...] = ()
    remove: tuple[str, ...] = ()
    refresh: bool = False
    repair: bool = False

    @property
    def empty(self) -> bool:
        """True when nothing needs doing."""
        return not (self.install or self.reinstall or self.remove or self.repair)


def build_digest(package_dir: Path) -> str:
    """A digest of a source package's build files: a change means it must be reinstalled."""
    digest = hashlib.sha256()
    for name in PYTHON_BUILD_FILES:
        try:
            content = (package_dir / name).read_bytes()
        except OSError:
            content = b"\0missing"
        digest.update(name.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()[:32]


def load_state(venv_dir: Path) -> EnvState:
    """The recorded state; an absent, unreadable or malformed record is an empty state."""
    data = read_json(layout.state_record(venv_dir))
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return EnvState()
    try:
        return _parse_state(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return EnvState()


def _parse_state(data: dict[str, Any]) -> EnvState:
    """The state of a record's JSON; a field of the wrong shape raises TypeError."""
    requirements: dict[str, Requirement] = {}
    for name, raw in _mapping(data.get("requirements", {})).items():
        entry = _mapping(raw)
        requirements[str(name)] = Requirement(
            name=str(name),
            line=_text(entry["line"]),
            editable=_flag(entry["editable"]),
            extras=tuple(_text(extra) for extra in _sequence(entry.get("extras", ()))),
            digest=_text(entry.get("digest", "")),
            setup=_flag(entry.get("setup", False)),
            source=_text(entry.get("source", "")),
        )
    installed = data.get("ivpm-installed")
    dirty = data.get("dirty")
    return EnvState(
        settings=dict(_mapping(data.get("settings", {}))),
        requirements=requirements,
        installer=_text(data.get("installer", "")),
        backend=_text(data.get("backend", "")),
        ivpm_installed=None
        if installed is None
        else frozenset(_text(name) for name in _sequence(installed)),
        dirty=dirty is not None,
        pending=_texts(dirty, "pending"),
        baseline=_texts(dirty, "baseline"),
        refreshing=dirty is not None and _flag(_mapping(dirty).get("refreshing", False)),
    )


def _texts(dirty: Any, key: str) -> tuple[str, ...]:
    """The list of strings under ``key`` of the dirty mark (none when not dirty)."""
    if dirty is None:
        return ()
    return tuple(_text(item) for item in _sequence(_mapping(dirty).get(key, ())))


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError("not an object")
    return value


def _sequence(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise TypeError("not a list")
    return list(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a boolean")
    return value


def save_state(venv_dir: Path, state: EnvState) -> None:
    """Write the state record atomically."""
    data: dict[str, Any] = {
        "version": STATE_VERSION,
        "installer": state.installer,
        "backend": state.backend,
        "settings": dict(state.settings),
        "requirements": {name: req.as_record() for name, req in sorted(state.requirements.items())},
    }
    if state.ivpm_installed is not None:
        data["ivpm-installed"] = sorted(state.ivpm_installed)
    if state.dirty:
        data["dirty"] = {
            "pending": list(state.pending),
            "baseline": list(state.baseline),
            "refreshing": state.refreshing,
        }
    write_json_atomic(layout.state_record(venv_dir), data)


def diff_states(wanted: EnvState, recorded: EnvState, *, force: bool = False) -> Changes:
    """What to install, reinstall and remove.

    A requirement whose line changed is installed again; a source package whose build files
    or origin changed is reinstalled; one recorded but no longer wanted is removed. Another
    installer, or other settings (index, pre-releases, lock file), refresh everything; the
    requirements a dirty record names as pending are reinstalled; ``force`` reinstalls every
    requirement.
    """
    refresh = bool(recorded.requirements) and (
        dict(wanted.settings) != dict(recorded.settings)
        or bool(wanted.installer and recorded.installer and wanted.installer != recorded.installer)
        or (recorded.dirty and recorded.refreshing)
    )
    pending = set(recorded.pending)
    install: list[Requirement] = []
    reinstall: list[Requirement] = []
    for name, req in wanted.requirements.items():
        old = recorded.requirements.get(name)
        if old is not None and (force or refresh or name in pending):
            reinstall.append(req)
        elif old is None or old.line != req.line or old.extras != req.extras:
            install.append(req)
        elif not old.same_install(req):
            reinstall.append(req)
    remove = tuple(name for name in recorded.requirements if name not in wanted.requirements)
    return Changes(tuple(install), tuple(reinstall), remove, refresh=refresh, repair=recorded.dirty)

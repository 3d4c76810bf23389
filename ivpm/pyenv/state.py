"""The state record of ``packages/python``: what ivpm installed, and how it differs from the wanted.

The record lives inside the venv (``.ivpm-state.json``), so a recreated venv starts with none.
It is advanced only after an installer call succeeds, so a failed update is retried next time.
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
    digest: str = ""  # editable packages: digest of their build files
    setup: bool = False  # a setup-dep (installed before everything else)

    @property
    def is_source(self) -> bool:
        """True for a source package (a folder), editable or not."""
        return self.editable or bool(self.digest)

    def as_record(self) -> dict[str, Any]:
        """The JSON form stored in the state record."""
        return {
            "line": self.line,
            "editable": self.editable,
            "extras": list(self.extras),
            "digest": self.digest,
            "setup": self.setup,
        }

    def same_install(self, other: Requirement) -> bool:
        """True when installing ``other`` instead of this one would change nothing."""
        return (self.line, self.editable, self.extras, self.digest) == (
            other.line,
            other.editable,
            other.extras,
            other.digest,
        )


@dataclass(frozen=True)
class EnvState:
    """The settings an environment was installed with and its top-level requirements.

    ``installer`` (pip or uv) and ``backend`` (what created the venv) say how; they are
    recorded for the record's readers and are not part of what :func:`diff_states` compares.
    """

    settings: Mapping[str, Any] = field(default_factory=dict)
    requirements: Mapping[str, Requirement] = field(default_factory=dict)
    installer: str = ""
    backend: str = ""

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


@dataclass(frozen=True)
class Changes:
    """What an update has to do to turn the recorded state into the wanted one."""

    install: tuple[Requirement, ...] = ()
    reinstall: tuple[Requirement, ...] = ()
    remove: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing needs doing."""
        return not (self.install or self.reinstall or self.remove)


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
    """The recorded state; an absent or unreadable record is an empty state."""
    data = read_json(layout.state_record(venv_dir))
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return EnvState()
    requirements: dict[str, Requirement] = {}
    for name, entry in dict(data.get("requirements", {})).items():
        try:
            requirements[name] = Requirement(
                name=name,
                line=str(entry["line"]),
                editable=bool(entry["editable"]),
                extras=tuple(entry.get("extras", ())),
                digest=str(entry.get("digest", "")),
                setup=bool(entry.get("setup", False)),
            )
        except (KeyError, TypeError):
            return EnvState()
    return EnvState(
        settings=dict(data.get("settings", {})),
        requirements=requirements,
        installer=str(data.get("installer", "")),
        backend=str(data.get("backend", "")),
    )


def save_state(venv_dir: Path, state: EnvState) -> None:
    """Write the state record atomically."""
    write_json_atomic(
        layout.state_record(venv_dir),
        {
            "version": STATE_VERSION,
            "installer": state.installer,
            "backend": state.backend,
            "settings": dict(state.settings),
            "requirements": {
                name: req.as_record() for name, req in sorted(state.requirements.items())
            },
        },
    )


def diff_states(wanted: EnvState, recorded: EnvState, *, force: bool = False) -> Changes:
    """What to install, reinstall and remove.

    A requirement whose line changed is installed again; an editable package whose build files
    changed is reinstalled; one recorded but no longer wanted is removed. Different settings
    (index, pre-releases) re-run every install; ``force`` reinstalls everything.
    """
    settings_changed = dict(wanted.settings) != dict(recorded.settings)
    install: list[Requirement] = []
    reinstall: list[Requirement] = []
    for name, req in wanted.requirements.items():
        old = recorded.requirements.get(name)
        if force:
            reinstall.append(req)
        elif old is None or settings_changed or old.line != req.line or old.extras != req.extras:
            install.append(req)
        elif old.editable != req.editable or old.digest != req.digest:
            reinstall.append(req)
    remove = tuple(name for name in recorded.requirements if name not in wanted.requirements)
    return Changes(tuple(install), tuple(reinstall), remove)

"""The rows ``ivpm status`` reports, and their text-table and JSON forms."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ivpm.errors import Location
from ivpm.fetch.checkout import CheckoutState

#: Problem kinds, and what to run about each.
FIXES = {
    "not-fetched": "run 'ivpm update' to fetch it",
    "not-installed": "run 'ivpm update'",
    "stale": "ivpm.yaml changed since the last update: run 'ivpm update'",
    "not-editable": "run 'ivpm update --force-py-install' to install it editable again",
    "editable-path": "run 'ivpm update --force-py-install' to point it at packages/<name>",
    "not-built": "run 'ivpm build' (see its error output for what is missing)",
    "wrong-version": "run 'ivpm update --force-py-install' to install the version asked for",
    "import-fails": "see the full error with: ivpm activate -c \"python -c 'import {subject}'\"",
    "unhandled": "this ivpm does not install some kinds of deps: install each as its reason says",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dependency: a kind from :data:`FIXES` and a short message."""

    kind: str
    message: str
    subject: str = ""  # what the fix names, e.g. the module that fails to import


@dataclass(frozen=True)
class PathInfo:
    """One ``paths`` entry of a package: kind, type and the absolute path."""

    kind: str
    type: str
    path: str

    def as_json(self) -> dict[str, Any]:
        """The machine-readable form."""
        return {"kind": self.kind, "type": self.type, "path": self.path}


@dataclass(frozen=True)
class EnvInfo:
    """One package-level ``env`` entry: the variable, its kind and its values as written."""

    name: str
    kind: str  # value, path, path-append or path-prepend
    values: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """The machine-readable form."""
        return {"name": self.name, "kind": self.kind, "values": list(self.values)}


@dataclass(frozen=True)
class Unhandled:
    """A dep of a kind this ivpm does not install: where it is declared and what to do."""

    name: str
    source: str
    location: Location  # its entry in an ivpm.yaml
    reason: str  # what is not done; instead: what to run
    line: str  # the whole problem line the table shows

    def as_json(self) -> dict[str, Any]:
        """The machine-readable form (the fields of ``ivpm check --json``'s ``unhandled``)."""
        return {
            "name": self.name,
            "source": self.source,
            "file": str(self.location.path),
            "line": self.location.line,
            "col": self.location.col,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PackageInfo:
    """What the root project itself declares for the tree: its ``paths`` and ``env``."""

    paths: tuple[PathInfo, ...] = ()
    env: tuple[EnvInfo, ...] = ()


@dataclass
class DepStatus:
    """Everything ``status`` reports about one dependency of the active dep-set."""

    name: str
    source: str  # pypi, git, dir; "-" for a package only the last update installed
    wanted: str
    installed: str | None = None
    editable: str | None = None  # the folder an editable install points to
    path: str | None = None  # packages/<name> for source deps
    git: CheckoutState | None = None
    problems: list[Problem] = field(default_factory=list)
    paths: tuple[PathInfo, ...] = ()  # from the dep's own ivpm.yaml, when it has one
    env: tuple[EnvInfo, ...] = ()  # its package-level env, applied by activate and build
    unhandled: Unhandled | None = None  # set for a dep of a kind this ivpm does not install

    def as_json(self) -> dict[str, Any]:
        """The machine-readable form (``ivpm status --json``)."""
        git = self.git
        return {
            "name": self.name,
            "source": self.source,
            "wanted": self.wanted,
            "installed": self.installed,
            "editable": self.editable is not None,
            "editable_path": self.editable,
            "path": self.path,
            "git": None
            if git is None
            else {"branch": git.branch, "commit": git.commit, "dirty": git.dirty},
            "problems": [{"kind": p.kind, "message": p.message} for p in self.problems],
            "paths": [entry.as_json() for entry in self.paths],
            "env": [entry.as_json() for entry in self.env],
            "unhandled": None if self.unhandled is None else self.unhandled.as_json(),
        }


_HEADER = ("NAME", "SOURCE", "WANTED", "INSTALLED", "EDITABLE", "GIT", "PROBLEM")


def render_table(rows: Sequence[DepStatus]) -> str:
    """An aligned text table, one line per dependency, problems in the last column.

    Each dep of a kind this ivpm does not install adds a problem line below the table
    (the line :func:`ivpm.project.unhandled.unhandled_line` writes: where, what, what to run).
    """
    cells = [_HEADER, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_HEADER) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(line, widths, strict=False)), line[-1]]).rstrip()
        for line in cells
    ]
    unhandled = [row.unhandled.line for row in rows if row.unhandled is not None]
    return "\n".join([*lines, *([""] if unhandled else []), *unhandled])


def _cells(row: DepStatus) -> tuple[str, ...]:
    return (
        row.name,
        row.source,
        row.wanted,
        row.installed or "-",
        row.editable or "no",
        _git_text(row.git),
        "; ".join(p.message for p in row.problems) or "ok",
    )


def _git_text(git: CheckoutState | None) -> str:
    if git is None:
        return "-"
    text = f"{git.branch or 'detached'}@{(git.commit or '?')[:12]}"
    return text + (" modified" if git.dirty else "")


def summary(rows: Sequence[DepStatus]) -> tuple[str, str]:
    """A one-line summary of the problems and the hint listing what to run about them."""
    troubled = [row for row in rows if row.problems]
    first: dict[str, Problem] = {}
    for problem in (p for row in troubled for p in row.problems):
        first.setdefault(problem.kind, problem)
    names = ", ".join(row.name for row in troubled[:5])
    if len(troubled) > 5:
        names += f" and {len(troubled) - 5} more"
    count = len(troubled)
    message = f"{count} {'dependency has' if count == 1 else 'dependencies have'} problems: {names}"
    fixes = [FIXES[kind].format(subject=problem.subject) for kind, problem in first.items()]
    return message, "\n  hint: ".join(fixes)


def render_json(
    project: str,
    dep_set: str,
    venv: str,
    venv_exists: bool,
    rows: Sequence[DepStatus],
    *,
    root: PackageInfo | None = None,
) -> str:
    """The ``status --json`` report.

    ``paths`` and ``env`` at the top are the root project's own; each dep carries those of its
    own ivpm.yaml. ``unhandled`` lists the deps this ivpm does not install, with the reason.
    """
    root = root or PackageInfo()
    report = {
        "project": project,
        "dep_set": dep_set,
        "venv": venv,
        "venv_exists": venv_exists,
        "paths": [entry.as_json() for entry in root.paths],
        "env": [entry.as_json() for entry in root.env],
        "deps": [row.as_json() for row in rows],
        "unhandled": [row.unhandled.as_json() for row in rows if row.unhandled is not None],
        "problems": sum(len(row.problems) for row in rows),
    }
    return json.dumps(report, indent=2)

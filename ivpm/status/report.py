"""The rows ``ivpm status`` reports, and their text-table and JSON forms."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ivpm.errors import Location, name_list
from ivpm.fetch.checkout import CheckoutState

#: Problem kinds, and what to run about each.
FIXES = {
    "no-venv": "run 'ivpm update' to create the environment and install the packages",
    "venv-broken": "run 'ivpm update': it rebuilds the environment and installs the packages",
    "update-interrupted": "run 'ivpm update' to repair and finish what the interrupted one left",
    "refresh-pending": "run 'ivpm update': it reinstalls every package with the new settings",
    "not-fetched": "run 'ivpm update' to fetch it",
    "fetch-failed": "check the network and the checkout's remote; plain 'ivpm status' shows "
    "the state of the last successful fetch",
    "off-pin": "ivpm keeps a checkout where it is: check the pinned commit out in it "
    "('git checkout COMMIT'), or with --lock-file 'ivpm update' moves it if no work is lost",
    "not-installed": "run 'ivpm update'",
    "uninstalled": "run 'ivpm update --force-py-install' (a plain update trusts its record of "
    "what it installed)",
    "stale": "ivpm.yaml changed since the last update: run 'ivpm update'",
    "not-editable": "run 'ivpm update --force-py-install' to install it editable again",
    "editable-path": "run 'ivpm update --force-py-install' to point it at packages/<name>",
    "not-built": "run 'ivpm build' (see its error output for what is missing)",
    "wrong-version": "run 'ivpm update --force-py-install' to install the version asked for",
    "unhandled": "this ivpm does not install some kinds of deps: install each as its reason says",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dependency or the environment: a kind from :data:`FIXES` and a
    short message."""

    kind: str
    message: str

    def as_json(self) -> dict[str, Any]:
        """The machine-readable form."""
        return {"kind": self.kind, "message": self.message}


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
class EnvStatus:
    """The project environment (``packages/python``) as a whole.

    ``enabled`` is False with ``with.python.venv: false`` (there is then nothing to check);
    ``python`` is the interpreter an update builds it from and ``built_with`` the one its
    completion record names. ``usable`` is False when it is missing or broken: an update
    rebuilds it, so what its site-packages hold is not reported dep by dep.
    """

    path: str
    enabled: bool = True
    exists: bool = False
    python: str | None = None
    built_with: str | None = None
    usable: bool = False
    problems: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The machine-readable form (``environment`` of ``ivpm status --json``)."""
        return {
            "path": self.path,
            "enabled": self.enabled,
            "exists": self.exists,
            "python": self.python,
            "built_with": self.built_with,
            "usable": self.usable,
            "problems": [problem.as_json() for problem in self.problems],
        }


@dataclass
class DepStatus:
    """Everything ``status`` reports about one dependency of the active dep-set.

    ``checked`` is False for a Python dep whose installation was not looked at, because the
    environment is missing, broken or disabled (the environment's problem says why).
    """

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
    checked: bool = True

    def as_json(self) -> dict[str, Any]:
        """The machine-readable form (``ivpm status --json``)."""
        return {
            "name": self.name,
            "source": self.source,
            "wanted": self.wanted,
            "installed": self.installed,
            "checked": self.checked,
            "editable": self.editable is not None,
            "editable_path": self.editable,
            "path": self.path,
            "git": None if self.git is None else git_json(self.git),
            "problems": [problem.as_json() for problem in self.problems],
            "paths": [entry.as_json() for entry in self.paths],
            "env": [entry.as_json() for entry in self.env],
            "unhandled": None if self.unhandled is None else self.unhandled.as_json(),
        }


def git_json(git: CheckoutState) -> dict[str, Any]:
    """A checkout's state as ``status --json`` gives it (counts against the last fetch)."""
    return {
        "branch": git.branch,
        "commit": git.commit,
        "upstream": git.upstream,
        "ahead": git.ahead,
        "behind": git.behind,
        "dirty": git.dirty,
        "dirty_count": len(git.changed),
        "changed": list(git.changed),
    }


_HEADER = ("NAME", "SOURCE", "WANTED", "INSTALLED", "EDITABLE", "GIT", "PROBLEM")


def render_table(rows: Sequence[DepStatus], *, verbose: bool = False) -> str:
    """An aligned text table, one line per dependency, problems in the last column.

    With ``verbose`` each checkout with local changes lists the changed files below its line.
    Each dep of a kind this ivpm does not install adds a problem line below the table (the
    line :func:`ivpm.project.unhandled.unhandled_line` writes: where, what, what to run).
    """
    cells = [_HEADER, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_HEADER) - 1)]
    lines: list[str] = []
    for row, line in zip((None, *rows), cells, strict=True):
        joined = "  ".join([*(c.ljust(w) for c, w in zip(line, widths, strict=False)), line[-1]])
        lines.append(joined.rstrip())
        if verbose and row is not None and row.git is not None:
            lines.extend(f"    modified: {path}" for path in row.git.changed)
    unhandled = [row.unhandled.line for row in rows if row.unhandled is not None]
    return "\n".join([*lines, *([""] if unhandled else []), *unhandled])


def render_environment(env: EnvStatus) -> list[str]:
    """The lines about the environment printed before the table (none when all is well)."""
    if not env.enabled:
        return ["no Python environment (with.python.venv: false): Python deps are not checked"]
    lines = [f"problem: {env.path}: {problem.message}" for problem in env.problems]
    if not env.usable and env.problems:
        lines.append(f"  (the Python packages in {env.path} were not checked)")
    return lines


def _cells(row: DepStatus) -> tuple[str, ...]:
    problem = "; ".join(p.message for p in row.problems) or ("ok" if row.checked else "-")
    return (
        row.name,
        row.source,
        row.wanted,
        row.installed or "-",
        row.editable or ("no" if row.checked else "-"),
        git_text(row.git),
        problem,
    )


def git_text(git: CheckoutState | None) -> str:
    """The GIT column: ``branch@commit``, then how it stands against its upstream (as of the
    last fetch) and how many tracked files have local changes."""
    if git is None:
        return "-"
    text = f"{git.branch or 'detached'}@{(git.commit or '?')[:12]}"
    counts = []
    if git.upstream is not None and git.ahead is None:
        counts.append(f"upstream {git.upstream} gone")
    if git.ahead:
        counts.append(f"ahead {git.ahead}")
    if git.behind:
        counts.append(f"behind {git.behind}")
    if counts:
        text += " " + " ".join(counts)
    if git.dirty is None:
        return text + ", local changes unknown"
    return text + (f", {len(git.changed)} modified" if git.changed else "")


def summary(rows: Sequence[DepStatus], env: EnvStatus) -> tuple[str, str]:
    """A one-line summary of the problems and the hint listing what to run about them."""
    parts: list[str] = []
    if env.problems:
        parts.append(f"environment {env.path}: " + "; ".join(p.message for p in env.problems))
    troubled = [row for row in rows if row.problems]
    if troubled:
        names = name_list([row.name for row in troubled])
        count = len(troubled)
        verb = "dependency has" if count == 1 else "dependencies have"
        parts.append(f"{count} {verb} problems: {names}")
    kinds = dict.fromkeys(
        problem.kind for problem in (*env.problems, *(p for row in troubled for p in row.problems))
    )
    fixes = dict.fromkeys(FIXES[kind] for kind in kinds)
    return "; ".join(parts), "\n  hint: ".join(fixes)


def problem_count(rows: Sequence[DepStatus], env: EnvStatus) -> int:
    """Every problem reported: the environment's and each dependency's."""
    return len(env.problems) + sum(len(row.problems) for row in rows)


def render_json(
    project: str,
    dep_set: str,
    env: EnvStatus,
    rows: Sequence[DepStatus],
    *,
    root: PackageInfo | None = None,
) -> str:
    """The ``status --json`` report.

    ``environment`` describes packages/python (``venv`` and ``venv_exists`` repeat its path
    and whether its interpreter exists); ``paths`` and ``env`` at the top are the root
    project's own; each dep carries those of its own ivpm.yaml. ``unhandled`` lists the deps
    this ivpm does not install, with the reason. ``problems`` counts every problem.
    """
    root = root or PackageInfo()
    report = {
        "project": project,
        "dep_set": dep_set,
        "venv": env.path,
        "venv_exists": env.exists,
        "environment": env.as_json(),
        "paths": [entry.as_json() for entry in root.paths],
        "env": [entry.as_json() for entry in root.env],
        "deps": [row.as_json() for row in rows],
        "unhandled": [row.unhandled.as_json() for row in rows if row.unhandled is not None],
        "problems": problem_count(rows, env),
    }
    return json.dumps(report, indent=2)

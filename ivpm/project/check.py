"""Validate a project without network or writes: every problem of the tree, not only the first.

The root ivpm.yaml is read strictly and in collecting mode (an entry with an error is set aside
and reading goes on); the sub-projects already under ``packages/`` are read as ``update`` reads
them (unknown keys are warnings). Deps this ivpm does not install are listed as notes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivpm.errors import ConfigError, Location
from ivpm.project.diagnostics import Diagnostics, Warning_
from ivpm.project.model import Project


@dataclass
class CheckReport:
    """The outcome of :func:`check_project`."""

    project: Project | None = None
    problems: list[ConfigError] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    unhandled: list[tuple[str, Location, str]] = field(default_factory=list)  # name, where, why
    not_fetched: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def check_project(
    project_dir: Path,
    *,
    dep_sets: Sequence[str] = (),
    variables: dict[str, str] | None = None,
) -> CheckReport:
    """Check ``project_dir``'s ivpm.yaml and the sub-projects already fetched into its
    ``packages/`` (or ``deps-dir``)."""
    from ivpm import layout
    from ivpm.fetch.tree import resolve_offline
    from ivpm.project.loader import load_project
    from ivpm.project.unhandled import unhandled_reason

    report = CheckReport()
    root = Diagnostics(strict=True, collect=True)
    try:
        report.project = load_project(
            layout.project_file(project_dir), variables=variables, diagnostics=root
        )
    except ConfigError as error:
        root.problems.append(error)
    report.problems.extend(root.problems)
    report.warnings.extend(root.warnings)
    if report.project is None or root.problems:
        return report
    subs = Diagnostics(strict=False, collect=True)
    try:
        packages_dir = layout.packages_dir(project_dir, report.project.deps_dir)
        resolution, missing = resolve_offline(
            report.project, packages_dir, dep_sets=dep_sets, diagnostics=subs
        )
    except ConfigError as error:
        subs.problems.append(error)
    else:
        report.not_fetched = sorted(missing)
        for name in resolution.unhandled:
            dep = resolution.deps[name].dep
            report.unhandled.append((name, dep.location, unhandled_reason(dep)))
    report.problems.extend(subs.problems)
    report.warnings.extend(subs.warnings)
    return report


def render_json(report: CheckReport) -> str:
    """The report as JSON for tools: validity, problems, warnings, unhandled deps."""
    data: dict[str, Any] = {
        "valid": report.valid,
        "project": report.project.name if report.project else None,
        "problems": [_problem(error) for error in report.problems],
        "warnings": [
            {**_where(warning.location), "message": warning.message} for warning in report.warnings
        ],
        "unhandled": [
            {"name": name, **_where(location), "reason": reason}
            for name, location, reason in report.unhandled
        ],
        "not-fetched": report.not_fetched,
    }
    return json.dumps(data, indent=2)


def _problem(error: ConfigError) -> dict[str, Any]:
    return {
        **_where(error.location),
        "message": error.message,
        "hint": error.hint,
        "related": [{"note": note, **_where(loc)} for note, loc in error.related],
    }


def _where(location: Location | None) -> dict[str, Any]:
    if location is None:
        return {"file": None, "line": None, "col": None}
    return {"file": str(location.path), "line": location.line, "col": location.col}

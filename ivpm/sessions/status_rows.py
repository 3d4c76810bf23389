"""Each dependency's status and problems: the work behind ``ivpm status``."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from ivpm.checkout import checkout_state
from ivpm.errors import SessionFailure
from ivpm.layout import venv_python
from ivpm.project.model import Dep, Resolution, ResolvedDep
from ivpm.pyenv.distributions import editable_distributions, installed_distributions
from ivpm.pyenv.health import failed_imports, has_built_extension, import_names
from ivpm.pyenv.native import native_build_kind
from ivpm.pyenv.state import diff_states, load_state
from ivpm.session import Session
from ivpm.sessions.environment import wanted_state_of
from ivpm.status_report import DepStatus, Problem, render_table, summary


def run_status(s: Session) -> None:
    """Do the work of the ``status`` session (see :mod:`ivpm.sessions.status`)."""
    resolution, missing = resolve_offline(s)
    rows = collect_rows(s, resolution, missing)
    if s.options.json:
        report = {
            "project": s.project.name,
            "dep_set": resolution.dep_set,
            "venv": _shown(s.venv_dir, s.project_dir),
            "venv_exists": _venv_python(s).exists(),
            "deps": [row.as_json() for row in rows],
            "problems": sum(len(row.problems) for row in rows),
        }
        print(json.dumps(report, indent=2))
    else:
        where = _shown(s.venv_dir, s.project_dir)
        absent = "" if _venv_python(s).exists() else " (missing)"
        print(f"{s.project.name}: dep-set '{resolution.dep_set}', environment {where}{absent}")
        print(render_table(rows))
    if any(row.problems for row in rows):
        message, hint = summary(rows)
        raise SessionFailure(message, hint=hint)


def resolve_offline(s: Session) -> tuple[Resolution, set[str]]:
    """Resolve the selected dep-set from what is already under packages/, fetching nothing.

    Returns the resolution and the names of source deps that have not been fetched (their
    own ivpm.yaml, and so their deps, are unknown).
    """
    from ivpm.project.depsets import select_dep_set
    from ivpm.project.resolve import resolve

    missing: set[str] = set()

    def existing(deps: Sequence[Dep]) -> Mapping[str, Path]:
        paths = {dep.name: s.packages_dir / dep.name for dep in deps}
        missing.update(name for name, path in paths.items() if not path.is_dir())
        return paths

    return resolve(s.project, select_dep_set(s.project, s.options.dep_set), existing), missing


def collect_rows(s: Session, resolution: Resolution, missing: set[str]) -> list[DepStatus]:
    """One :class:`DepStatus` per dependency (and per package the dep-set no longer has)."""
    venv = s.venv_dir
    installed = installed_distributions(venv)
    editables = editable_distributions(venv)
    changes = diff_states(wanted_state_of(s, resolution), load_state(venv))
    changed = {r.name for r in (*changes.install, *changes.reinstall)}
    rows: list[DepStatus] = []
    dists: dict[str, str] = {}  # row name -> installed distribution to import-check
    for name, resolved in resolution.deps.items():
        row, dist = _dep_row(s, resolved, missing, installed, editables)
        if row.installed is not None and canonicalize_name(name) in changed:
            row.problems.append(Problem("stale", "ivpm.yaml changed since the last update"))
        if dist is not None and row.installed is not None:
            dists[name] = dist
        rows.append(row)
    for key in changes.remove:
        rows.append(
            DepStatus(
                name=key,
                source="-",
                wanted="-",
                installed=installed.get(key),
                problems=[
                    Problem(
                        "stale",
                        f"installed by the last update, no longer in dep-set "
                        f"'{resolution.dep_set}'",
                    )
                ],
            )
        )
    _check_imports(s, rows, dists)
    return rows


def _dep_row(
    s: Session,
    resolved: ResolvedDep,
    missing: set[str],
    installed: Mapping[str, str],
    editables: Mapping[str, Path],
) -> tuple[DepStatus, str | None]:
    dep = resolved.dep
    key = canonicalize_name(dep.name)
    row = DepStatus(name=dep.name, source=dep.src.value, wanted=wanted_text(dep))
    if not dep.is_source:
        row.installed = installed.get(key)
        location = editables.get(key)
        row.editable = None if location is None else _shown(location, s.project_dir)
        if row.installed is None:
            row.problems.append(Problem("not-installed", "not installed"))
        elif dep.version and not _satisfies(row.installed, dep.version):
            row.problems.append(
                Problem("wrong-version", f"{row.installed} does not satisfy {dep.version}")
            )
        return row, key
    assert resolved.path is not None
    path = resolved.path
    row.path = _shown(path, s.project_dir)
    if dep.name in missing:
        row.problems.append(Problem("not-fetched", f"not fetched into {row.path}"))
        return row, None
    row.git = checkout_state(path)
    if not resolved.is_python:
        row.wanted += " (raw)"
        return row, None
    by_folder = {os.path.realpath(folder): name for name, folder in editables.items()}
    dist = by_folder.get(os.path.realpath(path))
    if dist is not None:
        row.installed = installed.get(dist)
        row.editable = _shown(editables[dist], s.project_dir)
    else:
        dist = key
        row.installed = installed.get(key)
        elsewhere = editables.get(key)
        if row.installed is None:
            row.problems.append(Problem("not-installed", "not installed"))
        elif elsewhere is None:
            row.problems.append(
                Problem("not-editable", f"installed, but not editable from {row.path}")
            )
        else:
            row.editable = _shown(elsewhere, s.project_dir)
            row.problems.append(
                Problem("editable-path", f"editable install points to {row.editable}")
            )
    if native_build_kind(path) is not None and not has_built_extension(path):
        row.problems.append(Problem("not-built", "native extension not built"))
    return row, dist


def wanted_text(dep: Dep) -> str:
    """The spec a dep asks for, as shown in the WANTED column."""
    extras = f"[{','.join(dep.extras)}]" if dep.extras else ""
    if not dep.is_source:
        return (dep.version or "any") + extras
    for label, value in (("branch", dep.branch), ("tag", dep.tag), ("commit", dep.commit)):
        if value:
            return f"{label} {value}{extras}"
    if dep.url and dep.src.value == "dir":
        return ("link " if dep.link else "copy ") + dep.url + extras
    return "default branch" + extras


def _check_imports(s: Session, rows: Sequence[DepStatus], dists: Mapping[str, str]) -> None:
    python = _venv_python(s)
    if not dists or not python.exists():
        return
    modules = {name: import_names(s.venv_dir, dist) for name, dist in dists.items()}
    failed = failed_imports(python, sorted({m for names in modules.values() for m in names}))
    for row in rows:
        for module in modules.get(row.name, ()):
            if module in failed:
                reason = failed[module].splitlines()[0] if failed[module] else "failed"
                row.problems.append(Problem("import-fails", f"import {module}: {reason}", module))


def _satisfies(version: str, spec: str) -> bool:
    try:
        return SpecifierSet(spec).contains(version, prereleases=True)
    except InvalidSpecifier:
        return True


def _venv_python(s: Session) -> Path:
    return venv_python(s.venv_dir)


def _shown(path: Path, root: Path) -> str:
    for base in (root, Path(os.path.realpath(root))):
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)

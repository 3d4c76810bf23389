"""Each dependency's status and its problems, read from packages/ without changing it."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from ivpm.fetch.checkout import checkout_state
from ivpm.layout import venv_python
from ivpm.project.model import Dep, EnvAction, PathEntry, Project, Resolution, ResolvedDep, Source
from ivpm.pyenv.distributions import editable_distributions, installed_distributions
from ivpm.pyenv.health import failed_imports, has_built_extension, import_names
from ivpm.pyenv.native import native_build_kind
from ivpm.pyenv.state import EnvState, diff_states, load_state
from ivpm.status.report import DepStatus, EnvInfo, PackageInfo, PathInfo, Problem, Unhandled


def collect_rows(
    resolution: Resolution,
    missing: set[str],
    *,
    project_dir: Path,
    venv_dir: Path,
    wanted: EnvState,
) -> list[DepStatus]:
    """One :class:`DepStatus` per dependency (and per package the dep-set no longer has).

    ``missing`` names the source deps not fetched yet; ``wanted`` is what the environment at
    ``venv_dir`` should hold, compared with its state record to find what is stale.
    """
    venv = venv_dir
    installed = installed_distributions(venv)
    editables = editable_distributions(venv)
    changes = diff_states(wanted, load_state(venv))
    changed = {r.name for r in (*changes.install, *changes.reinstall)}
    rows: list[DepStatus] = []
    dists: dict[str, str] = {}  # row name -> installed distribution to import-check
    unhandled = set(resolution.unhandled)
    for name, resolved in resolution.deps.items():
        if name in unhandled:
            rows.append(_unhandled_row(resolved))
            continue
        row, dist = _dep_row(project_dir, resolved, missing, installed, editables, wanted=wanted)
        if resolved.sub_project is not None:
            row.paths = path_infos(resolved.sub_project.paths)
            row.env = env_infos(resolved.sub_project.env)
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
    _check_imports(venv_dir, rows, dists)
    return rows


def package_info(project: Project) -> PackageInfo:
    """The root project's own ``paths`` and package-level ``env``, for ``status --json``."""
    return PackageInfo(paths=path_infos(project.paths), env=env_infos(project.env))


def path_infos(entries: Sequence[PathEntry]) -> tuple[PathInfo, ...]:
    """``paths`` entries as reported: kind, type and the absolute path."""
    return tuple(PathInfo(entry.kind, entry.type, str(entry.path)) for entry in entries)


def env_infos(actions: Sequence[EnvAction]) -> tuple[EnvInfo, ...]:
    """Package-level ``env`` entries as reported: variable, kind and values as written."""
    return tuple(EnvInfo(action.name, action.kind, action.values) for action in actions)


def _unhandled_row(resolved: ResolvedDep) -> DepStatus:
    """The row of a dep this ivpm does not install: one ``unhandled`` problem, nothing read."""
    from ivpm.project.unhandled import unhandled_line, unhandled_reason

    dep = resolved.dep
    row = DepStatus(name=dep.name, source=dep.src.value, wanted=wanted_text(dep))
    row.unhandled = Unhandled(
        name=dep.name,
        source=dep.src.value,
        location=dep.location,
        reason=unhandled_reason(dep),
        line=unhandled_line(dep),
    )
    row.problems.append(Problem("unhandled", f"not installed by this ivpm (src: {dep.src.value})"))
    return row


def _dep_row(
    project_dir: Path,
    resolved: ResolvedDep,
    missing: set[str],
    installed: Mapping[str, str],
    editables: Mapping[str, Path],
    *,
    wanted: EnvState,
) -> tuple[DepStatus, str | None]:
    dep = resolved.dep
    key = canonicalize_name(dep.name)
    row = DepStatus(name=dep.name, source=dep.src.value, wanted=wanted_text(dep))
    if dep.src in (Source.IVPM_YAML, Source.PYPROJECT):  # lists deps; installs nothing itself
        if resolved.sub_project is not None:
            row.path = shown(resolved.sub_project.path, project_dir)
        return row, None
    if not dep.is_source:
        row.installed = installed.get(key)
        location = editables.get(key)
        row.editable = None if location is None else shown(location, project_dir)
        if row.installed is None:
            row.problems.append(Problem("not-installed", "not installed"))
        elif dep.version and not _satisfies(row.installed, dep.version):
            row.problems.append(
                Problem("wrong-version", f"{row.installed} does not satisfy {dep.version}")
            )
        return row, key
    assert resolved.path is not None
    path = resolved.path
    row.path = shown(path, project_dir)
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
        row.editable = shown(editables[dist], project_dir)
    else:
        dist = key
        row.installed = installed.get(key)
        elsewhere = editables.get(key)
        if row.installed is None:
            row.problems.append(Problem("not-installed", "not installed"))
        elif not _wanted_editable(wanted, key, resolved):
            pass  # installed as a regular package, as ivpm.yaml (or the read-only cache) says
        elif elsewhere is None:
            row.problems.append(
                Problem("not-editable", f"installed, but not editable from {row.path}")
            )
        else:
            row.editable = shown(elsewhere, project_dir)
            row.problems.append(
                Problem("editable-path", f"editable install points to {row.editable}")
            )
    if native_build_kind(path) is not None and not has_built_extension(path):
        row.problems.append(Problem("not-built", "native extension not built"))
    return row, dist


def _wanted_editable(wanted: EnvState, key: str, resolved: ResolvedDep) -> bool:
    """Whether the update installs the Python source dep ``resolved`` editable, as ``wanted``
    (made by :func:`~ivpm.pyenv.engine.wanted_state`) says: ivpm.yaml asks for it and the
    folder is writable (not a read-only cache entry)."""
    requirement = wanted.requirements.get(key)
    if requirement is not None and requirement.is_source:
        return requirement.editable
    # Not a source requirement of that name (another dep's wheel took it): decide as
    # wanted_state does.
    from ivpm.pyenv.engine import is_read_only

    assert resolved.path is not None
    return resolved.dep.editable and not is_read_only(resolved.path)


def wanted_text(dep: Dep) -> str:
    """The spec a dep asks for, as shown in the WANTED column."""
    extras = f"[{','.join(dep.extras)}]" if dep.extras else ""
    if dep.is_wheel:
        return f"wheel {dep.url}{extras}"
    if not dep.is_source:
        return (dep.version or "any") + extras
    if dep.src is Source.GH_RLS:
        return f"release {dep.version or 'latest'} of {dep.url}"
    if dep.src in (Source.HTTP, Source.FILE, Source.URL):
        return f"archive {dep.url}" + (f" sha256 {dep.sha256[:12]}" if dep.sha256 else "")
    for label, value in (("branch", dep.branch), ("tag", dep.tag), ("commit", dep.commit)):
        if value:
            return f"{label} {value}{extras}"
    if dep.url and dep.src.value == "dir":
        return ("link " if dep.link else "copy ") + dep.url + extras
    return "default branch" + extras


def _check_imports(venv_dir: Path, rows: Sequence[DepStatus], dists: Mapping[str, str]) -> None:
    python = venv_python(venv_dir)
    if not dists or not python.exists():
        return
    modules = {name: import_names(venv_dir, dist) for name, dist in dists.items()}
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


def shown(path: Path, root: Path) -> str:
    """``path`` relative to the project ``root`` when it is inside it, else as it is."""
    for base in (root, Path(os.path.realpath(root))):
        try:
            return str(path.relative_to(base))
        except ValueError:
            continue
    return str(path)

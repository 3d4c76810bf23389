"""Each dependency's status and its problems, read from packages/ without changing it."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from ivpm.fetch.checkout import CheckoutState
from ivpm.project.model import Dep, EnvAction, PathEntry, Project, Resolution, ResolvedDep, Source
from ivpm.project.names import is_commit
from ivpm.pyenv.distributions import folder_distributions, installed_distributions
from ivpm.pyenv.health import has_built_extension
from ivpm.pyenv.native import native_build_kind
from ivpm.pyenv.state import Changes, EnvState, diff_states
from ivpm.status.report import DepStatus, EnvInfo, PackageInfo, PathInfo, Problem, Unhandled


def collect_rows(
    resolution: Resolution,
    missing: set[str],
    *,
    project_dir: Path,
    venv_dir: Path,
    wanted: EnvState,
    recorded: EnvState,
    checkouts: Mapping[Path, CheckoutState | None],
    fetch_failures: Mapping[Path, str] | None = None,
    check_installs: bool = True,
    pins: Mapping[str, str] | None = None,
) -> list[DepStatus]:
    """One :class:`DepStatus` per dependency (and per package the dep-set no longer has).

    ``missing`` names the source deps not fetched yet; ``wanted`` is what the environment at
    ``venv_dir`` should hold, compared with its state record ``recorded`` to find what is
    stale. ``checkouts`` gives the git state of each fetched source dep's folder (see
    :func:`~ivpm.fetch.upstream.checkout_states`) and ``fetch_failures`` why fetching a
    checkout's upstream failed. Everything about Python packages is read from the installed
    metadata, never by importing them; with ``check_installs`` False (the environment is
    missing, broken or disabled) it is not read at all. ``pins`` are the ``--lock-file``
    commits by dep name; a checkout away from its pin (or from ``commit:``) is a problem.
    """
    installed = installed_distributions(venv_dir, with_base=True) if check_installs else {}
    folders = folder_distributions(venv_dir) if check_installs else {}
    installs = FolderInstalls(
        editables={name: folder for name, (folder, editable) in folders.items() if editable},
        by_folder={os.path.realpath(folder): name for name, (folder, _) in folders.items()},
    )
    changes = _requirement_changes(wanted, recorded)
    touched = {r.name for r in (*changes.install, *changes.reinstall)}
    rows: list[DepStatus] = []
    unhandled = set(resolution.unhandled)
    failures = fetch_failures or {}
    for name, resolved in resolution.deps.items():
        if name in unhandled:
            rows.append(_unhandled_row(resolved))
            continue
        row = _dep_row(project_dir, resolved, missing)
        if resolved.path is not None and name not in missing:
            row.git = checkouts.get(resolved.path)
            failure = failures.get(resolved.path)
            if failure is not None:
                row.problems.append(Problem("fetch-failed", f"fetch failed: {failure}"))
            off = _off_pin(resolved, row.git, pins or {})
            if off is not None:
                row.problems.append(off)
        if resolved.sub_project is not None:
            row.paths = path_infos(resolved.sub_project.paths)
            row.env = env_infos(resolved.sub_project.env)
        if not _installs_python(resolved, missing):
            pass
        elif not check_installs:
            row.checked = False
        else:
            _check_install(row, project_dir, resolved, installed, installs, wanted=wanted)
            key = canonicalize_name(name)
            if key in recorded.requirements and key not in touched:
                row.problems = [_removed_by_hand(p) for p in row.problems]
            if row.installed is not None and key in touched:
                row.problems.append(Problem("stale", _stale_reason(wanted, recorded, key)))
        rows.append(row)
    if check_installs:
        # a source dep not fetched has no wanted requirement yet, but it is not removed
        listed = {canonicalize_name(name) for name in resolution.deps}
        removed = [key for key in changes.remove if key not in listed]
        rows.extend(_removed_rows(removed, installed, resolution.dep_set))
    return rows


def _off_pin(
    resolved: ResolvedDep, git: CheckoutState | None, pins: Mapping[str, str]
) -> Problem | None:
    """The problem of a checkout whose HEAD is not the commit the lock file or ``commit:``
    pins (a tag pin is not checked: that would take a git process per dep)."""
    dep = resolved.dep
    pin = pins.get(dep.name) or dep.commit
    if dep.src is not Source.GIT or pin is None or git is None or git.commit is None:
        return None
    if is_commit(git.commit, pin):
        return None
    by = "the lock file" if dep.name in pins else "ivpm.yaml"
    return Problem("off-pin", f"at commit {git.commit[:12]}, {by} pins {pin[:12]}")


def _installs_python(resolved: ResolvedDep, missing: set[str]) -> bool:
    """Whether an update installs ``resolved`` into the environment (a PyPI dep or a fetched
    Python source package)."""
    dep = resolved.dep
    if dep.src in (Source.IVPM_YAML, Source.PYPROJECT):  # lists deps; installs nothing itself
        return False
    if not dep.is_source:
        return True
    return dep.name not in missing and resolved.is_python


def _removed_rows(
    removed: Sequence[str], installed: Mapping[str, str], dep_set: str
) -> list[DepStatus]:
    """A row for each package the last update installed that the dep-set no longer has."""
    return [
        DepStatus(
            name=key,
            source="-",
            wanted="-",
            installed=installed.get(key),
            problems=[
                Problem("stale", f"installed by the last update, no longer in dep-set '{dep_set}'")
            ],
        )
        for key in removed
    ]


def _requirement_changes(wanted: EnvState, recorded: EnvState) -> Changes:
    """What the next update changes requirement by requirement, leaving out the whole refresh
    an installer or settings change makes and the redo of an interrupted update (both are
    the environment's problems, not each dep's)."""
    same_settings = replace(wanted, settings=recorded.settings, installer=recorded.installer)
    return diff_states(same_settings, recorded.clean())


def _stale_reason(wanted: EnvState, recorded: EnvState, key: str) -> str:
    """Why the next update installs the requirement ``key`` again."""
    new, old = wanted.requirements.get(key), recorded.requirements.get(key)
    if new is None or old is None:
        if not recorded.requirements:
            return "no update has recorded installing it"
        return "ivpm.yaml changed since the last update (a new entry)"
    if (new.line, new.extras, new.editable, new.source) != (
        old.line,
        old.extras,
        old.editable,
        old.source,
    ):
        return "ivpm.yaml changed since the last update"
    return "its build files (pyproject.toml, setup.py, setup.cfg) changed since the last update"


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


def _dep_row(project_dir: Path, resolved: ResolvedDep, missing: set[str]) -> DepStatus:
    """The row of ``resolved`` as ivpm.yaml and packages/ say, before its install is checked."""
    dep = resolved.dep
    row = DepStatus(name=dep.name, source=dep.src.value, wanted=wanted_text(dep))
    if dep.src in (Source.IVPM_YAML, Source.PYPROJECT):
        if resolved.sub_project is not None:
            row.path = shown(resolved.sub_project.path, project_dir)
        return row
    if not dep.is_source:
        return row
    assert resolved.path is not None
    row.path = shown(resolved.path, project_dir)
    if dep.name in missing:
        row.problems.append(Problem("not-fetched", f"not fetched into {row.path}"))
    elif not resolved.is_python:
        row.wanted += " (raw)"
    return row


def _removed_by_hand(problem: Problem) -> Problem:
    """A "not installed" of a package the last update installed: removed since then (a plain
    update trusts its record and would not put it back)."""
    if problem.kind != "not-installed":
        return problem
    return Problem("uninstalled", "not installed: removed since the last update installed it")


@dataclass(frozen=True)
class FolderInstalls:
    """The distributions installed from local folders, read once per status run."""

    editables: Mapping[str, Path]  # editable installs: name -> source folder
    by_folder: Mapping[str, str]  # real path of the folder -> name (editable or not)


def _check_install(
    row: DepStatus,
    project_dir: Path,
    resolved: ResolvedDep,
    installed: Mapping[str, str],
    installs: FolderInstalls,
    *,
    wanted: EnvState,
) -> None:
    """Add to ``row`` what the installed metadata says of the Python dep ``resolved``:
    version (``METADATA``), editable location (``direct_url.json``), and its problems."""
    dep = resolved.dep
    key = canonicalize_name(dep.name)
    if not dep.is_source:
        row.installed = installed.get(key)
        location = installs.editables.get(key)
        row.editable = None if location is None else shown(location, project_dir)
        if row.installed is None:
            row.problems.append(Problem("not-installed", "not installed"))
        elif dep.version and not _satisfies(row.installed, dep.version):
            row.problems.append(
                Problem("wrong-version", f"{row.installed} does not satisfy {dep.version}")
            )
        return
    assert resolved.path is not None
    path = resolved.path
    dist = installs.by_folder.get(os.path.realpath(path))
    if dist is not None and dist in installs.editables:
        row.installed = installed.get(dist)
        row.editable = shown(installs.editables[dist], project_dir)
    elif dist is not None:  # installed from this folder, not editable
        row.installed = installed.get(dist)
        if _wanted_editable(wanted, key, resolved):
            row.problems.append(
                Problem("not-editable", f"installed, but not editable from {row.path}")
            )
    else:
        row.installed = installed.get(key)
        elsewhere = installs.editables.get(key)
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

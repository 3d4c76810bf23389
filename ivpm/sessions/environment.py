"""The project's Python environment: creating it, planning installs, applying them, locking."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivpm.errors import SessionFailure, UsageError
from ivpm.project.names import canonical_name
from ivpm.pyenv.state import (
    Changes,
    EnvState,
    Requirement,
    build_digest,
    diff_states,
    load_state,
    save_state,
)
from ivpm.session import Session
from ivpm.sessions.resolution import resolution_of
from ivpm.testhooks import pause_point

if TYPE_CHECKING:
    from ivpm.project.model import Resolution, ResolvedDep
    from ivpm.pyenv.index import IndexSettings
    from ivpm.pyenv.installer import Installer

LOCK_FILE_NAME = "package-lock.json"
#: ``RunContext.results`` key: canonical names of the source packages (re)installed this run.
INSTALLED_EDITABLE = "installed-editable"
_INSTALLER = "installer"
_WANTED = "wanted-state"


def installer_choice(s: Session) -> tuple[str, str | None]:
    """``("uv", path)`` or ``("pip", None)`` from ``--py-uv``/``--py-pip`` or auto-detection."""
    from ivpm.pyenv.uvfind import find_uv

    choice = s.options.installer
    if choice == "pip":
        return "pip", None
    uv = find_uv()
    if uv is None:
        if choice == "uv":
            raise UsageError(
                "--py-uv was given but uv was not found",
                hint="install it with `pip install 'ivpm[uv]'` (or put uv on PATH, "
                "or point IVPM_UV at it), or use --py-pip",
            )
        return "pip", None
    return "uv", uv


def installer_of(s: Session) -> Installer:
    """The installer of this run (pip or uv), created once."""
    cached: Installer | None = s.context.results.get(_INSTALLER)
    if cached is None:
        from ivpm.pyenv.installer import make_installer

        kind, _ = installer_choice(s)
        cached = make_installer(kind, s.venv_dir)
        s.context.results[_INSTALLER] = cached
    return cached


def ensure_environment(s: Session) -> bool:
    """Create (or recreate, when broken or on another interpreter) ``packages/python``.

    Returns True when the environment was (re)created.
    """
    from ivpm.pyenv.venv import Backend, ensure_venv, resolve_python

    python = resolve_python(s.options.python)
    kind, uv = installer_choice(s)
    backend: Backend = s.options.venv_backend or ("uv" if kind == "uv" else "virtualenv")
    if backend == "uv" and uv is None:
        raise UsageError(
            "--venv-backend uv needs uv, which was not found",
            hint="install it with `pip install 'ivpm[uv]'`",
        )
    created = ensure_venv(s.venv_dir, backend=backend, python=python, uv=uv)
    if created:
        s.log.info("created %s (%s)", s.venv_dir.relative_to(s.project_dir), backend)
    return created


def index_settings(s: Session) -> IndexSettings:
    """Index settings from the environment, ivpm.yaml and the command line, in that priority."""
    from ivpm.pyenv.index import IndexSettings

    return IndexSettings.merged(
        s.project.python,
        index_url=s.options.index_url,
        extra_index_urls=s.options.extra_index_urls,
        find_links=s.options.find_links,
        no_index=s.options.no_index,
        pre=s.options.pre,
        project_root=s.project.root,
    )


def _requirement(resolved: ResolvedDep, *, setup: bool) -> Requirement:
    dep = resolved.dep
    extras = tuple(dep.extras)
    if dep.is_source:
        assert resolved.path is not None
        path = resolved.path.absolute()
        return Requirement(
            name=canonical_name(dep.name),
            line=str(path),
            editable=True,
            extras=extras,
            digest=build_digest(path),
            setup=setup,
        )
    extra_text = f"[{','.join(extras)}]" if extras else ""
    return Requirement(
        name=canonical_name(dep.name),
        line=f"{dep.name}{extra_text}{dep.version or ''}",
        extras=extras,
        setup=setup,
    )


def wanted_state(s: Session) -> EnvState:
    """What the environment should hold for the selected dep-set (computed once per run)."""
    cached: EnvState | None = s.context.results.get(_WANTED)
    if cached is not None:
        return cached
    state = wanted_state_of(s, resolution_of(s)[0])
    s.context.results[_WANTED] = state
    return state


def wanted_state_of(s: Session, resolution: Resolution) -> EnvState:
    """What the environment should hold for ``resolution`` (not cached; nothing fetched)."""
    from ivpm.pyenv.buildreqs import build_requirements

    requirements: dict[str, Requirement] = {}
    for name in resolution.setup_deps:
        requirement = _requirement(resolution.deps[name], setup=True)
        requirements[requirement.name] = requirement
    declared = {canonical_name(name) for name in resolution.deps}
    for build_name, line in build_requirements(resolution):
        requirement = Requirement(name=build_name, line=line, setup=True)
        if requirement.name not in declared and requirement.name not in requirements:
            requirements[requirement.name] = requirement
    for level in resolution.levels:
        for name in level:
            resolved = resolution.deps[name]
            if resolved.is_python:
                requirement = _requirement(resolved, setup=False)
                requirements.setdefault(requirement.name, requirement)
    settings: dict[str, Any] = {"index": index_settings(s).as_record()}
    lock = s.context.lock_data
    if lock is not None:
        settings["lock"] = hashlib.sha256(repr(lock).encode()).hexdigest()[:16]
    return EnvState(settings=settings, requirements=requirements)


def pending_changes(s: Session, *, setup: bool) -> Changes:
    """The changes of one phase: setup-deps (``setup``) or everything else plus removals."""
    changes = diff_states(wanted_state(s), load_state(s.venv_dir), force=s.options.force_py_install)
    return Changes(
        install=tuple(r for r in changes.install if r.setup == setup),
        reinstall=tuple(r for r in changes.reinstall if r.setup == setup),
        remove=() if setup else changes.remove,
    )


def _batches(requirements: Sequence[Requirement]) -> list[list[Requirement]]:
    """Consecutive PyPI requirements share one installer call; editable ones come after them."""
    batches: list[list[Requirement]] = []
    for requirement in requirements:
        if batches and batches[-1][0].editable == requirement.editable:
            batches[-1].append(requirement)
        else:
            batches.append([requirement])
    return batches


def _ordered_batches(s: Session, changes: Changes, *, setup: bool) -> list[list[Requirement]]:
    wanted = wanted_state(s)
    todo = {r.name for r in (*changes.install, *changes.reinstall)}
    if setup:
        ordered = [r for r in wanted.requirements.values() if r.setup and r.name in todo]
        return _batches(ordered)
    resolution, _ = resolution_of(s)
    batches: list[list[Requirement]] = []
    for level in resolution.levels:
        names = [canonical_name(name) for name in level]
        in_level = [wanted.requirements[n] for n in names if n in todo and n in wanted.requirements]
        pypi = [r for r in in_level if not r.editable]
        editable = [r for r in in_level if r.editable]
        batches.extend(batch for batch in (pypi, editable) if batch)
    return batches


def apply_changes(s: Session, changes: Changes, *, setup: bool) -> None:
    """Uninstall what was dropped, then install by phase and level; record each success."""
    from ivpm.pyenv.distributions import removable_distributions, still_required

    installer = installer_of(s)
    index = index_settings(s)
    recorded = load_state(s.venv_dir)
    if changes.remove:
        dists = removable_distributions(
            s.venv_dir, [recorded.requirements[n] for n in changes.remove]
        )
        needed = still_required(s.venv_dir, dists)
        for name, owner in needed.items():
            s.log.info("keeping %s: no longer listed, but %s requires it", name, owner)
        dists = [name for name in dists if name not in needed]
        if dists:
            s.log.info("uninstalling %s", ", ".join(dists))
            installer.uninstall(dists)
        recorded = recorded.without(changes.remove)
        save_state(s.venv_dir, recorded)
    reinstall = {r.name for r in changes.reinstall}
    constraints = _constraints(s)
    for batch in _ordered_batches(s, changes, setup=setup):
        _log_batch(s, batch, reinstall)
        try:
            installer.install(
                [r.line for r in batch if not r.editable],
                editable=[_editable_target(r) for r in batch if r.editable],
                index=index,
                no_build_isolation=batch[0].editable,
                reinstall=[r.line if r.editable else r.name for r in batch if r.name in reinstall],
                constraints=constraints,
            )
        except SessionFailure as failure:
            deps = [resolved.dep for resolved in resolution_of(s)[0].deps.values()]
            from ivpm.pyenv.conflicts import with_requested_here

            raise with_requested_here(failure, deps) from None
        pause_point("setup-deps" if setup else "install")
        recorded = recorded.with_installed(batch)
        save_state(s.venv_dir, recorded)
        s.context.results.setdefault(INSTALLED_EDITABLE, set()).update(
            r.name for r in batch if r.editable
        )
    if not setup:
        save_state(s.venv_dir, replace(recorded, settings=wanted_state(s).settings))


def _editable_target(requirement: Requirement) -> str:
    if requirement.extras:
        return f"{requirement.line}[{','.join(requirement.extras)}]"
    return requirement.line


def _log_batch(s: Session, batch: Iterable[Requirement], reinstall: set[str]) -> None:
    labels = [
        ("re" if r.name in reinstall else "")
        + (f"-e {Path(r.line).name}" if r.editable else r.line)
        for r in batch
    ]
    s.log.info("installing %s", " ".join(labels))


def _constraints(s: Session) -> list[str]:
    lock = s.context.lock_data
    return lock.constraints() if lock is not None else []


def write_lock_file(s: Session, *, only_if_stale: bool = False) -> bool:
    """Record git commits and installed versions in ``packages/package-lock.json``.

    With ``only_if_stale`` (the no-op path) the file is rewritten only when it is missing or
    a git checkout now stands at another commit than the one it records.
    """
    from ivpm.lockfile import GitPin, LockData, git_pins_of, write_lock
    from ivpm.project.model import Source

    path = s.packages_dir / LOCK_FILE_NAME
    resolution, fetched = resolution_of(s)
    git = {
        name: GitPin(url=resolution.deps[name].dep.url or "", commit=result.commit)
        for name, result in fetched.items()
        if result.commit and resolution.deps[name].dep.src is Source.GIT
    }
    if only_if_stale and git_pins_of(path) == git:
        return False
    from ivpm.pyenv.distributions import editable_distributions, installed_distributions

    editable = editable_distributions(s.venv_dir)
    python = {
        name: version
        for name, version in installed_distributions(s.venv_dir).items()
        if name not in editable
    }
    project_dir = s.project_dir
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

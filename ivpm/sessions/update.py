"""The update family: ``fetch``, ``venv``, ``install_setup_deps``, ``install`` and ``update``."""

from __future__ import annotations

from ivpm.session import Session
from ivpm.sessions import session
from ivpm.sessions.environment import (
    apply_changes,
    ensure_environment,
    pending_changes,
    write_lock_file,
)
from ivpm.sessions.resolution import resolution_of


@session(name="fetch")
def fetch(s: Session) -> None:
    """Resolve ivpm.yaml and fetch source dependencies into packages/."""
    resolution, fetched = resolution_of(s)
    actions = [result.action for result in fetched.values()]
    changed = [action for action in actions if action != "kept"]
    if not changed:
        s.skip(f"{len(actions)} source packages present" if actions else "no source packages")
    s.log.info(
        "fetched %d of %d source packages (dep-set %s)",
        len(changed),
        len(actions),
        resolution.dep_set,
    )


@session(name="venv")
def venv(s: Session) -> None:
    """Create packages/python, the project's virtual environment, when missing or broken."""
    if s.options.skip_py_install:
        s.skip("--skip-py-install")
    if not ensure_environment(s):
        s.skip("up to date")


@session(name="install_setup_deps", requires=["fetch", "venv"])
def install_setup_deps(s: Session) -> None:
    """Install the setup-deps first, in their declared order."""
    if s.options.skip_py_install:
        s.skip("--skip-py-install")
    changes = pending_changes(s, setup=True)
    if changes.empty:
        s.skip("up to date")
    apply_changes(s, changes, setup=True)


@session(name="install", requires=["install_setup_deps"])
def install(s: Session) -> None:
    """Install PyPI and (editable) source packages in dependency order; remove dropped ones."""
    if s.options.skip_py_install:
        s.skip("--skip-py-install")
    changes = pending_changes(s, setup=False)
    if changes.empty:
        write_lock_file(s, only_if_stale=True)
        s.skip("up to date")
    apply_changes(s, changes, setup=False)
    write_lock_file(s)


@session(name="update", requires=["install"], default=True)
def update(s: Session) -> None:
    """Bring packages/ up to date with ivpm.yaml (fetch, venv, setup-deps, install)."""
    resolution, _ = resolution_of(s)
    where = s.venv_dir.relative_to(s.project_dir)
    if s.options.skip_py_install:
        write_lock_file(s, only_if_stale=True)
        s.log.info("sources fetched; Python install skipped (--skip-py-install)")
        return
    s.log.info(
        "%s is up to date with dep-set '%s' (%d dependencies)",
        where,
        resolution.dep_set,
        len(resolution.deps),
    )

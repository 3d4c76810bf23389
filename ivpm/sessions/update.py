"""The update family: ``fetch``, ``venv``, ``install_setup_deps``, ``install`` and ``update``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivpm import layout
from ivpm import options as opt
from ivpm.context import Session
from ivpm.sessions import session

if TYPE_CHECKING:
    from ivpm.pyenv.state import Changes

SKIP_PY_INSTALL = opt.flag(
    "--skip-py-install",
    "--py-skip-install",
    help="fetch sources only; install nothing",
    group=opt.GROUP_PYTHON,
)
FORCE_PY_INSTALL = opt.flag(
    "--force-py-install",
    "--py-force-install",
    help="reinstall every Python package",
    group=opt.GROUP_PYTHON,
)
INSTALL_OPTIONS = (*opt.PYTHON_OPTIONS, SKIP_PY_INSTALL, FORCE_PY_INSTALL)


@session(name="fetch", options=opt.PROJECT_OPTIONS)
def fetch(s: Session) -> None:
    """Resolve ivpm.yaml and fetch source dependencies into packages/."""
    resolution, fetched = s.resolved()
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


@session(name="venv", options=INSTALL_OPTIONS)
def venv(s: Session) -> None:
    """Create packages/python, the project's virtual environment, when missing or broken."""
    if s.option(SKIP_PY_INSTALL):
        s.skip("--skip-py-install")
    from ivpm.pyenv.venv import ensure_venv, resolve_python

    choice = s.installer_choice
    python = resolve_python(s.option(opt.PYTHON))
    if not ensure_venv(s.venv, backend=choice.backend, python=python, uv=choice.uv):
        s.skip("up to date")
    s.log.info("created %s (%s)", s.venv.relative_to(s.project_dir), choice.backend)


@session(name="install_setup_deps", requires=["fetch", "venv"], options=INSTALL_OPTIONS)
def install_setup_deps(s: Session) -> None:
    """Install the setup-deps first, in their declared order."""
    changes = _phase_changes(s, setup=True)
    if changes.empty:
        s.skip("up to date")
    s.engine.apply(changes, setup=True)


@session(name="install", requires=["install_setup_deps"], options=INSTALL_OPTIONS)
def install(s: Session) -> None:
    """Install PyPI and (editable) source packages in dependency order; remove dropped ones."""
    changes = _phase_changes(s, setup=False)
    if changes.empty:
        _write_lock_file(s, only_if_stale=True)
        s.skip("up to date")
    s.engine.apply(changes, setup=False)
    _write_lock_file(s, only_if_stale=False)


@session(name="update", requires=["install"], default=True, options=INSTALL_OPTIONS)
def update(s: Session) -> None:
    """Bring packages/ up to date with ivpm.yaml (fetch, venv, setup-deps, install)."""
    resolution = s.resolution
    if s.option(SKIP_PY_INSTALL):
        _write_lock_file(s, only_if_stale=True)
        s.log.info("sources fetched; Python install skipped (--skip-py-install)")
        return
    s.log.info(
        "%s is up to date with dep-set '%s' (%d dependencies)",
        s.venv.relative_to(s.project_dir),
        resolution.dep_set,
        len(resolution.deps),
    )


def _phase_changes(s: Session, *, setup: bool) -> Changes:
    if s.option(SKIP_PY_INSTALL):
        s.skip("--skip-py-install")
    from ivpm.pyenv.engine import phase_of

    return phase_of(s.changes(force=s.option(FORCE_PY_INSTALL)), setup=setup)


def _write_lock_file(s: Session, *, only_if_stale: bool) -> None:
    from ivpm.lockfile import write_project_lock

    resolution, fetched = s.resolved()
    write_project_lock(
        layout.lock_file(s.project_dir),
        resolution=resolution,
        fetched=fetched,
        venv_dir=s.venv,
        project_dir=s.project_dir,
        only_if_stale=only_if_stale,
    )

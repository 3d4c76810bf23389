"""The update family: ``fetch``, ``venv``, ``install_setup_deps``, ``install`` and ``update``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from ivpm import layout
from ivpm import options as opt
from ivpm.context import Session, SessionSkipped
from ivpm.errors import IvpmError
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
#: What the install sessions take; --py-system-site-packages (in PYTHON_OPTIONS) is one.
INSTALL_OPTIONS = (*opt.PYTHON_OPTIONS, SKIP_PY_INSTALL, FORCE_PY_INSTALL)


@session(name="fetch", options=opt.PROJECT_OPTIONS)
def fetch(s: Session) -> None:
    """Resolve ivpm.yaml and fetch source dependencies into packages/ (when the run goes on to
    install, a missing environment is created meanwhile)."""
    _make_venv_meanwhile(s)
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
    """Create packages/python, the project's virtual environment, when missing or broken.

    It sees the interpreter's own site-packages with with.python.system-site-packages: true
    or --py-system-site-packages, and is rebuilt when that setting changes. With
    with.python.venv: false no environment is made (an existing one is left alone).
    """
    if s.option(SKIP_PY_INSTALL):
        s.skip("--skip-py-install")
    if not s.project.python.venv:
        _say_no_venv(s)
    from ivpm.pyenv.venv import ensure_venv

    meanwhile, s.state.venv_meanwhile = s.state.venv_meanwhile, None
    request = _venv_request(s)
    created = meanwhile.result() if meanwhile is not None else ensure_venv(s.venv, **request)
    if not created:
        s.skip("up to date")
    s.log.info(
        "created %s (%s%s)",
        s.venv.relative_to(s.project_dir),
        request["backend"],
        ", with the system site packages" if request["system_site_packages"] else "",
    )


def _venv_request(s: Session) -> dict[str, Any]:
    """How packages/python is to be made: the keyword arguments of ``ensure_venv``."""
    from ivpm.pyenv.venv import resolve_python

    choice = s.installer_choice
    return {
        "backend": choice.backend,
        "python": resolve_python(s.option(opt.PYTHON)),
        "uv": choice.uv,
        "system_site_packages": bool(
            s.project.python.system_site_packages or s.option(opt.SYSTEM_SITE_PACKAGES)
        ),
    }


def _make_venv_meanwhile(s: Session) -> None:
    """Start creating packages/python in a thread when this run's ``venv`` session will have
    to, so that the venv tool runs while git clones (the ``venv`` session waits for it)."""
    if "venv" not in s.context.planned or s.option(SKIP_PY_INSTALL):
        return
    if not s.project.python.venv:
        return
    from concurrent.futures import ThreadPoolExecutor

    from ivpm.pyenv.venv import ensure_venv, venv_problem

    try:
        request = _venv_request(s)
    except IvpmError:
        return  # the venv session reports it, where it belongs
    system_site = request["system_site_packages"]
    if venv_problem(s.venv, request["python"], system_site_packages=system_site) is None:
        return
    pool = ThreadPoolExecutor(1, thread_name_prefix="ivpm-venv")
    s.state.venv_meanwhile = pool.submit(ensure_venv, s.venv, **request)
    pool.shutdown(wait=False)


def _say_no_venv(s: Session) -> NoReturn:
    """Say once what ``with.python.venv: false`` means for this run, then skip the session."""
    from ivpm.pyenv.choice import NO_VENV

    installer = s.option(opt.PY_UV)  # --py-uv and --py-pip store "uv" or "pip" here
    given = [f"--py-{installer}"] if installer else []
    given += [flag for flag, value in _python_flags(s) if value]
    message = f"{NO_VENV}: no Python environment is made and no Python package is installed"
    if layout.venv_python(s.venv).exists():
        message += f" ({s.venv.relative_to(s.project_dir)} is left as it is)"
    if given:
        s.log.warning("%s; %s ignored", message, ", ".join(given))
    else:
        s.log.info("%s", message)
    raise SessionSkipped(NO_VENV)


def _python_flags(s: Session) -> list[tuple[str, object]]:
    """The options about how packages/python is made, by flag, with their values."""
    return [
        (opt.VENV_BACKEND.flags[0], s.option(opt.VENV_BACKEND)),
        (opt.PYTHON.flags[0], s.option(opt.PYTHON)),
        (opt.SYSTEM_SITE_PACKAGES.flags[0], s.option(opt.SYSTEM_SITE_PACKAGES)),
    ]


@session(name="install_setup_deps", requires=["fetch", "venv"], options=INSTALL_OPTIONS)
def install_setup_deps(s: Session) -> None:
    """Install the setup-deps first, in their declared order."""
    changes = _phase_changes(s, setup=True)
    if changes.empty:
        s.skip("up to date")
    s.engine.apply(changes, setup=True)


@session(name="install", requires=["install_setup_deps"], options=INSTALL_OPTIONS)
def install(s: Session) -> None:
    """Install PyPI and (editable) source packages in dependency order, then remove what was
    dropped and what only it needed, and check the environment is consistent."""
    changes = _phase_changes(s, setup=False)
    engine = s.state.engine
    if changes.empty and (engine is None or not engine.begun):
        _write_lock_file(s, only_if_stale=True)
        s.skip("up to date")
    s.engine.apply(changes, setup=False)
    _write_lock_file(s, only_if_stale=False)


@session(
    name="update",
    requires=["install"],
    default=True,
    options=[*opt.PROJECT_OPTIONS, *INSTALL_OPTIONS],
)
def update(s: Session) -> None:
    """Bring packages/ up to date with ivpm.yaml (fetch, venv, setup-deps, install)."""
    resolution = s.resolution
    if s.option(SKIP_PY_INSTALL):
        _write_lock_file(s, only_if_stale=True)
        s.log.info("sources fetched; Python install skipped (--skip-py-install)")
    elif not s.project.python.venv:
        _write_lock_file(s, only_if_stale=True)
        s.log.info("sources fetched; no Python environment (with.python.venv is false)")
    else:
        s.log.info(
            "%s is up to date with dep-set '%s' (%d dependencies)",
            s.venv.relative_to(s.project_dir),
            resolution.dep_set,
            len(resolution.deps),
        )
    _fail_on_unhandled(s)


def _fail_on_unhandled(s: Session) -> None:
    """Exit 1 naming every dep of a kind this ivpm does not install: nothing is skipped silently."""
    from ivpm.errors import SessionFailure
    from ivpm.project.unhandled import unhandled_line

    resolution = s.resolution
    if not resolution.unhandled:
        return
    lines = [unhandled_line(resolution.deps[name].dep) for name in resolution.unhandled]
    raise SessionFailure(
        f"{len(lines)} dependencies were not installed: this ivpm does not handle their kind",
        details="\n".join(lines),
        hint="everything else is installed; install these as each line says",
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
        layout.lock_file(s.project_dir, s.project.deps_dir),
        resolution=resolution,
        fetched=fetched,
        venv_dir=s.venv,
        project_dir=s.project_dir,
        only_if_stale=only_if_stale,
    )

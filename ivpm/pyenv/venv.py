"""Creating ``packages/python`` and telling, without running anything, whether it is sound.

Virtual environments are not relocatable, so the environment is built in place and a
completion record (``.ivpm-venv.json``) is written atomically as the very last step. An
environment without that record was interrupted while being built; one whose interpreter
changed or disappeared is stale. :func:`ensure_venv` removes and rebuilds both.

Every backend gives the same layout: ``bin/python``, ``bin/pip`` (pip only, seeded from the
wheel virtualenv bundles, see :mod:`ivpm.pyenv.seed`) and ``bin/activate``. Each can make the
base interpreter's site-packages visible (``system_site_packages``, which ``pyvenv.cfg``
records as ``include-system-site-packages``); an environment built the other way is rebuilt.
"""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from ivpm import layout
from ivpm.errors import SessionFailure, UsageError, display_path
from ivpm.fsutil import read_json, write_json_atomic
from ivpm.layout import venv_python
from ivpm.proc import CommandFailed, run_command
from ivpm.pyenv.choice import BACKENDS, Backend
from ivpm.pyenv.index import IndexSettings
from ivpm.pyenv.interpreter import resolve_python
from ivpm.pyenv.output import error_excerpt
from ivpm.pyenv.seed import bundled_pip_wheel
from ivpm.pyenv.uvopts import uv_install_options

__all__ = [
    "BACKENDS",
    "MARKER_NAME",
    "Backend",
    "VenvInfo",
    "cfg_system_site_packages",
    "create_venv",
    "ensure_venv",
    "read_pyvenv_cfg",
    "read_venv_info",
    "remove_venv",
    "resolve_python",
    "venv_is_healthy",
    "venv_problem",
    "venv_python",
    "write_venv_record",
]

log = logging.getLogger("ivpm")

MARKER_NAME = layout.VENV_RECORD_NAME


@dataclass(frozen=True)
class VenvInfo:
    """The completion record of an environment ivpm built.

    ``python`` is the real path of the interpreter it was asked to use; ``home`` and
    ``version`` are what the environment's ``pyvenv.cfg`` said right after creation;
    ``system_site_packages`` whether the base interpreter's site-packages are visible (records
    written before it existed read as False).
    """

    python: str
    home: str
    version: str
    backend: str
    created: str
    system_site_packages: bool = False


def read_pyvenv_cfg(venv_dir: Path) -> dict[str, str]:
    """The ``key = value`` pairs of ``<venv>/pyvenv.cfg`` (empty when it cannot be read)."""
    values: dict[str, str] = {}
    try:
        text = (venv_dir / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return values
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip().lower()] = value.strip()
    return values


def read_venv_info(venv_dir: Path) -> VenvInfo | None:
    """The environment's completion record; ``None`` when it is missing, unreadable or not of
    the shape ivpm writes (text fields, a known backend), which rebuilds the environment."""
    data = read_json(layout.venv_record(venv_dir))
    if not isinstance(data, dict):
        return None
    python, home, version, backend, created = (data.get(key) for key in _RECORD_TEXT_FIELDS)
    if not (
        isinstance(python, str)
        and isinstance(home, str)
        and isinstance(version, str)
        and backend in BACKENDS
        and isinstance(created, str)
        and python
        and version
    ):
        return None
    return VenvInfo(
        python=python,
        home=home,
        version=version,
        backend=str(backend),
        created=created,
        system_site_packages=data.get("system_site_packages", False) is True,
    )


_RECORD_TEXT_FIELDS = ("python", "home", "version", "backend", "created")


def cfg_system_site_packages(cfg: Mapping[str, str]) -> bool:
    """Whether a pyvenv.cfg makes the base interpreter's site-packages visible."""
    return cfg.get("include-system-site-packages", "").strip().lower() == "true"


def venv_problem(
    venv_dir: Path, python: str, *, system_site_packages: bool | None = None
) -> str | None:
    """Why the environment at ``venv_dir`` cannot be reused with ``python``; ``None`` if it can.

    ``system_site_packages`` (None: either is fine) is whether the base interpreter's
    site-packages should be visible; ``pyvenv.cfg`` says whether they are. Only reads a few
    small files and follows symlinks; it never starts a process, so the no-op update path
    stays fast.
    """
    if not venv_dir.exists():
        return "it does not exist yet"
    info = read_venv_info(venv_dir)
    if info is None:
        return f"it has no completion record ({MARKER_NAME}); an earlier build was interrupted"
    wanted = os.path.realpath(python)
    if info.python != wanted:
        return f"the interpreter changed from {info.python} to {wanted}"
    cfg = read_pyvenv_cfg(venv_dir)
    if not cfg:
        return "its pyvenv.cfg is missing"
    home, version = cfg.get("home", ""), cfg_version(cfg)
    if (home, version) != (info.home, info.version):
        return (
            f"its interpreter changed (pyvenv.cfg: Python {version} in {home}; "
            f"built with Python {info.version} in {info.home})"
        )
    if not os.path.isdir(home):
        return f"its base interpreter's folder {home} is gone"
    if not os.path.exists(venv_python(venv_dir)):  # follows the symlink to the base interpreter
        return "bin/python is missing or points to an interpreter that is gone"
    if system_site_packages is not None and cfg_system_site_packages(cfg) != system_site_packages:
        if system_site_packages:
            return "system site packages are asked for now, and it was built without them"
        return "it sees the system site packages, which are no longer asked for"
    return None


def venv_is_healthy(venv_dir: Path, python: str) -> bool:
    """True when the environment is complete and built with ``python`` (no process started;
    see :func:`venv_problem`)."""
    return venv_problem(venv_dir, python) is None


def remove_venv(venv_dir: Path) -> None:
    """Delete the environment (a symlink in its place is unlinked, its target left alone)."""
    if venv_dir.is_symlink() or venv_dir.is_file():
        venv_dir.unlink()
    elif venv_dir.exists():
        shutil.rmtree(venv_dir)


def create_venv(
    venv_dir: Path,
    *,
    backend: Backend,
    python: str,
    uv: str | None = None,
    index: IndexSettings | None = None,
    env: Mapping[str, str] | None = None,
    system_site_packages: bool = False,
) -> VenvInfo:
    """Build a fresh environment at ``venv_dir`` with ``backend`` from interpreter ``python``.

    Anything already at ``venv_dir`` is removed first. ``uv`` is the uv binary (required for
    the ``uv`` backend); ``index`` is used only when no bundled pip wheel fits the interpreter
    and pip has to come from an index; ``env`` is the environment of the commands run;
    ``system_site_packages`` makes the base interpreter's site-packages visible inside. The
    completion record is written last. Raises :class:`SessionFailure` when a step fails.
    """
    if backend not in BACKENDS:
        raise UsageError(
            f"unknown environment backend '{backend}'", hint="use uv, virtualenv or venv"
        )
    if backend == "uv" and not uv:
        raise ValueError("the uv backend needs the uv binary of the installer choice")
    _refuse_self_removal(venv_dir)
    try:
        remove_venv(venv_dir)
        venv_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SessionFailure(
            f"could not clear {display_path(venv_dir)} to build the Python environment there",
            details=str(exc),
            hint=f"remove {display_path(venv_dir)} by hand and run ivpm again",
        ) from exc
    log.debug(
        "creating the Python environment %s (%s%s)",
        display_path(venv_dir),
        backend,
        ", system site packages" if system_site_packages else "",
    )
    flags = [_SYSTEM_SITE_FLAG] if system_site_packages else []
    try:
        if backend == "uv":
            assert uv is not None
            _create_with_uv(venv_dir, python, uv, index or IndexSettings(), env, flags=flags)
        elif backend == "virtualenv":
            _create_with_virtualenv(venv_dir, python, env, flags)
        else:
            _create_with_venv(venv_dir, python, env, flags)
    except CommandFailed as exc:
        raise SessionFailure(
            f"could not create the Python environment {display_path(venv_dir)} with {backend} "
            f"from {python}",
            details=error_excerpt(exc.output),
            hint="check that the interpreter works; --python or IVPM_PYTHON choose another one",
        ) from exc
    cfg = read_pyvenv_cfg(venv_dir)
    if not cfg or not os.path.exists(venv_python(venv_dir)):
        raise SessionFailure(
            f"{backend} did not create a usable environment at {display_path(venv_dir)}"
        )
    if cfg_system_site_packages(cfg) != system_site_packages:
        raise SessionFailure(
            f"{backend} did not honour {_SYSTEM_SITE_FLAG}={system_site_packages} for "
            f"{display_path(venv_dir)} (its pyvenv.cfg says otherwise)",
            hint="try another --venv-backend",
        )
    info = VenvInfo(
        python=os.path.realpath(python),
        home=cfg.get("home", ""),
        version=cfg_version(cfg),
        backend=backend,
        created=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        system_site_packages=system_site_packages,
    )
    write_venv_record(venv_dir, info)
    return info


def write_venv_record(venv_dir: Path, info: VenvInfo) -> None:
    """Write the completion record: the environment is complete once it exists."""
    write_json_atomic(layout.venv_record(venv_dir), asdict(info))


def ensure_venv(
    venv_dir: Path,
    *,
    backend: Backend,
    python: str,
    uv: str | None = None,
    index: IndexSettings | None = None,
    env: Mapping[str, str] | None = None,
    system_site_packages: bool = False,
) -> bool:
    """Make sure a sound environment built with ``python`` exists; True if it was (re)built.

    A sound environment is kept whatever backend built it, but one whose system site packages
    setting differs from ``system_site_packages`` is rebuilt (its packages are then installed
    again). Callers hold the workspace lock.
    """
    problem = venv_problem(venv_dir, python, system_site_packages=system_site_packages)
    if problem is None:
        return False
    if venv_dir.exists():
        log.info("rebuilding %s: %s", display_path(venv_dir), problem)
    create_venv(
        venv_dir,
        backend=backend,
        python=python,
        uv=uv,
        index=index,
        env=env,
        system_site_packages=system_site_packages,
    )
    return True


_SYSTEM_SITE_FLAG = "--system-site-packages"  # the same spelling for uv, virtualenv and venv


def _create_with_uv(
    venv_dir: Path,
    python: str,
    uv: str,
    index: IndexSettings,
    env: Mapping[str, str] | None,
    *,
    flags: list[str],
) -> None:
    run_command(
        [uv, "venv", "--no-project", "--color", "never", *flags, "--python", python, venv_dir],
        env=env,
    )
    wheel = bundled_pip_wheel(cfg_version(read_pyvenv_cfg(venv_dir)))
    install: list[str | Path] = [uv, "pip", "install", "--python", venv_python(venv_dir)]
    if wheel is not None:
        # Nobody edits pip's own files in place, so the copy that keeps the project's packages
        # apart from uv's cache (see uvopts) is not needed for it: hard links are several
        # times faster than copying pip's thousand files into every new environment.
        install += uv_install_options(env, link_mode="hardlink")
        run_command([*install, "--no-index", "--no-deps", wheel], env=env)
    else:  # uv's own seeding would also bring setuptools and wheel on Python < 3.12
        install += uv_install_options(env)
        run_command([*install, *index.uv_args(env), "pip"], env=env)


def _create_with_virtualenv(
    venv_dir: Path, python: str, env: Mapping[str, str] | None, extra: list[str]
) -> None:
    flags = ["--no-setuptools", "--no-periodic-update", *extra]
    if _virtualenv_older_than("21.5"):
        flags.append("--no-wheel")  # a no-op with a warning from 21.5, gone later
    run_command(
        [sys.executable, "-m", "virtualenv", "--quiet", *flags, "--python", python, venv_dir],
        env=env,
    )


def _create_with_venv(
    venv_dir: Path, python: str, env: Mapping[str, str] | None, flags: list[str]
) -> None:
    run_command([python, "-m", "venv", "--without-pip", *flags, venv_dir], env=env)
    venv_py = venv_python(venv_dir)
    wheel = bundled_pip_wheel(cfg_version(read_pyvenv_cfg(venv_dir)))
    if wheel is None:
        run_command([venv_py, "-m", "ensurepip", "--default-pip"], env=env)
        return
    # pip runs from its own wheel to install itself; --isolated: no user configuration, as
    # this step needs no index at all; --ignore-installed: a pip among the system site
    # packages must not stand in for the environment's own.
    run_command(
        [
            venv_py,
            f"{wheel}/pip",
            *("install", "--isolated", "--quiet", "--no-index", "--no-deps", "--ignore-installed"),
            *("--disable-pip-version-check", "--no-input", wheel),
        ],
        env=env,
    )


def _refuse_self_removal(venv_dir: Path) -> None:
    """Refuse to delete the environment that the running ivpm itself lives in."""
    target = os.path.realpath(venv_dir)
    prefix = os.path.realpath(sys.prefix)
    if prefix == target or prefix.startswith(target + os.sep):
        raise SessionFailure(
            f"ivpm runs from {display_path(venv_dir)} itself, which has to be rebuilt",
            hint="run ivpm from its own installation (for example pipx install ivpm)",
        )


def _virtualenv_older_than(version: str) -> bool:
    """Whether the virtualenv ivpm runs with predates ``version`` (imports kept lazy)."""
    from importlib import metadata

    from packaging.version import InvalidVersion, Version

    try:
        return Version(metadata.version("virtualenv")) < Version(version)
    except (metadata.PackageNotFoundError, InvalidVersion):
        return True


def cfg_version(cfg: Mapping[str, str]) -> str:
    """The Python version a pyvenv.cfg records (``version``, else ``version_info``)."""
    return cfg.get("version") or cfg.get("version_info") or ""

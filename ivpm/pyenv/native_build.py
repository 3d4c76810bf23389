"""Compiling the native extensions of source packages: the work behind ``ivpm build``.

Packages are built in dependency order with ``packages/python``'s own interpreter, so the
modules import from the environment. A ``setup.py`` that declares extensions is built in place
with ``setup.py build_ext --inplace``; extensions declared only in pyproject.toml are rebuilt by
reinstalling the package editable (without build isolation).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

from ivpm.errors import SessionFailure
from ivpm.layout import venv_python
from ivpm.proc import CommandFailed, run_command
from ivpm.project.model import EnvSet, Resolution
from ivpm.pyenv.activation import activation_env
from ivpm.pyenv.choice import InstallerChoice
from ivpm.pyenv.engine import install_batch
from ivpm.pyenv.index import IndexSettings
from ivpm.pyenv.installer import make_installer
from ivpm.pyenv.native import build_failure_hint, compiler_excerpt, native_build_kind
from ivpm.pyenv.state import Requirement
from ivpm.pyenv.tree_env import ordered_packages, package_env_sets

DEBUG_FLAGS = "-g -O0 -UNDEBUG"
log = logging.getLogger("ivpm")


def build_env(
    base: Mapping[str, str],
    *,
    project_dir: Path,
    venv_dir: Path,
    env_sets: Iterable[EnvSet],
    debug: bool,
) -> dict[str, str]:
    """The activated environment with ``DEBUG`` set and, for debug builds, -g -O0 flags."""
    env = activation_env(base, project_dir=project_dir, venv_dir=venv_dir, env_sets=env_sets)
    env["DEBUG"] = "1" if debug else "0"
    if debug:
        for variable in ("CFLAGS", "CXXFLAGS"):
            env[variable] = " ".join(filter(None, (env.get(variable, ""), DEBUG_FLAGS)))
    return env


def build_native(
    resolution: Resolution,
    *,
    project_dir: Path,
    venv_dir: Path,
    choice: InstallerChoice,
    index: IndexSettings,
    debug: bool,
    just_installed: Iterable[str] = (),
) -> list[str]:
    """Build every source package with native extensions, in dependency order.

    The builds see the activated environment with the env settings of the whole tree applied
    (the dependencies' package-level ``env``, then the root's), as ``ivpm activate`` does.

    ``just_installed`` names source packages installed earlier in this run: their release
    builds are current already. Returns the names built (or found current); a failure is a
    :class:`SessionFailure` with the compiler's error lines.
    """
    env = build_env(
        os.environ,
        project_dir=project_dir,
        venv_dir=venv_dir,
        env_sets=package_env_sets(ordered_packages(resolution)),
        debug=debug,
    )
    current = set(just_installed)
    built: list[str] = []
    for level in resolution.levels:
        for name in level:
            resolved = resolution.deps[name]
            if not resolved.dep.is_source or resolved.path is None:
                continue
            kind = native_build_kind(resolved.path)
            if kind is None:
                continue
            built.append(name)
            if not debug and canonicalize_name(name) in current:
                # Installing an editable package compiles its extensions with release flags.
                log.info("%s: extensions were built by its install in this run", name)
                continue
            log.info("building %s (%s%s)", name, kind, ", debug" if debug else "")
            try:
                _build_one(
                    resolved.path,
                    kind,
                    name=name,
                    env=env,
                    venv_dir=venv_dir,
                    choice=choice,
                    index=index,
                )
            except SessionFailure as failure:
                raise SessionFailure(
                    f"native build of '{name}' failed",
                    details=compiler_excerpt(failure.details),
                    hint=build_failure_hint(failure.details) or failure.hint,
                ) from None
    return built


def _build_one(
    path: Path,
    kind: str,
    *,
    name: str,
    env: dict[str, str],
    venv_dir: Path,
    choice: InstallerChoice,
    index: IndexSettings,
) -> None:
    if kind == "setup.py":
        argv: list[str | Path] = [venv_python(venv_dir), "setup.py", "build_ext", "--inplace"]
        argv.append("--force")
        try:
            run_command(argv, cwd=path, env=env)
        except CommandFailed as exc:
            raise SessionFailure(
                f"building {name} failed (exit status {exc.returncode})", details=exc.output
            ) from None
        return
    target = str(path.absolute())
    requirement = Requirement(name=canonicalize_name(name), line=target, editable=True)
    install_batch(
        make_installer(choice, venv_dir, env=env),
        [requirement],
        index=index,
        reinstall=[requirement.name],
    )

"""Compiling the native extensions of source packages: the work behind ``ivpm build``."""

from __future__ import annotations

import os
from pathlib import Path

from packaging.utils import canonicalize_name

from ivpm.errors import SessionFailure
from ivpm.layout import venv_python
from ivpm.pyenv.activation import activation_env
from ivpm.pyenv.installer import make_installer
from ivpm.pyenv.native import build_failure_hint, compiler_excerpt, native_build_kind
from ivpm.session import Session
from ivpm.sessions.environment import INSTALLED_EDITABLE, index_settings, installer_choice
from ivpm.sessions.resolution import resolution_of

DEBUG_FLAGS = "-g -O0 -UNDEBUG"


def run_build(s: Session) -> None:
    """Do the work of the ``build`` session (see :mod:`ivpm.sessions.build`)."""
    resolution, _ = resolution_of(s)
    debug = s.options.debug
    env = build_env(s, debug=debug)
    just_installed: set[str] = s.context.results.get(INSTALLED_EDITABLE, set())
    built: list[str] = []
    for level in resolution.levels:
        for name in level:
            resolved = resolution.deps[name]
            if not resolved.dep.is_source or resolved.path is None:
                continue
            kind = native_build_kind(resolved.path)
            if kind is None:
                continue
            if not debug and canonicalize_name(name) in just_installed:
                # Installing an editable package compiles its extensions with release flags.
                s.log.info("%s: extensions were built by its install in this run", name)
                built.append(name)
                continue
            s.log.info("building %s (%s%s)", name, kind, ", debug" if debug else "")
            try:
                _build_one(s, resolved.path, kind, env, name)
            except SessionFailure as failure:
                raise SessionFailure(
                    f"native build of '{name}' failed",
                    details=compiler_excerpt(failure.details),
                    hint=build_failure_hint(failure.details) or failure.hint,
                ) from None
            built.append(name)
    if not built:
        s.skip("no source package has native extensions")
    s.log.info("built %s (%s)", ", ".join(built), "debug" if debug else "release")


def build_env(s: Session, *, debug: bool) -> dict[str, str]:
    """The activated environment with ``DEBUG`` set and, for debug builds, -g -O0 flags."""
    env = activation_env(
        os.environ,
        project_dir=s.project_dir,
        venv_dir=s.venv_dir,
        env_sets=s.project.env_sets.values(),
    )
    env["DEBUG"] = "1" if debug else "0"
    if debug:
        for variable in ("CFLAGS", "CXXFLAGS"):
            env[variable] = " ".join(filter(None, (env.get(variable, ""), DEBUG_FLAGS)))
    return env


def _build_one(s: Session, path: Path, kind: str, env: dict[str, str], name: str) -> None:
    if kind == "setup.py":
        s.run(
            [venv_python(s.venv_dir), "setup.py", "build_ext", "--inplace", "--force"],
            cwd=path,
            env=env,
            what=f"building {name}",
        )
        return
    target = str(path.absolute())
    make_installer(installer_choice(s)[0], s.venv_dir, env=env).install(
        [],
        editable=[target],
        index=index_settings(s),
        no_build_isolation=True,
        reinstall=[target],
    )

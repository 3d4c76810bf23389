"""``build``: compile the native extensions of the project's source packages."""

from __future__ import annotations

import os

from ivpm import options as opt
from ivpm.context import Session
from ivpm.sessions import session

DEBUG = opt.flag("--debug", "-g", help="build: compile with -g -O0 (also DEBUG=1)")


@session(name="build", requires=["install"], options=[DEBUG])
def build(s: Session) -> None:
    """Compile native extensions (C, C++, Cython) of source packages; --debug for -g -O0.

    Packages are built in dependency order with packages/python's own interpreter, so the
    modules import from the environment. `--debug` (or DEBUG=1) compiles with -g -O0 and
    without NDEBUG; the build sees DEBUG=1 or DEBUG=0 either way, as setup.py files expect.
    The environment is brought up to date first only when it is stale.
    """
    from ivpm.pyenv.native_build import build_native

    debug = s.option(DEBUG) or os.environ.get("DEBUG", "") not in ("", "0")
    engine = s.state.engine
    built = build_native(
        s.resolution,
        project_dir=s.project_dir,
        venv_dir=s.venv,
        choice=s.installer_choice,
        index=s.index,
        debug=debug,
        just_installed=engine.installed_editable if engine is not None else (),
    )
    if not built:
        s.skip("no source package has native extensions")
    s.log.info("built %s (%s)", ", ".join(built), "debug" if debug else "release")

"""``build``: compile the native extensions of the project's source packages."""

from __future__ import annotations

from ivpm.session import Session
from ivpm.sessions import session


@session(name="build", requires=["install"])
def build(s: Session) -> None:
    """Compile native extensions (C, C++, Cython) of source packages; --debug for -g -O0.

    Packages are built in dependency order with packages/python's own interpreter, so the
    modules import from the environment. `--debug` (or DEBUG=1) compiles with -g -O0 and
    without NDEBUG; the build sees DEBUG=1 or DEBUG=0 either way, as setup.py files expect.
    The environment is brought up to date first only when it is stale.
    """
    from ivpm.sessions.native_build import run_build

    run_build(s)

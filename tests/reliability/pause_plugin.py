"""An ivpm plugin (``IVPM_PLUGINS``) that stops ivpm just before it records a finished step.

ivpm itself has no test hooks. The reliability harness starts ivpm with this module in
``IVPM_PLUGINS``; at import it wraps the two functions that record progress, so that with
``IVPM_TEST_PAUSE_AT=<point>`` and ``IVPM_TEST_PAUSE_DIR=<dir>`` (holding the FIFOs ``ready``
and ``hold``) ivpm pauses right BEFORE the real write: it writes the point's name to ``ready``
and blocks until a line can be read from ``hold``. It pauses once per process.

Points:

- ``venv``: the venv tool ran; the completion record (``write_venv_record``) is not written.
- ``setup-deps`` / ``install``: an installer batch of setup-deps / of the other requirements
  finished; the state record (``save_state``) does not say so yet. A save is such a point when
  its state adds or changes requirements compared with the record on disk; a save that only
  removes requirements (or changes only settings) never pauses.
- ``state:N``: the Nth call of ``save_state`` in the process (counted from 1), whatever it
  records; the write has not happened yet.

Both writers are called through their module's global name (``ivpm.pyenv.venv`` and
``ivpm.pyenv.state``), so replacing the module attributes is enough.

Nothing ivpm starts (installers, git, a nested ivpm) should see this module: at import it
removes itself from ``IVPM_PLUGINS`` and the harness's entry from ``PYTHONPATH``, so the
environment of ivpm's children is the one the test gave.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import ivpm.pyenv.state as state_module
import ivpm.pyenv.venv as venv_module
from ivpm.pyenv.state import EnvState, Requirement
from ivpm.pyenv.venv import VenvInfo

POINT_VAR = "IVPM_TEST_PAUSE_AT"
DIR_VAR = "IVPM_TEST_PAUSE_DIR"
#: The entry the harness appends to ``PYTHONPATH`` so that this module can be imported.
REPO_ROOT = str(Path(__file__).resolve().parents[2])


def pause(name: str) -> None:
    """Block here when the test asked for point ``name``; otherwise do nothing."""
    if os.environ.get(POINT_VAR) != name:
        return
    directory = os.environ.get(DIR_VAR, "")
    if not directory:
        return
    del os.environ[POINT_VAR]
    print(f"ivpm: test pause at {name}", file=sys.stderr, flush=True)
    with open(os.path.join(directory, "ready"), "w", encoding="utf-8") as ready:
        ready.write(name + "\n")
    with open(os.path.join(directory, "hold"), encoding="utf-8") as hold:
        hold.readline()


def save_point(venv_dir: Path, state: EnvState) -> str | None:
    """The point a save of ``state`` reaches: what it adds or changes, or None."""
    recorded = state_module.load_state(venv_dir).requirements
    touched: list[Requirement] = [
        req for name, req in state.requirements.items() if recorded.get(name) != req
    ]
    if not touched:
        return None
    return "setup-deps" if all(req.setup for req in touched) else "install"


def _pausing_venv_record(
    real: Callable[[Path, VenvInfo], None],
) -> Callable[[Path, VenvInfo], None]:
    @functools.wraps(real)
    def write_venv_record(venv_dir: Path, info: VenvInfo) -> None:
        pause("venv")
        real(venv_dir, info)

    return write_venv_record


def _pausing_save_state(real: Callable[[Path, EnvState], None]) -> Callable[[Path, EnvState], None]:
    @functools.wraps(real)
    def save_state(venv_dir: Path, state: EnvState) -> None:
        if os.environ.get(POINT_VAR) in ("setup-deps", "install"):
            point = save_point(venv_dir, state)
            if point is not None:
                pause(point)
        real(venv_dir, state)

    return save_state


def _pausing_nth_save(
    real: Callable[[Path, EnvState], None], point: str
) -> Callable[[Path, EnvState], None]:
    wanted = int(point.partition(":")[2])
    calls = 0

    @functools.wraps(real)
    def save_state(venv_dir: Path, state: EnvState) -> None:
        nonlocal calls
        calls += 1
        if calls == wanted:
            pause(point)
        real(venv_dir, state)

    return save_state


def _forget_self() -> None:
    """Take this module out of the environment ivpm passes on to what it starts."""
    plugins = [p.strip() for p in os.environ.get("IVPM_PLUGINS", "").split(",")]
    kept = [p for p in plugins if p and p != __name__]
    if kept:
        os.environ["IVPM_PLUGINS"] = ",".join(kept)
    else:
        os.environ.pop("IVPM_PLUGINS", None)
    entries = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if REPO_ROOT in entries:
        del entries[len(entries) - 1 - entries[::-1].index(REPO_ROOT)]  # the last: the harness's
        if any(entries):
            os.environ["PYTHONPATH"] = os.pathsep.join(entries)
        else:
            os.environ.pop("PYTHONPATH", None)


def install() -> None:
    """Wrap the writers when a pause is asked for (both writers stay untouched otherwise)."""
    point = os.environ.get(POINT_VAR)
    if point == "venv":
        venv_module.write_venv_record = _pausing_venv_record(
            _writer(venv_module, "write_venv_record")
        )
    elif point in ("setup-deps", "install"):
        state_module.save_state = _pausing_save_state(_writer(state_module, "save_state"))
    elif point is not None and point.startswith("state:"):
        state_module.save_state = _pausing_nth_save(_writer(state_module, "save_state"), point)


def _writer(module: ModuleType, name: str) -> Callable[[Path, Any], None]:
    """``module.name``; its absence is an import error ivpm reports (the point cannot exist)."""
    function = getattr(module, name, None)
    if not callable(function):
        raise ImportError(f"{module.__name__}.{name} is missing, so the pause point cannot be set")
    return cast("Callable[[Path, Any], None]", function)


_forget_self()
install()

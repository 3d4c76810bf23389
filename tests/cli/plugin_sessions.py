"""Sessions registered through IVPM_PLUGINS, to exercise the runner from the outside."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ivpm.context import Session
from ivpm.errors import SessionFailure
from ivpm.sessions import session

TRACE = "IVPM_TEST_TRACE"


def _trace(name: str) -> None:
    with Path(os.environ[TRACE]).open("a", encoding="utf-8") as handle:
        handle.write(name + "\n")


@session(name="t_a", writes=False)
def t_a(s: Session) -> None:
    """First test session."""
    _trace(s.name)


@session(name="t_b", requires=["t_a"], writes=False)
def t_b(s: Session) -> None:
    """Second test session, needs t_a."""
    _trace(s.name)


@session(name="t_c", requires=["t_a", "t_b"], writes=False)
def t_c(s: Session) -> None:
    """Third test session, needs t_a and t_b."""
    _trace(s.name)


@session(name="t_fail", writes=False)
def t_fail(s: Session) -> None:
    """A session that fails."""
    _trace(s.name)
    raise SessionFailure("t_fail could not do its work", details="tool output line")


@session(name="t_after_fail", requires=["t_fail"], writes=False)
def t_after_fail(s: Session) -> None:
    """Never runs: its prerequisite fails."""
    _trace(s.name)


@session(name="t_skip", writes=False)
def t_skip(s: Session) -> None:
    """A session with nothing to do."""
    s.skip("nothing to do")


@session(name="t_cycle_a", requires=["t_cycle_b"], writes=False)
def t_cycle_a(s: Session) -> None:
    """Part of a cycle."""


@session(name="t_cycle_b", requires=["t_cycle_a"], writes=False)
def t_cycle_b(s: Session) -> None:
    """Part of a cycle."""


@session(name="t_hold")
def t_hold(s: Session) -> None:
    """Holds the workspace lock until a line arrives on the FIFO named by IVPM_TEST_FIFO."""
    print("holding", flush=True)
    with open(os.environ["IVPM_TEST_FIFO"], encoding="utf-8") as fifo:
        fifo.readline()
    _trace(s.name)


@session(name="t_locked")
def t_locked(s: Session) -> None:
    """Needs the workspace lock, then records that it ran."""
    _trace(s.name)


@session(name="t_bug", writes=False)
def t_bug(s: Session) -> None:
    """An internal error (a bug), not a user error."""
    raise RuntimeError("boom")


@session(name="t_interrupt", writes=False)
def t_interrupt(s: Session) -> None:
    """Behaves as if Ctrl-C was pressed."""
    raise KeyboardInterrupt


@session(name="t_project", writes=False)
def t_project(s: Session) -> None:
    """Prints the project directory it found."""
    print(s.project_dir, file=sys.stdout)

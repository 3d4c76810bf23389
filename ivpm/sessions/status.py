"""``status``: what the active dep-set asked for, what is installed, and what is wrong."""

from __future__ import annotations

from ivpm.session import Session
from ivpm.sessions import session


@session(name="status", writes=False)
def status(s: Session) -> None:
    """Show each dependency: source, wanted and installed version, editable path, git, problems.

    Reads ivpm.yaml, the source packages already under packages/ and the environment; fetches
    and installs nothing. A problem (not fetched, not installed, stale since ivpm.yaml changed,
    not editable or editable elsewhere, native extension not built, import fails) makes it
    exit with status 1. `--json` prints the report for tools.
    """
    from ivpm.sessions.status_rows import run_status

    run_status(s)

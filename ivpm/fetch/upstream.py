"""Many checkouts at once: fetching their upstreams and reading their state, in parallel
(``ivpm sync``, ``ivpm status``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from ivpm.fetch.checkout import CheckoutState, checkout_state, fetch_upstream
from ivpm.fetch.git import Git
from ivpm.fetch.parallel import default_jobs
from ivpm.proc import CommandFailed

T = TypeVar("T")

#: Below this many checkouts one thread reads them all.
_PARALLEL_FROM = 4
#: At most this many ``git status`` at once unless ``-j`` says: each is short and mostly CPU.
_MAX_STATUS_WORKERS = 4


def fetch_upstreams(
    checkouts: Sequence[Path], *, jobs: int, git: Git | None = None
) -> dict[Path, CommandFailed]:
    """``git fetch`` every checkout in ``checkouts``, ``jobs`` at a time (``<= 0``: the fetch
    default), and return the failures by checkout; the others were fetched.

    Ctrl-C stops the git processes still running and propagates; a fetch only moves
    remote-tracking refs, so stopping one loses nothing.
    """
    git = git or Git()

    def one(path: Path) -> CommandFailed | None:
        try:
            fetch_upstream(path, git=git)
        except CommandFailed as exc:
            return exc
        return None

    workers = jobs if jobs > 0 else default_jobs()
    outcomes = _each(checkouts, one, workers=workers, name="ivpm-upstream")
    return {path: failure for path, failure in outcomes.items() if failure is not None}


def checkout_states(
    paths: Sequence[Path], *, jobs: int = 0, git: Git | None = None
) -> dict[Path, CheckoutState | None]:
    """:func:`~ivpm.fetch.checkout.checkout_state` of each of ``paths``, ``jobs`` at a time
    (``<= 0``: one per CPU, at most four). Ctrl-C stops the git processes still running."""
    git = git or Git()
    if len(paths) < _PARALLEL_FROM:
        return {path: checkout_state(path, git=git) for path in paths}
    workers = jobs if jobs > 0 else min(_MAX_STATUS_WORKERS, os.cpu_count() or 1)
    return _each(
        paths, lambda path: checkout_state(path, git=git), workers=workers, name="ivpm-status"
    )


def _each(
    paths: Sequence[Path], work: Callable[[Path], T], *, workers: int, name: str
) -> dict[Path, T]:
    """``work(path)`` for every path, ``workers`` threads at a time, results by path.

    An exception (Ctrl-C) stops the commands still running, lets the threads finish and
    propagates.
    """
    if not paths:
        return {}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, len(paths)), thread_name_prefix=name) as pool:
        futures = {path: pool.submit(work, path) for path in paths}
        try:
            return {path: future.result() for path, future in futures.items()}
        except BaseException:
            from ivpm.proc import abort_commands

            abort_commands()
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def git_reason(output: str) -> str:
    """What went wrong, as git said it: its first ``fatal:``/``error:`` line with the
    indented lines that follow it (the files it names, at most three), else its last line
    ("no output" when it said nothing)."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if line.startswith(("fatal:", "error:")):
            named = []
            for follower in lines[index + 1 : index + 4]:
                if not follower[:1].isspace():
                    break
                named.append(follower.strip())
            return " ".join([line.strip(), *named])
    return lines[-1].strip() if lines else "no output"

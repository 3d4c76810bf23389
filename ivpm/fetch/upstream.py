"""Fetching the upstream of many checkouts at once (``ivpm sync``, ``ivpm status --fetch``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ivpm.fetch.checkout import fetch_upstream
from ivpm.fetch.git import Git
from ivpm.fetch.parallel import default_jobs
from ivpm.proc import CommandFailed


def fetch_upstreams(
    checkouts: Sequence[Path], *, jobs: int, git: Git | None = None
) -> dict[Path, CommandFailed]:
    """``git fetch`` every checkout in ``checkouts``, ``jobs`` at a time (``<= 0``: the fetch
    default), and return the failures by checkout; the others were fetched.

    Ctrl-C stops the git processes still running and propagates; a fetch only moves
    remote-tracking refs, so stopping one loses nothing.
    """
    if not checkouts:
        return {}
    from concurrent.futures import ThreadPoolExecutor

    git = git or Git()
    failures: dict[Path, CommandFailed] = {}

    def one(path: Path) -> None:
        try:
            fetch_upstream(path, git=git)
        except CommandFailed as exc:
            failures[path] = exc

    workers = min(jobs if jobs > 0 else default_jobs(), len(checkouts))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ivpm-upstream") as pool:
        futures = [pool.submit(one, path) for path in checkouts]
        try:
            for future in futures:
                future.result()
        except BaseException:
            from ivpm.proc import abort_commands

            abort_commands()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return failures

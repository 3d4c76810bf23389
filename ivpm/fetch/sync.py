"""Bringing git checkouts up to their upstream without losing local work (``ivpm sync``).

Every checkout is fetched (in parallel), then judged: one that is clean and only behind is
fast-forwarded; one with uncommitted changes, local commits, a diverged history, no branch or
no upstream is left as it is, and so is one pinned to a commit or tag by ivpm.yaml or a lock
file. A fast-forward runs detached from ivpm's process group and is waited for on Ctrl-C, so
a checkout is never left half-moved.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ivpm.fetch.checkout import CheckoutState, checkout_state
from ivpm.fetch.git import Git, update_submodules
from ivpm.fetch.head import find_git_dir, read_head_commit
from ivpm.fetch.parallel import default_jobs
from ivpm.fetch.result import DepFetchError
from ivpm.fetch.upstream import checkout_states, fetch_upstreams, git_reason
from ivpm.proc import CommandFailed
from ivpm.project.model import Dep, Resolution, Source
from ivpm.project.names import is_commit

if TYPE_CHECKING:
    from ivpm.lockfile import LockData

log = logging.getLogger("ivpm")


class Verdict(enum.Enum):
    """What sync did (or, with ``--dry-run``, would do) with one checkout."""

    UP_TO_DATE = "up-to-date"
    MOVED = "fast-forwarded"
    WOULD_MOVE = "behind"  # --dry-run: clean and only behind
    AHEAD = "ahead"  # local commits, nothing new upstream: kept, nothing to do
    PINNED = "pinned"
    NOT_FETCHED = "not-fetched"  # the update clones it
    CACHED = "cached"  # a shared read-only cache entry: the update picks its commit
    LEFT = "left"  # left behind: the message says why


#: The verdicts that leave a checkout behind its upstream (``ivpm sync`` exits 1).
LEFT_BEHIND = frozenset({Verdict.LEFT})


@dataclass(frozen=True)
class Checkout:
    """A git source dep's folder under packages/ and what pins it, if anything does."""

    dep: Dep
    path: Path
    lock_commit: str | None = None  # the commit --lock-file pins (update moves it there)
    fetched: bool = True  # False: not under packages/ yet
    cached: bool = False  # a link into the shared cache

    @property
    def pin(self) -> str | None:
        """What pins it, e.g. ``tag v1.0 (ivpm.yaml:12:9)``; None when it follows a branch."""
        return pin_of(self.dep, self.lock_commit)

    @property
    def pinned_commit(self) -> str | None:
        """The commit the lock file or ``commit:`` names (a tag pin names none)."""
        return self.lock_commit or self.dep.commit


@dataclass(frozen=True)
class SyncResult:
    """One checkout's outcome: the verdict, one line for the user and the commits involved."""

    name: str
    path: Path
    verdict: Verdict
    message: str
    before: str | None = None
    after: str | None = None
    state: CheckoutState | None = None

    @property
    def left_behind(self) -> bool:
        """True when the checkout could not be brought up to its upstream."""
        return self.verdict in LEFT_BEHIND


Report = Callable[[SyncResult], None]


def pin_of(dep: Dep, lock_commit: str | None = None) -> str | None:
    """How ivpm.yaml (``commit:``, ``tag:``) or the lock file (``lock_commit``) pins ``dep``;
    None when nothing pins it (it follows a branch)."""
    if lock_commit:
        return f"commit {lock_commit[:12]} (the lock file)"
    if dep.commit:
        return f"commit {dep.commit[:12]} ({dep.location})"
    if dep.tag:
        return f"tag {dep.tag} ({dep.location})"
    return None


def git_checkouts(
    resolution: Resolution, missing: Collection[str], lock: LockData | None
) -> list[Checkout]:
    """The git deps of ``resolution`` (the whole tree) as checkouts, each folder once, with
    what pins them; ``missing`` names the deps not fetched yet."""
    from ivpm.cache.root import is_cache_link

    lock_pins = {name: pin.commit for name, pin in lock.git.items()} if lock else {}
    checkouts: dict[Path, Checkout] = {}
    for resolved in resolution.deps.values():
        dep, path = resolved.dep, resolved.path
        if dep.src is not Source.GIT or path is None or path in checkouts:
            continue
        checkouts[path] = Checkout(
            dep,
            path,
            lock_commit=lock_pins.get(dep.name),
            fetched=dep.name not in missing,
            cached=is_cache_link(path),
        )
    return list(checkouts.values())


def fetchable(checkouts: Sequence[Checkout]) -> list[Checkout]:
    """The checkouts ``git fetch`` may run in: fetched, not pinned, not a shared cache entry."""
    return [c for c in checkouts if c.fetched and not c.cached and c.pin is None]


def sync_checkouts(
    checkouts: Sequence[Checkout],
    *,
    jobs: int,
    dry_run: bool,
    report: Report | None = None,
) -> list[SyncResult]:
    """Fetch and judge every checkout, fast-forwarding the clean ones that are only behind
    (none with ``dry_run``); returns one result per checkout, in the order given.

    ``report`` is called in the calling thread as each result is known. On Ctrl-C while
    checkouts move, the moves already started finish, nothing new starts, and the
    ``KeyboardInterrupt`` propagates after ``report`` has seen the finished ones.
    """
    results: dict[Path, SyncResult] = {}

    def done(result: SyncResult) -> None:
        results[result.path] = result
        if report is not None:
            report(result)

    git = Git()
    live: list[Checkout] = []
    for checkout in checkouts:
        early = _without_fetch(checkout)
        if early is None:
            live.append(checkout)
        else:
            done(early)
    failures = fetch_upstreams([c.path for c in live], jobs=jobs, git=git)
    states = checkout_states([c.path for c in live if c.path not in failures], jobs=jobs, git=git)
    movable: list[tuple[Checkout, CheckoutState]] = []
    for checkout in live:
        failure = failures.get(checkout.path)
        if failure is not None:
            done(_left(checkout, f"git fetch failed: {git_reason(failure.output)}"))
            continue
        state = states[checkout.path]
        if state is None:
            done(_left(checkout, "not a git checkout"))
            continue
        judged = _judge(checkout, state, dry_run=dry_run)
        if judged is None:
            movable.append((checkout, state))
        else:
            done(judged)
    _move_all(movable, jobs=jobs, done=done)
    return [results[c.path] for c in checkouts]


def _without_fetch(checkout: Checkout) -> SyncResult | None:
    """The result of a checkout that is not fetched at all; None for one to fetch."""
    name, path = checkout.dep.name, checkout.path
    if not checkout.fetched:
        return SyncResult(name, path, Verdict.NOT_FETCHED, "not fetched yet: the update clones it")
    if checkout.cached:
        return SyncResult(
            name,
            path,
            Verdict.CACHED,
            "a shared cache entry (cache: true): the update links the commit its ref names",
        )
    if checkout.pin is not None:
        head = read_head_commit(path)
        wanted = checkout.pinned_commit
        if head and wanted and not is_commit(head, wanted):
            then = (
                "the update moves it there if that loses no local work"
                if checkout.lock_commit
                else f"ivpm keeps checkouts where they are: 'git checkout {wanted[:12]}' in it "
                "moves it"
            )
            return SyncResult(
                name, path, Verdict.PINNED, f"pinned to {checkout.pin}, but at {head[:12]}: {then}"
            )
        return SyncResult(name, path, Verdict.PINNED, f"pinned to {checkout.pin}: not moved")
    if find_git_dir(path) is None:
        return _left(checkout, "not a git checkout")
    return None


def _judge(checkout: Checkout, state: CheckoutState, *, dry_run: bool) -> SyncResult | None:
    """The result for a checkout that is not fast-forwarded; None for one to move."""
    name, path = checkout.dep.name, checkout.path
    if state.branch is None:
        at = (state.commit or "?")[:12]
        branch = checkout.dep.branch or "BRANCH"
        return _left(
            checkout,
            f"detached HEAD at {at}, no branch to fast-forward: 'git switch {branch}' in it "
            "follows a branch again",
            state,
        )
    if state.upstream is None:
        return _left(checkout, f"branch '{state.branch}' tracks no upstream branch", state)
    if state.ahead is None or state.behind is None:
        return _left(checkout, f"its upstream {state.upstream} is gone", state)
    upstream = state.upstream
    if state.submodules_moved:
        names = ", ".join(state.submodules_moved)
        return _left(
            checkout,
            f"submodule {names} is checked out at another commit than the one recorded: "
            "'git submodule update' puts it back, 'git add' records the new one",
            state,
        )
    if state.diverged:
        return _left(
            checkout,
            f"diverged from {upstream} ({_commits(state.ahead)} only here, "
            f"{_commits(state.behind)} only upstream): merge or rebase it by hand",
            state,
        )
    if state.behind and state.dirty:
        return _left(
            checkout,
            f"{_commits(state.behind)} behind {upstream}, but {_files(len(state.changed))} "
            "uncommitted changes: commit or stash them",
            state,
        )
    modified = f"; {_files(len(state.changed))} uncommitted changes" if state.dirty else ""
    if state.ahead:
        return SyncResult(
            name,
            path,
            Verdict.AHEAD,
            f"{_commits(state.ahead)} ahead of {upstream}, nothing new upstream: kept{modified}",
            state.commit,
            state.commit,
            state,
        )
    if not state.behind:
        return SyncResult(
            name,
            path,
            Verdict.UP_TO_DATE,
            f"up to date with {upstream}{modified}",
            state.commit,
            state.commit,
            state,
        )
    if dry_run:
        return SyncResult(
            name,
            path,
            Verdict.WOULD_MOVE,
            f"{_commits(state.behind)} behind {upstream}: would fast-forward",
            state.commit,
            None,
            state,
        )
    return None


def _move_all(
    movable: Sequence[tuple[Checkout, CheckoutState]],
    *,
    jobs: int,
    done: Callable[[SyncResult], None],
) -> None:
    """Fast-forward ``movable`` in parallel; Ctrl-C lets the started moves finish."""
    if not movable:
        return
    from concurrent.futures import Future, ThreadPoolExecutor, as_completed

    workers = min(jobs if jobs > 0 else default_jobs(), len(movable))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ivpm-sync")
    futures: dict[Future[SyncResult], Checkout] = {
        pool.submit(_fast_forward, checkout, state): checkout for checkout, state in movable
    }
    reported: set[Future[SyncResult]] = set()
    try:
        for future in as_completed(futures):
            reported.add(future)
            done(future.result())
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        running = sum(1 for future in futures if future.running())
        if running:
            log.warning("interrupted: letting %d fast-forwards under way finish", running)
        pool.shutdown(wait=True)
        for future in futures:
            if future in reported or future.cancelled() or future.exception() is not None:
                continue
            done(future.result())
        raise
    finally:
        pool.shutdown(wait=True)


def _fast_forward(checkout: Checkout, state: CheckoutState) -> SyncResult:
    """Move the checkout's branch to its upstream (``git merge --ff-only``, detached so that
    Ctrl-C does not stop it halfway), then its submodules (which Ctrl-C may stop: they may
    wait on the network); a refusal (an untracked file in the way) leaves it where it was."""
    assert state.upstream is not None and state.behind is not None
    path = checkout.path
    git = Git()
    try:
        Git(detached=True).run(
            ["merge", "--ff-only", "--quiet", "--no-stat", "@{upstream}"], repo=path
        )
    except CommandFailed as exc:
        return _left(checkout, f"git merge --ff-only failed: {git_reason(exc.output)}", state)
    after = checkout_state(path, git=git)
    head = None if after is None else after.commit
    message = (
        f"fast-forwarded {_commits(state.behind)} from {state.upstream} "
        f"({(state.commit or '?')[:12]} -> {(head or '?')[:12]})"
    )
    try:
        update_submodules(checkout.dep, path, git)
    except DepFetchError as exc:
        return SyncResult(
            checkout.dep.name,
            path,
            Verdict.LEFT,
            f"{message}, but its submodules did not follow: {exc.reason}",
            state.commit,
            head,
            after,
        )
    return SyncResult(checkout.dep.name, path, Verdict.MOVED, message, state.commit, head, after)


def _left(checkout: Checkout, why: str, state: CheckoutState | None = None) -> SyncResult:
    commit = None if state is None else state.commit
    return SyncResult(
        checkout.dep.name,
        checkout.path,
        Verdict.LEFT,
        f"left as it is: {why}",
        commit,
        commit,
        state,
    )


def _commits(count: int) -> str:
    return f"{count} commit{'' if count == 1 else 's'}"


def _files(count: int) -> str:
    return f"{count} file{' has' if count == 1 else 's have'}"

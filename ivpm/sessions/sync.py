"""``sync``: bring every git checkout under packages/ up to its upstream, then update."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivpm import options as opt
from ivpm.context import Session
from ivpm.errors import SessionFailure, name_list
from ivpm.sessions import session
from ivpm.sessions.update import INSTALL_OPTIONS

if TYPE_CHECKING:
    from ivpm.fetch.sync import Checkout

DRY_RUN = opt.flag("-n", "--dry-run", help="sync: fetch and report what would move; change nothing")


@session(name="sync", options=[*opt.PROJECT_OPTIONS, *INSTALL_OPTIONS, DRY_RUN])
def sync(s: Session) -> None:
    """Fetch every git checkout's upstream, fast-forward the clean ones, then update.

    Each git checkout under packages/ (the root project's deps and the sub-projects') is
    fetched in parallel. One that is clean and only behind is fast-forwarded; one that is
    behind with uncommitted changes, has diverged, or has no branch or no upstream is left as
    it is, and so is one pinned to a commit or tag by ivpm.yaml or --lock-file; local commits
    that are only ahead are kept. One line each says which. Then the update runs: source
    packages whose build files changed are reinstalled, new or changed sub-project ivpm.yaml
    files are followed, and the lock file is refreshed. `-n/--dry-run` fetches and reports
    (behind and ahead counts, uncommitted changes) and changes nothing. Exits 1 when any
    checkout was left behind its upstream.
    """
    from ivpm.fetch.sync import SyncResult, Verdict, sync_checkouts

    checkouts = _checkouts(s)
    if not checkouts:
        s.log.info("no git checkouts to sync")
    width = max((len(c.dep.name) for c in checkouts), default=0)

    def report(result: SyncResult) -> None:
        print(f"{result.name.ljust(width)}  {result.message}", flush=True)

    dry_run = s.option(DRY_RUN)
    results = sync_checkouts(checkouts, jobs=s.option(opt.JOBS), dry_run=dry_run, report=report)
    left = [result for result in results if result.left_behind]
    moved = [result for result in results if result.before != result.after and result.after]
    if dry_run:
        behind = [r for r in results if r.verdict is Verdict.WOULD_MOVE]
        s.log.info(
            "dry run: %d of %d checkouts would fast-forward; nothing changed",
            len(behind),
            len(checkouts),
        )
    else:
        s.log.info("fast-forwarded %d of %d checkouts", len(moved), len(checkouts))
        s.notify("update")
    if left:
        names = name_list([result.name for result in left])
        failure = SessionFailure(
            f"{len(left)} of {len(checkouts)} checkouts left behind their upstream: {names}",
            hint="each line above says why and what to do about it; then run 'ivpm sync' again",
        )
        if dry_run:
            raise failure
        s.fail_at_end(failure)


def _checkouts(s: Session) -> list[Checkout]:
    """The git checkouts of the selected dep-sets (the whole tree), as found under packages/."""
    from ivpm.fetch.sync import git_checkouts
    from ivpm.fetch.tree import resolve_offline

    resolution, missing = resolve_offline(
        s.project, s.packages_dir, dep_sets=s.context.dep_sets_requested
    )
    return git_checkouts(resolution, missing, s.lock_data)

"""Fetching all source deps of a resolution in parallel, with one combined error report."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ivpm.errors import SessionFailure
from ivpm.fetch.git import Git, clone_git, refresh_git
from ivpm.fetch.head import find_git_dir, read_head_branch, read_head_commit, read_origin_url
from ivpm.fetch.local import fetch_dir, kept_dir
from ivpm.fetch.result import DepFetchError, FetchResult
from ivpm.fetch.staging import clean_stale_temps, is_within
from ivpm.fetch.urls import clone_url, same_repository
from ivpm.fetch.validate import check_cacheable, check_deps
from ivpm.project.model import Dep, Source
from ivpm.project.names import is_commit

log = logging.getLogger("ivpm")

if TYPE_CHECKING:
    from concurrent.futures import Future

Progress = Callable[[str, int, int], None]
_MAX_OUTPUT_LINES = 20
#: The kinds whose content is downloaded (an archive or a release asset), not cloned or copied.
DOWNLOADED = frozenset({Source.HTTP, Source.FILE, Source.URL, Source.GH_RLS})


def default_jobs() -> int:
    """Parallel fetches when ``-j`` is not given: four per CPU, at most 16.

    A clone mostly waits on its git process and the disk, not the CPU, so more workers than
    CPUs pay off (measured: 40 clones on 2 CPUs, -j 8 was 2.5x faster than -j 1).
    """
    return min(16, 4 * (os.cpu_count() or 1))


def fetch_deps(
    deps: Sequence[Dep],
    packages_dir: Path,
    *,
    jobs: int,
    pins: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    ssh: bool = False,
) -> dict[str, FetchResult]:
    """Fetch the source deps among ``deps`` into ``packages_dir/<name>``, ``jobs`` at a time.

    Existing entries are kept (never re-cloned, reset or deleted); an existing clean git
    checkout is moved to ``pins[name]`` when the lock file pins another commit, and a dir
    dep's copy or link is made again when its ``url`` or ``link`` changed. When nothing
    needs doing no git process is started. ``progress(name, done, total)`` is called in the
    calling thread as each dep finishes. ``jobs <= 0`` means :func:`default_jobs`. ``ssh`` is
    ``--ssh``: git deps are cloned from the ssh form of their https URL unless they say
    ``anonymous: true`` (see :mod:`ivpm.fetch.urls`); existing checkouts keep their origin.

    PyPI deps in ``deps`` are skipped. Returns the results keyed by name, in the order of
    ``deps``. Raises :class:`~ivpm.errors.ConfigError` for an invalid dep before anything is
    fetched, and one :class:`~ivpm.errors.SessionFailure` listing every dep that failed once
    the others have finished.
    """
    pins = dict(pins or {})
    deps = [dep for dep in deps if dep.is_source]
    check_deps(deps, pins)
    total = len(deps)
    results: dict[str, FetchResult] = {}
    failures: list[DepFetchError] = []
    done = 0

    def finished(name: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(name, done, total)

    if deps:
        packages_dir.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(packages_dir, (dep.name for dep in deps))

    pending: list[Dep] = []
    for dep in deps:
        try:
            check_cacheable(dep)
            quick = _fast_path(dep, packages_dir / dep.name, pins.get(dep.name))
        except DepFetchError as exc:
            failures.append(exc)
            finished(dep.name)
            continue
        if quick is None:
            pending.append(dep)
        else:
            results[dep.name] = quick
            finished(dep.name)

    if pending:
        # Imported here: the no-op path (everything kept) never needs threads.
        from concurrent.futures import ThreadPoolExecutor, as_completed

        git = Git()
        workers = min(jobs if jobs > 0 else default_jobs(), len(pending))
        unexpected: BaseException | None = None
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ivpm-fetch") as pool:
            futures: dict[Future[FetchResult], Dep] = {
                pool.submit(_fetch_one, dep, packages_dir, pins.get(dep.name), git, ssh): dep
                for dep in pending
            }
            try:
                for future in as_completed(futures):
                    dep = futures[future]
                    try:
                        results[dep.name] = future.result()
                    except DepFetchError as exc:
                        failures.append(exc)
                    except OSError as exc:
                        failures.append(DepFetchError(dep, str(exc)))
                    except Exception as exc:  # a bug: report it after the others finish
                        unexpected = unexpected or exc
                    finished(dep.name)
            except BaseException:
                from ivpm.fetch.http import abort_requests, allow_requests
                from ivpm.proc import abort_commands

                abort_requests()  # unblock downloads waiting on a silent server
                abort_commands()  # and git commands the worker threads wait on
                pool.shutdown(wait=True, cancel_futures=True)
                allow_requests()
                raise
        if unexpected is not None:
            raise unexpected

    if failures:
        raise _combined_failure(deps, failures)
    return {dep.name: results[dep.name] for dep in deps}


def _fast_path(dep: Dep, dest: Path, pin: str | None) -> FetchResult | None:
    """The result for a dep that needs no git process and no copying, else ``None``."""
    if not os.path.lexists(dest):
        return None
    if dep.src in DOWNLOADED:
        from ivpm.fetch.archive import kept_archive

        return kept_archive(dep, dest)
    if dep.src is Source.DIR:
        return kept_dir(dep, dest)
    if dest.is_symlink():
        from ivpm.cache.root import is_cache_link

        if is_cache_link(dest):
            from ivpm.cache.git import kept_cached_git

            return kept_cached_git(dep, dest, pin)
    project_root = dest.parent.parent
    if dest.is_symlink() and not is_within(dest, project_root):
        raise DepFetchError(
            dep,
            f"{dest} is a symbolic link to {os.path.realpath(dest)}, outside the project; "
            "ivpm will not use or change it",
            hint="remove the link, or declare the dep with 'src: dir' and 'link: true'",
        )
    if not dest.exists():
        raise DepFetchError(dep, f"{dest} is a broken symbolic link", hint="remove it")
    head = read_head_commit(dest)
    if head is None and find_git_dir(dest) is not None:
        return None  # let the worker ask git
    if pin is not None and (head is None or not is_commit(head, pin)):
        return None
    if pin is None and head is not None:
        _warn_if_elsewhere(dep, dest, head)
    return FetchResult(dep.name, dest, "git", "kept", head)


def _warn_if_elsewhere(dep: Dep, dest: Path, head: str) -> None:
    """Say when a kept checkout is not from the url, or on the branch or commit, ivpm.yaml names.

    The checkout is the user's: ivpm never switches it, but a silent mismatch would hide why
    the code differs from what ivpm.yaml says.
    """
    branch = read_head_branch(dest)
    origin = read_origin_url(dest)
    if origin is not None and dep.url is not None and not same_repository(origin, clone_url(dep)):
        where, wanted = f"cloned from {origin}", f"url {dep.url}"
    elif dep.commit is not None and not is_commit(head, dep.commit):
        where, wanted = f"at commit {head[:12]}", f"commit {dep.commit}"
    elif dep.commit is None and dep.branch is not None and branch != dep.branch:
        where = f"on branch {branch}" if branch else f"at commit {head[:12]} (detached)"
        wanted = f"branch {dep.branch}"
    else:
        return
    log.warning(
        "%s: the existing checkout packages/%s is %s, ivpm.yaml names %s; it is kept as it is "
        "(switch it with git, or remove packages/%s to clone it again)",
        dep.location,
        dep.name,
        where,
        wanted,
        dep.name,
    )


def _fetch_one(dep: Dep, packages_dir: Path, pin: str | None, git: Git, ssh: bool) -> FetchResult:
    dest = packages_dir / dep.name
    if dep.src is Source.DIR:
        return fetch_dir(dep, dest)
    if dep.src is Source.GH_RLS:
        from ivpm.fetch.ghrelease import fetch_release

        return fetch_release(dep, dest)
    if dep.src in DOWNLOADED:
        from ivpm.fetch.archive import fetch_archive

        return fetch_archive(dep, dest)
    if dep.cache or dest.is_symlink():
        from ivpm.cache.root import is_cache_link

        if dep.cache or is_cache_link(dest):
            from ivpm.cache.git import fetch_cached_git

            return fetch_cached_git(dep, dest, pin=pin, git=git, ssh=ssh)
    if os.path.lexists(dest):
        return refresh_git(dep, dest, pin=pin, git=git)
    return clone_git(dep, dest, pin=pin, git=git, ssh=ssh)


def _combined_failure(deps: Sequence[Dep], failures: list[DepFetchError]) -> SessionFailure:
    order = {dep.name: index for index, dep in enumerate(deps)}
    failures = sorted(failures, key=lambda failure: order.get(failure.dep.name, len(order)))
    if len(failures) == 1:
        message = f"failed to fetch dependency '{failures[0].dep.name}'"
    else:
        names = ", ".join(failure.dep.name for failure in failures)
        message = f"failed to fetch {len(failures)} dependencies: {names}"
    lines: list[str] = []
    for failure in failures:
        lines.append(f"{failure.dep.location}: {failure.dep.name}: {failure.reason}")
        output = [line.rstrip() for line in failure.output.splitlines() if line.strip()]
        if len(output) > _MAX_OUTPUT_LINES:
            skipped = len(output) - _MAX_OUTPUT_LINES
            output = [f"... ({skipped} more lines)", *output[-_MAX_OUTPUT_LINES:]]
        lines.extend("    " + line for line in output)
        if failure.hint:
            lines.append(f"    hint: {failure.hint}")
    return SessionFailure(message, details="\n".join(lines))

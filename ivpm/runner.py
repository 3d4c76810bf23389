"""Runs the selected sessions in order, under the workspace lock, and reports their outcomes."""

from __future__ import annotations

import enum
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from ivpm import layout
from ivpm.context import RunContext, Session, SessionSkipped
from ivpm.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SESSION_FAILED,
    IvpmError,
    UsageError,
    display_path,
    file_system_error,
)
from ivpm.registry import Registry, SessionSpec
from ivpm.replay import watch as replay_watch
from ivpm.workspace_lock import WorkspaceLock, lock_timeout_from_env

log = logging.getLogger("ivpm")


class Outcome(enum.Enum):
    """How one session ended."""

    SUCCESS = "success"
    SKIPPED = "skipped"
    FAILED = "failed"
    ABORTED = "aborted"


@dataclass(frozen=True)
class SessionResult:
    """One session's outcome and the reason shown in the summary."""

    name: str
    outcome: Outcome
    reason: str = ""


def run_sessions(registry: Registry, selected: Sequence[str], context: RunContext) -> int:
    """Run ``selected`` (with prerequisites) and return the process exit code.

    Selection and configuration errors surface as :class:`IvpmError` before anything is
    written. The workspace lock is taken before the first session that writes and held to the
    end. A failed session aborts the sessions that require it; sessions queued with
    :meth:`Session.notify` run after the one that queued them.
    """
    queue = registry.plan(selected)
    context.planned = frozenset(spec.name for spec in queue)
    if any(spec.needs_project for spec in queue):
        context.preflight()
        replay_watch.project_known(context.project_dir, context.packages_dir())
    results: list[SessionResult] = []
    exit_code = EXIT_OK
    with ExitStack() as stack:
        locked: set[Path] = set()
        checked: set[Path] = set()
        while queue:
            spec = queue.pop(0)
            if spec.needs_project and context.project_dir is not None:
                _check_packages_link(context, checked, refuse=spec.writes)
            if (
                spec.writes
                and context.project_dir is not None
                and context.project_dir not in locked
            ):
                packages = context.packages_dir()
                assert packages is not None  # there is a project (tested above)
                stack.enter_context(WorkspaceLock(packages, timeout=lock_timeout_from_env()))
                locked.add(context.project_dir)
            result, code = _run_one(spec, context, results)
            results.append(result)
            if code != EXIT_OK and exit_code == EXIT_OK:
                exit_code = code
            if code == EXIT_INTERRUPTED:
                break
            if context.notified:
                done = {r.name for r in results} | {s.name for s in queue}
                notified = registry.plan(context.notified)
                context.notified.clear()
                if result.outcome is Outcome.SUCCESS:
                    context.preflight()
                    queue = [s for s in notified if s.name not in done] + queue
                    context.planned |= {spec.name for spec in queue}
        _wait_for_background(context)
        for name, failure in context.deferred.items():
            print(failure.render(), file=sys.stderr)
            results = [
                SessionResult(r.name, Outcome.FAILED) if r.name == name else r for r in results
            ]
            if exit_code == EXIT_OK:
                exit_code = failure.exit_code
        _print_summary(results, quiet=context.options.verbosity < 0)
        replay_watch.sessions_finished(exit_code)  # while the lock is still held
    return exit_code


def _wait_for_background(context: RunContext) -> None:
    """Let work a session left running (packages/python being made while the sources were
    fetched, when the run stopped before the ``venv`` session) end before the workspace lock
    is let go; its outcome no longer matters to this run."""
    pending, context.state.venv_meanwhile = context.state.venv_meanwhile, None
    if pending is not None:
        from concurrent.futures import wait

        wait([pending])


def _check_packages_link(context: RunContext, checked: set[Path], *, refuse: bool) -> None:
    """Refuse (a writing session) or warn about (one that only reads) a ``packages/`` that is,
    or lies below, a symbolic link; each project is warned about once."""
    packages = context.packages_dir()
    if context.project_dir is None or packages is None:
        return
    linked = layout.linked_packages(context.project_dir, packages)
    if linked is None:
        return
    link, target = linked
    folder = display_path(link.parent)  # the link itself is not followed
    shown = link.name if folder == "." else f"{folder}/{link.name}"
    message = (
        f"{shown} is a symbolic link (to {target}): "
        "ivpm works only in a real folder inside the project"
    )
    if refuse:
        raise UsageError(
            message,
            hint=f"replace the link with a real folder (ivpm fills it again), or set "
            f"'deps-dir:' in {layout.PROJECT_FILE} to another folder inside the project",
        )
    if packages not in checked:
        checked.add(packages)
        log.warning("warning: %s; reading it anyway", message)


def _run_one(
    spec: SessionSpec, context: RunContext, earlier: Sequence[SessionResult]
) -> tuple[SessionResult, int]:
    unfinished = {r.name for r in earlier if r.outcome in (Outcome.FAILED, Outcome.ABORTED)}
    blocked = [name for name in spec.requires if name in unfinished]
    if blocked:
        return SessionResult(spec.name, Outcome.ABORTED, f"{blocked[0]} did not succeed"), EXIT_OK
    log.debug("running session %s", spec.name)
    replay_watch.session_started(spec.name)
    try:
        spec.func(Session(spec.name, context))
    except SessionSkipped as skipped:
        return SessionResult(spec.name, Outcome.SKIPPED, str(skipped)), EXIT_OK
    except IvpmError as error:
        print(error.render(), file=sys.stderr)
        return SessionResult(spec.name, Outcome.FAILED), error.exit_code
    except KeyboardInterrupt:
        print("ivpm: interrupted", file=sys.stderr)
        return SessionResult(spec.name, Outcome.FAILED, "interrupted"), EXIT_INTERRUPTED
    except Exception as bug:
        known = file_system_error(bug, context.packages_dir())
        if known is not None:  # the environment's fault (read-only, disk full), not a bug
            if context.options.traceback:
                traceback.print_exc()
            print(known.render(), file=sys.stderr)
            return SessionResult(spec.name, Outcome.FAILED), known.exit_code
        if context.options.traceback or context.options.verbosity > 0:
            traceback.print_exc()
        else:
            print(
                f"error: internal error in session '{spec.name}': {type(bug).__name__}: {bug}\n"
                "  hint: this is a bug in ivpm; rerun with --traceback and report it",
                file=sys.stderr,
            )
        return SessionResult(spec.name, Outcome.FAILED, "internal error"), EXIT_SESSION_FAILED
    return SessionResult(spec.name, Outcome.SUCCESS), EXIT_OK


_MARKS = {
    Outcome.SUCCESS: ("*", "32"),
    Outcome.SKIPPED: ("-", "33"),
    Outcome.FAILED: ("x", "31"),
    Outcome.ABORTED: ("!", "31"),
}


def _print_summary(results: Sequence[SessionResult], *, quiet: bool) -> None:
    color = sys.stderr.isatty() and "NO_COLOR" not in os.environ
    for result in results:
        if quiet and result.outcome in (Outcome.SUCCESS, Outcome.SKIPPED):
            continue
        mark, code = _MARKS[result.outcome]
        text = f"{mark} {result.name}: {result.outcome.value}"
        if result.reason:
            text += f" ({result.reason})"
        print(f"\033[{code}m{text}\033[0m" if color else text, file=sys.stderr)

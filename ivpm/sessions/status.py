"""``status``: what the active dep-set asked for, what is installed, and what is wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivpm import options as opt
from ivpm.context import Session
from ivpm.errors import SessionFailure, UsageError
from ivpm.sessions import session

if TYPE_CHECKING:
    from pathlib import Path

    from ivpm.fetch.checkout import CheckoutState
    from ivpm.project.model import Resolution
    from ivpm.pyenv.state import EnvState
    from ivpm.status.report import EnvStatus

FETCH = opt.flag(
    "--fetch",
    help="status: first fetch each checkout's upstream, so ahead/behind are current",
)


@session(
    name="status",
    writes=False,
    options=[opt.DEP_SET, opt.JOBS, opt.LOCK_FILE, *opt.PYTHON_OPTIONS, opt.JSON, FETCH],
)
def status(s: Session) -> None:
    """Show each dependency: source, wanted and installed version, editable path, git, problems.

    Reads ivpm.yaml, the source packages already under packages/ and the environment's files
    (its interpreter is never run and no package is imported); installs nothing. A running
    update is waited for (IVPM_LOCK_TIMEOUT bounds the wait). Each git
    checkout shows branch, commit, ahead/behind its upstream as of the last fetch (--fetch
    fetches first) and its count of modified files (-v lists them). A problem of the
    environment (missing or broken, an interrupted update, a refresh pending) or of a dep
    (not fetched, fetch failed, not installed, stale since ivpm.yaml changed, wrong version,
    not editable or editable elsewhere, native extension not built, or a kind this ivpm does
    not install, such as npm) makes it exit with status 1. `--json` prints the report for
    tools, with the environment, each package's git state, paths and package-level env and
    the deps this ivpm does not install, each with the reason.
    """
    from ivpm.fetch.tree import resolve_offline
    from ivpm.pyenv.engine import wanted_state
    from ivpm.pyenv.state import load_state
    from ivpm.status.collect import collect_rows, package_info, shown
    from ivpm.status.report import (
        problem_count,
        render_environment,
        render_json,
        render_table,
        summary,
    )
    from ivpm.workspace_lock import lock_timeout_from_env, wait_for_workspace

    wait_for_workspace(s.packages_dir, timeout=lock_timeout_from_env())  # a running update
    resolution, missing = resolve_offline(
        s.project, s.packages_dir, dep_sets=s.context.dep_sets_requested
    )
    wanted = wanted_state(resolution, index=s.index, lock=s.lock_data)
    recorded = load_state(s.venv)
    env = _environment(s, wanted, recorded)
    checkouts, failures = _checkouts(s, resolution, missing)
    rows = collect_rows(
        resolution,
        missing,
        project_dir=s.project_dir,
        venv_dir=s.venv,
        wanted=wanted,
        recorded=recorded,
        checkouts=checkouts,
        fetch_failures=failures,
        check_installs=env.enabled and env.usable,
        pins={name: pin.commit for name, pin in s.lock_data.git.items()} if s.lock_data else None,
    )
    if s.option(opt.JSON):
        print(
            render_json(s.project.name, resolution.dep_set, env, rows, root=package_info(s.project))
        )
    else:
        absent = ""
        if env.enabled and not env.exists:
            absent = " (broken)" if s.venv.is_dir() else " (missing)"
        where = shown(s.venv, s.project_dir)
        print(f"{s.project.name}: dep-set '{resolution.dep_set}', environment {where}{absent}")
        for line in render_environment(env):
            print(line)
        print(render_table(rows, verbose=s.options.verbosity > 0))
    if problem_count(rows, env):
        message, hint = summary(rows, env)
        raise SessionFailure(message, hint=hint)


def _environment(s: Session, wanted: EnvState, recorded: EnvState) -> EnvStatus:
    """The environment's problems; the installer an update would use is compared with the
    recorded one only when it can be decided (uv asked for but not found is not status's
    error)."""
    from dataclasses import replace

    from ivpm.pyenv.choice import decide_installer
    from ivpm.pyenv.venv import resolve_python
    from ivpm.status.collect import shown
    from ivpm.status.environment import disabled_environment, environment_status

    where = shown(s.venv, s.project_dir)
    python = s.project.python
    if not python.venv:
        return disabled_environment(where)
    asked = s.option(opt.PY_UV) or python.installer
    if not asked:
        # Nothing names an installer: the one that built it is fine (a plain update would
        # pick uv when it is found, but an environment built with --py-pip is not broken).
        wanted = replace(wanted, installer=recorded.installer)
    else:
        try:
            choice = decide_installer(
                s.option(opt.PY_UV), s.option(opt.VENV_BACKEND), configured=python.installer
            )
            wanted = replace(wanted, installer=choice.kind)
        except UsageError:
            pass
    return environment_status(
        s.venv,
        where,
        python=resolve_python(s.option(opt.PYTHON)),
        system_site_packages=python.system_site_packages or s.option(opt.SYSTEM_SITE_PACKAGES),
        wanted=wanted,
        recorded=recorded,
    )


def _checkouts(
    s: Session, resolution: Resolution, missing: set[str]
) -> tuple[dict[Path, CheckoutState | None], dict[Path, str]]:
    """Each fetched checkout's git state (after fetching its upstream with ``--fetch``) and
    why fetching failed, by checkout folder."""
    from ivpm.fetch.head import find_git_dir
    from ivpm.fetch.upstream import checkout_states, git_reason

    folders = [
        resolved.path
        for name, resolved in resolution.deps.items()
        if resolved.path is not None and resolved.dep.is_source and name not in missing
    ]
    paths = [path for path in dict.fromkeys(folders) if find_git_dir(path) is not None]
    failures: dict[Path, str] = {}
    if s.option(FETCH):
        from ivpm.fetch.sync import fetchable, git_checkouts
        from ivpm.fetch.upstream import fetch_upstreams

        # only clones of git deps: not a shared cache entry, not a linked folder elsewhere
        wanted = [c.path for c in fetchable(git_checkouts(resolution, missing, s.lock_data))]
        for path, exc in fetch_upstreams(wanted, jobs=s.option(opt.JOBS)).items():
            failures[path] = git_reason(exc.output)
    return checkout_states(paths, jobs=s.option(opt.JOBS)), failures

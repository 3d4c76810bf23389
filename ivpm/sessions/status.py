"""``status``: what the active dep-set asked for, what is installed, and what is wrong."""

from __future__ import annotations

from ivpm import options as opt
from ivpm.context import Session
from ivpm.errors import SessionFailure
from ivpm.sessions import session


@session(
    name="status",
    writes=False,
    options=[opt.DEP_SET, opt.LOCK_FILE, *opt.PYTHON_OPTIONS, opt.JSON],
)
def status(s: Session) -> None:
    """Show each dependency: source, wanted and installed version, editable path, git, problems.

    Reads ivpm.yaml, the source packages already under packages/ and the environment; fetches
    and installs nothing. A problem (not fetched, not installed, stale since ivpm.yaml changed,
    not editable or editable elsewhere, native extension not built, import fails, or a dep of
    a kind this ivpm does not install, such as npm) makes it exit with status 1. `--json`
    prints the report for tools, with each package's paths and package-level env and the
    deps this ivpm does not install, each with the reason.
    """
    from ivpm.fetch.tree import resolve_offline
    from ivpm.layout import venv_python
    from ivpm.pyenv.engine import wanted_state
    from ivpm.status.collect import collect_rows, package_info, shown
    from ivpm.status.report import render_json, render_table, summary

    resolution, missing = resolve_offline(
        s.project, s.packages_dir, dep_sets=s.context.dep_sets_requested
    )
    rows = collect_rows(
        resolution,
        missing,
        project_dir=s.project_dir,
        venv_dir=s.venv,
        wanted=wanted_state(resolution, index=s.index, lock=s.lock_data),
    )
    where = shown(s.venv, s.project_dir)
    exists = venv_python(s.venv).exists()
    if s.option(opt.JSON):
        print(
            render_json(
                s.project.name,
                resolution.dep_set,
                where,
                exists,
                rows,
                root=package_info(s.project),
            )
        )
    else:
        absent = "" if exists else " (missing)"
        print(f"{s.project.name}: dep-set '{resolution.dep_set}', environment {where}{absent}")
        print(render_table(rows))
    if any(row.problems for row in rows):
        message, hint = summary(rows)
        raise SessionFailure(message, hint=hint)

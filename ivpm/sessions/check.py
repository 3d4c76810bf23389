"""``check``: validate ivpm.yaml and the sub-projects already fetched, listing every problem."""

from __future__ import annotations

import sys

from ivpm import options as opt
from ivpm.context import Session
from ivpm.errors import ConfigError
from ivpm.sessions import session


@session(
    name="check", writes=False, needs_project=False, options=[opt.DEP_SET, opt.DEFINE, opt.JSON]
)
def check(s: Session) -> None:
    """Validate ivpm.yaml and the sub-projects under packages/: no network, no writes.

    Lists every problem, not only the first (exit 2 when there is one, 0 when valid), the
    warnings about sub-projects' files, and the deps this ivpm does not install. `--json`
    prints the report for tools on stdout (the problems still go to stderr).
    """
    from ivpm.project.check import check_project, render_json

    context = s.context
    report = check_project(
        s.project_dir,
        dep_sets=context.dep_sets_requested,
        variables=opt.definitions(context.defines),
    )
    for error in report.problems:
        print(error.render(), file=sys.stderr)
    if s.option(opt.JSON):
        print(render_json(report))
    else:
        for name, location, reason in report.unhandled:
            print(f"{location}: note: dep '{name}': {reason}")
        if report.valid:
            name = report.project.name if report.project else "the project"
            print(f"{name}: ivpm.yaml is valid ({len(report.warnings)} warnings)")
    if not report.valid:
        count = len(report.problems)
        raise ConfigError(f"{count} problem{'s' if count != 1 else ''} found")

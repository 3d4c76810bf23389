"""``clone``: clone a project and bring it up to date."""

from __future__ import annotations

import re
from pathlib import Path

from ivpm import layout
from ivpm import options as opt
from ivpm.context import Session
from ivpm.errors import SessionFailure, UsageError
from ivpm.project.names import ref_problem, url_problem
from ivpm.sessions import session

BRANCH = opt.value("-b", "--branch", help="clone: check out this branch")


@session(
    name="clone",
    needs_project=False,
    writes=False,
    takes_args=True,
    options=[BRANCH, opt.DEP_SET, opt.PY_UV, opt.PY_PIP],
)
def clone(s: Session) -> None:
    """Clone a project (git URL, file:// URL or local path) into DIR, then update it.

    Usage: ivpm clone URL [DIR] [-b BRANCH] [-d DEP_SET] [--py-uv|--py-pip]. DIR defaults to
    the repository's name; an existing, non-empty DIR is refused and left untouched.
    """
    if not s.options.args:
        raise UsageError("clone needs a URL: ivpm clone URL [DIR]")
    if len(s.options.args) > 2:
        raise UsageError(f"clone takes URL [DIR], got {len(s.options.args)} arguments")
    url = s.options.args[0]
    if url_problem(url) is not None:
        raise UsageError(f"refusing to clone '{url}': not a repository URL")
    branch = s.option(BRANCH)
    if branch is not None and ref_problem(branch) is not None:
        raise UsageError(f"-b/--branch '{branch}' is not a branch name")
    target = Path(s.options.args[1]) if len(s.options.args) == 2 else Path(_default_dir(url))
    target = target.absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(
            f"{target} already exists and is not empty",
            hint="name an empty or new directory: ivpm clone URL DIR",
        )
    from ivpm.fetch.git import Git
    from ivpm.proc import CommandFailed

    argv = ["clone", *(["--branch", branch] if branch else []), "--", url, str(target)]
    s.log.info("cloning %s into %s", url, target)
    try:
        Git().run(argv)
    except CommandFailed as failed:
        raise SessionFailure(f"git clone of {url} failed", details=failed.output) from None
    if not layout.project_file(target).is_file():
        raise SessionFailure(
            f"cloned {url} into {target}, but it has no {layout.PROJECT_FILE}",
            hint="ivpm clone is for ivpm projects; the clone is kept as it is",
        )
    s.context.switch_project(target)
    s.notify("update")


def _default_dir(url: str) -> str:
    name = re.split(r"[/:\\]", url.rstrip("/"))[-1]
    name = name.removesuffix(".git")
    if not name or name in (".", ".."):
        raise UsageError(f"cannot tell a directory name from '{url}'", hint="ivpm clone URL DIR")
    return name

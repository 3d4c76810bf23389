"""A dep's ``patches``: patch files applied in order to its fetched folder, once.

Each patch is applied with ``git apply`` (which also works on a folder that is not a git
checkout). A patch that already applies in reverse is taken as applied, so a second ``update``
leaves the folder as it is. A patch that does not apply stops the update with an error naming
the patch and the dep; a linked dir dep (the user's own folder) is never patched.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ivpm.errors import SessionFailure
from ivpm.fetch.result import FetchResult
from ivpm.proc import CommandResult, run_command
from ivpm.project.model import Dep

log = logging.getLogger("ivpm")


def apply_patches(dep: Dep, fetched: FetchResult) -> list[str]:
    """Apply ``dep.patches`` to its folder; returns the patches applied by this call."""
    if not dep.patches:
        return []
    if fetched.kind == "link":
        raise SessionFailure(
            f"{dep.location}: dep '{dep.name}' has patches but is linked to your own folder",
            hint="use 'link: false' to patch a copy, or apply the patches to the folder yourself",
        )
    base = dep.declared_in.parent if dep.declared_in is not None else Path.cwd()
    applied: list[str] = []
    for patch in dep.patches:
        patch_file = (base / patch).resolve()
        if not patch_file.is_file():
            raise SessionFailure(
                f"{dep.location}: patch '{patch}' of dep '{dep.name}' does not exist ({patch_file})"
            )
        if _git_apply(fetched.path, patch_file, "--reverse", "--check").returncode == 0:
            log.debug("%s: patch %s is already applied", dep.name, patch)
            continue
        check = _git_apply(fetched.path, patch_file, "--check")
        if check.returncode != 0:
            raise SessionFailure(
                f"{dep.location}: patch '{patch}' does not apply to packages/{dep.name}",
                details=check.output,
                hint="update the patch for this version of the dep, or pin the version it fits",
            )
        _git_apply(fetched.path, patch_file)
        log.info("patched %s with %s", dep.name, patch)
        applied.append(patch)
    return applied


def _git_apply(folder: Path, patch_file: Path, *options: str) -> CommandResult:
    """``git apply`` of ``patch_file`` in ``folder``; a ``--check`` run never raises."""
    env = dict(os.environ)
    # Keep git from treating an enclosing repository (the user's project) as the one to patch.
    env["GIT_CEILING_DIRECTORIES"] = str(folder.resolve().parent)
    return run_command(
        ["git", "apply", "--whitespace=nowarn", *options, str(patch_file)],
        cwd=folder,
        env=env,
        check="--check" not in options,
    )

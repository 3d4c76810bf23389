"""What a source checkout looks like: git branch, commit and whether it has local changes."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ivpm.fetch.git import git_environment
from ivpm.fetch.head import find_git_dir, read_head_branch, read_head_commit


@dataclass(frozen=True)
class CheckoutState:
    """A git checkout's branch (None when detached), HEAD commit and local-changes flag.

    ``dirty`` is None when git could not be asked; untracked files (build output) do not count.
    """

    branch: str | None
    commit: str | None
    dirty: bool | None


def checkout_state(path: Path) -> CheckoutState | None:
    """The git state of the checkout at ``path``; None when it is not a git checkout."""
    if find_git_dir(path) is None:
        return None
    return CheckoutState(
        branch=read_head_branch(path), commit=read_head_commit(path), dirty=_has_changes(path)
    )


def _has_changes(path: Path) -> bool | None:
    try:
        completed = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=git_environment(),
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    return bool(completed.stdout.strip())

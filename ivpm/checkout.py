"""What a source checkout looks like: git branch, commit and whether it has local changes."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from ivpm.fetch.head import find_git_dir, read_head_commit

_BRANCH_PREFIX = "ref: refs/heads/"


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
    git_dir = find_git_dir(path)
    if git_dir is None:
        return None
    return CheckoutState(
        branch=_branch(git_dir), commit=read_head_commit(path), dirty=_has_changes(path)
    )


def _branch(git_dir: Path) -> str | None:
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    return head[len(_BRANCH_PREFIX) :] if head.startswith(_BRANCH_PREFIX) else None


def _has_changes(path: Path) -> bool | None:
    try:
        completed = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    return bool(completed.stdout.strip())

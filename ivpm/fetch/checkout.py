"""What a source checkout looks like: branch, commit, upstream, ahead/behind and local changes.

Everything comes from one ``git status --porcelain=v2 --branch`` call per checkout; the counts
against the upstream are those of the last fetch (:func:`fetch_upstream` refreshes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ivpm.fetch.git import Git
from ivpm.fetch.head import find_git_dir, read_head_branch, read_head_commit
from ivpm.proc import CommandFailed


@dataclass(frozen=True)
class CheckoutState:
    """A git checkout's branch (None when detached), HEAD commit and local changes.

    ``upstream`` is the branch it tracks (``origin/main``), None when it tracks none;
    ``ahead``/``behind`` count the commits only it / only the upstream has (None without an
    upstream, or when the upstream ref is gone). ``changed`` lists the tracked files with
    uncommitted changes; ``dirty`` is None when git could not be asked. Untracked files (build
    output) never count. A submodule whose only difference is the commit it has checked out
    is listed in ``submodules_moved``, not in ``changed``: nothing in it is uncommitted.
    """

    branch: str | None
    commit: str | None
    dirty: bool | None
    upstream: str | None = None
    ahead: int | None = None
    behind: int | None = None
    changed: tuple[str, ...] = ()
    submodules_moved: tuple[str, ...] = ()  # submodules checked out at another commit only

    @property
    def diverged(self) -> bool:
        """Both the checkout and its upstream have commits the other lacks."""
        return bool(self.ahead) and bool(self.behind)


def checkout_state(path: Path, *, git: Git | None = None) -> CheckoutState | None:
    """The git state of the checkout at ``path``; None when it is not a git checkout."""
    if find_git_dir(path) is None:
        return None
    git = git or Git()
    try:
        # --no-optional-locks: no index refresh written, so a git command the user runs in
        # the checkout at the same moment never finds the index locked by ivpm.
        output = git.run(
            [
                "--no-optional-locks",
                "status",
                "--porcelain=v2",
                "--branch",
                "--untracked-files=no",
                "-z",
            ],
            repo=path,
        )
    except CommandFailed:
        return CheckoutState(read_head_branch(path), read_head_commit(path), None)
    return parse_status(output)


def parse_status(output: str) -> CheckoutState:
    """A :class:`CheckoutState` from the output of ``git status --porcelain=v2 --branch -z``."""
    branch: str | None = None
    commit: str | None = None
    upstream: str | None = None
    ahead: int | None = None
    behind: int | None = None
    changed: list[str] = []
    moved: list[str] = []
    records = iter(output.split("\0"))
    for record in records:
        if record.startswith("# "):
            key, _, value = record[2:].partition(" ")
            if key == "branch.oid" and value != "(initial)":
                commit = value
            elif key == "branch.head" and value != "(detached)":
                branch = value
            elif key == "branch.upstream":
                upstream = value
            elif key == "branch.ab":
                plus, _, minus = value.partition(" ")
                ahead, behind = abs(int(plus)), abs(int(minus))
        elif record.startswith("1 "):
            fields = record.split(" ", 8)
            # fields[2] is N... for a file, S<commit><modified><untracked> for a submodule
            commit_only = fields[1] in (".M", "M.", "MM") and fields[2][:3] == "SC."
            (moved if commit_only else changed).append(fields[-1])
        elif record.startswith("u "):
            changed.append(record.split(" ", 10)[-1])
        elif record.startswith("2 "):
            changed.append(record.split(" ", 9)[-1])
            next(records, None)  # the path it was renamed or copied from
    return CheckoutState(
        branch=branch,
        commit=commit,
        dirty=bool(changed),
        upstream=upstream,
        ahead=ahead,
        behind=behind,
        changed=tuple(changed),
        submodules_moved=tuple(moved),
    )


def fetch_upstream(path: Path, *, git: Git) -> None:
    """``git fetch`` the remote the checkout's branch tracks (``origin`` when detached), so
    :func:`checkout_state` counts ahead/behind against what the server has now.

    Raises :class:`~ivpm.proc.CommandFailed`.
    """
    git.run(["fetch", "--quiet", "--no-recurse-submodules"], repo=path)

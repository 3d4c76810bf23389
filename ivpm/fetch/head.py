"""Reading a checkout's HEAD commit without starting a git process (the no-op fast path)."""

from __future__ import annotations

import re
from pathlib import Path

_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
# Refs that live in a worktree's private git dir rather than in the common dir.
_PER_WORKTREE_PREFIXES = ("refs/worktree/", "refs/bisect/", "refs/rewritten/")
_MAX_SYMREF_DEPTH = 8
_BRANCH_PREFIX = "ref: refs/heads/"


def read_head_commit(path: Path) -> str | None:
    """Return the commit ``path``'s HEAD points at, read from the files under ``.git``.

    Handles a detached HEAD, loose refs, ``packed-refs``, symbolic refs, and ``.git`` files
    (worktrees, submodules). Returns ``None`` when ``path`` is not a git checkout or the answer
    cannot be read cheaply (unborn branch, reftable storage, unreadable files); callers that
    need certainty then ask ``git rev-parse HEAD``.
    """
    git_dir = find_git_dir(path)
    if git_dir is None:
        return None
    common_dir = _common_dir(git_dir)
    value = _read_first_line(git_dir / "HEAD")
    for _ in range(_MAX_SYMREF_DEPTH):
        if value is None:
            return None
        if _SHA.match(value):
            return value
        if not value.startswith("ref:"):
            return None
        value = _read_ref(git_dir, common_dir, value[4:].strip())
    return None


def read_head_branch(path: Path) -> str | None:
    """The branch the checkout at ``path`` has checked out; None when detached or unknown."""
    git_dir = find_git_dir(path)
    head = None if git_dir is None else _read_first_line(git_dir / "HEAD")
    if head is None or not head.startswith(_BRANCH_PREFIX):
        return None
    return head[len(_BRANCH_PREFIX) :]


def read_origin_url(path: Path) -> str | None:
    """The URL of remote ``origin`` in the checkout's ``.git/config``; None when absent."""
    git_dir = find_git_dir(path)
    if git_dir is None:
        return None
    try:
        lines = (_common_dir(git_dir) / "config").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    in_origin = False
    for raw in lines:
        line = raw.strip()
        if line.startswith("["):
            in_origin = line.replace(" ", "") == '[remote"origin"]'
        elif in_origin and line.partition("=")[0].strip() == "url":
            return line.partition("=")[2].strip() or None
    return None


def find_git_dir(path: Path) -> Path | None:
    """The git directory of the checkout at ``path`` (``.git`` or where a ``.git`` file points)."""
    dot_git = path / ".git"
    if dot_git.is_dir():
        return dot_git
    line = _read_first_line(dot_git)
    if line is None or not line.startswith("gitdir:"):
        return None
    target = Path(line[len("gitdir:") :].strip())
    git_dir = target if target.is_absolute() else path / target
    return git_dir if git_dir.is_dir() else None


def _common_dir(git_dir: Path) -> Path:
    line = _read_first_line(git_dir / "commondir")
    if not line:
        return git_dir
    common = Path(line)
    return common if common.is_absolute() else git_dir / common


def _read_ref(git_dir: Path, common_dir: Path, ref: str) -> str | None:
    parts = ref.split("/")
    if not ref or ref.startswith("/") or any(part in ("", ".", "..") for part in parts):
        return None
    per_worktree = ref == "HEAD" or "/" not in ref or ref.startswith(_PER_WORKTREE_PREFIXES)
    bases = (git_dir,) if per_worktree else (common_dir,)
    for base in bases:
        value = _read_first_line(base.joinpath(*parts))
        if value is not None:
            return value
    return _read_packed_ref(common_dir, ref)


def _read_packed_ref(common_dir: Path, ref: str) -> str | None:
    try:
        with open(common_dir / "packed-refs", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith(("#", "^")):
                    continue
                sha, _, name = line.rstrip("\n").partition(" ")
                if name == ref:
                    return sha
    except OSError:
        return None
    return None


def _read_first_line(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            data = handle.read(4096)
    except OSError:
        return None
    text = data.decode("utf-8", errors="replace")
    first = text.split("\n", 1)[0].strip()
    return first or None


__all__ = ["find_git_dir", "read_head_commit"]

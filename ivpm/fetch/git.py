"""Cloning git dependencies, moving existing checkouts to pinned commits, and submodules.

A checkout with a ``.gitmodules`` gets ``git submodule update --init --recursive`` after it is
cloned or moved, unless its dep says ``submodules: false``. The user's git configuration is
honoured as it is: ivpm never allows a transport git refuses (``protocol.file.allow``).

git always runs without prompts, with the ``ext``/``fd`` transports disabled, with ``--`` before
URLs and paths, and with an environment that cannot redirect it to another repository
(``GIT_DIR``, ``GIT_WORK_TREE``, ... are dropped; discovery stops at the checkout). A transfer
that stalls fails after ``IVPM_HTTP_TIMEOUT`` seconds (see :func:`ivpm.netlimits.git_network_env`),
and a git that prints nothing for ``IVPM_SILENCE_TIMEOUT`` seconds is stopped (see
:mod:`ivpm.proc`).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from ivpm.fetch.head import find_git_dir, read_head_commit
from ivpm.fetch.result import DepFetchError, FetchResult
from ivpm.fetch.staging import make_temp_dir, move_into_place, remove_path, temp_path
from ivpm.fetch.urls import clone_url
from ivpm.netlimits import git_network_env
from ivpm.proc import CommandFailed, CommandStalled, run_command, seconds_text
from ivpm.project.model import Dep
from ivpm.project.names import is_commit

_SAFETY_CONFIG = ("-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never")
# Variables that would point git at some other repository than the one we mean.
_REPO_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_SHALLOW_FILE",
    "GIT_GRAFT_FILE",
)
# Refs under which ivpm records commits it checked out itself (see _local_commits).
_MARK_REF = "refs/ivpm/fetched"
_AUTH_MARKERS = ("terminal prompts disabled", "could not read username", "authentication failed")
_FILE_REFUSED = "transport 'file' not allowed"
# git's words when a transfer hits the low-speed limit or a connect timeout.
_SLOW_MARKERS = ("operation too slow", "timed out")
_STALL_HINT = (
    "the server accepted the connection but sent nothing; check the URL and the network "
    "(IVPM_SILENCE_TIMEOUT sets how many seconds ivpm waits for a silent command)"
)
# Where git names the submodule that failed (the path may be absolute).
_SUBMODULE_NAMED = re.compile(
    r"(?:Failed to clone|submodule path|Failed to recurse into submodule path) '([^']+)'"
)


def git_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment git runs with: ``base`` (default ``os.environ``) made safe, with the
    low-speed limits of :func:`ivpm.netlimits.git_network_env` unless ``base`` sets its own."""
    env = dict(os.environ if base is None else base)
    for name in _REPO_ENV:
        env.pop(name, None)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.update(git_network_env(env))
    return env


class Git:
    """Runs git commands for one fetch with a fixed, safe environment."""

    def __init__(self, env: Mapping[str, str] | None = None, *, detached: bool = False) -> None:
        self.env = git_environment(env)
        self.detached = detached  # see run_command: Ctrl-C does not reach these commands

    def run(self, args: Sequence[str | Path], *, repo: Path | None = None) -> str:
        """Run ``git <args>`` (inside ``repo`` when given) and return its output.

        Inside ``repo`` git may not search parent directories for a repository, so a checkout
        without ``.git`` can never make git act on the enclosing project. Raises
        :class:`~ivpm.proc.CommandFailed`.
        """
        env = self.env
        if repo is not None:
            env = {**env, "GIT_CEILING_DIRECTORIES": os.path.dirname(os.path.realpath(repo))}
        argv: list[str | Path] = ["git", *_SAFETY_CONFIG, *args]
        return run_command(argv, cwd=repo, env=env, detached=self.detached).output


def clone_git(dep: Dep, dest: Path, *, pin: str | None, git: Git, ssh: bool = False) -> FetchResult:
    """Clone ``dep`` to ``dest`` through a temporary directory beside it.

    Checks out ``pin`` (a lock-file commit) when given, else ``dep.commit``, else the tip of
    ``dep.tag``/``dep.branch``/the default branch. The URL is the dep's as written, or its ssh
    form with ``ssh`` (``--ssh``; see :func:`ivpm.fetch.urls.clone_url`). Nothing is left at
    ``dest`` on failure.
    """
    assert dep.url is not None
    temp = make_temp_dir(dest.parent, dep.name)
    try:
        commit = clone_into(dep, temp, pin=pin, git=git, ssh=ssh)
        move_into_place(temp, dest)
    except BaseException:
        remove_path(temp)
        raise
    return FetchResult(dep.name, dest, "git", "cloned", commit)


def refresh_git(dep: Dep, dest: Path, *, pin: str | None, git: Git) -> FetchResult:
    """Report an existing checkout at ``dest``; move it to ``pin`` only if no work can be lost.

    Without a pin, or when HEAD already is the pinned commit, the checkout is kept as it is.
    Otherwise it must be a git checkout with no uncommitted changes to tracked files and no
    commits that exist only locally; then the pinned commit is fetched if needed and checked out.
    """
    head = read_head_commit(dest)
    is_repo = find_git_dir(dest) is not None
    if head is None and is_repo:
        head = _rev_parse_head(dest, git)
    if pin is None or (head is not None and is_commit(head, pin)):
        return FetchResult(dep.name, dest, "git", "kept", head)
    if not is_repo:
        raise DepFetchError(
            dep,
            f"the lock file pins commit {pin}, but {dest} is not a git checkout",
            hint=f"move {dest} away to let ivpm clone it again",
        )
    status = _git(dep, git, ["status", "--porcelain", "--untracked-files=no"], repo=dest)
    if status.strip():
        raise DepFetchError(
            dep,
            f"the lock file pins commit {pin}, but {dest} has uncommitted changes",
            output=status,
            hint="commit or stash them, then run the update again",
        )
    local = _local_commits(dep, dest, git)
    if local.strip():
        raise DepFetchError(
            dep,
            f"the lock file pins commit {pin}, but {dest} has commits that are on no remote branch",
            output=local,
            hint="push them (or put them on a branch you keep) and run the update again",
        )
    _checkout(dep, dest, pin, git, depth=dep.depth if _is_shallow(dest) else None)
    update_submodules(dep, dest, git)
    return FetchResult(dep.name, dest, "git", "checked-out", _head(dest, git))


def clone_into(dep: Dep, temp: Path, *, pin: str | None, git: Git, ssh: bool) -> str | None:
    """Clone ``dep`` into the new or empty folder ``temp`` (at ``pin`` when given), with its
    submodules; returns the HEAD commit."""
    assert dep.url is not None
    target = pin or dep.commit
    args: list[str | Path] = ["clone", "-q"]
    ref = dep.tag or dep.branch
    if ref:
        args += ["--branch", ref]
    if dep.depth is not None:
        args += ["--depth", str(dep.depth)]
    if target:
        args.append("--no-checkout")
    args += ["--", clone_url(dep, ssh=ssh), temp]
    _git(dep, git, args, what="git clone")
    if target:
        _checkout(dep, temp, target, git, depth=dep.depth)
    update_submodules(dep, temp, git, depth=dep.depth, fresh=True)
    return _head(temp, git)


def update_submodules(
    dep: Dep, repo: Path, git: Git, *, depth: int | None = None, fresh: bool = False
) -> None:
    """``git submodule update --init --recursive`` in ``repo`` when it has a ``.gitmodules``.

    Nothing happens with ``submodules: false``. With ``depth`` the submodules are fetched that
    shallow first; a server that will not serve a submodule's commit shallowly gets a second,
    full attempt. ``fresh`` says ``repo`` was just cloned, so its submodules may be discarded
    before that second attempt. A failure names the submodule.
    """
    if dep.submodules is False or not (repo / ".gitmodules").is_file():
        return
    args: list[str | Path] = ["submodule", "update", "--init", "--recursive"]
    if depth is not None and fresh:
        try:
            git.run([*args, "--depth", str(depth)], repo=repo)
            return
        except CommandFailed as exc:
            if _FILE_REFUSED in exc.output or isinstance(exc, CommandStalled):
                raise _submodule_error(dep, repo, exc) from exc
        _discard_submodules(repo, git)
    try:
        git.run(args, repo=repo)
    except CommandFailed as exc:
        raise _submodule_error(dep, repo, exc) from exc


def _discard_submodules(repo: Path, git: Git) -> None:
    """Drop a fresh clone's half-made submodules so they can be cloned again in full."""
    with contextlib.suppress(CommandFailed):
        git.run(["submodule", "deinit", "--all", "--force", "--quiet"], repo=repo)
    git_dir = find_git_dir(repo)
    if git_dir is not None and (git_dir / "modules").is_dir():
        aside = temp_path(git_dir, "modules")
        os.rename(git_dir / "modules", aside)
        remove_path(aside)


def _submodule_error(dep: Dep, repo: Path, exc: CommandFailed) -> DepFetchError:
    """The error for a failed submodule update, naming the submodules git named."""
    names: list[str] = []
    root = os.path.realpath(repo)
    for match in _SUBMODULE_NAMED.finditer(exc.output):
        name = match.group(1)
        if os.path.isabs(name):
            real = os.path.realpath(name)
            name = os.path.relpath(real, root) if real.startswith(root + os.sep) else name
        if name not in names:
            names.append(name)
    which = "submodule " + ", ".join(f"'{name}'" for name in names) if names else "its submodules"
    lowered = exc.output.lower()
    if _FILE_REFUSED in exc.output:
        hint = (
            "git refuses file:// submodules unless your git configuration allows them "
            "(protocol.file.allow); if you trust these repositories: "
            "git config --global protocol.file.allow always"
        )
    elif any(marker in lowered for marker in _AUTH_MARKERS):
        hint = (
            "a submodule needs credentials and ivpm runs git without prompts: "
            "set up a credential helper or an SSH key"
        )
    else:
        hint = "fix the submodule's URL, or say 'submodules: false' on the dep to skip them"
    reason = f"git submodule update failed for {which} (exit {exc.returncode})"
    if isinstance(exc, CommandStalled):
        reason = f"git submodule update for {which}: {_stall_reason(exc)}"
        hint = _STALL_HINT
    return DepFetchError(dep, reason, output=exc.output, hint=hint)


def _checkout(dep: Dep, repo: Path, commit: str, git: Git, *, depth: int | None) -> None:
    """Check out ``commit`` (detached), fetching it from origin when it is not there yet."""
    checkout = ["-c", "advice.detachedHead=false", "checkout", "-q", "--detach", commit, "--"]
    try:
        git.run(checkout, repo=repo)
    except CommandFailed:
        _fetch_commit(dep, repo, commit, git, depth=depth)
        _git(dep, git, checkout, repo=repo, what=f"git checkout {commit}")
    _git(dep, git, ["update-ref", _MARK_REF, "HEAD"], repo=repo)


def _fetch_commit(dep: Dep, repo: Path, commit: str, git: Git, *, depth: int | None) -> None:
    """Fetch one commit by id; if the server refuses, fetch all branches and tags."""
    by_id: list[str | Path] = ["fetch", "-q"]
    if depth is not None:
        by_id += ["--depth", str(depth)]
    try:
        git.run([*by_id, "origin", "--", commit], repo=repo)
        return
    except CommandStalled as exc:
        raise DepFetchError(
            dep,
            f"git fetch of {dep.url}: {_stall_reason(exc)}",
            output=exc.output,
            hint=_STALL_HINT,
        ) from exc
    except CommandFailed:
        pass
    everything: list[str | Path] = ["fetch", "-q", "--tags"]
    if _is_shallow(repo):
        everything.append("--unshallow")
    everything += ["origin", "--", "+refs/heads/*:refs/remotes/origin/*"]
    _git(dep, git, everything, repo=repo, what=f"git fetch (looking for commit {commit})")


def _local_commits(dep: Dep, repo: Path, git: Git) -> str:
    """One line per commit reachable from HEAD but from no remote branch, tag or ivpm mark."""
    return _git(
        dep,
        git,
        [
            "log",
            "--oneline",
            "--max-count=10",
            "HEAD",
            "--not",
            "--remotes",
            "--tags",
            "--glob=refs/ivpm/*",
            "--",
        ],
        repo=repo,
    )


def _is_shallow(repo: Path) -> bool:
    git_dir = find_git_dir(repo)
    return git_dir is not None and (git_dir / "shallow").exists()


def _head(repo: Path, git: Git) -> str | None:
    return read_head_commit(repo) or _rev_parse_head(repo, git)


def _rev_parse_head(repo: Path, git: Git) -> str | None:
    try:
        output = git.run(["rev-parse", "-q", "--verify", "HEAD^{commit}"], repo=repo)
    except CommandFailed:
        return None
    return output.strip() or None


def _git(
    dep: Dep,
    git: Git,
    args: Sequence[str | Path],
    *,
    repo: Path | None = None,
    what: str | None = None,
) -> str:
    """Run git for ``dep``; a failure becomes a :class:`DepFetchError` carrying git's output."""
    try:
        return git.run(args, repo=repo)
    except CommandFailed as exc:
        label = what or "git " + next(str(a) for a in args if not str(a).startswith("-"))
        if isinstance(exc, CommandStalled):
            raise DepFetchError(
                dep,
                f"{label} of {dep.url}: {_stall_reason(exc)}",
                output=exc.output,
                hint=_STALL_HINT,
            ) from exc
        hint = None
        lowered = exc.output.lower()
        if any(marker in lowered for marker in _AUTH_MARKERS):
            hint = (
                "the repository needs credentials and ivpm runs git without prompts: "
                "set up a credential helper or an SSH key"
            )
        elif any(marker in lowered for marker in _SLOW_MARKERS):
            hint = (
                f"the server at {dep.url} stopped sending data; check the URL and the network "
                "(IVPM_HTTP_TIMEOUT sets how many seconds git waits for data)"
            )
        raise DepFetchError(
            dep, f"{label} failed (exit {exc.returncode})", output=exc.output, hint=hint
        ) from exc


def _stall_reason(exc: CommandStalled) -> str:
    return f"no output for {seconds_text(exc.silence)} s, so ivpm stopped git"

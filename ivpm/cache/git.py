"""``cache: true`` git deps: one read-only clone per (repository, commit), linked into packages/.

The commit is known before anything is cloned: a lock-file pin or ``commit:`` as written, or
for a tag, a branch or the default branch, what ``git ls-remote`` says it points at now (one
process, no clone). The entry is a full git checkout at that commit (detached HEAD, submodules
included, ``depth:`` honoured), so ``git log``, ``git status`` and tools that read versions
from git work; its index is refreshed after the files are made read-only, so ``git status``
has nothing to rewrite. ``packages/<name>`` is a symbolic link to the entry.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ivpm.cache import meta
from ivpm.cache.keys import git_key, normalise_git_url
from ivpm.cache.links import link_entry
from ivpm.cache.root import is_cache_link
from ivpm.cache.seal import remove_tree, seal_tree
from ivpm.cache.store import Cache
from ivpm.fetch.git import Git, clone_git, clone_into, refresh_git
from ivpm.fetch.head import read_head_commit
from ivpm.fetch.result import Action, DepFetchError, FetchResult
from ivpm.fetch.urls import clone_url
from ivpm.proc import CommandFailed
from ivpm.project.model import Dep
from ivpm.project.names import is_commit, is_full_commit_id

log = logging.getLogger("ivpm")
_BACKDATE_SECONDS = 2


def wanted_ref(dep: Dep) -> str:
    """How ``dep`` names its commit when it names no commit: ``tag:T``, ``branch:B`` or ``HEAD``."""
    if dep.tag:
        return f"tag:{dep.tag}"
    if dep.branch:
        return f"branch:{dep.branch}"
    return "HEAD"


def kept_cached_git(dep: Dep, dest: Path, pin: str | None) -> FetchResult | None:
    """The result for ``packages/<name>``, a link into the cache, when it is current; no git.

    Current means: ``cache: true``, the entry exists, is of the dep's repository, and is at
    the pinned or written commit, or (for a tag, a branch or the default branch) was filled or
    used for that ref before. A branch is not asked for a newer commit here, as a kept
    checkout is not pulled. None means the fetch worker decides (and re-points the link).
    """
    if not dep.cache or not dest.is_dir():
        return None
    entry = Path(os.path.realpath(dest))
    data = meta.read_meta(entry)
    if data is None or data.get("kind") != "git" or dep.url is None:
        return None
    if data.get("url") != normalise_git_url(clone_url(dep)):
        return None
    commit = str(data.get("commit") or "")
    wanted = pin or dep.commit
    if wanted is not None:
        if not is_commit(commit, wanted):
            return None
    else:
        refs = data.get("refs", [])
        if not isinstance(refs, list) or wanted_ref(dep) not in refs:
            return None
    meta.touch(entry, data=data)
    return FetchResult(dep.name, dest, "git", "kept", commit or read_head_commit(dest))


def fetch_cached_git(
    dep: Dep, dest: Path, *, pin: str | None, git: Git, ssh: bool, cache: Cache | None = None
) -> FetchResult:
    """Fetch a git dep whose ``packages/<name>`` is (or becomes) a link into the cache.

    A ``packages/<name>`` that is the user's own checkout is kept and handled as without the
    cache; a link into the cache of a dep that no longer says ``cache: true`` is replaced by a
    clone. Otherwise the dep's commit is resolved, its entry filled when missing, and the link
    made or re-pointed: the result is ``linked`` (``cloned`` when this run made the entry), or
    ``kept`` when the link already pointed there.
    """
    assert dep.url is not None
    linked = is_cache_link(dest, cache.root if cache else None)
    if not dep.cache:
        if linked:
            dest.unlink()
        elif os.path.lexists(dest):
            return refresh_git(dep, dest, pin=pin, git=git)
        return clone_git(dep, dest, pin=pin, git=git, ssh=ssh)
    if os.path.lexists(dest) and not linked:
        log.info(
            "%s: packages/%s is a checkout of its own, kept as it is; 'cache: true' applies "
            "once it is removed",
            dep.location,
            dep.name,
        )
        return refresh_git(dep, dest, pin=pin, git=git)
    store = cache or Cache()
    url = clone_url(dep, ssh=ssh)
    wanted = pin or dep.commit
    refs: tuple[str, ...] = () if wanted else (wanted_ref(dep),)
    known_tag = _tagged_entry(dep, url, store) if wanted is None and dep.tag else None
    if known_tag is not None:
        entry, commit, made = known_tag
    elif wanted is not None and not is_full_commit_id(wanted):
        entry, commit, made = _fill_abbreviated(dep, wanted, store, git=git, ssh=ssh)
    else:
        commit = wanted.lower() if wanted else _remote_commit(dep, url, git)
        key = git_key(url, commit)
        filled = store.fill_entry(
            key,
            lambda folder: _make_entry(dep, folder, commit, git=git, ssh=ssh),
            name=dep.name,
            details={"commit": commit},
            refs=refs,
        )
        entry, made = filled.path, filled.made
    changed = link_entry(entry, dest)
    action: Action = "cloned" if made else ("linked" if changed else "kept")
    return FetchResult(dep.name, dest, "git", action, commit)


def _make_entry(dep: Dep, folder: Path, commit: str, *, git: Git, ssh: bool) -> None:
    """Clone ``dep`` at ``commit`` into ``folder``, seal its work tree, refresh its indexes."""
    head = clone_into(dep, folder, pin=commit, git=git, ssh=ssh)
    if head is None or head.lower() != commit.lower():
        raise DepFetchError(dep, f"the clone for the cache is at {head}, not at {commit}")
    _seal_work_tree(dep, folder, git)


def _seal_work_tree(dep: Dep, folder: Path, git: Git) -> None:
    """Make the work tree read-only, then let git record the new file times in its indexes.

    Making files read-only changes their ctime, which git's index records; refreshed while
    ``.git`` is still writable, a later ``git status`` in the sealed entry finds the index
    current and has nothing to write. The files' mtimes are first set a little into the past:
    files as new as the index itself are "racily clean" to git, which would re-read them and
    try to rewrite the index on every ``git status``. :meth:`Cache.fill_entry` seals ``.git`` later.
    """
    _backdate(folder)
    seal_tree(folder, skip=(".git",))
    try:
        git.run(["update-index", "-q", "--refresh"], repo=folder)
        if (folder / ".gitmodules").is_file() and dep.submodules is not False:
            foreach = ["submodule", "foreach", "--quiet", "--recursive"]
            git.run([*foreach, "git update-index -q --refresh || true"], repo=folder)
    except CommandFailed as exc:
        log.debug("%s: refreshing the index of the cache entry failed: %s", dep.name, exc.output)


def _backdate(folder: Path) -> None:
    """Set the mtime of every work-tree file (not under the top ``.git``) 2 seconds back."""
    past = time.time() - _BACKDATE_SECONDS
    for current, dirs, files in os.walk(folder):
        if current == str(folder):
            dirs[:] = [name for name in dirs if name != ".git"]
        for name in files:
            path = os.path.join(current, name)
            if not os.path.islink(path):
                os.utime(path, (past, past))


def _fill_abbreviated(
    dep: Dep, short: str, store: Cache, *, git: Git, ssh: bool
) -> tuple[Path, str, bool]:
    """The entry for an abbreviated commit: a known entry whose commit starts with it, or a
    clone (made before the key is known, then filed under it)."""
    url = clone_url(dep, ssh=ssh)
    prefix = short.lower()
    found = _find_entry(store, url, lambda data: str(data.get("commit", "")).startswith(prefix))
    if found is not None:
        entry, data = found
        meta.touch(entry, data=data)
        return entry, str(data.get("commit", short)), False
    folder = store.root / "git" / f".clone-{dep.name}-{os.urandom(4).hex()}"
    folder.mkdir(parents=True)
    try:
        head = clone_into(dep, folder, pin=short, git=git, ssh=ssh)
        if head is None:
            raise DepFetchError(dep, f"cannot tell the commit of {short} after cloning it")
        key = git_key(url, head)

        def adopt(target: Path) -> None:
            target.rmdir()
            os.rename(folder, target)
            _seal_work_tree(dep, target, git)

        filled = store.fill_entry(key, adopt, name=dep.name, details={"commit": head.lower()})
        return filled.path, head.lower(), filled.made
    finally:
        remove_tree(folder)


def _tagged_entry(dep: Dep, url: str, store: Cache) -> tuple[Path, str, bool] | None:
    """An entry made or used for the dep's tag before: tags are taken as fixed, so the cache
    answers them without asking upstream."""
    ref = wanted_ref(dep)
    found = _find_entry(store, url, lambda data: ref in data.get("refs", []))
    if found is None:
        return None
    entry, data = found
    meta.touch(entry, data=data)
    return entry, str(data.get("commit", "")), False


def _find_entry(
    store: Cache, url: str, matches: Callable[[dict[str, Any]], bool]
) -> tuple[Path, dict[str, Any]] | None:
    """An existing git entry of repository ``url`` whose metadata ``matches``, and that data."""
    probe = git_key(url, "0")
    folder = store.root / "git"
    prefix = probe.label + "-"
    try:
        names = [item.name for item in os.scandir(folder) if item.name.startswith(prefix)]
    except FileNotFoundError:
        return None
    for name in sorted(names):
        entry = folder / name
        if name.endswith((".json", ".lock")) or not entry.is_dir():
            continue
        data = meta.read_meta(entry)
        if data and data.get("kind") == "git" and data.get("url") == probe.url and matches(data):
            return entry, data
    return None


def _remote_commit(dep: Dep, url: str, git: Git) -> str:
    """What the dep's tag, branch or the default branch points at upstream (``git ls-remote``)."""
    wanted: tuple[str, ...]
    if dep.tag:
        wanted = (f"refs/tags/{dep.tag}^{{}}", f"refs/tags/{dep.tag}")
        what = f"tag '{dep.tag}'"
    elif dep.branch:
        wanted = (f"refs/heads/{dep.branch}",)
        what = f"branch '{dep.branch}'"
    else:
        wanted = ("HEAD",)
        what = "a default branch"
    try:
        output = git.run(["ls-remote", "--", url, *wanted])
    except CommandFailed as exc:
        raise DepFetchError(
            dep, f"git ls-remote {url} failed (exit {exc.returncode})", output=exc.output
        ) from exc
    found: dict[str, str] = {}
    for line in output.splitlines():
        sha, _, ref = line.partition("\t")
        found[ref.strip()] = sha.strip().lower()
    for ref in wanted:
        if ref in found:
            return found[ref]
    raise DepFetchError(
        dep,
        f"{url} has no {what}",
        hint="check the dep's url and its tag, branch or commit",
    )

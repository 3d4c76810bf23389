"""Fetching ``src: dir`` dependencies: copy the tree, or symlink it with ``link: true``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ivpm.fetch.result import DepFetchError, FetchResult
from ivpm.fetch.staging import make_temp_dir, move_into_place, remove_path, temp_path
from ivpm.project.model import Dep


def dir_source(dep: Dep) -> Path:
    """The absolute source directory of a dir dep.

    ``url`` is a ``file://`` URL or a path; a relative path is relative to the directory of the
    ivpm.yaml that declares the dep. ``~`` is expanded. The result is not checked to exist.
    """
    assert dep.url is not None
    url = dep.url
    if url.lower().startswith("file:"):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise DepFetchError(dep, f"cannot use {url!r}: file URLs must name a local path")
        raw = unquote(parts.path)
    else:
        raw = url
    path = Path(os.path.expanduser(raw))
    if not path.is_absolute():
        path = dep.location.path.parent / path
    return Path(os.path.abspath(path))


def fetch_dir(dep: Dep, dest: Path) -> FetchResult:
    """Copy or link ``dep``'s directory to ``dest``; an existing ``dest`` is kept.

    The one exception: with ``link: true`` an existing symlink pointing elsewhere is re-pointed
    (it holds no work of its own). Copies skip the source's top-level ``packages/`` and every
    ``__pycache__`` and are built in a temporary directory, then renamed into place.
    """
    source = dir_source(dep)
    if dep.link:
        return _link(dep, source, dest)
    if os.path.lexists(dest):
        return FetchResult(dep.name, dest, "link" if dest.is_symlink() else "dir", "kept")
    _check_source(dep, source)
    temp = make_temp_dir(dest.parent, dep.name)
    try:
        shutil.copytree(
            source,
            temp,
            symlinks=True,
            ignore=_copy_filter(source, dest.parent),
            dirs_exist_ok=True,
        )
        move_into_place(temp, dest)
    except BaseException:
        remove_path(temp)
        raise
    return FetchResult(dep.name, dest, "dir", "copied")


def link_is_current(dep: Dep, dest: Path) -> bool:
    """True when ``dest`` already is a symlink to ``dep``'s source (nothing to do)."""
    if not dest.is_symlink():
        return False
    return os.path.normpath(os.readlink(dest)) == os.path.normpath(dir_source(dep))


def _link(dep: Dep, source: Path, dest: Path) -> FetchResult:
    is_link = dest.is_symlink()
    if os.path.lexists(dest) and not is_link:
        return FetchResult(dep.name, dest, "dir", "kept")  # a real directory: never replaced
    if is_link and link_is_current(dep, dest):
        return FetchResult(dep.name, dest, "link", "kept")
    _check_source(dep, source)
    temp = temp_path(dest.parent, dep.name)
    os.symlink(source, temp, target_is_directory=True)
    try:
        if is_link:
            os.replace(temp, dest)  # atomically re-point the old link
        else:
            move_into_place(temp, dest)
    except BaseException:
        remove_path(temp)
        raise
    return FetchResult(dep.name, dest, "link", "linked")


def _check_source(dep: Dep, source: Path) -> None:
    if not source.exists():
        raise DepFetchError(dep, f"source directory {source} does not exist")
    if not source.is_dir():
        raise DepFetchError(dep, f"source {source} is not a directory")


def _copy_filter(source: Path, packages_dir: Path) -> Callable[[str, list[str]], set[str]]:
    """Skip ``__pycache__`` everywhere and the top-level ``packages`` (and our own packages dir)."""
    top = os.path.realpath(source)
    own_parent = os.path.realpath(packages_dir.parent)

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {name for name in names if name == "__pycache__"}
        real = os.path.realpath(directory)
        if real == top and "packages" in names:
            skipped.add("packages")
        if real == own_parent and packages_dir.name in names:
            skipped.add(packages_dir.name)
        return skipped

    return ignore

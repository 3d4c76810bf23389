"""Fetching ``src: dir`` dependencies: copy the tree, or symlink it with ``link: true``.

``packages/<name>`` follows ivpm.yaml: when the dep's ``url`` or ``link`` changes, the next
fetch makes the new copy or link beside the old entry and swaps it in (action ``recopied`` or
``relinked``), so ``packages/<name>`` is always the old entry or the new one, never a mix.

What a copy was made from is recorded in ``packages/.ivpm-dirs/<name>.json``::

    {"version": 1, "mode": "copy" | "link", "source": "/absolute/source/folder"}

A symlink describes itself (its target is its source), so its record is only informative. A
real folder with no readable record of mode ``copy`` was made by an older ivpm or by hand: it
is kept whatever ivpm.yaml now says, as before. A copy is ivpm's snapshot of its source, so
when it is replaced, changes made inside it are discarded (a log line names the old source).

The record is written so that a crash at any point leaves either the old entry with a record
that still describes it (the next run redoes the change) or the new entry with its own.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from ivpm import layout
from ivpm.fetch.result import Action, DepFetchError, FetchResult, Kind
from ivpm.fetch.staging import (
    make_temp_dir,
    remove_path,
    swap_into_place,
    temp_path,
)
from ivpm.fsutil import read_json, write_json_atomic
from ivpm.project.model import Dep

log = logging.getLogger("ivpm")

#: The folder of ``packages/`` holding one record per copied or linked dir dep.

_RECORD_VERSION = 1

Mode = Literal["copy", "link"]


@dataclass(frozen=True)
class DirMade:
    """What a dir dep's ``packages/<name>`` was made from: a copy or a link, and the source."""

    mode: Mode
    source: str

    @property
    def identity(self) -> str:
        """``copy:/abs/source`` or ``link:/abs/source``."""
        return f"{self.mode}:{self.source}"


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


def wanted_dir(dep: Dep) -> DirMade:
    """What ivpm.yaml asks ``packages/<name>`` of the dir dep ``dep`` to be."""
    return DirMade("link" if dep.link else "copy", os.path.normpath(dir_source(dep)))


def dir_identity(dep: Dep) -> str:
    """A stable string of a dir dep's source and link mode: ``link:/abs/src`` or ``copy:/abs/src``.

    Equal strings mean the same ``packages/<name>``; a change means it is made again (and
    what is installed from it must be reinstalled). A ``file://`` URL that names another host
    (an error when fetching) gives ``<mode>:<url as written>``.
    """
    try:
        return wanted_dir(dep).identity
    except DepFetchError:
        return f"{'link' if dep.link else 'copy'}:{dep.url}"


def record_path(packages_dir: Path, name: str) -> Path:
    """Where the record of the dir dep ``name``'s copy or link is kept."""
    return packages_dir / layout.DIR_RECORDS_DIR_NAME / f"{name}.json"


def read_dir_record(packages_dir: Path, name: str) -> DirMade | None:
    """The recorded origin of ``packages/<name>``; ``None`` when missing or not readable.

    Anything but a record of the expected shape (bad JSON, not UTF-8, another version, wrong
    types) counts as no record.
    """
    data = read_json(record_path(packages_dir, name))
    if not isinstance(data, dict) or data.get("version") != _RECORD_VERSION:
        return None
    mode, source = data.get("mode"), data.get("source")
    if mode not in ("copy", "link") or not isinstance(source, str) or not source:
        return None
    return DirMade("copy" if mode == "copy" else "link", source)


def _write_record(packages_dir: Path, name: str, made: DirMade) -> None:
    record = {"version": _RECORD_VERSION, "mode": made.mode, "source": made.source}
    write_json_atomic(record_path(packages_dir, name), record)


def current_dir(dest: Path) -> DirMade | None:
    """What ``dest`` was made from, as far as is known; ``None`` when unknown or absent.

    A symlink is a link to its target. A real folder is a copy of what its record names, when
    there is a record of a copy; a folder without one (an older ivpm's copy, or made by hand),
    or anything else, is unknown.
    """
    if dest.is_symlink():
        target = os.readlink(dest)
        return DirMade("link", os.path.normpath(os.path.join(dest.parent, target)))
    if dest.is_dir():
        made = read_dir_record(dest.parent, dest.name)
        if made is not None and made.mode == "copy":
            return made
    return None


def kept_dir(dep: Dep, dest: Path) -> FetchResult | None:
    """The ``kept`` result when an existing ``dest`` stays as it is, else ``None``.

    ``dest`` stays when it already is the copy or link ivpm.yaml asks for, or when it is not
    something ivpm knows it made (a copy with no record). ``None``: it is missing or must be
    made again (:func:`fetch_dir`). Reads at most one small record; starts no process.
    """
    if not os.path.lexists(dest):
        return None
    made = current_dir(dest)
    kind: Kind = "link" if dest.is_symlink() else "dir"
    if made is None or made == wanted_dir(dep):
        return FetchResult(dep.name, dest, kind, "kept")
    return None


def fetch_dir(dep: Dep, dest: Path) -> FetchResult:
    """Make ``dest`` the copy or link of ``dep``'s directory that ivpm.yaml asks for.

    An existing ``dest`` is kept when it already is that (see :func:`kept_dir`); otherwise the
    new copy or link is made beside it and swapped in: action ``copied``/``linked`` for a new
    ``dest``, ``recopied``/``relinked`` for a replaced one. Copies skip the source's top-level
    ``packages/`` and every ``__pycache__``.
    """
    kept = kept_dir(dep, dest)
    if kept is not None:
        return kept
    wanted = wanted_dir(dep)
    source = Path(wanted.source)
    _check_source(dep, source)
    packages = dest.parent
    old = current_dir(dest) if os.path.lexists(dest) else None
    replacing = old is not None
    if old is not None and old.mode == "copy":
        log.info(
            "%s: replacing %s, the copy of %s, with a %s of %s (changes made inside it are "
            "discarded)",
            dep.name,
            dest,
            old.source,
            "link" if wanted.mode == "link" else "copy",
            wanted.source,
        )
    new = _make(dep, wanted, packages)
    try:
        if old is None or old.mode == "link":
            # Nothing describes the old entry but itself: the new record can go first.
            _write_record(packages, dep.name, wanted)
            swap_into_place(new, dest)
        else:
            # The old copy's record must describe it until it is gone.
            swap_into_place(new, dest)
            _write_record(packages, dep.name, wanted)
    except BaseException:
        remove_path(new)
        raise
    action: Action
    if wanted.mode == "link":
        action = "relinked" if replacing else "linked"
    else:
        action = "recopied" if replacing else "copied"
    return FetchResult(dep.name, dest, "link" if wanted.mode == "link" else "dir", action)


def _make(dep: Dep, wanted: DirMade, packages: Path) -> Path:
    """The new copy or link, complete, at a temporary path beside ``packages/<name>``."""
    source = Path(wanted.source)
    if wanted.mode == "link":
        temp = temp_path(packages, dep.name)
        os.symlink(source, temp, target_is_directory=True)
        return temp
    temp = make_temp_dir(packages, dep.name)
    try:
        shutil.copytree(
            source,
            temp,
            symlinks=True,
            ignore=_copy_filter(source, packages),
            dirs_exist_ok=True,
        )
    except BaseException:
        remove_path(temp)
        raise
    return temp


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

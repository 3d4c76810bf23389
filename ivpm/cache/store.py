"""The cache store: one sealed, read-only folder per :class:`~ivpm.cache.keys.CacheKey`.

Layout under the cache root::

    git/<label>-<hash>/            the entry (read-only)
    git/<label>-<hash>.json        its metadata (see ivpm.cache.meta)
    git/<label>-<hash>.lock        the lock taken while it is filled or removed
    git/<label>-<hash>.tmp-XXXXXXXX/   a fill in progress (or one that crashed)

An entry folder only ever appears by an atomic rename of a finished, sealed temporary folder,
so an existing entry is complete. Filling takes the entry's lock; a second filler waits on it
and then finds the entry done. A crashed fill leaves only its temporary folder, which the next
fill of that entry removes.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivpm.cache import meta
from ivpm.cache.keys import CacheKey
from ivpm.cache.root import cache_root
from ivpm.cache.seal import remove_tree, seal_tree

log = logging.getLogger("ivpm")
_TEMP = re.compile(r"\.tmp-[0-9a-f]{8}$")
# One thread per process works on an entry at a time; the file lock orders the processes.
_LOCAL_LOCKS: dict[str, threading.Lock] = {}
_LOCAL_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class Filled:
    """A filled entry: its folder, and whether this call made it (False: it was there)."""

    path: Path
    made: bool


def lock_path(entry: Path) -> Path:
    """The lock file of the entry folder ``entry``."""
    return entry.with_name(entry.name + ".lock")


def is_temp_name(name: str) -> bool:
    """True for the name of a fill's temporary folder (``<entry>.tmp-XXXXXXXX``)."""
    return _TEMP.search(name) is not None


def remove_temps(entry: Path) -> None:
    """Remove what crashed fills of ``entry`` left (the caller holds the entry's lock)."""
    prefix = entry.name + ".tmp-"
    for item in os.scandir(entry.parent):
        if item.name.startswith(prefix) and is_temp_name(item.name):
            remove_tree(Path(item.path))


def _local_lock(path: Path) -> threading.Lock:
    """The in-process lock of the lock file ``path`` (created on first use)."""
    with _LOCAL_LOCKS_GUARD:
        return _LOCAL_LOCKS.setdefault(str(path), threading.Lock())


class Cache:
    """The shared cache at ``root`` (default: :func:`~ivpm.cache.root.cache_root`)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else cache_root()

    def entry_path(self, key: CacheKey) -> Path:
        """Where the entry of ``key`` is (or would be)."""
        return self.root / key.kind / key.entry_name

    def lookup(self, key: CacheKey, *, refs: tuple[str, ...] = ()) -> Path | None:
        """The entry of ``key`` when it exists (recorded as used now), else None."""
        entry = self.entry_path(key)
        if not entry.is_dir():
            return None
        meta.touch(entry, refs=refs)
        return entry

    def fill_entry(
        self,
        key: CacheKey,
        make: Callable[[Path], None],
        *,
        name: str = "",
        details: Mapping[str, Any] | None = None,
        refs: tuple[str, ...] = (),
    ) -> Filled:
        """The entry of ``key``; on a miss ``make`` fills an empty folder that becomes it.

        ``make`` gets an empty folder inside the cache root to put the content in; it is then
        sealed read-only and renamed into place. ``name`` (the dep's) and ``details`` (extra
        fields, e.g. ``commit``) go into the metadata; ``refs`` are recorded as resolving to
        the entry. An exception from ``make`` leaves no entry behind and propagates.
        """
        hit = self.lookup(key, refs=refs)
        if hit is not None:
            return Filled(hit, made=False)
        from filelock import FileLock, Timeout

        entry = self.entry_path(key)
        entry.parent.mkdir(parents=True, exist_ok=True)
        with _local_lock(lock_path(entry)):
            lock = FileLock(str(lock_path(entry)))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                log.info("waiting for another ivpm that is filling cache entry %s", entry)
                lock.acquire()
            try:
                hit = self.lookup(key, refs=refs)
                if hit is not None:
                    return Filled(hit, made=False)
                remove_temps(entry)
                made = self._make(key, entry, make, name=name, details=details, refs=refs)
                return Filled(entry, made=made)
            finally:
                lock.release()

    def _make(
        self,
        key: CacheKey,
        entry: Path,
        make: Callable[[Path], None],
        *,
        name: str,
        details: Mapping[str, Any] | None,
        refs: tuple[str, ...],
    ) -> bool:
        temp = entry.with_name(f"{entry.name}.tmp-{os.urandom(4).hex()}")
        temp.mkdir()
        try:
            make(temp)
            size = seal_tree(temp)
            stamp = meta.now_text()
            data: dict[str, Any] = {
                "format": meta.FORMAT,
                "kind": key.kind,
                "name": name or key.label,
                "url": key.url,
                "version": key.version,
                "created": stamp,
                "last_used": stamp,
                "size": size,
                **(details or {}),
            }
            if refs:
                data["refs"] = list(refs)
            meta.write_meta(entry, data)
            try:
                os.rename(temp, entry)
            except OSError:
                if not entry.is_dir():
                    raise
                # Only if the lock file was removed by hand while this fill held it.
                remove_tree(temp)
                return False
        except BaseException:
            remove_tree(temp)
            raise
        return True

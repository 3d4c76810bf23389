"""``ivpm cache info`` and ``ivpm cache clean``: listing entries and removing them.

Removing takes the entry's lock without waiting: an entry being filled (or removed by another
``clean``) is left alone. The entry is first renamed to a temporary name, so it disappears at
once for every reader, then made writable and deleted, with its metadata. The (empty) lock
file stays: an ivpm waiting on it and one arriving later must lock the same file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ivpm.cache import meta
from ivpm.cache.seal import remove_tree
from ivpm.cache.store import is_temp_name, lock_path, remove_temps


@dataclass(frozen=True)
class EntryInfo:
    """One cache entry as ``ivpm cache info`` shows it."""

    path: Path
    kind: str
    name: str
    url: str
    version: str
    size: int
    created: datetime | None
    last_used: datetime | None

    def as_json(self) -> dict[str, Any]:
        """The entry as a JSON object."""
        return {
            "path": str(self.path),
            "kind": self.kind,
            "name": self.name,
            "url": self.url,
            "version": self.version,
            "size": self.size,
            "created": self.created.isoformat() if self.created else None,
            "last_used": self.last_used.isoformat() if self.last_used else None,
        }


@dataclass
class CleanReport:
    """What ``clean`` removed, and the entries it had to leave because they were in use."""

    removed: list[EntryInfo] = field(default_factory=list)
    busy: list[EntryInfo] = field(default_factory=list)

    @property
    def freed(self) -> int:
        """Bytes removed."""
        return sum(entry.size for entry in self.removed)


def list_entries(root: Path) -> list[EntryInfo]:
    """Every complete entry under the cache ``root``, by kind and name."""
    entries: list[EntryInfo] = []
    try:
        kinds = sorted(item.name for item in os.scandir(root) if item.is_dir())
    except FileNotFoundError:
        return entries
    for kind in kinds:
        for item in sorted(os.scandir(root / kind), key=lambda item: item.name):
            if item.name.startswith(".") or is_temp_name(item.name):
                continue
            if item.is_dir(follow_symlinks=False):
                entries.append(_info(Path(item.path), kind))
    return entries


def _info(entry: Path, kind: str) -> EntryInfo:
    data = meta.read_meta(entry) or {}
    size = data.get("size")
    return EntryInfo(
        path=entry,
        kind=str(data.get("kind", kind)),
        name=str(data.get("name", entry.name)),
        url=str(data.get("url", "")),
        version=str(data.get("commit") or data.get("sha256") or data.get("version", "")),
        size=size if isinstance(size, int) else _tree_size(entry),
        created=meta.parse_time(data.get("created")),
        last_used=meta.parse_time(data.get("last_used")) or meta.parse_time(data.get("created")),
    )


def _tree_size(root: Path) -> int:
    total = 0
    for current, _dirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(current, name)).st_size
    return total


def select_for_clean(
    entries: Sequence[EntryInfo],
    *,
    now: datetime,
    older_than: float | None = None,
    max_size: int | None = None,
    everything: bool = False,
) -> list[EntryInfo]:
    """The entries to remove: all, those unused for ``older_than`` days, then the least
    recently used until the rest fit in ``max_size`` bytes."""
    if everything:
        return list(entries)
    chosen: list[EntryInfo] = []
    if older_than is not None:
        cutoff = now - timedelta(days=older_than)
        chosen = [entry for entry in entries if entry.last_used is None or entry.last_used < cutoff]
    if max_size is not None:
        rest = [entry for entry in entries if entry not in chosen]
        total = sum(entry.size for entry in rest)
        oldest_first = sorted(rest, key=lambda entry: (entry.last_used or now, entry.name))
        for entry in oldest_first:
            if total <= max_size:
                break
            chosen.append(entry)
            total -= entry.size
    return chosen


def remove_entries(root: Path, entries: Sequence[EntryInfo]) -> CleanReport:
    """Remove ``entries`` whose lock is free, and the leftovers of crashed fills of them."""
    from filelock import FileLock, Timeout

    report = CleanReport()
    for entry in entries:
        lock = FileLock(str(lock_path(entry.path)))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            report.busy.append(entry)
            continue
        try:
            aside = entry.path.with_name(f"{entry.path.name}.tmp-{os.urandom(4).hex()}")
            os.rename(entry.path, aside)
            meta.meta_path(entry.path).unlink(missing_ok=True)
            remove_tree(aside)
            remove_temps(entry.path)
            report.removed.append(entry)
        finally:
            lock.release()
    return report


def remove_stale_temps(root: Path) -> int:
    """Remove the temporary folders of crashed fills whose entry nobody is filling now."""
    from filelock import FileLock, Timeout

    removed = 0
    try:
        kinds = [Path(item.path) for item in os.scandir(root) if item.is_dir()]
    except FileNotFoundError:
        return 0
    for folder in kinds:
        for item in list(os.scandir(folder)):
            if not is_temp_name(item.name) or ".json.tmp-" in item.name:
                continue
            entry = folder / item.name.rsplit(".tmp-", 1)[0]
            lock = FileLock(str(lock_path(entry)))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue
            try:
                remove_tree(Path(item.path))
                removed += 1
            finally:
                lock.release()
    return removed

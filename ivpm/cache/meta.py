"""The small JSON file beside each cache entry: what it holds, when it was made and last used.

``<entry>.json`` holds ``kind``, ``name`` (the dep that filled it), ``url``, ``version``
(commit or sha256), ``created``, ``last_used`` (ISO 8601, UTC), ``size`` (bytes) and
kind-specific fields (git: ``commit`` and the ``refs`` that resolved to it). Every rewrite is
atomic (a temporary file renamed over it); two ivpm runs touching it at once lose at most one
of their updates, never the file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ivpm.fsutil import read_json

FORMAT = 1


def meta_path(entry: Path) -> Path:
    """The metadata file of the entry folder ``entry``."""
    return entry.with_name(entry.name + ".json")


def now_text() -> str:
    """The current time as ISO 8601 text in UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_time(text: object) -> datetime | None:
    """An ISO 8601 time written by :func:`now_text`; None when missing or malformed."""
    if not isinstance(text, str):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


#: The fields every reader takes as text; one holding anything else reads as absent.
_TEXT_FIELDS = ("kind", "name", "url", "version", "commit", "sha256", "created", "last_used")


def read_meta(entry: Path) -> dict[str, Any] | None:
    """The metadata of ``entry``; None when it is missing or unreadable.

    Fields of the wrong type read as absent (``refs``: only its strings), so a damaged file
    means "not recorded" to every reader.
    """
    data = read_json(meta_path(entry))
    if not isinstance(data, dict):
        return None
    for key in _TEXT_FIELDS:
        if key in data and not isinstance(data[key], str):
            del data[key]
    if "refs" in data:
        refs = data["refs"]
        data["refs"] = (
            [ref for ref in refs if isinstance(ref, str)] if isinstance(refs, list) else []
        )
    return data


def write_meta(entry: Path, data: Mapping[str, Any]) -> None:
    """Write the metadata of ``entry`` atomically."""
    target = meta_path(entry)
    temp = target.with_name(f"{target.name}.tmp-{os.urandom(4).hex()}")
    try:
        temp.write_text(json.dumps(dict(data), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def touch(
    entry: Path, *, refs: tuple[str, ...] = (), data: Mapping[str, Any] | None = None
) -> None:
    """Record that ``entry`` was used now (and that ``refs`` resolve to it).

    ``data`` is the entry's metadata when the caller has just read it (it is not changed);
    otherwise it is read here. A cache folder this user cannot write (one shared read-only) is
    used without recording.
    """
    found = data if data is not None else read_meta(entry)
    if found is None:
        return
    record = dict(found)
    record["last_used"] = now_text()
    known = [ref for ref in record.get("refs", []) if isinstance(ref, str)]
    for ref in refs:
        if ref not in known:
            known.append(ref)
    if known:
        record["refs"] = known
    with contextlib.suppress(OSError):
        write_meta(entry, record)

"""Building tar and zip archives in memory, including hostile members, for the archive tests."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TAR_MODES = {
    ".tar.gz": "w:gz",
    ".tgz": "w:gz",
    ".tar.bz2": "w:bz2",
    ".tbz2": "w:bz2",
    ".tar.xz": "w:xz",
    ".txz": "w:xz",
    ".tar": "w",
}
FORMATS = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".zip")


@dataclass(frozen=True)
class Entry:
    """One archive member: a file (``data``), a folder, a symlink or a hard link (``target``)."""

    name: str
    data: bytes = b""
    kind: str = "file"  # file | dir | symlink | hardlink | chr | fifo
    target: str = ""
    mode: int = 0o644


def files(mapping: Mapping[str, bytes | str], *, top: str | None = None) -> list[Entry]:
    """File entries for ``mapping`` (text is UTF-8 encoded), all under ``top/`` when given."""
    prefix = f"{top}/" if top else ""
    entries = [Entry(f"{top}/", kind="dir")] if top else []
    for name, data in mapping.items():
        raw = data.encode() if isinstance(data, str) else data
        entries.append(Entry(prefix + name, raw))
    return entries


def build(fmt: str, entries: Sequence[Entry]) -> bytes:
    """The bytes of a ``fmt`` archive (``.zip``, ``.jar`` or a tar format) holding ``entries``."""
    if fmt in (".zip", ".jar"):
        return _zip(entries)
    return _tar(TAR_MODES[fmt], entries)


def _tar(mode: str, entries: Sequence[Entry]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tf:  # type: ignore[call-overload]
        for entry in entries:
            info = tarfile.TarInfo(entry.name)
            info.mode = entry.mode
            info.mtime = 1_700_000_000
            if entry.kind == "file":
                info.size = len(entry.data)
                tf.addfile(info, io.BytesIO(entry.data))
                continue
            info.type = {
                "dir": tarfile.DIRTYPE,
                "symlink": tarfile.SYMTYPE,
                "hardlink": tarfile.LNKTYPE,
                "chr": tarfile.CHRTYPE,
                "fifo": tarfile.FIFOTYPE,
            }[entry.kind]
            info.linkname = entry.target
            if entry.kind == "dir":
                info.mode = 0o755
            tf.addfile(info)
    return buffer.getvalue()


def _zip(entries: Sequence[Entry]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=(2024, 1, 2, 3, 4, 5))
            info.create_system = 3
            if entry.kind == "dir":
                info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10
                zf.writestr(info, b"")
            elif entry.kind == "symlink":
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                zf.writestr(info, entry.target.encode())
            elif entry.kind == "file":
                info.external_attr = (stat.S_IFREG | entry.mode) << 16
                zf.writestr(info, entry.data, compress_type=zipfile.ZIP_DEFLATED)
            else:
                raise ValueError(f"zip cannot hold a {entry.kind}")
    return buffer.getvalue()

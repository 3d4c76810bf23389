"""Unpacking a tar (.tar.gz, .tgz, .tar.bz2, .tbz2, .tar.xz, .txz, .tar) or zip archive safely.

Every member is checked before anything is written, with our own rules rather than
``tarfile``'s filters (absent from older Pythons): no absolute paths, no ``..``, no device
files or FIFOs, no member under a file or link, a hard link only to a file of the archive, at
most ``IVPM_MAX_UNPACK_MEMBERS`` members and ``IVPM_MAX_UNPACK_BYTES`` bytes in all. Regular
files and folders are written first and symbolic links last, so nothing is ever written
through a link; each link must then resolve inside the destination. A file keeps its
executable bits, nothing else of its mode (no setuid). When every member lies under one
top-level folder, that folder is stripped, so the destination is the package root.
"""

from __future__ import annotations

import gzip
import lzma
import os
import shutil
import stat
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from ivpm.fetch.staging import is_within, remove_path
from ivpm.project.names import url_ending

DEFAULT_MAX_UNPACK_BYTES = 8 * 1024**3
DEFAULT_MAX_UNPACK_MEMBERS = 500_000
_TAR_MODES = {
    ".tar.gz": "r:gz",
    ".tgz": "r:gz",
    ".tar.bz2": "r:bz2",
    ".tbz2": "r:bz2",
    ".tar.xz": "r:xz",
    ".txz": "r:xz",
    ".tar": "r:",
}
#: Every archive format :func:`unpack_archive` reads, as the file name endings that name them.
FORMATS = (*_TAR_MODES, ".zip", ".jar")
_CHUNK = 1024 * 1024
_MAX_LINK_TARGET = 4096

MemberKind = Literal["file", "dir", "symlink", "hardlink"]


class UnpackError(Exception):
    """An archive was refused or could not be read; ``reason`` says why (naming the member)."""

    def __init__(self, reason: str, *, member: str | None = None, hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.member = member
        self.hint = hint


def archive_format(name: str) -> str | None:
    """The archive format a file name or URL ends in (``.tar.gz``, ``.zip``, ...), or ``None``.

    ``.jar`` is a zip that is saved as it is unless ``unpack: true`` says otherwise; a wheel
    (``.whl``) is not an archive to unpack here.
    """
    lowered = url_ending(name)
    for fmt in FORMATS:
        if lowered.endswith(fmt):
            return fmt
    return None


def unpacked_by_default(fmt: str) -> bool:
    """Whether an archive of ``fmt`` is unpacked when ``unpack:`` is not given (not a .jar)."""
    return fmt != ".jar"


def max_unpack_bytes() -> int:
    """``IVPM_MAX_UNPACK_BYTES`` when set to a whole number, else the default."""
    return _env_int("IVPM_MAX_UNPACK_BYTES", DEFAULT_MAX_UNPACK_BYTES)


def max_unpack_members() -> int:
    """``IVPM_MAX_UNPACK_MEMBERS`` when set to a whole number, else the default."""
    return _env_int("IVPM_MAX_UNPACK_MEMBERS", DEFAULT_MAX_UNPACK_MEMBERS)


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    return int(text) if text.isdigit() else default


@dataclass(frozen=True)
class _Member:
    name: str  # as written in the archive, for messages
    parts: tuple[str, ...]  # the normalized path, top folder not yet stripped
    kind: MemberKind
    size: int = 0
    mode: int = 0o644
    mtime: float | None = None
    target: str = ""  # a symlink's target as written; a hard link's normalized member path
    open: Callable[[], IO[bytes]] | None = None


def unpack_archive(archive: Path, dest: Path, *, fmt: str) -> None:
    """Unpack ``archive`` (of format ``fmt``, see :func:`archive_format`) into ``dest``.

    ``dest`` is created (it may exist if empty). At most :func:`max_unpack_members` members and
    :func:`max_unpack_bytes` bytes are unpacked. Raises :class:`UnpackError` for a refused or
    unreadable archive; then a ``dest`` made here is removed again.
    """
    limit = max_unpack_bytes()
    count_limit = max_unpack_members()
    created = not os.path.lexists(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise UnpackError(f"{dest} is not empty")
    try:
        with _members(archive, fmt, count_limit) as members:
            plan = _plan(members, limit)
            _write(plan, dest, limit)
    except BaseException:
        if created:
            remove_path(dest)
        else:
            for child in list(dest.iterdir()):
                remove_path(child)
        raise


@contextmanager
def _members(archive: Path, fmt: str, count_limit: int) -> Iterator[list[_Member]]:
    """The members of ``archive``, readable while the context is open."""
    try:
        if fmt in (".zip", ".jar"):
            with zipfile.ZipFile(archive) as zf:
                yield _zip_members(zf, count_limit)
        elif fmt in _TAR_MODES:
            with tarfile.open(archive, _TAR_MODES[fmt]) as tf:  # type: ignore[call-overload]
                yield _tar_members(tf, count_limit)
        else:
            raise UnpackError(f"unknown archive format '{fmt}'")
    except (
        tarfile.TarError,
        zipfile.BadZipFile,
        gzip.BadGzipFile,
        EOFError,
        zlib.error,
        lzma.LZMAError,
    ) as exc:
        raise UnpackError(f"{archive.name} is not a valid {fmt} archive: {exc}") from None
    except RuntimeError as exc:  # zipfile: an encrypted member
        raise UnpackError(f"cannot read {archive.name}: {exc}") from None


def _tar_members(tf: tarfile.TarFile, count_limit: int) -> list[_Member]:
    members: list[_Member] = []
    for info in tf:
        _check_count(len(members) + 1, count_limit)
        parts = _parts(info.name)
        if info.isdir():
            kind: MemberKind = "dir"
        elif info.isfile():
            kind = "file"
        elif info.issym():
            kind = "symlink"
        elif info.islnk():
            kind = "hardlink"
        else:
            what = "device file" if info.isdev() else "FIFO" if info.isfifo() else "special file"
            raise UnpackError(f"member '{info.name}' is a {what}", member=info.name)
        target = info.linkname
        if kind == "hardlink":
            target = "/".join(_link_parts(info.name, info.linkname))
        members.append(
            _Member(
                info.name,
                parts,
                kind,
                info.size if kind == "file" else 0,
                info.mode,
                float(info.mtime),
                target,
                _tar_opener(tf, info) if kind == "file" else None,
            )
        )
    return members


def _tar_opener(tf: tarfile.TarFile, info: tarfile.TarInfo) -> Callable[[], IO[bytes]]:
    def open_member() -> IO[bytes]:
        handle = tf.extractfile(info)
        if handle is None:  # pragma: no cover - only for non-files, which never get here
            raise UnpackError(f"cannot read member '{info.name}'", member=info.name)
        return handle

    return open_member


def _zip_members(zf: zipfile.ZipFile, count_limit: int) -> list[_Member]:
    infos = zf.infolist()
    _check_count(len(infos), count_limit)
    members: list[_Member] = []
    for info in infos:
        parts = _parts(info.filename)
        mode = info.external_attr >> 16 if info.create_system == 3 else 0
        mtime = _zip_mtime(info)
        if info.is_dir() or stat.S_ISDIR(mode):
            members.append(_Member(info.filename, parts, "dir", mtime=mtime))
        elif stat.S_ISLNK(mode):
            if info.file_size > _MAX_LINK_TARGET:
                raise UnpackError(f"member '{info.filename}' is a link with an overlong target")
            target = zf.read(info).decode("utf-8", errors="surrogateescape")
            members.append(_Member(info.filename, parts, "symlink", target=target))
        elif stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # no type bits: a plain file
            raise UnpackError(
                f"member '{info.filename}' is a special file (mode {mode:o})",
                member=info.filename,
            )
        else:
            members.append(
                _Member(
                    info.filename,
                    parts,
                    "file",
                    info.file_size,
                    mode or 0o644,
                    mtime,
                    open=_zip_opener(zf, info),
                )
            )
    return members


def _zip_opener(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: zf.open(info)


def _zip_mtime(info: zipfile.ZipInfo) -> float | None:
    try:
        return time.mktime((*info.date_time, 0, 0, -1))
    except (OverflowError, ValueError):
        return None


def _check_count(count: int, limit: int) -> None:
    if count > limit:
        raise UnpackError(
            f"the archive has more than {limit} members",
            hint="raise IVPM_MAX_UNPACK_MEMBERS if it is meant to be this large",
        )


def _too_big(limit: int, name: str) -> UnpackError:
    return UnpackError(
        f"the archive unpacks to more than {limit} bytes (at member '{name}')",
        member=name,
        hint="raise IVPM_MAX_UNPACK_BYTES if it is meant to be this large",
    )


def _parts(name: str) -> tuple[str, ...]:
    """The path components of member ``name``; refuses absolute paths and ``..``."""
    if name.startswith("/") or name.startswith("\\"):
        raise UnpackError(f"member '{name}' has an absolute path", member=name)
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if ".." in parts:
        raise UnpackError(f"member '{name}' has a '..' component", member=name)
    if any("\0" in part for part in parts):
        raise UnpackError(f"member '{name}' has a NUL in its name", member=name)
    return parts


def _link_parts(name: str, linkname: str) -> tuple[str, ...]:
    """A tar hard link's target, a member path; refuses one outside the archive."""
    if linkname.startswith("/") or ".." in linkname.split("/"):
        raise UnpackError(
            f"member '{name}' is a hard link to '{linkname}', outside the archive", member=name
        )
    return tuple(part for part in linkname.split("/") if part not in ("", "."))


@dataclass(frozen=True)
class _Plan:
    dirs: list[tuple[str, ...]]
    files: list[_Member]
    hardlinks: list[_Member]
    symlinks: list[_Member]
    strip: int  # leading components to drop: 1 when one top folder holds everything


def _plan(members: list[_Member], limit: int) -> _Plan:
    """Check the members as a whole and decide the layout; nothing is written yet."""
    kinds: dict[tuple[str, ...], _Member] = {}
    parents: set[tuple[str, ...]] = set()
    total = 0
    for member in members:
        if not member.parts:
            continue
        earlier = kinds.get(member.parts)
        if earlier is not None and earlier.kind != member.kind:
            raise UnpackError(
                f"member '{member.name}' appears twice, as a {earlier.kind} and a {member.kind}",
                member=member.name,
            )
        kinds[member.parts] = member
        parents.update(member.parts[:i] for i in range(1, len(member.parts)))
        total += member.size
        if total > limit:
            raise _too_big(limit, member.name)
    for parts in parents:
        holder = kinds.get(parts)
        if holder is not None and holder.kind != "dir":
            raise UnpackError(
                f"member '{holder.name}' is a {holder.kind} but other members lie under it",
                member=holder.name,
            )
    tops = {parts[0] for parts in kinds}
    strip = 1 if len(tops) == 1 and (next(iter(tops)),) in parents else 0
    chosen = list(kinds.values())  # a name listed twice: the later member wins
    for member in chosen:
        if member.kind == "hardlink":
            target = kinds.get(tuple(member.target.split("/")) if member.target else ())
            if target is None or target.kind not in ("file", "hardlink"):
                raise UnpackError(
                    f"member '{member.name}' is a hard link to '{member.target}', "
                    "which is not a file in the archive",
                    member=member.name,
                )
        if member.kind == "symlink" and (
            member.target.startswith("/") or "\0" in member.target or not member.target
        ):
            raise UnpackError(
                f"member '{member.name}' is a link to '{member.target}', outside the archive",
                member=member.name,
            )
    return _Plan(
        dirs=sorted(parts[strip:] for parts, m in kinds.items() if m.kind == "dir"),
        files=[m for m in chosen if m.kind == "file"],
        hardlinks=[m for m in chosen if m.kind == "hardlink"],
        symlinks=[m for m in chosen if m.kind == "symlink"],
        strip=strip,
    )


def _write(plan: _Plan, dest: Path, limit: int) -> None:
    written = 0
    for parts in plan.dirs:
        if parts:
            (dest.joinpath(*parts)).mkdir(parents=True, exist_ok=True)
    for member in plan.files:
        path = dest.joinpath(*member.parts[plan.strip :])
        written += _write_file(member, path, limit - written)
    for member in plan.hardlinks:
        path = dest.joinpath(*member.parts[plan.strip :])
        source = dest.joinpath(*member.target.split("/")[plan.strip :])
        written += source.stat().st_size
        if written > limit:
            raise _too_big(limit, member.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_path(path)
        shutil.copy2(source, path)
    for member in plan.symlinks:
        path = dest.joinpath(*member.parts[plan.strip :])
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_path(path)
        os.symlink(member.target, path)
    for member in plan.symlinks:
        path = dest.joinpath(*member.parts[plan.strip :])
        if not is_within(path, dest):
            raise UnpackError(
                f"member '{member.name}' is a link to '{member.target}', which resolves "
                "outside the package folder",
                member=member.name,
            )


def _write_file(member: _Member, path: Path, room: int) -> int:
    """Write one regular file (never through a link); returns its size."""
    assert member.open is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.exists():
        remove_path(path)
    mode = 0o644 | (member.mode & 0o111)
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    with os.fdopen(fd, "wb") as out, member.open() as source:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > room:
                raise _too_big(room, member.name)
            out.write(chunk)
    os.chmod(path, mode)
    if member.mtime is not None:
        with suppress(OverflowError, OSError):
            os.utime(path, (member.mtime, member.mtime))
    return size

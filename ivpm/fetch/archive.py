"""Fetching archive deps (``src: http``, ``file`` or ``url``) into ``packages/<name>``.

The URL is http(s)://, file:///abs/path, or (for ``src: file``) a plain path, relative to
the folder of the ivpm.yaml that declares the dep. The file is downloaded into
``packages/.tmp-<name>-XXXXXXXX``, its ``sha256:`` (when given) checked, then it is unpacked
(:mod:`ivpm.fetch.unpack`) into that temporary folder and moved into place; with
``unpack: false`` (the default for ``.jar``) the file itself becomes ``packages/<name>``.

What was fetched is recorded in ``packages/.ivpm-archives/<name>.json`` (outside the package
root, so the package's content is exactly the archive's)::

    {"version": 1, "declared": {...what ivpm.yaml said...}, "url": "<fetched URL>",
     "sha256": "<digest of the downloaded file>", "kind": "archive" | "file", ...details}

where the details are the fetcher's own (a GitHub release adds ``repo``, ``tag``, ``asset``).

:func:`kept_archive` keeps ``packages/<name>`` while ``declared`` still matches the dep; when
it does not (a changed url, sha256, unpack, ...), or the record is missing or unreadable,
:func:`fetch_archive` builds the new content in a temporary folder and swaps it in.

The content is made by :func:`make_archive_content` into a given, not yet existing path, and
placed by :func:`fetch_archive`, so a shared cache can make the same content elsewhere.

Reading the record (:func:`kept_archive`, the no-op path) imports nothing of the download and
unpacking stack (urllib.request, http.client, ssl, tarfile, zipfile); fetching does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivpm.fetch.result import DepFetchError, FetchResult, Kind
from ivpm.fetch.staging import (
    make_temp_dir,
    remove_path,
    swap_into_place,
)
from ivpm.fetch.urls import local_path
from ivpm.fsutil import read_json, write_json_atomic
from ivpm.layout import ARCHIVE_RECORDS_DIR_NAME
from ivpm.project.model import Dep, Source

_RECORD_VERSION = 1


@dataclass(frozen=True)
class Download:
    """What to download: the URL, the file name that decides the format, the request headers.

    Without a ``filename`` the name is the URL's last path segment (a GitHub release asset
    names it when its URL has no extension).
    """

    url: str
    filename: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def archive_url(dep: Dep, url: str | None = None) -> str:
    """The URL to download: ``url`` or the dep's, a relative local path made absolute.

    A ``file://`` URL or plain path that is relative is taken relative to the folder of the
    ivpm.yaml declaring ``dep``; ``~`` is expanded.
    """
    text = url if url is not None else dep.url
    if not text:
        raise DepFetchError(dep, "no url given")
    scheme = urllib.parse.urlsplit(text).scheme.lower()
    if scheme in ("http", "https"):
        return text
    path = local_path(text)
    if path is None:
        raise DepFetchError(
            dep,
            f"cannot download {text!r}: only http://, https:// and file:// URLs are supported",
        )
    path = Path(os.path.expanduser(path))
    if not path.is_absolute():
        base = dep.declared_in if dep.declared_in is not None else dep.location.path
        path = base.parent / path
    return Path(os.path.abspath(path)).as_uri()


def _resolved(dep: Dep, download: Download | None) -> Download:
    """``download`` (default: the dep's url) with its URL as :func:`archive_url` gives it."""
    if download is None:
        return Download(archive_url(dep))
    return Download(archive_url(dep, download.url), download.filename, download.headers)


def _file_name(download: Download) -> str:
    if download.filename:
        return os.path.basename(download.filename)
    path = urllib.parse.unquote(urllib.parse.urlsplit(download.url).path)
    return os.path.basename(path.rstrip("/")) or "download"


def _content_format(dep: Dep, name: str) -> str | None:
    """The format to unpack, or ``None`` to keep the file as it is."""
    from ivpm.fetch.unpack import FORMATS, archive_format, unpacked_by_default

    fmt = archive_format(name)
    if dep.unpack is False:
        return None
    if fmt is None:
        known = ", ".join(FORMATS)
        if dep.unpack:
            raise DepFetchError(
                dep,
                f"cannot unpack '{name}': not a known archive format",
                hint=f"archives must end in one of {known}; 'unpack: false' keeps the file",
            )
        raise DepFetchError(
            dep,
            f"'{name}' does not end in a known archive extension",
            hint=f"use a URL ending in one of {known}, or add 'unpack: false' to save "
            "the file as it is",
        )
    if dep.unpack is None and not unpacked_by_default(fmt):
        return None
    return fmt


def make_archive_content(dep: Dep, target: Path, download: Download) -> str:
    """Make ``dep``'s content at ``target`` (which must not exist): a folder, or one file.

    ``download`` names what to fetch, its URL already as :func:`archive_url` gives it. Scratch
    files go in a temporary folder beside ``target``; the download is checked against the
    dep's ``sha256`` and unpacked into ``target`` or, when it is not to be unpacked, renamed to
    ``target``. Returns the sha256 of the downloaded file. Raises :class:`DepFetchError`;
    ``target`` is then left absent.
    """
    from ivpm.fetch.download import ChecksumError
    from ivpm.fetch.download import download as fetch_file
    from ivpm.fetch.http import HttpError
    from ivpm.fetch.unpack import UnpackError, unpack_archive

    name = _file_name(download)
    fmt = _content_format(dep, name)
    scratch = Path(tempfile.mkdtemp(prefix=".ivpm-download-", dir=target.parent))
    try:
        downloaded = scratch / name
        digest = fetch_file(
            download.url,
            downloaded,
            headers=download.headers,
            expected_sha256=dep.sha256,
            label=dep.name,
        )
        if fmt is None:
            os.rename(downloaded, target)
        else:
            unpack_archive(downloaded, target, fmt=fmt)
        return digest
    except ChecksumError as exc:
        raise DepFetchError(
            dep,
            f"sha256 mismatch for {exc.url}: ivpm.yaml says {exc.expected}, "
            f"the download is {exc.actual}",
            hint="if the file was changed on purpose, update 'sha256:' in ivpm.yaml",
        ) from None
    except HttpError as exc:
        raise DepFetchError(dep, exc.reason, hint=exc.hint) from None
    except UnpackError as exc:
        raise DepFetchError(dep, f"refused to unpack {name}: {exc.reason}", hint=exc.hint) from None
    except OSError as exc:
        raise DepFetchError(dep, f"cannot fetch {download.url}: {exc}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def fetch_archive(
    dep: Dep,
    dest: Path,
    download: Download | None = None,
    *,
    details: Mapping[str, Any] | None = None,
) -> FetchResult:
    """Download ``dep``'s archive and place its content at ``dest`` (``packages/<name>``).

    ``download`` overrides ``dep.url`` (a GitHub release asset: its URL, its file name, which
    decides the format when the URL has no extension, and the request headers). ``details``
    go into the record as they are (a release's tag, say). An existing ``dest`` is replaced
    only once the new content is complete (action ``replaced``).
    """
    wanted = _resolved(dep, download)
    if dep.cache:
        return _fetch_cached(dep, dest, wanted, details)
    packages = dest.parent
    work = make_temp_dir(packages, dep.name)
    try:
        target = work / "content"
        digest = make_archive_content(dep, target, wanted)
        kind: Kind = "archive" if target.is_dir() else "file"
        replaced = os.path.lexists(dest)
        try:
            _swap(target, dest)
            _write_record(dep, dest, wanted.url, digest, kind, details=details)
        except OSError as exc:
            raise DepFetchError(dep, f"cannot place {dest}: {exc}") from None
    finally:
        remove_path(work)
    return FetchResult(dep.name, dest, kind, "replaced" if replaced else "downloaded")


def _fetch_cached(
    dep: Dep, dest: Path, download: Download, details: Mapping[str, Any] | None
) -> FetchResult:
    """``cache: true``: the content is made once in the shared cache, keyed by the URL (and
    the sha256 when ivpm.yaml gives one), and ``dest`` becomes a link to it."""
    from ivpm.cache.keys import archive_key
    from ivpm.cache.links import link_entry
    from ivpm.cache.store import Cache

    def make(folder: Path) -> None:
        make_archive_content(dep, folder / "content", download)

    try:
        filled = Cache().fill_entry(
            archive_key(download.url, dep.sha256),
            make,
            name=dep.name,
            details={"url": download.url},
        )
        content = filled.path / "content"
        kind: Kind = "archive" if content.is_dir() else "file"
        if os.path.lexists(dest) and not dest.is_symlink():
            remove_path(record_path(dest.parent, dest.name))
            remove_path(dest)
        link_entry(content, dest)
        _write_record(dep, dest, download.url, dep.sha256 or "", kind, details=details)
    except OSError as exc:
        raise DepFetchError(dep, f"cannot place {dest} from the cache: {exc}") from None
    return FetchResult(dep.name, dest, kind, "downloaded" if filled.made else "linked")


def kept_archive(dep: Dep, dest: Path) -> FetchResult | None:
    """The ``kept`` result when ``dest`` holds what ivpm.yaml still names, else ``None``.

    ``None`` (fetch again) when there is no readable record of the fetch, or it was made for a
    different url, sha256, unpack setting, version, options or ``cache:``. A kept link into
    the shared cache records its entry as used, as a kept cached git dep does.
    """
    record = read_record(dest.parent, dep.name)
    if record is None or record.get("declared") != declared_identity(dep):
        return None
    kind = record.get("kind")
    if kind == "archive" and dest.is_dir():
        result = FetchResult(dep.name, dest, "archive", "kept")
    elif kind == "file" and dest.is_file():
        result = FetchResult(dep.name, dest, "file", "kept")
    else:
        return None
    if dest.is_symlink():
        _touch_cache_entry(dest)
    return result


def _touch_cache_entry(dest: Path) -> None:
    """Record the cache entry ``dest`` links to as used now, when it is a link into the cache.

    The link points at the entry's ``content``; ``ivpm cache clean --older-than`` reads the
    entry's last use.
    """
    from ivpm.cache.root import is_cache_link

    if is_cache_link(dest):
        from ivpm.cache import meta

        meta.touch(Path(os.path.realpath(dest)).parent)


def declared_identity(dep: Dep) -> dict[str, Any]:
    """What ivpm.yaml says about ``dep`` that decides the fetched content, as JSON data.

    Only JSON types (lists, not tuples), so it compares equal to the record read back.
    """
    url = dep.url
    if dep.src is not Source.GH_RLS and url is not None:
        with suppress(DepFetchError):
            url = archive_url(dep)
    return {
        "src": dep.src.value,
        "url": url,
        "sha256": dep.sha256,
        "unpack": dep.unpack,
        "version": dep.version,
        "prerelease": dep.prerelease,
        "options": sorted([key, value] for key, value in dep.options),
        "cache": bool(dep.cache),
    }


def record_path(packages_dir: Path, name: str) -> Path:
    """Where the record of ``name``'s fetched archive is kept."""
    return packages_dir / ARCHIVE_RECORDS_DIR_NAME / f"{name}.json"


def read_record(packages_dir: Path, name: str) -> dict[str, Any] | None:
    """The record of ``name``'s fetched archive; ``None`` when missing or not readable."""
    data = read_json(record_path(packages_dir, name))
    if not isinstance(data, dict) or data.get("version") != _RECORD_VERSION:
        return None
    return data


def _write_record(
    dep: Dep,
    dest: Path,
    url: str,
    digest: str,
    kind: Kind,
    *,
    details: Mapping[str, Any] | None,
) -> None:
    record = {
        **(details or {}),
        "version": _RECORD_VERSION,
        "declared": declared_identity(dep),
        "url": url,
        "sha256": digest,
        "kind": kind,
    }
    write_json_atomic(record_path(dest.parent, dep.name), record)


def _swap(new: Path, dest: Path) -> None:
    """Put ``new`` at ``dest`` (see :func:`~ivpm.fetch.staging.swap_into_place`), forgetting
    the record of what ``dest`` held first."""
    remove_path(record_path(dest.parent, dest.name))
    swap_into_place(new, dest)

"""Fetching archive deps (``src: http``, ``file`` or ``url``) into ``packages/<name>``.

The URL is http(s)://, file:///abs/path, or (for ``src: file``) a plain path, relative to
the folder of the ivpm.yaml that declares the dep. The file is downloaded into
``packages/.tmp-<name>-XXXXXXXX``, its ``sha256:`` (when given) checked, then it is unpacked
(:mod:`ivpm.fetch.unpack`) into that temporary folder and moved into place; with
``unpack: false`` (the default for ``.jar``) the file itself becomes ``packages/<name>``.

What was fetched is recorded in ``packages/.ivpm-archives/<name>.json`` (outside the package
root, so the package's content is exactly the archive's)::

    {"version": 1, "declared": {...what ivpm.yaml said...}, "url": "<fetched URL>",
     "sha256": "<digest of the downloaded file>", "kind": "archive" | "file"}

:func:`kept_archive` keeps ``packages/<name>`` while ``declared`` still matches the dep; when
it does not (a changed url, sha256, unpack, ...), or the record is missing or unreadable,
:func:`fetch_archive` builds the new content in a temporary folder and swaps it in.

The content is made by :func:`make_archive_content` into a given, not yet existing path, and
placed by :func:`fetch_archive`, so a shared cache can make the same content elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from ivpm.fetch.download import ChecksumError, download, local_path
from ivpm.fetch.http import HttpError
from ivpm.fetch.result import DepFetchError, FetchResult, Kind
from ivpm.fetch.staging import make_temp_dir, move_into_place, remove_path, temp_path
from ivpm.fetch.unpack import UnpackError, archive_format, unpack_archive, unpacked_by_default
from ivpm.fsutil import write_json_atomic
from ivpm.layout import ARCHIVE_RECORDS_DIR_NAME
from ivpm.project.model import Dep, Source

_RECORD_VERSION = 1
_KNOWN = ".tar.gz, .tgz, .tar.bz2, .tar.xz, .tar, .zip, .jar"


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


def _file_name(url: str, filename: str | None) -> str:
    if filename:
        return os.path.basename(filename)
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    return os.path.basename(path.rstrip("/")) or "download"


def _content_format(dep: Dep, name: str) -> str | None:
    """The format to unpack, or ``None`` to keep the file as it is."""
    fmt = archive_format(name)
    if dep.unpack is False:
        return None
    if fmt is None:
        if dep.unpack:
            raise DepFetchError(
                dep,
                f"cannot unpack '{name}': not a known archive format",
                hint=f"archives must end in one of {_KNOWN}; 'unpack: false' keeps the file",
            )
        raise DepFetchError(
            dep,
            f"'{name}' does not end in a known archive extension",
            hint=f"use a URL ending in one of {_KNOWN}, or add 'unpack: false' to save "
            "the file as it is",
        )
    if dep.unpack is None and not unpacked_by_default(fmt):
        return None
    return fmt


def make_archive_content(
    dep: Dep,
    target: Path,
    *,
    url: str | None = None,
    filename: str | None = None,
    headers: Mapping[str, str] | None = None,
    expected_sha256: str | None = None,
) -> str:
    """Make ``dep``'s content at ``target`` (which must not exist): a folder, or one file.

    Downloads the archive (scratch files go in a temporary folder beside ``target``), checks
    its sha256 (``expected_sha256``, else ``dep.sha256``), and unpacks it into ``target`` or,
    when it is not to be unpacked, renames the file itself to ``target``. Returns the sha256
    of the downloaded file. Raises :class:`DepFetchError`; ``target`` is then left absent.
    """
    source = archive_url(dep, url)
    name = _file_name(source, filename)
    fmt = _content_format(dep, name)
    wanted = expected_sha256 or dep.sha256
    scratch = Path(tempfile.mkdtemp(prefix=".ivpm-download-", dir=target.parent))
    try:
        downloaded = scratch / name
        digest = download(
            source, downloaded, headers=headers, expected_sha256=wanted, label=dep.name
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
        raise DepFetchError(dep, f"cannot fetch {source}: {exc}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def fetch_archive(
    dep: Dep,
    dest: Path,
    *,
    url: str | None = None,
    filename: str | None = None,
    headers: Mapping[str, str] | None = None,
    expected_sha256: str | None = None,
) -> FetchResult:
    """Download ``dep``'s archive and place its content at ``dest`` (``packages/<name>``).

    ``url`` and ``filename`` override ``dep.url`` and the name taken from it (a GitHub release
    asset: ``filename`` decides the format when the URL has no extension). An existing
    ``dest`` is replaced only once the new content is complete (action ``replaced``).
    """
    if dep.cache:
        return _fetch_cached(
            dep, dest, url=url, filename=filename, headers=headers, expected_sha256=expected_sha256
        )
    packages = dest.parent
    work = make_temp_dir(packages, dep.name)
    try:
        target = work / "content"
        digest = make_archive_content(
            dep,
            target,
            url=url,
            filename=filename,
            headers=headers,
            expected_sha256=expected_sha256,
        )
        kind: Kind = "archive" if target.is_dir() else "file"
        replaced = os.path.lexists(dest)
        try:
            _swap(target, dest)
            _write_record(dep, dest, archive_url(dep, url), digest, kind)
        except OSError as exc:
            raise DepFetchError(dep, f"cannot place {dest}: {exc}") from None
    finally:
        remove_path(work)
    return FetchResult(dep.name, dest, kind, "replaced" if replaced else "downloaded")


def _fetch_cached(
    dep: Dep,
    dest: Path,
    *,
    url: str | None,
    filename: str | None,
    headers: Mapping[str, str] | None,
    expected_sha256: str | None,
) -> FetchResult:
    """``cache: true``: the content is made once in the shared cache, keyed by the URL (and
    the sha256 when ivpm.yaml gives one), and ``dest`` becomes a link to it."""
    from ivpm.cache.keys import archive_key
    from ivpm.cache.links import link_entry
    from ivpm.cache.store import Cache

    source = archive_url(dep, url)
    wanted = expected_sha256 or dep.sha256

    def make(folder: Path) -> None:
        make_archive_content(
            dep,
            folder / "content",
            url=url,
            filename=filename,
            headers=headers,
            expected_sha256=expected_sha256,
        )

    try:
        filled = Cache().fill_entry(
            archive_key(source, wanted), make, name=dep.name, details={"url": source}
        )
        content = filled.path / "content"
        kind: Kind = "archive" if content.is_dir() else "file"
        if os.path.lexists(dest) and not dest.is_symlink():
            remove_path(record_path(dest.parent, dest.name))
            remove_path(dest)
        link_entry(content, dest)
        _write_record(dep, dest, source, wanted or "", kind)
    except OSError as exc:
        raise DepFetchError(dep, f"cannot place {dest} from the cache: {exc}") from None
    return FetchResult(dep.name, dest, kind, "downloaded" if filled.made else "linked")


def kept_archive(dep: Dep, dest: Path) -> FetchResult | None:
    """The ``kept`` result when ``dest`` holds what ivpm.yaml still names, else ``None``.

    ``None`` (fetch again) when there is no readable record of the fetch, or it was made for a
    different url, sha256, unpack setting, version or options.
    """
    record = read_record(dest.parent, dep.name)
    if record is None or record.get("declared") != declared_identity(dep):
        return None
    kind = record.get("kind")
    if kind == "archive" and dest.is_dir():
        return FetchResult(dep.name, dest, "archive", "kept")
    if kind == "file" and dest.is_file():
        return FetchResult(dep.name, dest, "file", "kept")
    return None


def declared_identity(dep: Dep) -> dict[str, Any]:
    """What ivpm.yaml says about ``dep`` that decides the fetched content, as JSON data."""
    url = dep.url
    if dep.src is not Source.GH_RLS and url is not None:
        with suppress(DepFetchError):
            url = archive_url(dep)
    identity = {
        "src": dep.src.value,
        "url": url,
        "sha256": dep.sha256,
        "unpack": dep.unpack,
        "version": dep.version,
        "prerelease": dep.prerelease,
        "options": sorted([key, value] for key, value in dep.options),
        "cache": bool(dep.cache),
    }
    loaded: dict[str, Any] = json.loads(json.dumps(identity))
    return loaded


def record_path(packages_dir: Path, name: str) -> Path:
    """Where the record of ``name``'s fetched archive is kept."""
    return packages_dir / ARCHIVE_RECORDS_DIR_NAME / f"{name}.json"


def read_record(packages_dir: Path, name: str) -> dict[str, Any] | None:
    """The record of ``name``'s fetched archive; ``None`` when missing or not readable."""
    try:
        data = json.loads(record_path(packages_dir, name).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("version") != _RECORD_VERSION:
        return None
    return data


def _write_record(dep: Dep, dest: Path, url: str, digest: str, kind: Kind) -> None:
    path = record_path(dest.parent, dep.name)
    record = {
        "version": _RECORD_VERSION,
        "declared": declared_identity(dep),
        "url": url,
        "sha256": digest,
        "kind": kind,
    }
    write_json_atomic(path, record)


def _swap(new: Path, dest: Path) -> None:
    """Put ``new`` at ``dest``; an existing ``dest`` is moved aside first, then removed."""
    remove_path(record_path(dest.parent, dest.name))
    if not os.path.lexists(dest):
        move_into_place(new, dest)
        return
    old = temp_path(dest.parent, dest.name)
    os.rename(dest, old)
    try:
        move_into_place(new, dest)
    except BaseException:
        os.rename(old, dest)
        raise
    remove_path(old)

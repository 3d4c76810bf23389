"""Downloading one URL (http, https, file, or a local path) to a file, all or nothing.

The body is streamed in chunks into a temporary file beside ``dest`` and renamed to ``dest``
only when it is complete and, when a digest is given, its sha256 matches; a short read, a
timeout, an error or Ctrl-C leave nothing behind. Transient failures are retried (see
:mod:`ivpm.fetch.http`). ``IVPM_MAX_DOWNLOAD_BYTES`` caps the size (default
:data:`DEFAULT_MAX_DOWNLOAD_BYTES`). On a terminal a progress line on stderr is rewritten in
place; otherwise nothing is printed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ivpm.fetch.http import HttpError, open_url, with_retries
from ivpm.fetch.staging import remove_path, temp_path
from ivpm.fetch.urls import local_path
from ivpm.sizes import format_size

log = logging.getLogger("ivpm")

DEFAULT_MAX_DOWNLOAD_BYTES = 8 * 1024**3
_CHUNK = 256 * 1024
_PROGRESS_EVERY = 0.2  # seconds between progress line updates
_progress_lock = threading.Lock()


class ChecksumError(Exception):
    """The downloaded content's sha256 is not the one expected; ``reason`` names both."""

    def __init__(self, url: str, expected: str, actual: str) -> None:
        self.url = url
        self.expected = expected
        self.actual = actual
        self.reason = f"sha256 mismatch for {url}: expected {expected}, got {actual}"
        super().__init__(self.reason)


def max_download_bytes() -> int:
    """``IVPM_MAX_DOWNLOAD_BYTES`` when set to a whole number, else the default."""
    text = os.environ.get("IVPM_MAX_DOWNLOAD_BYTES", "").strip()
    if text.isdigit():
        return int(text)
    if text:
        log.warning("ignoring IVPM_MAX_DOWNLOAD_BYTES=%r: not a whole number of bytes", text)
    return DEFAULT_MAX_DOWNLOAD_BYTES


def download(
    url: str,
    dest: Path,
    *,
    headers: Mapping[str, str] | None = None,
    expected_sha256: str | None = None,
    label: str | None = None,
) -> str:
    """Download ``url`` to ``dest`` and return the content's sha256 (lower-case hex).

    ``dest`` appears (or an existing file there is replaced) only once the whole body has
    arrived and matched ``expected_sha256``; ``label`` names the download on the progress line.

    Raises :class:`~ivpm.fetch.http.HttpError` when the transfer fails (after the retries),
    the source is missing or it is over :func:`max_download_bytes`; :class:`ChecksumError` when
    ``expected_sha256`` does not match; ``OSError`` when ``dest`` cannot be written.
    """
    limit = max_download_bytes()
    expected = expected_sha256.strip().lower() if expected_sha256 else None
    source = local_path(url)
    scheme = urllib.parse.urlsplit(url).scheme
    if source is None and scheme not in ("http", "https"):
        raise HttpError(url, f"cannot download {url}: unsupported URL scheme '{scheme}'")
    target = _Target(dest, limit, label or url, expected)
    if source is not None:
        return _copy_local(url, source, target)
    return with_retries(lambda: _fetch_once(url, headers, target), None)


@dataclass(frozen=True)
class _Target:
    dest: Path
    limit: int
    label: str
    expected: str | None


def _fetch_once(url: str, headers: Mapping[str, str] | None, target: _Target) -> str:
    with open_url(url, headers=headers) as response:
        if response.length is not None and response.length > target.limit:
            raise _too_large(url, target.limit)
        return _write_all(url, response.read, response.length, target)


def _copy_local(url: str, source: Path, target: _Target) -> str:
    try:
        handle: BinaryIO = source.open("rb")
    except FileNotFoundError:
        raise HttpError(url, f"{url}: no such file", hint="check the path") from None
    except OSError as exc:
        raise HttpError(url, f"cannot read {url}: {exc.strerror or exc}") from None
    with handle:
        try:
            size = os.fstat(handle.fileno()).st_size
        except OSError:
            size = None
        if size is not None and size > target.limit:
            raise _too_large(url, target.limit)
        return _write_all(url, _local_reader(url, handle), size, target)


def _local_reader(url: str, handle: BinaryIO) -> Callable[[int], bytes]:
    def read(size: int) -> bytes:
        try:
            return handle.read(size)
        except OSError as exc:
            raise HttpError(url, f"cannot read {url}: {exc.strerror or exc}") from None

    return read


def _write_all(url: str, read: Callable[[int], bytes], total: int | None, target: _Target) -> str:
    """Stream ``read`` into a temporary file beside the target, check it, rename it there."""
    temp = temp_path(target.dest.parent, target.dest.name)
    digest = hashlib.sha256()
    done = 0
    bar = _ProgressLine(target.label, total)
    try:
        with temp.open("xb") as out:
            while True:
                chunk = read(_CHUNK)
                if not chunk:
                    break
                done += len(chunk)
                if done > target.limit:
                    raise _too_large(url, target.limit)
                digest.update(chunk)
                out.write(chunk)
                bar.update(done)
        actual = digest.hexdigest()
        if target.expected is not None and actual != target.expected:
            raise ChecksumError(url, target.expected, actual)
        os.rename(temp, target.dest)
    except BaseException:
        remove_path(temp)
        raise
    finally:
        bar.close()
    return actual


def _too_large(url: str, limit: int) -> HttpError:
    return HttpError(
        url,
        f"{url} is larger than the download limit of {limit} bytes",
        hint="raise IVPM_MAX_DOWNLOAD_BYTES if it is meant to be this large",
    )


class _ProgressLine:
    """``label: 1.2 MiB / 3.4 MiB`` on stderr, rewritten in place; silent off a terminal."""

    def __init__(self, label: str, total: int | None) -> None:
        self.label = label
        self.total = total
        self.live = sys.stderr.isatty()
        self.last = 0.0
        self.shown = False

    def update(self, done: int) -> None:
        now = time.monotonic()
        if not self.live or now - self.last < _PROGRESS_EVERY:
            return
        self.last = now
        total = f" / {format_size(self.total)}" if self.total else ""
        with _progress_lock:
            sys.stderr.write(f"\r\033[Kivpm: {self.label}: {format_size(done)}{total}")
            sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            with _progress_lock:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()

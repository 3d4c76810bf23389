"""Low-level HTTP(S) and ``file://`` GETs with timeouts, retries and one-line errors.

Standard library only (``urllib``). ``IVPM_HTTP_TIMEOUT`` (seconds, default
:data:`DEFAULT_TIMEOUT`) bounds every connect and every read, so a server that accepts and
never answers fails with "timed out after Ns" instead of hanging; ``IVPM_HTTP_RETRIES``
(default :data:`DEFAULT_RETRIES`) is how many times a transient failure (connection error,
timeout, a 5xx or 429 answer) is tried again. Both are read at call time.

An ``Authorization`` header is never forwarded on a redirect (a GitHub release asset redirects
to a storage host that must not see the token).

:func:`abort_requests` (for Ctrl-C) shuts down every open connection, so worker threads blocked
in a read stop at once instead of at their timeout; requests fail until :func:`allow_requests`.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from ivpm import __version__

log = logging.getLogger("ivpm")
T = TypeVar("T")

DEFAULT_TIMEOUT: float = 30.0
DEFAULT_RETRIES: int = 3
_MAX_BACKOFF = 8.0
_ERROR_BODY_BYTES = 64 * 1024
_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_aborted = threading.Event()
_live_lock = threading.Lock()
_live: weakref.WeakSet[socket.socket] = weakref.WeakSet()


class Headers(Mapping[str, str]):
    """Response headers, looked up case-insensitively (a repeated header keeps its last value)."""

    def __init__(self, items: Mapping[str, str] | list[tuple[str, str]] | None = None) -> None:
        pairs = items.items() if isinstance(items, Mapping) else (items or [])
        self._items = {key.lower(): value for key, value in pairs}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class HttpError(Exception):
    """A request failed; ``reason`` is one line that names the URL.

    ``status`` is the HTTP status for an error answer (``None`` for a connection error or a
    timeout), ``headers`` that answer's headers (e.g. ``Retry-After``, ``X-RateLimit-Remaining``),
    ``body`` the start of its body, and ``transient`` whether trying again may help.
    """

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        status: int | None = None,
        hint: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        transient: bool = False,
    ) -> None:
        super().__init__(reason)
        self.url = url
        self.reason = reason
        self.status = status
        self.hint = hint
        self.headers: Mapping[str, str] = Headers(headers)
        self.body = body
        self.transient = transient


def http_timeout(timeout: float | None = None) -> float:
    """``timeout`` if given, else ``IVPM_HTTP_TIMEOUT``, else :data:`DEFAULT_TIMEOUT`."""
    if timeout is not None:
        return timeout
    return max(0.001, _env_number("IVPM_HTTP_TIMEOUT", DEFAULT_TIMEOUT))


def http_retries(retries: int | None = None) -> int:
    """``retries`` if given, else ``IVPM_HTTP_RETRIES``, else :data:`DEFAULT_RETRIES`."""
    if retries is not None:
        return max(0, retries)
    return max(0, int(_env_number("IVPM_HTTP_RETRIES", DEFAULT_RETRIES)))


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        log.warning("ignoring %s=%r: not a number; using %g", name, text, default)
        return default


def backoff_delay(attempt: int, error: HttpError | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): short, growing, capped.

    A ``Retry-After`` of a few seconds on the error answer is honoured (up to the cap).
    """
    delay: float = min(_MAX_BACKOFF, 0.5 * 2.0 ** (attempt - 1))
    if error is not None:
        retry_after = error.headers.get("retry-after", "")
        if retry_after.isdigit():
            delay = max(delay, min(_MAX_BACKOFF, float(retry_after)))
    return delay


class Response:
    """An open response: ``read`` raises :class:`HttpError` for a timeout, a lost connection,
    and a body shorter than its ``Content-Length``."""

    def __init__(self, url: str, raw: Any, timeout: float) -> None:
        self.url = url
        self.status: int = getattr(raw, "status", None) or 200
        self.headers: Mapping[str, str] = Headers(list(raw.headers.items()))
        self._raw = raw
        self._timeout = timeout
        self._received = 0
        length = self.headers.get("content-length", "")
        self.length: int | None = int(length) if length.isdigit() else None

    @property
    def received(self) -> int:
        """Body bytes read so far."""
        return self._received

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the body (all of it for ``-1``); ``b""`` at its end."""
        _check_aborted(self.url)
        try:
            data: bytes = self._raw.read(size) if size >= 0 else self._raw.read()
        except TimeoutError:
            raise HttpError(
                self.url,
                f"no data from {self.url}: timed out after {self._timeout:g}s "
                f"({self._received} bytes received)",
                transient=True,
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            _check_aborted(self.url)
            raise HttpError(
                self.url,
                f"connection to {self.url} lost after {self._received} bytes: {_describe(exc)}",
                transient=True,
            ) from None
        self._received += len(data)
        if not data:
            _check_aborted(self.url)
        if (not data or size < 0) and self.length is not None and self._received < self.length:
            raise HttpError(
                self.url,
                f"download of {self.url} was cut short: {self._received} of {self.length} bytes",
                transient=True,
            )
        return data


@contextmanager
def open_url(
    url: str, *, headers: Mapping[str, str] | None = None, timeout: float | None = None
) -> Iterator[Response]:
    """Open ``url`` (http, https or file) for reading: one attempt, no retry.

    Raises :class:`HttpError` for an error answer (``status`` set), a refused connection, a
    timeout ("timed out after Ns") and a missing local file.
    """
    seconds = http_timeout(timeout)
    raw = _open(url, headers or {}, seconds)
    try:
        yield Response(url, raw, seconds)
    finally:
        raw.close()


def get_json(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    max_bytes: int = 16 * 1024 * 1024,
) -> Any:
    """GET ``url`` and parse its body as JSON, retrying transient failures (not other 4xx).

    Raises :class:`HttpError` when every attempt failed, the body is over ``max_bytes`` or it
    is not JSON.
    """
    wanted = {"Accept": "application/json", **(headers or {})}

    def read_body() -> bytes:
        with open_url(url, headers=wanted, timeout=timeout) as response:
            body: bytes = response.read(max_bytes + 1)
            while body and len(body) <= max_bytes:
                chunk = response.read(max_bytes + 1 - len(body))
                if not chunk:
                    break
                body += chunk
        return body

    body = with_retries(read_body, retries, quiet=True)
    if len(body) > max_bytes:
        raise HttpError(url, f"the answer from {url} is larger than {max_bytes} bytes")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise HttpError(url, f"the answer from {url} is not JSON: {exc}") from None


def with_retries(attempt_once: Callable[[], T], retries: int | None, *, quiet: bool = False) -> T:
    """``attempt_once()``, tried again after a transient :class:`HttpError` (at most
    ``retries`` more times, default :func:`http_retries`), waiting :func:`backoff_delay`.

    Each retry is logged (a warning, or at debug level when ``quiet``).
    """
    attempts = http_retries(retries) + 1
    for attempt in range(1, attempts + 1):
        try:
            return attempt_once()
        except HttpError as exc:
            if not exc.transient or attempt == attempts:
                raise
            delay = backoff_delay(attempt, exc)
            log.log(
                logging.DEBUG if quiet else logging.WARNING,
                "%s; trying again in %gs",
                exc.reason,
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def abort_requests() -> None:
    """Make every open and every later request fail at once (until :func:`allow_requests`)."""
    _aborted.set()
    with _live_lock:
        sockets = list(_live)
    for sock in sockets:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def allow_requests() -> None:
    """Undo :func:`abort_requests`."""
    _aborted.clear()


def _check_aborted(url: str) -> None:
    if _aborted.is_set():
        raise HttpError(url, f"request for {url} interrupted")


def _track(sock: socket.socket | None) -> None:
    if sock is not None:
        with _live_lock:
            _live.add(sock)
    if _aborted.is_set() and sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class _HTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _track(self.sock)


class _HTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _track(self.sock)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        context = getattr(self, "_context", None)
        return self.do_open(_HTTPSConnection, req, context=context)


_opener = urllib.request.build_opener(_HTTPHandler, _HTTPSHandler)


def _open(url: str, headers: Mapping[str, str], timeout: float) -> Any:
    _check_aborted(url)
    request = urllib.request.Request(url, method="GET")
    request.add_header("User-Agent", f"ivpm/{__version__}")
    for key, value in headers.items():
        if key.lower() == "authorization":
            request.add_unredirected_header(key, value)
        else:
            request.add_header(key, value)
    try:
        try:
            return _opener.open(request, timeout=timeout)
        except Exception:
            _check_aborted(url)
            raise
    except urllib.error.HTTPError as exc:
        raise _status_error(url, exc) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise _timeout_error(url, timeout) from None
        raise _connection_error(url, exc.reason) from None
    except TimeoutError:
        raise _timeout_error(url, timeout) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise _connection_error(url, exc) from None


def _status_error(url: str, exc: urllib.error.HTTPError) -> HttpError:
    try:
        body = exc.read(_ERROR_BODY_BYTES) if exc.fp is not None else b""
    except (OSError, http.client.HTTPException):
        body = b""
    finally:
        exc.close()
    status = exc.code
    hint = None
    if status == 404:
        hint = "check the URL (and that the file is published there)"
    elif status in (401, 403):
        hint = "the server refused access: check the URL, or whether it needs credentials"
    reason = exc.reason if isinstance(exc.reason, str) else ""
    return HttpError(
        url,
        f"HTTP {status}{' ' + reason if reason else ''} from {url}",
        status=status,
        hint=hint,
        headers=Headers(list(exc.headers.items())) if exc.headers else None,
        body=body,
        transient=status in _TRANSIENT_STATUS and not _rate_limit_spent(exc.headers),
    )


def _rate_limit_spent(headers: Any) -> bool:
    """True when the answer says the rate limit is used up: retrying soon cannot help."""
    return headers is not None and str(headers.get("X-RateLimit-Remaining", "")).strip() == "0"


def _timeout_error(url: str, timeout: float) -> HttpError:
    return HttpError(
        url,
        f"no answer from {url}: timed out after {timeout:g}s",
        hint="set IVPM_HTTP_TIMEOUT (seconds) for a slow server",
        transient=True,
    )


def _connection_error(url: str, reason: object) -> HttpError:
    if isinstance(reason, FileNotFoundError):
        return HttpError(url, f"{url}: no such file", hint="check the path")
    transient = isinstance(reason, (OSError, http.client.HTTPException))
    if isinstance(reason, (socket.gaierror, PermissionError, IsADirectoryError, ValueError)):
        transient = False
    return HttpError(url, f"cannot fetch {url}: {_describe(reason)}", transient=transient)


def _describe(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    text = str(reason).strip()
    return text or type(reason).__name__

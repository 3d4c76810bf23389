"""Cutting an installer's captured output down to the lines that explain a failure."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# Lines where pip (``ERROR:``, ``error: subprocess-exited-with-error``) and uv (``error:``, or
# a cross, U+00D7) start to report an error.
_ERROR_START = re.compile(r"^\s*(error:|\u00d7)", re.IGNORECASE)
# pip's and uv's words for a request that got no answer (pip repeats its line per retry).
_CONNECTION_ERROR = re.compile(
    r"Retrying \(Retry\(|connection broken by|Could not fetch URL|Failed to establish a new "
    r"connection|Max retries exceeded|Failed to fetch|error sending request for url|"
    r"tcp connect error|dns error|operation timed out",
    re.IGNORECASE,
)
# Among those, the words that say the server could not be reached at all.
_UNREACHABLE = re.compile(
    r"connection broken by|Failed to establish a new connection|Max retries exceeded|"
    r"error sending request for url|tcp connect error|dns error|timed out|connection refused",
    re.IGNORECASE,
)
# The parts of pip's retry line that change from one attempt to the next.
_VARYING = re.compile(r"total=\d+|object at 0x[0-9a-fA-F]+|in [0-9.]+m?s\b")
_PIP_INDEXES = re.compile(r"^Looking in indexes:\s*(.+)$")
_POOL_HOST = re.compile(r"host='([^']+)', port=(\d+)")
_URL = re.compile(r"https?://[^\s`'\")]+")
_PIP_DEFAULT_INDEX = "https://pypi.org/simple"
MAX_CONNECTION_LINES = 5

MAX_DETAIL_LINES = 40


def error_excerpt(output: str, max_lines: int = MAX_DETAIL_LINES) -> str:
    """The meaningful tail of a failed command's output, at most ``max_lines`` lines.

    Colour codes and blank lines at either end are dropped. When the first line that starts
    an error report lies within the last ``max_lines`` lines, the excerpt starts there (the
    progress lines before it say nothing about the failure); otherwise it is the last
    ``max_lines`` lines after a note of how many were left out.

    Connection errors (pip's "Retrying ... after connection broken by ..." warnings, uv's
    "Failed to fetch" causes) are always kept, each once, and followed by a line naming the
    package index that could not be reached (see :func:`unreachable_index_note`).
    """
    lines = [line.rstrip() for line in _ANSI.sub("", output).splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    note = unreachable_index_note(lines)
    lines, connection = _collapse_connection_errors(lines)
    budget = max(1, max_lines - (len(connection) + 1 if note else 0))
    start, body = _tail(lines, budget)
    kept = [line for index, line in connection if index < start] if note else []
    return "\n".join([*kept, *body, *([note] if note else [])])


def _tail(lines: list[str], max_lines: int) -> tuple[int, list[str]]:
    """Where the excerpt of ``lines`` starts, and its lines."""
    first_error = next((i for i, line in enumerate(lines) if _ERROR_START.match(line)), None)
    if first_error is not None and len(lines) - first_error <= max_lines:
        return first_error, lines[first_error:]
    if len(lines) <= max_lines:
        return 0, lines
    left_out = len(lines) - max_lines + 1
    return left_out, [f"... ({left_out} earlier lines left out)", *lines[left_out:]]


def _collapse_connection_errors(
    lines: list[str],
) -> tuple[list[str], list[tuple[int, str]]]:
    """``lines`` with each repeated connection error kept once (saying how often it came),
    and those errors with their positions (at most :data:`MAX_CONNECTION_LINES`)."""
    counts: dict[str, int] = {}
    for line in lines:
        if _CONNECTION_ERROR.search(line):
            key = _VARYING.sub("", line)
            counts[key] = counts.get(key, 0) + 1
    kept: list[str] = []
    connection: list[tuple[int, str]] = []
    seen: set[str] = set()
    for line in lines:
        shown = line
        if _CONNECTION_ERROR.search(line):
            key = _VARYING.sub("", line)
            if key in seen:
                continue
            seen.add(key)
            if counts[key] > 1:
                shown = f"{line}  [{counts[key]} times]"
            if len(connection) < MAX_CONNECTION_LINES:
                connection.append((len(kept), shown))
        kept.append(shown)
    return kept, connection


def index_unreachable(output: str) -> bool:
    """Whether pip's or uv's ``output`` says a server could not be reached at all."""
    return unreachable_index_note(_ANSI.sub("", output).splitlines()) is not None


def unreachable_index_note(lines: list[str]) -> str | None:
    """A line naming the package index that pip or uv could not reach, if ``lines`` (their
    output) show connection errors; else None."""
    errors = [line for line in lines if _CONNECTION_ERROR.search(line)]
    if not any(_UNREACHABLE.search(line) for line in errors):
        return None
    urls = _uv_failed_urls(errors) or _pip_index_urls(lines, errors)
    where = ", ".join(urls) if urls else "the package index"
    return (
        f"ivpm: the package index {where} was unreachable (the connection errors above); "
        "check index-url in ivpm.yaml (or IVPM_INDEX_URL), the network and any proxy"
    )


def _uv_failed_urls(errors: list[str]) -> list[str]:
    """The indexes of the URLs uv says it failed to fetch."""
    urls: list[str] = []
    for line in errors:
        if "failed to fetch" in line.lower():
            for url in _URL.findall(line):
                index = _index_of(url)
                if index not in urls:
                    urls.append(index)
    return urls


def _index_of(url: str) -> str:
    """``https://host/simple`` for a project page ``https://host/simple/name/``."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if path.count("/") >= 2 and not path.endswith((".whl", ".tar.gz", ".zip")):
        path = path.rsplit("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}{path}"


def _pip_index_urls(lines: list[str], errors: list[str]) -> list[str]:
    """The remote indexes pip looked in (those on the hosts its errors name, when they do)."""
    indexes: list[str] = []
    for line in lines:
        match = _PIP_INDEXES.match(line.strip())
        if match:
            indexes += [url.strip() for url in match.group(1).split(",")]
    remote = [url for url in indexes if url.startswith(("http://", "https://"))]
    if not indexes:
        remote = [_PIP_DEFAULT_INDEX]
    hosts = {f"{host}:{port}" for line in errors for host, port in _POOL_HOST.findall(line)}
    named = [url for url in remote if _netloc(url) in hosts]
    return named or remote


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"

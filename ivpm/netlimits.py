"""Bounds on how long ivpm's tools may wait on the network, and on a silent child process.

Every function here is pure: it reads the ``environ`` mapping it is given and returns what to
add to a tool's command line or environment. A setting the user made for the tool itself
(``GIT_HTTP_LOW_SPEED_*``, ``PIP_TIMEOUT``, ``UV_HTTP_TIMEOUT``, ...) is never overridden.

- git has no network timeout of its own, so it always gets a low-speed limit: fewer than
  :data:`GIT_LOW_SPEED_LIMIT` bytes a second for ``IVPM_HTTP_TIMEOUT`` seconds (default
  :data:`DEFAULT_HTTP_TIMEOUT`) ends the transfer.
- pip (15 s, 5 retries) and uv (30 s, 3 retries) are bounded by their own defaults; they get
  ``IVPM_HTTP_TIMEOUT``/``IVPM_HTTP_RETRIES`` only when those are set.
- ``IVPM_SILENCE_TIMEOUT`` (default :data:`DEFAULT_SILENCE_TIMEOUT` seconds, 0: no limit) is
  how long a child may print nothing before :func:`ivpm.proc.run_command` stops it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

from ivpm.errors import UsageError

log = logging.getLogger("ivpm")

DEFAULT_HTTP_TIMEOUT: float = 30.0
DEFAULT_SILENCE_TIMEOUT: float = 300.0
#: Bytes per second below which git counts a transfer as stalled.
GIT_LOW_SPEED_LIMIT = 1

_PIP_TIMEOUT_VARS = ("PIP_TIMEOUT", "PIP_DEFAULT_TIMEOUT")
_UV_TIMEOUT_VARS = ("UV_HTTP_TIMEOUT", "UV_REQUEST_TIMEOUT")


def silence_timeout(environ: Mapping[str, str]) -> float:
    """``IVPM_SILENCE_TIMEOUT`` in seconds (default :data:`DEFAULT_SILENCE_TIMEOUT`; 0: none).

    Raises :class:`~ivpm.errors.UsageError` for a value that is not a number of seconds.
    """
    raw = environ.get("IVPM_SILENCE_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_SILENCE_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(
            f"IVPM_SILENCE_TIMEOUT must be a number of seconds, not '{raw}'",
            hint="0 lets a command stay silent for ever",
        ) from None
    if math.isnan(value) or math.isinf(value) or value < 0:
        raise UsageError(
            f"IVPM_SILENCE_TIMEOUT must be 0 or more seconds, not '{raw}'",
            hint="0 lets a command stay silent for ever",
        )
    return value


def http_timeout(environ: Mapping[str, str]) -> float | None:
    """``IVPM_HTTP_TIMEOUT`` in seconds, or None when it is unset (or not a positive number)."""
    value = _number(environ, "IVPM_HTTP_TIMEOUT")
    return value if value is not None and value > 0 else None


def http_retries(environ: Mapping[str, str]) -> int | None:
    """``IVPM_HTTP_RETRIES`` as a count, or None when it is unset (or not a number)."""
    value = _number(environ, "IVPM_HTTP_RETRIES")
    return None if value is None else max(0, int(value))


def git_network_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``GIT_HTTP_LOW_SPEED_*`` variables to add to git's environment ``environ``.

    A transfer slower than :data:`GIT_LOW_SPEED_LIMIT` bytes a second for ``IVPM_HTTP_TIMEOUT``
    seconds (whole seconds, at least 1) fails; a server that accepts the connection and never
    answers counts as one. Each variable already in ``environ`` is left as it is.
    """
    seconds = http_timeout(environ) or DEFAULT_HTTP_TIMEOUT
    wanted = {
        "GIT_HTTP_LOW_SPEED_LIMIT": str(GIT_LOW_SPEED_LIMIT),
        "GIT_HTTP_LOW_SPEED_TIME": str(max(1, math.ceil(seconds))),
    }
    return {name: value for name, value in wanted.items() if not environ.get(name)}


def pip_network_options(environ: Mapping[str, str]) -> list[str]:
    """``--timeout``/``--retries`` for a pip running with ``environ``.

    Given only for ``IVPM_HTTP_TIMEOUT``/``IVPM_HTTP_RETRIES`` that are set, and only when the
    user's own ``PIP_TIMEOUT`` (or ``PIP_DEFAULT_TIMEOUT``) / ``PIP_RETRIES`` is not: otherwise
    pip's own settings (pip.conf, its defaults of 15 s and 5 retries) apply.
    """
    options: list[str] = []
    timeout = http_timeout(environ)
    if timeout is not None and not any(environ.get(name) for name in _PIP_TIMEOUT_VARS):
        options += ["--timeout", _seconds(timeout)]
    retries = http_retries(environ)
    if retries is not None and not environ.get("PIP_RETRIES"):
        options += ["--retries", str(retries)]
    return options


def uv_network_env(environ: Mapping[str, str]) -> dict[str, str]:
    """``UV_HTTP_TIMEOUT``/``UV_HTTP_RETRIES`` to add to uv's environment ``environ``.

    As for pip: only from ``IVPM_HTTP_TIMEOUT``/``IVPM_HTTP_RETRIES`` that are set, never over
    the user's own ``UV_HTTP_TIMEOUT`` (or its older name ``UV_REQUEST_TIMEOUT``) or
    ``UV_HTTP_RETRIES``. uv takes whole seconds.
    """
    added: dict[str, str] = {}
    timeout = http_timeout(environ)
    if timeout is not None and not any(environ.get(name) for name in _UV_TIMEOUT_VARS):
        added["UV_HTTP_TIMEOUT"] = str(max(1, math.ceil(timeout)))
    retries = http_retries(environ)
    if retries is not None and not environ.get("UV_HTTP_RETRIES"):
        added["UV_HTTP_RETRIES"] = str(retries)
    return added


def _number(environ: Mapping[str, str], name: str) -> float | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if math.isnan(value) or math.isinf(value):
        log.warning("ignoring %s=%r: not a number", name, raw)
        return None
    return value


def _seconds(value: float) -> str:
    """``30`` for 30.0, ``2.5`` for 2.5."""
    return str(int(value)) if value == int(value) else str(value)

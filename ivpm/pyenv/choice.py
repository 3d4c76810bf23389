"""Deciding, once per run, which installer fills ``packages/python`` and how it is created.

The command line (``--py-uv``, ``--py-pip``, ``--venv-backend``), ivpm.yaml
(``with.python.venv: uv|pip``) and the environment (``IVPM_UV``, the ``uv`` package, ``PATH``)
go in; an :class:`InstallerChoice` comes out, and everything else (venv creation, the
installers, ``ivpm.nox``) takes that choice instead of looking again. This is the one place
that says "uv was not found".

``with.python.venv: false`` means no environment at all: no installer is chosen, and every
session that needs one is skipped with :data:`NO_VENV` as its reason (see
``Session.installer_choice``). As in the published ivpm, that setting wins over ``--py-uv``
and ``--py-pip``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ivpm.errors import UsageError
from ivpm.pyenv.uvfind import find_uv

InstallerKind = Literal["pip", "uv"]
Backend = Literal["uv", "virtualenv", "venv"]
BACKENDS: tuple[Backend, ...] = ("uv", "virtualenv", "venv")
REQUESTS = ("auto", "pip", "uv")
#: Why nothing is installed into packages/python when ivpm.yaml says ``venv: false``.
NO_VENV = "with.python.venv is false in ivpm.yaml"

_UV_HINT = (
    "install it with `pip install 'ivpm[uv]'` (or put uv on PATH, or point IVPM_UV at it), "
    "or use --py-pip"
)


@dataclass(frozen=True)
class InstallerChoice:
    """The installer (``kind``), the uv binary when one is used, and the venv ``backend``."""

    kind: InstallerKind
    uv: str | None
    backend: Backend


def decide_installer(
    requested: str | None = None,
    backend: str | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    configured: str | None = None,
) -> InstallerChoice:
    """The choice for ``requested`` (``pip``, ``uv``, or None/``auto``: uv when found).

    ``requested`` is the command line's ``--py-uv``/``--py-pip``; ``configured`` is ivpm.yaml's
    ``with.python.venv: uv|pip``, used when the command line does not say. ``backend`` is
    ``--venv-backend`` (None: uv with uv, virtualenv with pip); ``environ`` is where
    ``IVPM_UV`` and ``PATH`` are read (default: ivpm's environment). Asking for uv, as the
    installer or as the backend, when there is none is a :class:`UsageError`.
    """
    from_yaml = not requested and configured is not None and configured != "auto"
    request = requested or configured or "auto"
    if request not in REQUESTS:
        if from_yaml:
            raise UsageError(
                f"unknown installer '{request}' in with.python.venv of ivpm.yaml",
                hint="use true, false, uv or pip",
            )
        raise UsageError(f"unknown installer '{request}'", hint="use pip, uv or auto")
    if backend is not None and backend not in BACKENDS:
        raise UsageError(
            f"unknown environment backend '{backend}'", hint="use uv, virtualenv or venv"
        )
    needs_uv = request == "uv" or backend == "uv"
    uv = None if request == "pip" and backend != "uv" else find_uv(environ)
    if uv is None and needs_uv:
        if request == "uv" and from_yaml:
            raise UsageError(
                "ivpm.yaml asks for uv (with.python.venv: uv) but uv was not found",
                hint=_UV_HINT,
            )
        asked = "--py-uv" if request == "uv" else "--venv-backend uv"
        raise UsageError(f"{asked} was given but uv was not found", hint=_UV_HINT)
    kind: InstallerKind = "uv" if uv is not None and request != "pip" else "pip"
    if backend is None:
        chosen: Backend = "uv" if kind == "uv" else "virtualenv"
    else:
        chosen = backend
    return InstallerChoice(kind=kind, uv=uv, backend=chosen)

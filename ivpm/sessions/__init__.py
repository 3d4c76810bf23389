"""The built-in sessions: every module of this package registers its own on :data:`REGISTRY`.

A session module declares its sessions with ``@session(...)`` and the options they take; the
command line is built from the registry, so adding a session is adding one module here.
"""

from __future__ import annotations

import importlib
import os

from ivpm.errors import UsageError
from ivpm.registry import Registry

REGISTRY = Registry()
session = REGISTRY.session


def builtin_modules() -> list[str]:
    """The names of this package's session modules, in a stable order."""
    folder = os.path.dirname(__file__)
    return sorted(
        entry.name.removesuffix(".py")
        for entry in os.scandir(folder)
        if entry.name.endswith(".py") and not entry.name.startswith("_")
    )


def load_builtin_sessions() -> Registry:
    """Import the built-in session modules (and ``IVPM_PLUGINS``) and return the registry.

    ``IVPM_PLUGINS`` is a comma-separated list of importable modules; each registers further
    sessions with ``ivpm.sessions.session``.
    """
    for module in builtin_modules():
        importlib.import_module(f"{__name__}.{module}")
    for plugin in filter(None, (p.strip() for p in os.environ.get("IVPM_PLUGINS", "").split(","))):
        try:
            importlib.import_module(plugin)
        except ImportError as exc:
            raise UsageError(f"cannot import IVPM_PLUGINS module '{plugin}': {exc}") from None
    return REGISTRY

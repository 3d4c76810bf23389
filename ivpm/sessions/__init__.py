"""The built-in sessions, registered on one :class:`~ivpm.registry.Registry` instance."""

from __future__ import annotations

import importlib
import os

from ivpm.errors import UsageError
from ivpm.registry import Registry

REGISTRY = Registry()
session = REGISTRY.session

_BUILTIN_MODULES = ("update", "build", "activate", "clone", "schema", "status")


def load_builtin_sessions() -> Registry:
    """Import the built-in session modules (and ``IVPM_PLUGINS``) and return the registry.

    ``IVPM_PLUGINS`` is a comma-separated list of importable modules; each registers further
    sessions with ``ivpm.sessions.session``.
    """
    for module in _BUILTIN_MODULES:
        importlib.import_module(f"ivpm.sessions.{module}")
    for plugin in filter(None, (p.strip() for p in os.environ.get("IVPM_PLUGINS", "").split(","))):
        try:
            importlib.import_module(plugin)
        except ImportError as exc:
            raise UsageError(f"cannot import IVPM_PLUGINS module '{plugin}': {exc}") from None
    return REGISTRY

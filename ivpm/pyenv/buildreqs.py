"""The build requirements of source packages, installed up front since builds run unisolated."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

from ivpm.project.model import Resolution

LEGACY_BUILD_REQUIRES = ("setuptools>=40.8.0",)


def build_requirements(resolution: Resolution) -> Iterator[str]:
    """``[build-system] requires`` of every Python source package, in install order.

    Source packages are installed with build isolation off (so they see the setup-deps),
    which means their build backend must already be in the environment. A package without a
    pyproject.toml, or without a build-system table, gets setuptools, as pip would give it.
    """
    for level in resolution.levels:
        for name in level:
            resolved = resolution.deps[name]
            if not resolved.dep.is_source or not resolved.is_python or resolved.path is None:
                continue
            try:
                with (resolved.path / "pyproject.toml").open("rb") as handle:
                    data = tomllib.load(handle)
            except (OSError, tomllib.TOMLDecodeError):
                data = {}
            build_system = data.get("build-system")
            requires = build_system.get("requires") if isinstance(build_system, dict) else None
            if isinstance(requires, list):
                yield from (str(item) for item in requires)
            else:
                yield from LEGACY_BUILD_REQUIRES

"""The build requirements of source packages, installed up front since builds run unisolated."""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterator

from ivpm.project.model import Resolution
from ivpm.project.names import canonical_name

log = logging.getLogger("ivpm")

LEGACY_BUILD_REQUIRES = ("setuptools>=40.8.0",)
_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:$|[\[(<>=!~;@ ])")


def requirement_name(line: str) -> str | None:
    """The canonical distribution name a PEP 508 requirement line starts with, if it has one."""
    match = _NAME.match(line)
    return canonical_name(match.group(1)) if match else None


def build_requirements(resolution: Resolution) -> Iterator[tuple[str, str]]:
    """``(name, line)`` of the ``[build-system] requires`` of every Python source package.

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
            lines = (
                [str(i) for i in requires] if isinstance(requires, list) else LEGACY_BUILD_REQUIRES
            )
            for line in lines:
                requirement = requirement_name(line)
                if requirement is None:
                    log.warning("%s: ignoring the build requirement %r", name, line)
                else:
                    yield requirement, line

"""The dependency graph of what is installed in a virtual environment, read from its metadata.

It answers three questions without starting a process: which distributions a set of roots
needs (:func:`needed_by`), which requirements of installed distributions are not met (the
check ``pip check`` makes, :func:`problems`), and which distributions nothing needs any more
(:func:`orphans`). Markers are evaluated for the environment's own interpreter, whose version
is read from ``pyvenv.cfg``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from packaging.markers import InvalidMarker, default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ivpm.pyenv.distributions import site_packages_dirs

MarkerEnvironment = dict[str, str]


@dataclass(frozen=True)
class Installed:
    """One installed distribution: canonical name, version and its ``Requires-Dist`` lines."""

    name: str
    version: str
    requires: tuple[str, ...]
    dist_info: Path


def read_installed(venv_dir: Path) -> dict[str, Installed]:
    """Every ``*.dist-info`` distribution of the environment, by canonical name."""
    found: dict[str, Installed] = {}
    parser = HeaderParser()
    for site in site_packages_dirs(venv_dir):
        try:
            entries = sorted(os.listdir(site))
        except OSError:
            continue
        for entry in entries:
            if not entry.endswith(".dist-info") or entry.startswith("~"):
                continue  # "~name" folders are what pip moved aside, not installed
            dist_info = site / entry
            try:
                with (dist_info / "METADATA").open(encoding="utf-8", errors="replace") as handle:
                    headers = parser.parse(handle)
            except OSError:
                continue
            name, version = headers.get("Name"), headers.get("Version")
            if not name or not version:
                continue
            key = canonicalize_name(str(name))
            requires = tuple(str(line) for line in headers.get_all("Requires-Dist") or ())
            found.setdefault(key, Installed(key, str(version).strip(), requires, dist_info))
    return found


def marker_environment(venv_dir: Path) -> MarkerEnvironment:
    """The marker values of the environment's interpreter: this machine's, with the Python
    version ``pyvenv.cfg`` records (``version``, or ``version_info`` such as
    ``3.11.7.final.0``)."""
    from ivpm.pyenv.venv import cfg_version, read_pyvenv_cfg

    environment = {key: str(value) for key, value in default_environment().items()}
    found = re.match(r"\d+\.\d+(\.\d+)?", cfg_version(read_pyvenv_cfg(venv_dir)))
    if found:
        version = found.group(0)
        environment["python_full_version"] = version
        environment["python_version"] = ".".join(version.split(".")[:2])
        environment["implementation_version"] = version
    return environment


def sees_system_site_packages(venv_dir: Path) -> bool:
    """True when the environment also sees its base interpreter's site-packages."""
    from ivpm.pyenv.venv import cfg_system_site_packages, read_pyvenv_cfg

    return cfg_system_site_packages(read_pyvenv_cfg(venv_dir))


def applicable(
    dist: Installed, extras: Iterable[str], environment: MarkerEnvironment
) -> list[Requirement]:
    """The requirements of ``dist`` that apply with ``extras`` requested, markers evaluated."""
    wanted_extras = ["", *(canonicalize_name(extra) for extra in extras)]
    result: list[Requirement] = []
    for line in dist.requires:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        marker = requirement.marker
        if marker is None:
            result.append(requirement)
            continue
        try:
            if any(marker.evaluate({**environment, "extra": e}) for e in wanted_extras):
                result.append(requirement)
        except (InvalidMarker, ValueError, KeyError):
            continue
    return result


def needed_by(
    installed: Mapping[str, Installed],
    roots: Mapping[str, Iterable[str]],
    environment: MarkerEnvironment,
) -> set[str]:
    """The installed distributions ``roots`` (canonical name -> extras) need, roots included,
    following requirements (and the extras they ask for) through the installed metadata."""
    seen: dict[str, set[str]] = {}
    todo = [(canonicalize_name(name), set(extras)) for name, extras in roots.items()]
    while todo:
        name, extras = todo.pop()
        dist = installed.get(name)
        if dist is None:
            continue
        known = seen.get(name)
        if known is not None and extras <= known:
            continue
        seen[name] = (known or set()) | extras
        for requirement in applicable(dist, seen[name], environment):
            todo.append((canonicalize_name(requirement.name), set(requirement.extras)))
    return set(seen)


def problems(
    installed: Mapping[str, Installed],
    environment: MarkerEnvironment,
    *,
    system_site: bool = False,
) -> list[str]:
    """What ``pip check`` reports: each requirement of an installed distribution (without
    extras) that is missing or whose installed version does not satisfy it. With
    ``system_site`` (the environment sees the base interpreter's packages, which are not
    read here) a missing requirement may be met there and is not reported."""
    found: list[str] = []
    for dist in installed.values():
        for requirement in applicable(dist, (), environment):
            name = canonicalize_name(requirement.name)
            target = installed.get(name)
            if target is None and system_site:
                continue
            if target is None:
                found.append(
                    f"{dist.name} {dist.version} requires {requirement.name}, "
                    "which is not installed"
                )
                continue
            try:
                version = Version(target.version)
            except InvalidVersion:
                continue
            if not requirement.specifier.contains(version, prereleases=True):
                found.append(
                    f"{dist.name} {dist.version} requires {requirement.name}"
                    f"{requirement.specifier}, but {target.name} {target.version} is installed"
                )
    return sorted(found)


def orphans(
    installed: Mapping[str, Installed],
    *,
    managed: Iterable[str],
    roots: Mapping[str, Iterable[str]],
    environment: MarkerEnvironment,
) -> list[str]:
    """The ``managed`` distributions (those ivpm installed) that nothing needs any more.

    Kept: ``roots`` (what ivpm.yaml asks for) and whatever they need, and every distribution
    ivpm did not install (a package installed by hand, the venv's own pip) with whatever it
    needs.
    """
    managed_set = {canonicalize_name(name) for name in managed}
    keep_roots: dict[str, set[str]] = {name: set(extras) for name, extras in roots.items()}
    for name in installed:
        if name not in managed_set:
            keep_roots.setdefault(name, set())
    kept = needed_by(installed, keep_roots, environment)
    return sorted(name for name in managed_set if name in installed and name not in kept)

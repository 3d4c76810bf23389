"""What is installed in a virtual environment, read in-process from its site-packages.

No installer process is started: this is what the no-op update path uses to look at the
environment, so it only reads the ``*.dist-info`` folders' small metadata files.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from packaging.utils import canonicalize_name


class TopLevelRequirement(Protocol):
    """What :func:`removable_distributions` needs of a recorded top-level requirement."""

    @property
    def name(self) -> str: ...  # canonical name (for source packages: the dep's name)

    @property
    def line(self) -> str: ...  # a PEP 508 requirement, or an editable package's folder

    @property
    def editable(self) -> bool: ...


def site_packages_dirs(venv_dir: Path) -> list[Path]:
    """The ``site-packages`` folders of the POSIX virtual environment at ``venv_dir``."""
    found: list[Path] = []
    seen: set[str] = set()
    for lib in ("lib", "lib64"):
        for candidate in sorted((venv_dir / lib).glob("python*/site-packages")):
            real = os.path.realpath(candidate)
            if real not in seen and candidate.is_dir():
                seen.add(real)
                found.append(candidate)
    return found


def base_site_packages_dirs(venv_dir: Path) -> list[Path]:
    """The base interpreter's package folders a venv made with system site packages sees,
    found from its ``pyvenv.cfg`` (``home`` and the version) without running it; empty when
    the venv does not see them."""
    from ivpm.pyenv.venv import cfg_system_site_packages, cfg_version, read_pyvenv_cfg

    cfg = read_pyvenv_cfg(venv_dir)
    home = cfg.get("home", "")
    if not home or not cfg_system_site_packages(cfg):
        return []
    version = ".".join(cfg_version(cfg).split(".")[:2])
    prefix = Path(os.path.realpath(home)).parent
    candidates = [
        prefix / "lib" / f"python{version}" / "site-packages",
        prefix / "lib64" / f"python{version}" / "site-packages",
        prefix / "local" / "lib" / f"python{version}" / "dist-packages",
        prefix / "lib" / "python3" / "dist-packages",
    ]
    return [folder for folder in candidates if folder.is_dir()]


def installed_distributions(venv_dir: Path, *, with_base: bool = False) -> dict[str, str]:
    """Map each installed distribution's canonical name to its version.

    Reads ``Name`` and ``Version`` from the header of every ``*.dist-info/METADATA`` (and the
    ``PKG-INFO`` of legacy ``*.egg-info``) in the environment's site-packages, and with
    ``with_base`` also in the base interpreter's when the venv sees them (the venv's own
    win). A missing environment gives an empty mapping.
    """
    result: dict[str, str] = {}
    sites = site_packages_dirs(venv_dir)
    if with_base:
        sites += base_site_packages_dirs(venv_dir)
    for site in sites:
        for entry in _metadata_dirs(site):
            header = _metadata_header(entry)
            name, version = header.get("name"), header.get("version")
            if name and version:
                result.setdefault(canonicalize_name(name), version)
    return result


def editable_location(venv_dir: Path, name: str) -> Path | None:
    """The source folder of ``name`` when it is installed in editable mode, else ``None``.

    Read from the distribution's ``direct_url.json`` (PEP 610): ``dir_info.editable`` with a
    ``file://`` URL.
    """
    dist_info = find_dist_info(venv_dir, name)
    return None if dist_info is None else _editable_url_path(dist_info)


def _editable_url_path(dist_info: Path) -> Path | None:
    """The folder an editable install points to, from its ``direct_url.json``."""
    found = _folder_install(dist_info)
    return found[0] if found is not None and found[1] else None


def _folder_install(dist_info: Path) -> tuple[Path, bool] | None:
    """The local folder a distribution was installed from and whether editable, from its
    ``direct_url.json`` (PEP 610 ``dir_info`` with a ``file://`` URL); None otherwise."""
    try:
        data = json.loads((dist_info / "direct_url.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    dir_info = data.get("dir_info")
    url = data.get("url")
    if not (isinstance(dir_info, dict) and isinstance(url, str)):
        return None
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme != "file":
        return None
    # POSIX paths: url2pathname is unquote
    return Path(urllib.parse.unquote(parsed.path)), bool(dir_info.get("editable"))


def _folder_installs(venv_dir: Path) -> Iterator[tuple[str, Path, bool]]:
    """Each distribution installed from a local folder: canonical name, folder, editable."""
    for site in site_packages_dirs(venv_dir):
        for entry in site.glob("[!~]*.dist-info"):
            install = _folder_install(entry)
            name = None if install is None else _metadata_header(entry).get("name")
            if install is not None and name:
                yield canonicalize_name(name), *install


def folder_distributions(venv_dir: Path) -> dict[str, tuple[Path, bool]]:
    """Map each distribution installed from a local folder (canonical name) to that folder
    and whether the install is editable."""
    found: dict[str, tuple[Path, bool]] = {}
    for name, folder, editable in _folder_installs(venv_dir):
        found.setdefault(name, (folder, editable))
    return found


def editable_distributions(venv_dir: Path) -> dict[str, Path]:
    """Map each distribution installed in editable mode (canonical name) to its source folder."""
    found: dict[str, Path] = {}
    for name, folder, editable in _folder_installs(venv_dir):
        if editable:
            found.setdefault(name, folder)
    return found


def removable_distributions(
    venv_dir: Path, requirements: Iterable[TopLevelRequirement]
) -> list[str]:
    """The installed distributions that make up ``requirements`` (canonical names, in order).

    A PyPI requirement is its own name when installed; an editable source package is the
    distribution installed in editable mode from its folder, whatever name its metadata gives
    it. Requirements that are not installed contribute nothing; dependencies are never named.
    """
    installed = installed_distributions(venv_dir)
    by_folder = {
        os.path.realpath(location): name
        for name, location in editable_distributions(venv_dir).items()
    }
    names: list[str] = []
    for requirement in requirements:
        if requirement.editable:
            name = by_folder.get(os.path.realpath(requirement.line))
        else:
            candidate = canonicalize_name(requirement.name)
            name = candidate if candidate in installed else None
        if name is not None and name not in names:
            names.append(name)
    return names


def find_dist_info(venv_dir: Path, name: str) -> Path | None:
    """The ``*.dist-info`` folder of the installed distribution ``name``, if any."""
    wanted = canonicalize_name(name)
    for site in site_packages_dirs(venv_dir):
        for entry in site.glob("[!~]*.dist-info"):
            # dist-info folder names are "<name>-<version>.dist-info"; names may be unnormalised.
            stem = entry.name[: -len(".dist-info")]
            if canonicalize_name(stem.rsplit("-", 1)[0]) != wanted:
                continue
            header = _metadata_header(entry)
            if canonicalize_name(header.get("name", "")) == wanted:
                return entry
    return None


def _metadata_dirs(site: Path) -> list[Path]:
    try:
        names = os.listdir(site)
    except OSError:
        return []
    # "~name" entries are what pip moved aside while replacing a distribution
    return [
        site / n
        for n in sorted(names)
        if n.endswith((".dist-info", ".egg-info")) and not n.startswith("~")
    ]


def _metadata_header(entry: Path) -> dict[str, str]:
    """The ``Name`` and ``Version`` fields of a dist-info/egg-info entry (lower-case keys)."""
    if entry.name.endswith(".dist-info"):
        path = entry / "METADATA"
    elif entry.is_dir():
        path = entry / "PKG-INFO"
    else:
        path = entry  # a legacy single-file .egg-info
    fields: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    break  # the header ends at the first blank line; the body is the README
                key, sep, value = line.partition(":")
                key = key.strip().lower()
                if sep and key in ("name", "version") and key not in fields:
                    fields[key] = value.strip()
                    if len(fields) == 2:
                        break
    except OSError:
        return {}
    return fields


def installed_from_folder(venv_dir: Path) -> list[str]:
    """The distributions installed, not editable, from a local folder (PEP 610 ``dir_info``)."""
    return [name for name, _, editable in _folder_installs(venv_dir) if not editable]

"""What an environment holds, read as pip (and a user) would: versions, installers, leftovers.

Everything here reads ``packages/python`` in-process (``importlib.metadata`` over its
site-packages), except :func:`pip_check`, which runs the environment's own pip.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from importlib.metadata import Distribution, distributions
from pathlib import Path

from packaging.utils import canonicalize_name

from ivpm.pyenv.distributions import site_packages_dirs
from tests.reliability.harness import assert_sound_environment

#: What every new environment holds before ivpm installs anything: the pip that seeds it.
SEEDED = frozenset({"pip"})


@dataclass(frozen=True)
class InstalledDist:
    """One installed distribution: its version, its ``INSTALLER`` and the files it lacks."""

    name: str
    version: str
    installer: str  # the text of INSTALLER, stripped ("" when the file is missing)
    missing: tuple[str, ...]  # RECORD-listed files that do not exist ("RECORD" when it is gone)


def venv_of(root: Path) -> Path:
    """``packages/python`` of the project at ``root``."""
    return root / "packages" / "python"


def site_packages(venv_dir: Path) -> Path:
    """The environment's (first) site-packages folder."""
    return site_packages_dirs(venv_dir)[0]


def _missing_files(dist: Distribution) -> tuple[str, ...]:
    """RECORD-listed files that do not exist; compiled caches (``.pyc``, ``__pycache__``) are
    left out: Python rewrites them, and virtualenv's seeded pip lists ones it never wrote."""
    files = dist.files
    if files is None:
        return ("RECORD",)
    return tuple(
        str(f)
        for f in files
        if f.suffix != ".pyc"
        and "__pycache__" not in f.parts
        and not Path(str(dist.locate_file(f))).exists()
    )


def installed(venv_dir: Path) -> dict[str, InstalledDist]:
    """Every distribution with a ``*.dist-info`` in the environment, by canonical name."""
    paths = [str(site) for site in site_packages_dirs(venv_dir)]
    found: dict[str, InstalledDist] = {}
    for dist in distributions(path=paths):
        name = canonicalize_name(dist.metadata["Name"] or "")
        if not name or name in found:
            continue
        found[name] = InstalledDist(
            name=name,
            version=dist.version,
            installer=(dist.read_text("INSTALLER") or "").strip(),
            missing=_missing_files(dist),
        )
    return found


def versions(venv_dir: Path) -> dict[str, str]:
    """Canonical name -> version of every installed distribution."""
    return {name: dist.version for name, dist in installed(venv_dir).items()}


def installers(venv_dir: Path, *, exclude: frozenset[str] = SEEDED) -> dict[str, str]:
    """Canonical name -> the installer its ``INSTALLER`` file names (``exclude`` left out)."""
    return {
        name: dist.installer for name, dist in installed(venv_dir).items() if name not in exclude
    }


def incomplete(venv_dir: Path) -> dict[str, tuple[str, ...]]:
    """The distributions some of whose RECORD-listed files are missing, with those files."""
    return {name: dist.missing for name, dist in installed(venv_dir).items() if dist.missing}


def tilde_leftovers(venv_dir: Path) -> list[str]:
    """What pip's interrupted uninstalls leave in site-packages: entries named ``~...``."""
    return sorted(
        entry.name
        for site in site_packages_dirs(venv_dir)
        for entry in site.iterdir()
        if entry.name.startswith("~")
    )


def pip_check(python: Path) -> subprocess.CompletedProcess[str]:
    """``python -m pip check``: every installed distribution's requirements are met."""
    return subprocess.run(
        [str(python), "-m", "pip", "check", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=False,
    )


def assert_consistent(root: Path) -> None:
    """What a user relies on after an update: pip check passes, the records are valid JSON,
    no temporary or ``~`` leftovers, and every distribution has all the files it lists."""
    assert_sound_environment(root)
    venv = venv_of(root)
    leftovers = tilde_leftovers(venv)
    assert leftovers == [], f"installer leftovers in site-packages: {leftovers}"
    partial = {name: files[:5] for name, files in incomplete(venv).items()}
    assert partial == {}, f"distributions missing files their RECORD lists: {partial}"


def imports(python: Path, module: str) -> bool:
    """Whether ``module`` imports with the environment's interpreter."""
    result = subprocess.run(
        [str(python), "-c", f"import {module}"], capture_output=True, check=False
    )
    return result.returncode == 0

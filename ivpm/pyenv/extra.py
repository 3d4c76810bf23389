"""Installing extra packages into a project's environment outside ivpm.yaml (``ivpm.nox``).

Such installs go through the same installer choice, index settings, workspace lock and
:func:`~ivpm.pyenv.engine.install_batch` as ``ivpm update``, but are not recorded in the state
record: ``ivpm update`` neither reinstalls nor removes them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ivpm import layout

if TYPE_CHECKING:
    from ivpm.project.model import Project


def install_extra(
    project_dir: Path,
    requirements: Sequence[str],
    editable: Sequence[str],
    *,
    installer: str | None,
    environ: Mapping[str, str],
    say: Callable[[str], None],
    project: Project | None = None,
) -> bool:
    """Install ``requirements`` and the ``editable`` folders into ``<project>/packages/python``.

    Under the workspace lock: when every requirement is installed at a matching version and
    every folder is installed editable from that folder, no installer starts and False is
    returned. Otherwise ``installer`` (``pip``, ``uv`` or None for ivpm's choice) installs them
    with the index settings ``ivpm update`` uses, and True is returned. ``environ`` is the
    environment the installer runs with; ``say`` reports what is done; ``project`` is the
    project's loaded ivpm.yaml (default: loaded here). Failures raise
    :class:`~ivpm.errors.IvpmError`.
    """
    from ivpm.project.loader import load_project
    from ivpm.pyenv.choice import decide_installer
    from ivpm.pyenv.distributions import editable_distributions, installed_distributions
    from ivpm.pyenv.engine import install_batch
    from ivpm.pyenv.index import IndexSettings
    from ivpm.pyenv.installer import make_installer
    from ivpm.pyenv.state import Requirement
    from ivpm.workspace_lock import WorkspaceLock, lock_timeout_from_env

    if project is None:
        project = load_project(layout.project_file(project_dir))
    venv = layout.venv_dir(project_dir, project.deps_dir)
    shown = " ".join([*requirements, *(f"-e {folder}" for folder in editable)])
    packages = layout.packages_dir(project_dir, project.deps_dir)
    with WorkspaceLock(packages, timeout=lock_timeout_from_env()):
        installed_from = {os.path.realpath(p) for p in editable_distributions(venv).values()}
        if all_satisfied(requirements, installed_distributions(venv)) and all(
            os.path.realpath(folder) in installed_from for folder in editable
        ):
            say(f"ivpm: already installed: {shown}")
            return False
        chosen = make_installer(decide_installer(installer, environ=environ), venv, env=environ)
        say(f"ivpm: installing {shown} with {chosen.kind}")
        index = IndexSettings.merged(project.python, project_root=project_dir, environ=environ)
        batch = [Requirement(name=line, line=line) for line in requirements]
        batch += [Requirement(name=folder, line=folder, editable=True) for folder in editable]
        install_batch(chosen, batch, index=index)
        return True


def all_satisfied(requirements: Sequence[str], installed: Mapping[str, str]) -> bool:
    """True when every requirement is installed at a matching version (no extras or markers)."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    for line in requirements:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            return False
        if requirement.extras or requirement.marker or requirement.url:
            return False
        version = installed.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            return False
    return True

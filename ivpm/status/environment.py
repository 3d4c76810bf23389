"""The project environment's own problems, read from its files without starting a process:
missing or broken, an update that was interrupted, a refresh the next update would do."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ivpm.errors import name_list
from ivpm.layout import venv_python
from ivpm.pyenv.state import EnvState, diff_states
from ivpm.pyenv.venv import read_venv_info, venv_problem
from ivpm.status.report import EnvStatus, Problem


def environment_status(
    venv_dir: Path,
    shown_path: str,
    *,
    python: str,
    system_site_packages: bool,
    wanted: EnvState,
    recorded: EnvState,
) -> EnvStatus:
    """What is wrong with the environment at ``venv_dir`` as a whole.

    A missing environment is a problem only when there is something to install in it.
    ``python`` and ``system_site_packages`` are what an update would build it with;
    ``wanted`` (with the installer an update would use, when known) and ``recorded`` (its
    state record) tell whether the last update was interrupted or the next one would
    reinstall everything. ``shown_path`` is how reports name the folder.
    """
    info = read_venv_info(venv_dir)
    env = EnvStatus(
        path=shown_path,
        exists=venv_python(venv_dir).exists(),
        python=python,
        built_with=None if info is None else info.python,
    )
    if not venv_dir.exists():
        if wanted.requirements:  # else nothing is missing from it yet
            env.problems.append(Problem("no-venv", "it does not exist (no update has made it)"))
        return env
    broken = venv_problem(venv_dir, python, system_site_packages=system_site_packages)
    if broken is not None:
        env.problems.append(Problem("venv-broken", broken))
        return env
    env.usable = True
    if recorded.dirty:
        env.problems.append(Problem("update-interrupted", _interrupted(recorded)))
    elif diff_states(wanted, recorded).refresh:
        env.problems.append(Problem("refresh-pending", _refresh_reason(wanted, recorded)))
    return env


def disabled_environment(shown_path: str) -> EnvStatus:
    """The environment of a project with ``with.python.venv: false``: none, nothing to check."""
    return EnvStatus(path=shown_path, enabled=False)


def _interrupted(recorded: EnvState) -> str:
    """Why the state record is marked dirty, naming what the unfinished update was installing."""
    message = "the last update did not finish changing the installed packages"
    message += " (it failed or was interrupted)"
    if recorded.pending:
        message += f" ({name_list(recorded.pending)})"
    return message


def _refresh_reason(wanted: EnvState, recorded: EnvState) -> str:
    reasons: list[str] = []
    if wanted.installer and recorded.installer and wanted.installer != recorded.installer:
        reasons.append(
            f"installed with {recorded.installer}, and an update here would use {wanted.installer}"
        )
    changed = _changed_keys(wanted.settings, recorded.settings)
    if changed:
        reasons.append(f"the settings changed since the last update ({', '.join(changed)})")
    if not reasons:  # a dirty record's refresh is reported as an interruption
        reasons.append("the last update's settings differ")
    return "; ".join(reasons) + ": the next update reinstalls every package"


def _changed_keys(wanted: Mapping[str, Any], recorded: Mapping[str, Any]) -> list[str]:
    """The settings that differ, nested ones as ``index.find_links``."""
    changed: list[str] = []
    for key in sorted({*wanted, *recorded}):
        new, old = wanted.get(key), recorded.get(key)
        if new == old:
            continue
        if isinstance(new, Mapping) and isinstance(old, Mapping):
            changed += [f"{key}.{sub}" for sub in _changed_keys(new, old)]
        else:
            changed.append(key)
    return changed

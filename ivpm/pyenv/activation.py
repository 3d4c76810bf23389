"""The environment variables of an activated ``packages/python``, env settings applied.

This is the one place the environment of ``ivpm activate``, ``ivpm build`` and
:mod:`ivpm.nox` is built. The settings of the whole dependency tree come in as env-sets, in
the order they apply (see :func:`ivpm.pyenv.tree_env.tree_env_sets`): a later setting of a
variable replaces or extends what an earlier one left.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from ivpm.project.model import EnvSet

_REFERENCE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
_DROPPED = ("PYTHONHOME", "__PYVENV_LAUNCHER__", "BASH_ENV", "ENV")


def expand(text: str, env: Mapping[str, str]) -> str:
    """Replace ``${NAME}`` and ``$NAME`` with values from ``env`` (unknown names become empty)."""
    return _REFERENCE.sub(lambda m: env.get(m.group("braced") or m.group("bare"), ""), text)


def activation_env(
    base: Mapping[str, str],
    *,
    project_dir: Path,
    venv_dir: Path,
    env_sets: Iterable[EnvSet] = (),
) -> dict[str, str]:
    """``base`` with the venv activated: ``VIRTUAL_ENV``, ``PATH``, ``IVPM_*`` and the env-sets.

    ``env_sets`` apply in order. Values may refer to other variables (``${IVPM_PROJECT}/src``),
    expanded against the environment built so far; ``value`` joins several words with a space,
    the ``path`` kinds join several entries with ``os.pathsep``, and ``path-append`` /
    ``path-prepend`` extend what is there.
    """
    env = {key: value for key, value in base.items() if key not in _DROPPED}
    bin_dir = str(venv_dir / "bin")
    env["VIRTUAL_ENV"] = str(venv_dir)
    old_path = [
        entry for entry in env.get("PATH", "").split(os.pathsep) if entry and entry != bin_dir
    ]
    env["PATH"] = os.pathsep.join([bin_dir, *old_path])
    env["IVPM_PROJECT"] = str(project_dir)
    env["IVPM_PACKAGES"] = str(venv_dir.parent)  # packages/ (or deps-dir) holds the venv
    for env_set in env_sets:
        for action in env_set.actions:
            values = [expand(value, env) for value in action.values]
            current = env.get(action.name, "")
            if action.kind == "value":
                env[action.name] = " ".join(values)
                continue
            joined = os.pathsep.join(values)
            if action.kind == "path":
                env[action.name] = joined
            elif action.kind == "path-append":
                env[action.name] = os.pathsep.join(filter(None, (current, joined)))
            elif action.kind == "path-prepend":
                env[action.name] = os.pathsep.join(filter(None, (joined, current)))
    return env

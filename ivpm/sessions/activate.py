"""``activate``: run a command, or an interactive shell, inside ``packages/python``."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from ivpm import options as opt
from ivpm.context import Session
from ivpm.errors import SessionFailure, UsageError
from ivpm.layout import venv_python
from ivpm.sessions import session

COMMAND = opt.value("-c", "--command", help="activate: run this shell command in the environment")


@session(
    name="activate",
    writes=False,
    options=[COMMAND],
    args_hint="to run a program: ivpm activate -- PROG ARGS...",
)
def activate(s: Session) -> None:
    """Run a command or a shell inside packages/python.

    `ivpm activate -c "CMD"` runs CMD with /bin/sh; `ivpm activate -- PROG ARGS...` runs PROG
    without a shell; `ivpm activate` starts an interactive $SHELL whose prompt is marked. The
    environment has VIRTUAL_ENV, PATH with packages/python/bin first, IVPM_PROJECT,
    IVPM_PACKAGES and the env settings of ivpm.yaml applied. With with.python.venv: false
    there is no environment to activate: the command runs with IVPM_PROJECT, IVPM_PACKAGES
    and the env settings only. An update in progress is waited for (IVPM_LOCK_TIMEOUT bounds
    the wait); the workspace lock is not held while the command runs. The exit status is the
    command's.
    """
    from ivpm.pyenv.activation import activation_env
    from ivpm.pyenv.shell import interactive_shell
    from ivpm.pyenv.tree_env import tree_env_sets
    from ivpm.workspace_lock import lock_timeout_from_env, wait_for_workspace

    wait_for_workspace(s.packages_dir, timeout=lock_timeout_from_env())
    has_venv = s.project.python.venv
    if has_venv and not venv_python(s.venv).exists():
        raise SessionFailure(
            f"{s.venv.relative_to(s.project_dir)} does not exist yet",
            hint="run 'ivpm update' first to create the environment",
        )
    env = activation_env(
        os.environ,
        project_dir=s.project_dir,
        venv_dir=s.venv,
        env_sets=tree_env_sets(s.project, s.packages_dir, dep_sets=s.context.dep_sets_requested),
    )
    if not has_venv:
        from ivpm.pyenv.choice import NO_VENV

        s.log.info("%s: running without a Python environment", NO_VENV)
        env = _without_venv(env, os.environ, s.venv)
    command = s.option(COMMAND)
    if command is not None and s.options.posargs:
        raise UsageError("give either -c CMD or -- PROG ARGS, not both")
    if command is not None:
        argv = ["/bin/sh", "-c", command]
    elif s.options.posargs:
        argv = list(s.options.posargs)
    else:
        argv = interactive_shell(env, s.project.name)
    _exec(argv, env)


def _without_venv(env: dict[str, str], base: Mapping[str, str], venv: Path) -> dict[str, str]:
    """``env`` with the environment's activation taken back: VIRTUAL_ENV as in ``base`` and
    packages/python/bin off PATH (for ``with.python.venv: false``)."""
    env = dict(env)
    env.pop("VIRTUAL_ENV", None)
    if "VIRTUAL_ENV" in base:
        env["VIRTUAL_ENV"] = base["VIRTUAL_ENV"]
    bin_dir = str(venv / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != bin_dir)
    return env


def _exec(argv: list[str], env: dict[str, str]) -> None:
    program = shutil.which(argv[0], path=env.get("PATH")) or argv[0]
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(program, argv, env)
    except OSError as exc:
        raise SessionFailure(f"cannot run '{argv[0]}': {exc.strerror}") from None

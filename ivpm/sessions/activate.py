"""``activate``: run a command, or an interactive shell, inside ``packages/python``."""

from __future__ import annotations

import os
import shutil
import sys

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
    IVPM_PACKAGES and every env-set of ivpm.yaml applied. The exit status is the command's.
    """
    from ivpm.pyenv.activation import activation_env
    from ivpm.pyenv.shell import interactive_shell

    if not venv_python(s.venv).exists():
        raise SessionFailure(
            f"{s.venv.relative_to(s.project_dir)} does not exist yet",
            hint="run 'ivpm update' first to create the environment",
        )
    env = activation_env(
        os.environ,
        project_dir=s.project_dir,
        venv_dir=s.venv,
        env_sets=s.project.env_sets.values(),
    )
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


def _exec(argv: list[str], env: dict[str, str]) -> None:
    program = shutil.which(argv[0], path=env.get("PATH")) or argv[0]
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(program, argv, env)
    except OSError as exc:
        raise SessionFailure(f"cannot run '{argv[0]}': {exc.strerror}") from None

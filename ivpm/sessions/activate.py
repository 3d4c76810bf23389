"""``activate``: run a command, or an interactive shell, inside ``packages/python``."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from ivpm.errors import SessionFailure, UsageError
from ivpm.layout import venv_python
from ivpm.pyenv.activation import activation_env
from ivpm.session import Session
from ivpm.sessions import session

PROMPT_MARKER = "(ivpm:{name}) "


@session(name="activate", writes=False)
def activate(s: Session) -> None:
    """Run a command or a shell inside packages/python.

    `ivpm activate -c "CMD"` runs CMD with /bin/sh; `ivpm activate -- PROG ARGS...` runs PROG
    without a shell; `ivpm activate` starts an interactive $SHELL whose prompt is marked. The
    environment has VIRTUAL_ENV, PATH with packages/python/bin first, IVPM_PROJECT,
    IVPM_PACKAGES and every env-set of ivpm.yaml applied. The exit status is the command's.
    """
    if not venv_python(s.venv_dir).exists():
        raise SessionFailure(
            f"{s.venv_dir.relative_to(s.project_dir)} does not exist yet",
            hint="run 'ivpm update' first to create the environment",
        )
    env = activation_env(
        os.environ,
        project_dir=s.project_dir,
        venv_dir=s.venv_dir,
        env_sets=s.project.env_sets.values(),
    )
    if s.options.command is not None and s.options.posargs:
        raise UsageError("give either -c CMD or -- PROG ARGS, not both")
    if s.options.command is not None:
        argv = ["/bin/sh", "-c", s.options.command]
    elif s.options.posargs:
        argv = list(s.options.posargs)
    else:
        argv = _interactive_shell(env, s.project.name)
    _exec(argv, env)


def _interactive_shell(env: dict[str, str], name: str) -> list[str]:
    shell = os.environ.get("SHELL") or "/bin/sh"
    marker = PROMPT_MARKER.format(name=name)
    base = Path(shell).name
    # rc files may reset PATH, PYTHONPATH or PS1, so the activation is re-applied after them.
    reapply = "".join(
        f"export {key}={shlex.quote(value)}\n"
        for key, value in env.items()
        if os.environ.get(key) != value and key.isidentifier()
    )
    prompt = f'PS1={shlex.quote(marker)}"${{PS1-\\$ }}"\n'
    if base == "bash":
        rcfile = _temp_file(
            "ivpm-bashrc-", '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n' + reapply + prompt
        )
        return [shell, "--rcfile", rcfile, "-i"]
    if base == "zsh":
        _zsh_startup(env, reapply + prompt)
        return [shell, "-i"]
    # POSIX shells (dash, ksh, ...) run $ENV when interactive: the user's own first.
    user_env = os.environ.get("ENV")
    source_user = (
        f"[ -f {shlex.quote(user_env)} ] && . {shlex.quote(user_env)}\n" if user_env else ""
    )
    env["ENV"] = _temp_file("ivpm-env-", source_user + reapply + prompt)
    env["PS1"] = marker + env.get("PS1", "$ ")
    return [shell, "-i"]


def _zsh_startup(env: dict[str, str], activation: str) -> None:
    """Point ZDOTDIR at startup files that run the user's own, then ``activation``."""
    user_dir = env.get("ZDOTDIR") or env.get("HOME") or os.path.expanduser("~")
    restore = (
        f"export ZDOTDIR={shlex.quote(env['ZDOTDIR'])}\n" if "ZDOTDIR" in env else "unset ZDOTDIR\n"
    )
    zdotdir = tempfile.mkdtemp(prefix="ivpm-zsh-")
    cleanup = f"rm -rf {shlex.quote(zdotdir)}\n"
    for name, after in ((".zshenv", ""), (".zshrc", activation + restore + cleanup)):
        user_rc = shlex.quote(str(Path(user_dir) / name))
        Path(zdotdir, name).write_text(f"[ -f {user_rc} ] && . {user_rc}\n{after}")
    env["ZDOTDIR"] = zdotdir


def _temp_file(prefix: str, text: str) -> str:
    """A file holding ``text`` that removes itself when the shell sources it."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".sh")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f'rm -f "{name}"\n' + text)
    return name


def _exec(argv: list[str], env: dict[str, str]) -> None:
    program = shutil.which(argv[0], path=env.get("PATH")) or argv[0]
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(program, argv, env)
    except OSError as exc:
        raise SessionFailure(f"cannot run '{argv[0]}': {exc.strerror}") from None

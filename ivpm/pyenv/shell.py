"""Starting an interactive shell inside the activated environment (``ivpm activate``)."""

from __future__ import annotations

import os
import shlex
import tempfile
from pathlib import Path

PROMPT_MARKER = "(ivpm:{name}) "


def interactive_shell(env: dict[str, str], name: str) -> list[str]:
    """The argv of an interactive ``$SHELL`` inside the activated ``env``, prompt marked.

    rc files may reset ``PATH``, ``PYTHONPATH`` or ``PS1``, so the activation is re-applied
    after the user's own start-up files (bash ``--rcfile``, zsh ``ZDOTDIR``, POSIX ``$ENV``).
    ``env`` is updated with what the shell needs to find those files.
    """
    shell = os.environ.get("SHELL") or "/bin/sh"
    marker = PROMPT_MARKER.format(name=name)
    base = Path(shell).name
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

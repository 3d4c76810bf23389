"""Starting an interactive shell inside the activated environment (``ivpm activate``)."""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Mapping
from pathlib import Path

PROMPT_MARKER = "(ivpm:{name}) "


def interactive_shell(env: dict[str, str], name: str) -> list[str]:
    """The argv of an interactive ``$SHELL`` inside the activated ``env``, prompt marked.

    rc files may reset ``PATH``, ``PYTHONPATH`` or ``PS1``, so the activation is re-applied
    after the user's own start-up files (bash ``--rcfile``, zsh ``ZDOTDIR``, POSIX ``$ENV``),
    and a ``deactivate`` function is defined that takes it back. ``env`` is updated with what
    the shell needs to find those files.
    """
    shell = os.environ.get("SHELL") or "/bin/sh"
    marker = PROMPT_MARKER.format(name=name)
    base = Path(shell).name
    activation = activation_script(env, os.environ, marker)
    if base == "bash":
        rcfile = _temp_file(
            "ivpm-bashrc-", '[ -f "$HOME/.bashrc" ] && . "$HOME/.bashrc"\n' + activation
        )
        return [shell, "--rcfile", rcfile, "-i"]
    if base == "zsh":
        _zsh_startup(env, activation)
        return [shell, "-i"]
    # POSIX shells (dash, ksh, ...) run $ENV when interactive: the user's own first.
    user_env = os.environ.get("ENV")
    source_user = (
        f"[ -f {shlex.quote(user_env)} ] && . {shlex.quote(user_env)}\n" if user_env else ""
    )
    restore = f"export ENV={shlex.quote(env['ENV'])}\n" if "ENV" in env else "unset ENV\n"
    env["ENV"] = _temp_file("ivpm-env-", source_user + activation + restore)
    env["PS1"] = marker + env.get("PS1", "$ ")  # for a shell that does not read $ENV
    return [shell, "-i"]


def activation_script(env: Mapping[str, str], before: Mapping[str, str], marker: str) -> str:
    """Shell code that turns an interactive shell started from ``before`` into ``env``.

    It exports what the activation set, marks the prompt with ``marker``, and defines
    ``deactivate``, which puts every variable the activation changed back to its value in
    ``before`` (unset when it was unset there), takes the marker off the prompt, forgets the
    shell's remembered command locations and then removes itself.
    """
    q_marker = shlex.quote(marker)
    changed = [
        key
        for key in [*env, *(key for key in before if key not in env)]
        if key.isidentifier() and key != "PS1" and env.get(key) != before.get(key)
    ]
    restore = "".join(
        f"    export {key}={shlex.quote(before[key])}\n" if key in before else f"    unset {key}\n"
        for key in changed
    )
    reapply = "".join(f"export {key}={shlex.quote(env[key])}\n" for key in changed if key in env)
    return (
        # The prompt as it would be without the activation (a POSIX shell got it marked).
        'if [ "${PS1+set}" = set ]; then\n'
        f"    PS1=${{PS1#{q_marker}}}\n"
        "    _ivpm_old_ps1=$PS1\n"
        "fi\n"
        "deactivate () {\n"
        f"{restore}"
        '    if [ "${_ivpm_old_ps1+set}" = set ]; then PS1=$_ivpm_old_ps1; else unset PS1; fi\n'
        "    unset _ivpm_old_ps1\n"
        "    hash -r 2>/dev/null || :\n"
        "    unset -f deactivate\n"
        "}\n"
        f"{reapply}"
        f'PS1={q_marker}"${{PS1-\\$ }}"\n'
    )


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

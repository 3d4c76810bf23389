"""Command-line options: declared once, with the session that takes them, read back typed.

A session module declares the options it takes as :class:`Option` objects and lists them in
``@session(options=...)``; the command line's parser is built from every registered session's
options (see :mod:`ivpm.cli`), and a session reads a value back with ``s.option(OPTION)``, typed
as the option's default. The options below are the inputs of the state every session of a run
shares (which dep-set, how the environment is built and where packages come from), so more
than one session lists them.

Options are shared by all the sessions of one invocation, as in nox: ``ivpm -s update build
--debug`` hands ``--debug`` to both.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from ivpm.pyenv.choice import BACKENDS

T = TypeVar("T")

GROUP_PROJECT = "project"
GROUP_PYTHON = "python environment"
GROUP_SESSION = "session options"


@dataclass(frozen=True, eq=False)
class Option(Generic[T]):
    """One command-line option: its flags, argparse action, help text and typed default.

    Options are compared by identity; two options may share a ``dest`` only when they are
    alternatives in one ``exclusive`` group (``--py-uv``/``--py-pip``).
    """

    flags: tuple[str, ...]
    help: str
    default: T
    action: str = "store"
    dest: str = ""
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    const: Any = None
    convert: Callable[[str], Any] | None = None
    group: str = GROUP_SESSION
    exclusive: str | None = None

    @property
    def key(self) -> str:
        """The name the parsed value is stored under."""
        if self.dest:
            return self.dest
        long = next((flag for flag in self.flags if flag.startswith("--")), self.flags[0])
        return long.lstrip("-").replace("-", "_")

    def add_to(self, group: argparse._ActionsContainer) -> None:
        """Add this option to an argparse parser or group."""
        kwargs: dict[str, Any] = {"help": self.help, "dest": self.key, "action": self.action}
        if self.action in ("store", "append"):
            kwargs["metavar"] = self.metavar
            if self.choices is not None:
                kwargs["choices"] = self.choices
            if self.convert is not None:
                kwargs["type"] = self.convert
        if self.action == "store_const":
            kwargs["const"] = self.const
        # argparse appends to the default it is given, so an appended option starts from a list.
        kwargs["default"] = [] if self.action == "append" else self.default
        group.add_argument(*self.flags, **kwargs)


def flag(*flags: str, help: str, group: str = GROUP_SESSION) -> Option[bool]:
    """A ``--flag`` that is False unless given."""
    return Option(flags, help, False, action="store_true", group=group)


def value(
    *flags: str,
    help: str,
    metavar: str | None = None,
    choices: Sequence[str] | None = None,
    group: str = GROUP_SESSION,
) -> Option[str | None]:
    """An option taking one string; None when not given."""
    return Option(
        flags,
        help,
        None,
        metavar=metavar,
        choices=tuple(choices) if choices is not None else None,
        group=group,
    )


def many(
    *flags: str, help: str, metavar: str | None = None, group: str = GROUP_SESSION
) -> Option[tuple[str, ...]]:
    """An option that may be given several times; the values in command-line order."""
    return Option(flags, help, (), action="append", metavar=metavar, group=group)


def path(
    *flags: str, help: str, metavar: str | None = None, group: str = GROUP_SESSION
) -> Option[Path | None]:
    """An option naming a file or directory; None when not given."""
    return Option(flags, help, None, metavar=metavar, convert=Path, group=group)


def _jobs(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not '{text}'") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (the default) or more, not {number}")
    return number


@dataclass(frozen=True)
class OptionValues:
    """The parsed values of every declared option, read back with :meth:`get`."""

    values: Mapping[str, Any] = field(default_factory=dict)

    def get(self, option: Option[T]) -> T:
        """The value of ``option`` (its default when it was not given)."""
        raw = self.values.get(option.key)
        if raw is None:
            return option.default
        if option.action == "append":
            return tuple(raw)  # type: ignore[return-value]
        return raw  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Options:
    """What the command line asked for, beyond the sessions' own options.

    ``args`` are the words after the session name (``ivpm clone URL DIR``); ``posargs`` those
    after ``--``; ``values`` the declared options (read them with ``Session.option``).
    """

    project_dir: Path | None = None
    verbosity: int = 0
    traceback: bool = False
    args: tuple[str, ...] = ()
    posargs: tuple[str, ...] = ()
    values: OptionValues = field(default_factory=OptionValues)


# The inputs of the run state every session shares --------------------------------------------

DEP_SET = many(
    "-d",
    "--dep-set",
    help="dependency set to use; several (-d a -d b or -d a,b) select their union",
    metavar="NAME",
    group=GROUP_PROJECT,
)


def _define(text: str) -> str:
    name, sep, _ = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, not '{text}'")
    return text


DEFINE: Option[tuple[str, ...]] = Option(
    ("-D", "--define"),
    "set the ivpm.yaml variable NAME (declared under 'vars:') to VALUE",
    (),
    action="append",
    convert=_define,
    metavar="NAME=VALUE",
    group=GROUP_PROJECT,
)


def dep_set_names(values: Sequence[str]) -> tuple[str, ...]:
    """The dep-sets ``-d`` selected, in order, each once (``-d a,b`` is ``-d a -d b``)."""
    names = (name.strip() for value in values for name in value.split(","))
    return tuple(dict.fromkeys(name for name in names if name))


def definitions(values: Sequence[str]) -> dict[str, str]:
    """The ``-D NAME=VALUE`` definitions as a mapping (a later one for a name wins)."""
    return dict((name.strip(), value) for name, _, value in (v.partition("=") for v in values))


JOBS = Option(
    ("-j", "--jobs"),
    "parallel fetches (default: 4 per CPU, at most 16)",
    0,
    convert=_jobs,
    metavar="N",
    group=GROUP_PROJECT,
)
LOCK_FILE = path(
    "--lock-file",
    help="reproduce the versions recorded in this lock file",
    metavar="FILE",
    group=GROUP_PROJECT,
)
# Git URLs are used as written unless --ssh asks for ssh (see ivpm.fetch.urls); -a is the
# published ivpm's spelling of "as written", which here is the default.
SSH = Option(
    ("--ssh",),
    "clone https:// git URLs over ssh instead (git@host:owner/repo.git); "
    "deps with 'anonymous: true' keep their URL",
    False,
    action="store_true",
    group=GROUP_PROJECT,
    exclusive="git-transport",
)
ANONYMOUS_GIT = Option(
    ("-a", "--anonymous-git"),
    "clone git URLs as written (the default; the opposite of --ssh)",
    False,
    action="store_true",
    dest="anonymous_git",
    group=GROUP_PROJECT,
    exclusive="git-transport",
)


def _installer_flag(kind: str) -> Option[str | None]:
    """``--py-<kind>``: one of the alternatives that store the installer asked for."""
    return Option(
        (f"--py-{kind}",),
        f"install with {kind}",
        None,
        action="store_const",
        const=kind,
        dest="installer",
        group=GROUP_PYTHON,
        exclusive="installer",
    )


PY_UV = _installer_flag("uv")
PY_PIP = _installer_flag("pip")
VENV_BACKEND = value(
    "--venv-backend",
    help="how packages/python is created",
    choices=BACKENDS,
    group=GROUP_PYTHON,
)
PYTHON = value(
    "--python",
    help="interpreter for packages/python (default: IVPM_PYTHON, else ivpm's)",
    group=GROUP_PYTHON,
)
PRE = flag(
    "--py-prerls-packages",
    help="allow pre-release versions (as with.python.pre-release: true)",
    group=GROUP_PYTHON,
)
SYSTEM_SITE_PACKAGES = flag(
    "--py-system-site-packages",
    help="let packages/python see the interpreter's own site-packages "
    "(as with.python.system-site-packages: true; a change rebuilds packages/python)",
    group=GROUP_PYTHON,
)
INDEX_URL = value("--index-url", help="base URL of the package index", group=GROUP_PYTHON)
EXTRA_INDEX_URL = many("--extra-index-url", help="another package index", group=GROUP_PYTHON)
FIND_LINKS = many("--find-links", help="a directory or page of archives", group=GROUP_PYTHON)
NO_INDEX = flag("--no-index", help="use no package index (only --find-links)", group=GROUP_PYTHON)

JSON = flag("--json", help="print the report as JSON, for tools")

#: What resolving and fetching the project reads.
PROJECT_OPTIONS: tuple[Option[Any], ...] = (DEP_SET, JOBS, LOCK_FILE, SSH, ANONYMOUS_GIT)
#: What building and installing into packages/python reads.
PYTHON_OPTIONS: tuple[Option[Any], ...] = (
    PY_UV,
    PY_PIP,
    VENV_BACKEND,
    PYTHON,
    SYSTEM_SITE_PACKAGES,
    PRE,
    INDEX_URL,
    EXTRA_INDEX_URL,
    FIND_LINKS,
    NO_INDEX,
)

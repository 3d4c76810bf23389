"""Installing into ``packages/python``: one interface, a pip and a uv implementation.

Both implementations get the same inputs translated to their own flags, so that they build the
same environment: index settings (see :mod:`ivpm.pyenv.index`), editable source packages
(``-e``), build isolation off, pre-releases (pip ``--pre``, uv ``--prerelease=allow``),
constraints and reinstalls. Each :meth:`Installer.install` call starts one installer process
(pip needs a second one only to reinstall a chosen subset of non-editable requirements). A
failure becomes a :class:`~ivpm.errors.SessionFailure` naming what was being installed, with the
installer's own error lines as details.

Editable requirements are rebuilt and reinstalled by both pip and uv on every install, so
asking to reinstall one needs no extra flag for pip; uv gets ``--reinstall-package`` anyway.
"""

from __future__ import annotations

import abc
import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from packaging.utils import canonicalize_name

from ivpm.errors import SessionFailure, display_path, name_list
from ivpm.layout import venv_python
from ivpm.netlimits import pip_network_options, uv_network_env
from ivpm.proc import CommandFailed, run_command
from ivpm.pyenv.choice import InstallerChoice, InstallerKind
from ivpm.pyenv.conflicts import is_resolver_failure
from ivpm.pyenv.distributions import (
    editable_distributions,
    editable_location,
    installed_distributions,
    removable_distributions,
)
from ivpm.pyenv.index import DEFAULT_INDEX, IndexSettings, merge_index_settings
from ivpm.pyenv.native import build_failure_hint
from ivpm.pyenv.output import error_excerpt, index_unreachable
from ivpm.pyenv.uvopts import uv_install_options, uv_prerelease_options

__all__ = [
    "IndexSettings",
    "InstallRequest",
    "Installer",
    "InstallerKind",
    "PipInstaller",
    "RequirementLike",
    "UvInstaller",
    "editable_distributions",
    "editable_location",
    "installed_distributions",
    "make_installer",
    "merge_index_settings",
    "pep508_name",
    "removable_distributions",
]

if TYPE_CHECKING:
    from packaging.requirements import Requirement

log = logging.getLogger("ivpm")

RequirementLike: TypeAlias = "str | Requirement"

_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
_BUILD_ERRORS = ("subprocess-exited-with-error", "failed to build", "build backend")


@dataclass(frozen=True)
class InstallRequest:
    """Everything one :meth:`Installer.install` call asks for.

    ``editable`` holds source folders, optionally with extras (``/path/pkg[test]``);
    ``reinstall`` names distributions (or editable folders) to reinstall even when satisfied;
    ``constraints_file`` is a pip-format constraints file (``name==version`` lines).
    """

    requirements: tuple[str, ...] = ()
    editable: tuple[str, ...] = ()
    index: IndexSettings = DEFAULT_INDEX
    no_build_isolation: bool = False
    reinstall: tuple[str, ...] = ()
    force_reinstall: bool = False
    no_deps: bool = False
    constraints_file: Path | None = None

    def reinstall_names(self) -> list[str]:
        """The canonical names in ``reinstall`` (folder entries left out)."""
        return list(
            dict.fromkeys(
                canonicalize_name(entry) for entry in self.reinstall if _NAME.match(entry)
            )
        )

    def editable_args(self) -> list[str]:
        """``-e FOLDER`` for every editable source package."""
        return [arg for folder in self.editable for arg in ("-e", folder)]


class Installer(abc.ABC):
    """Installs into and removes from one virtual environment."""

    #: ``"pip"`` or ``"uv"``; recorded in the environment's state.
    kind: InstallerKind

    def __init__(self, venv_dir: Path, *, env: Mapping[str, str] | None = None) -> None:
        self.venv_dir = venv_dir
        self.python = venv_python(venv_dir)
        self.env = None if env is None else dict(env)

    @property
    def environ(self) -> Mapping[str, str]:
        """The environment installer processes run with."""
        return os.environ if self.env is None else self.env

    @abc.abstractmethod
    def install_commands(self, request: InstallRequest) -> list[list[str]]:
        """The command lines :meth:`install` runs for ``request``, in order."""

    @abc.abstractmethod
    def uninstall_command(self, names: Sequence[str]) -> list[str]:
        """The command line :meth:`uninstall` runs for ``names``."""

    def install(
        self,
        requirements: Sequence[RequirementLike],
        *,
        editable: Sequence[str | Path] = (),
        index: IndexSettings = DEFAULT_INDEX,
        no_build_isolation: bool = False,
        pre: bool = False,
        reinstall: Sequence[str] = (),
        force_reinstall: bool = False,
        no_deps: bool = False,
        constraints: Sequence[str] = (),
    ) -> None:
        """Install ``requirements`` and the source folders in ``editable`` (as ``-e``).

        ``index`` says where packages come from; ``pre`` (or ``index.pre``) allows
        pre-releases; ``no_build_isolation`` builds with what the environment already holds
        (so source packages see the setup-deps); ``reinstall`` names packages (or editable
        folders) to reinstall even when already satisfied; ``force_reinstall`` reinstalls
        everything the command touches, dependencies included; ``constraints`` are
        ``name==version`` lines that pin whatever gets installed (e.g. from a lock file).
        Nothing to install starts no process.
        """
        if not requirements and not editable:
            return
        request = InstallRequest(
            requirements=tuple(str(r) for r in requirements),
            editable=tuple(os.fspath(folder) for folder in editable),
            index=replace(index, pre=True) if pre and not index.pre else index,
            no_build_isolation=no_build_isolation,
            reinstall=tuple(reinstall),
            force_reinstall=force_reinstall,
            no_deps=no_deps,
        )
        message = f"{self.kind} could not install {_describe(request)}"
        with _constraints_file(constraints) as constraints_file:
            request = replace(request, constraints_file=constraints_file)
            for argv in self.install_commands(request):
                self._run(argv, message)

    def uninstall(self, names: Sequence[str]) -> None:
        """Remove the distributions ``names``; names that are not installed are skipped."""
        if not names:
            return
        self._run(
            self.uninstall_command(names), f"{self.kind} could not uninstall {', '.join(names)}"
        )

    def installed(self) -> dict[str, str]:
        """The environment's distributions (canonical name -> version), read in-process."""
        return installed_distributions(self.venv_dir)

    def _run(self, argv: Sequence[str], message: str) -> None:
        try:
            run_command(argv, env=self.env)
        except CommandFailed as exc:
            raise SessionFailure(
                message, details=error_excerpt(exc.output), hint=_failure_hint(exc.output)
            ) from exc


class PipInstaller(Installer):
    """Runs the environment's own pip: ``<venv>/bin/python -m pip``.

    The user's pip configuration (pip.conf, ``PIP_*`` variables) applies as usual.
    """

    kind: InstallerKind = "pip"

    def _pip(self, command: str) -> list[str]:
        return [os.fspath(self.python), "-m", "pip", command, "--disable-pip-version-check"]

    def install_commands(self, request: InstallRequest) -> list[list[str]]:
        """``pip install`` with the translated options; a second ``--force-reinstall
        --no-deps`` call for the PyPI requirements named in ``reinstall``.

        pip's ``--force-reinstall`` applies to everything in a command, so a subset gets a
        command of its own, run after the main one (which installs any new dependencies).
        """
        options = ["--no-input", *request.index.pip_args(), *pip_network_options(self.environ)]
        if request.no_build_isolation:
            options.append("--no-build-isolation")
        if request.constraints_file is not None:
            options += ["-c", os.fspath(request.constraints_file)]
        main = self._pip("install") + options
        if request.no_deps:
            main.append("--no-deps")
        if request.force_reinstall:
            main.append("--force-reinstall")
        commands = [[*main, *request.requirements, *request.editable_args()]]
        wanted = set(request.reinstall_names())
        subset = [r for r in request.requirements if pep508_name(r) in wanted]
        if subset and not request.force_reinstall:
            reinstall = [*self._pip("install"), *options, "--force-reinstall", "--no-deps"]
            commands.append([*reinstall, *subset])
        return commands

    def uninstall_command(self, names: Sequence[str]) -> list[str]:
        """``pip uninstall --yes NAMES``."""
        return [*self._pip("uninstall"), "--yes", *names]


class UvInstaller(Installer):
    """Runs ``uv pip`` against the environment (``--python <venv>/bin/python``).

    uv reads neither pip's configuration nor ``PIP_*`` variables; ivpm's index settings reach
    it as flags. Its own ``UV_*`` variables and ``uv.toml`` still apply. Files are copied from
    uv's cache rather than hardlinked (see :mod:`ivpm.pyenv.uvopts`).
    """

    kind: InstallerKind = "uv"

    def __init__(
        self, venv_dir: Path, uv_bin: str, *, env: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(venv_dir, env=env)
        self.uv_bin = uv_bin
        if network := uv_network_env(self.environ):
            self.env = {**self.environ, **network}

    def _uv_pip(self, command: str) -> list[str]:
        return [self.uv_bin, "pip", command, "--python", os.fspath(self.python)]

    def install_commands(self, request: InstallRequest) -> list[list[str]]:
        """One ``uv pip install``: ``--reinstall-package`` per name in ``reinstall`` (editable
        folders mapped to their installed names), ``--reinstall`` for ``force_reinstall``."""
        argv = self._uv_pip("install") + uv_install_options(self.environ)
        argv += request.index.uv_args(self.environ)
        argv += uv_prerelease_options(
            self.uv_bin, request.requirements, pre=request.index.pre, environ=self.environ
        )
        if request.no_build_isolation:
            argv.append("--no-build-isolation")
        if request.constraints_file is not None:
            argv += ["-c", os.fspath(request.constraints_file)]
        if request.no_deps:
            argv.append("--no-deps")
        if request.force_reinstall:
            argv.append("--reinstall")
        else:
            for name in self._reinstall_names(request):
                argv += ["--reinstall-package", name]
        return [[*argv, *request.requirements, *request.editable_args()]]

    def _reinstall_names(self, request: InstallRequest) -> list[str]:
        names = request.reinstall_names()
        folders = [entry for entry in request.reinstall if not _NAME.match(entry)]
        if folders:
            by_folder = {
                os.path.realpath(location): name
                for name, location in editable_distributions(self.venv_dir).items()
            }
            for folder in folders:
                name = by_folder.get(os.path.realpath(_strip_extras(folder)))
                if name is not None and name not in names:
                    names.append(name)
        return names

    def uninstall_command(self, names: Sequence[str]) -> list[str]:
        """``uv pip uninstall --python <venv>/bin/python NAMES``."""
        return [*self._uv_pip("uninstall"), "--color", "never", *names]


def make_installer(
    choice: InstallerChoice, venv_dir: Path, *, env: Mapping[str, str] | None = None
) -> Installer:
    """The installer of ``choice`` (see :func:`ivpm.pyenv.choice.decide_installer`) for the
    environment at ``venv_dir``; ``env`` is the environment its processes run with (default:
    ivpm's own)."""
    if choice.kind == "uv":
        assert choice.uv is not None
        return UvInstaller(venv_dir, choice.uv, env=env)
    return PipInstaller(venv_dir, env=env)


@contextmanager
def _constraints_file(constraints: Sequence[str]) -> Iterator[Path | None]:
    """A temporary constraints file holding ``constraints`` (``None`` when there are none)."""
    if not constraints:
        yield None
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ivpm-constraints-") as folder:
        path = Path(folder) / "constraints.txt"
        path.write_text("\n".join(constraints) + "\n", encoding="utf-8")
        yield path


def _strip_extras(folder: str) -> str:
    """``/path/pkg[test]`` -> ``/path/pkg``."""
    return re.sub(r"\[[^\[\]/]*\]$", "", folder)


def pep508_name(requirement: str) -> str | None:
    """The canonical distribution name of the PEP 508 ``requirement``; None when it does not
    parse (a path, an option)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return None


def _describe(request: InstallRequest) -> str:
    """A short list of what is being installed, for error messages."""
    items = [*request.requirements]
    items += [f"-e {display_path(Path(_strip_extras(f)))}" for f in request.editable]
    return name_list(items, limit=6)


def _failure_hint(output: str) -> str | None:
    if index_unreachable(output):
        return (
            "the package index could not be reached: check index-url (or IVPM_INDEX_URL), "
            "the network and any proxy"
        )
    lowered = output.lower()
    if is_resolver_failure(output):
        return (
            "check the versions asked for in ivpm.yaml and where packages come from "
            "(index-url, extra-index-urls, find-links, no-index; --py-prerls-packages for "
            "pre-releases)"
        )
    if any(marker in lowered for marker in _BUILD_ERRORS):
        return build_failure_hint(output) or (
            "a package failed to build; without build isolation its build requirements "
            "(setuptools, cython, ...) must be installed first: list them in setup-deps"
        )
    return None

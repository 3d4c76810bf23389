"""The object every session function receives, and the state the sessions of one run share.

:class:`RunContext` holds the options and the project of one invocation and a typed
:class:`RunState`; :class:`Session` is the view one session gets of it. Everything expensive is
computed on first use and once per run: the loaded ivpm.yaml, the resolution (which fetches),
the installer choice, the index settings, the wanted and recorded environment states and the
install engine that moves one to the other.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ivpm import layout
from ivpm import options as opt
from ivpm.errors import SessionFailure, UsageError
from ivpm.options import Option, Options
from ivpm.proc import CommandFailed, CommandResult, run_command

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ivpm.fetch.result import FetchResult
    from ivpm.lockfile import LockData
    from ivpm.project.model import Project, Resolution
    from ivpm.pyenv.choice import InstallerChoice
    from ivpm.pyenv.engine import InstallEngine
    from ivpm.pyenv.index import IndexSettings
    from ivpm.pyenv.installer import Installer
    from ivpm.pyenv.state import Changes, EnvState

T = TypeVar("T")


class SessionSkipped(Exception):
    """Raised by :meth:`Session.skip`: the session had nothing to do."""


@dataclass
class RunState:
    """What the sessions of one run computed for a project; empty fields are not computed yet.

    ``fetched`` holds each source dep's fetch result, ``wanted`` and ``recorded`` the
    environment the resolution asks for and the one the state record describes.
    """

    project: Project | None = None
    resolution: Resolution | None = None
    fetched: dict[str, FetchResult] = field(default_factory=dict)
    installer_choice: InstallerChoice | None = None
    installer: Installer | None = None
    index: IndexSettings | None = None
    wanted: EnvState | None = None
    recorded: EnvState | None = None
    changes: Changes | None = None
    engine: InstallEngine | None = None
    venv_meanwhile: Future[bool] | None = None  # packages/python being made while fetching


class RunContext:
    """What the sessions of one invocation share: options, the project, the run state."""

    def __init__(self, options: Options, project_dir: Path | None, *, start: Path) -> None:
        self.options = options
        self.project_dir = project_dir
        self.start = start
        self.state = RunState()
        self.notified: list[str] = []
        self.planned: frozenset[str] = frozenset()  # the sessions this run will run
        self.deferred: dict[str, SessionFailure] = {}  # session -> its failure, reported last
        self._lock_data: LockData | None = None

    def option(self, option: Option[T]) -> T:
        """The value of a declared option for this run."""
        return self.options.values.get(option)

    def packages_dir(self) -> Path | None:
        """The project's ``packages/`` (``deps-dir``) once its ivpm.yaml is loaded, else the
        default folder; None without a project."""
        if self.project_dir is None:
            return None
        loaded = self.state.project
        deps_dir = loaded.deps_dir if loaded is not None else layout.PACKAGES_DIR_NAME
        return layout.packages_dir(self.project_dir, deps_dir)

    def switch_project(self, project_dir: Path) -> None:
        """Make ``project_dir`` the project of the sessions that run from now on."""
        self.project_dir = project_dir
        self.state = RunState()

    def preflight(self) -> None:
        """Load and check every input (ivpm.yaml, ``-d``, ``--lock-file``, the ``IVPM_*``
        variables ivpm acts on) before any write."""
        from ivpm.netlimits import silence_timeout

        silence_timeout(os.environ)
        project = self.project
        requested = self.dep_sets_requested
        if requested:
            from ivpm.project.depsets import select_dep_sets

            select_dep_sets(project, requested)
        self.lock_data  # noqa: B018

    @property
    def defines(self) -> tuple[str, ...]:
        """The ``-D NAME=VALUE`` words given."""
        given: tuple[str, ...] = self.option(opt.DEFINE)
        return given

    @property
    def dep_sets_requested(self) -> tuple[str, ...]:
        """The dep-sets ``-d`` named (empty: the project's default)."""
        given: tuple[str, ...] = self.option(opt.DEP_SET)
        return opt.dep_set_names(given)

    @property
    def lock_data(self) -> LockData | None:
        """The ``--lock-file`` content, read once; None without the option."""
        lock_file = self.option(opt.LOCK_FILE)
        if self._lock_data is None and lock_file is not None:
            from ivpm.lockfile import read_lock

            self._lock_data = read_lock(lock_file)
        return self._lock_data

    @property
    def project(self) -> Project:
        """The root ivpm.yaml, loaded and validated once per run."""
        if self.state.project is None:
            if self.project_dir is None:
                raise UsageError(
                    f"no {layout.PROJECT_FILE} in {self.start} or any directory above it",
                    hint="run ivpm inside a project, pass -p DIR, or use 'ivpm clone URL'",
                )
            from ivpm.project.loader import load_project

            self.state.project = load_project(
                layout.project_file(self.project_dir),
                variables=opt.definitions(self.defines),
            )
        return self.state.project


class Session:
    """Handed to each session function: the project, the options, the run state and ``run``."""

    def __init__(self, name: str, context: RunContext) -> None:
        self.name = name
        self.context = context
        self.log = logging.getLogger(f"ivpm.{name}")

    # inputs ------------------------------------------------------------------------------

    @property
    def options(self) -> Options:
        """The options of this invocation (the declared ones: :meth:`option`)."""
        return self.context.options

    def option(self, option: Option[T]) -> T:
        """The value of ``option``, one of the options sessions declare."""
        return self.context.option(option)

    @property
    def quiet(self) -> bool:
        """True when ``-q`` asked for less output."""
        return self.options.verbosity < 0

    @property
    def project_dir(self) -> Path:
        """The directory holding ivpm.yaml."""
        if self.context.project_dir is None:
            self.context.project  # noqa: B018  -- raises the "no ivpm.yaml" error
        assert self.context.project_dir is not None
        return self.context.project_dir

    @property
    def project(self) -> Project:
        """The loaded root ivpm.yaml."""
        return self.context.project

    @property
    def packages_dir(self) -> Path:
        """``<project>/packages`` (or ``deps-dir``): where sources and the environment live."""
        return layout.packages_dir(self.project_dir, self.project.deps_dir)

    @property
    def venv(self) -> Path:
        """``<project>/packages/python``: the project's virtual environment."""
        return layout.venv_dir(self.project_dir, self.project.deps_dir)

    @property
    def lock_data(self) -> LockData | None:
        """The ``--lock-file`` this run reproduces, if any."""
        return self.context.lock_data

    # the shared run state ----------------------------------------------------------------

    @property
    def state(self) -> RunState:
        """The run state shared with the other sessions of this run."""
        return self.context.state

    def resolved(self) -> tuple[Resolution, dict[str, FetchResult]]:
        """The resolution of the selected dep-set and each source dep's fetch result.

        The first call fetches (under the workspace lock, taken by the runner).
        """
        state = self.state
        if state.resolution is None:
            from ivpm.fetch.tree import fetch_tree

            lock = self.lock_data
            state.resolution, state.fetched = fetch_tree(
                self.project,
                self.packages_dir,
                dep_sets=self.context.dep_sets_requested,
                jobs=self.option(opt.JOBS),
                pins={name: pin.commit for name, pin in lock.git.items()} if lock else None,
                quiet=self.quiet,
                ssh=self.option(opt.SSH),
            )
        return state.resolution, state.fetched

    @property
    def resolution(self) -> Resolution:
        """The resolution of the selected dep-set (fetching on first use)."""
        return self.resolved()[0]

    @property
    def installer_choice(self) -> InstallerChoice:
        """pip or uv, and the venv backend: decided once from the options, ivpm.yaml and the
        environment (``--py-uv``/``--py-pip`` win over ``with.python.venv: uv|pip``).

        With ``with.python.venv: false`` there is no installer: the session asking is skipped
        (as by :meth:`skip`), so nothing is ever installed and no environment is made.
        """
        state = self.state
        python = self.project.python
        if not python.venv:
            from ivpm.pyenv.choice import NO_VENV

            raise SessionSkipped(NO_VENV)
        if state.installer_choice is None:
            from ivpm.pyenv.choice import decide_installer

            state.installer_choice = decide_installer(
                self.option(opt.PY_UV), self.option(opt.VENV_BACKEND), configured=python.installer
            )
        return state.installer_choice

    @property
    def installer(self) -> Installer:
        """The installer of this run, made once from :attr:`installer_choice`."""
        state = self.state
        if state.installer is None:
            from ivpm.pyenv.installer import make_installer

            state.installer = make_installer(self.installer_choice, self.venv)
        return state.installer

    @property
    def index(self) -> IndexSettings:
        """Index settings: the environment, then ivpm.yaml, then the command line.

        Pre-releases are allowed when ivpm.yaml says ``pre: true`` or ``pre-release: true``
        (both are ``project.python.pre``) or ``--py-prerls-packages`` is given.
        """
        state = self.state
        if state.index is None:
            from ivpm.pyenv.index import IndexSettings

            state.index = IndexSettings.merged(
                self.project.python,
                index_url=self.option(opt.INDEX_URL),
                extra_index_urls=self.option(opt.EXTRA_INDEX_URL),
                find_links=self.option(opt.FIND_LINKS),
                no_index=self.option(opt.NO_INDEX),
                pre=self.option(opt.PRE),
                project_root=self.project.root,
            )
        return state.index

    @property
    def wanted(self) -> EnvState:
        """What packages/python should hold for the selected dep-set."""
        state = self.state
        if state.wanted is None:
            from ivpm.pyenv.engine import wanted_state

            wanted = wanted_state(self.resolution, index=self.index, lock=self.lock_data)
            state.wanted = replace(wanted, installer=self.installer_choice.kind)
        return state.wanted

    @property
    def recorded(self) -> EnvState:
        """What the state record of packages/python said at the start of the run."""
        state = self.state
        if state.recorded is None:
            from ivpm.pyenv.state import load_state

            state.recorded = load_state(self.venv)
        return state.recorded

    def changes(self, *, force: bool = False) -> Changes:
        """What differs between the wanted and the recorded environment (compared once)."""
        state = self.state
        if state.changes is None:
            from ivpm.pyenv.state import diff_states

            state.changes = diff_states(self.wanted, self.recorded, force=force)
        return state.changes

    @property
    def engine(self) -> InstallEngine:
        """The install engine of this run (made when something is to be installed)."""
        state = self.state
        if state.engine is None:
            from ivpm.pyenv.engine import InstallEngine
            from ivpm.pyenv.venv import read_venv_info

            info = read_venv_info(self.venv)
            state.engine = InstallEngine(
                venv_dir=self.venv,
                installer=self.installer,
                resolution=self.resolution,
                wanted=self.wanted,
                recorded=self.recorded,
                index=self.index,
                constraints=self.lock_data.constraints() if self.lock_data else (),
                backend=info.backend if info else self.installer_choice.backend,
                log=self.log,
            )
        return state.engine

    # control -----------------------------------------------------------------------------

    def notify(self, name: str) -> None:
        """Queue the session ``name`` (and its prerequisites) to run after this one."""
        self.context.notified.append(name)

    def fail_at_end(self, failure: SessionFailure) -> None:
        """End this session as failed with ``failure`` once the sessions it notified have run
        (``sync`` reports checkouts it left behind after the update it queued)."""
        self.context.deferred[self.name] = failure

    def skip(self, reason: str) -> None:
        """End this session early as 'skipped' (nothing to do)."""
        raise SessionSkipped(reason)

    def run(
        self,
        argv: Sequence[str | Path],
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        what: str | None = None,
    ) -> CommandResult:
        """Run a command with output captured; a failure ends the session showing that output.

        ``env`` entries are added to (not substituted for) the current environment; ``what``
        names the step in the failure message.
        """
        full_env = None if env is None else {**os.environ, **env}
        try:
            # the user's own commands (a test run) may rightly stay silent for long
            return run_command(argv, cwd=cwd, env=full_env, silence_timeout=0)
        except CommandFailed as exc:
            label = what or os.path.basename(exc.argv[0])
            raise SessionFailure(
                f"{label} failed (exit status {exc.returncode})", details=exc.output
            ) from None

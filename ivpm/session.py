"""The object every session function receives, and the context shared within one run."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivpm import layout
from ivpm.errors import SessionFailure, UsageError
from ivpm.options import Options
from ivpm.proc import CommandFailed, CommandResult, run_command

if TYPE_CHECKING:
    from ivpm.lockfile import LockData
    from ivpm.project.model import Project

PROJECT_FILE = "ivpm.yaml"


class SessionSkipped(Exception):
    """Raised by :meth:`Session.skip`: the session had nothing to do."""


class RunContext:
    """What the sessions of one invocation share: options, the project, computed results."""

    def __init__(self, options: Options, project_dir: Path | None, *, start: Path) -> None:
        self.options = options
        self.project_dir = project_dir
        self.start = start
        self._project: Project | None = None
        self._lock_data: LockData | None = None
        self.results: dict[str, Any] = {}
        self.notified: list[str] = []

    def switch_project(self, project_dir: Path) -> None:
        """Make ``project_dir`` the project of the sessions that run from now on."""
        self.project_dir = project_dir
        self._project = None
        self.results.clear()

    def preflight(self) -> None:
        """Load and check every input (ivpm.yaml, ``-d``, ``--lock-file``) before any write."""
        project = self.project
        if self.options.dep_set is not None:
            from ivpm.project.depsets import select_dep_set

            select_dep_set(project, self.options.dep_set)
        self.lock_data  # noqa: B018

    @property
    def lock_data(self) -> LockData | None:
        """The ``--lock-file`` content, read once; None without the option."""
        if self._lock_data is None and self.options.lock_file is not None:
            from ivpm.lockfile import read_lock

            self._lock_data = read_lock(self.options.lock_file)
        return self._lock_data

    @property
    def project(self) -> Project:
        """The root ivpm.yaml, loaded and validated once per run."""
        if self._project is None:
            if self.project_dir is None:
                raise UsageError(
                    f"no {PROJECT_FILE} in {self.start} or any directory above it",
                    hint="run ivpm inside a project, pass -p DIR, or use 'ivpm clone URL'",
                )
            from ivpm.project.loader import load_project

            self._project = load_project(self.project_dir / PROJECT_FILE)
        return self._project


class Session:
    """Handed to each session function: the project, the options, a logger and ``run``."""

    def __init__(self, name: str, context: RunContext) -> None:
        self.name = name
        self.context = context
        self.log = logging.getLogger(f"ivpm.{name}")

    @property
    def options(self) -> Options:
        """The options of this invocation."""
        return self.context.options

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
        """``<project>/packages``: where sources and the environment live."""
        return layout.packages_dir(self.project_dir)

    @property
    def venv_dir(self) -> Path:
        """``<project>/packages/python``: the project's virtual environment."""
        return layout.venv_dir(self.project_dir)

    def notify(self, name: str) -> None:
        """Queue the session ``name`` (and its prerequisites) to run after this one."""
        self.context.notified.append(name)

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
            return run_command(argv, cwd=cwd, env=full_env)
        except CommandFailed as exc:
            label = what or os.path.basename(exc.argv[0])
            raise SessionFailure(
                f"{label} failed (exit status {exc.returncode})", details=exc.output
            ) from None

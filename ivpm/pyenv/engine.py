"""The install engine: wanted state -> changes -> ordered batches -> apply -> record.

:func:`wanted_state` turns a resolution into the requirements ``packages/python`` should hold;
:func:`~ivpm.pyenv.state.diff_states` compares them with the state record; :class:`InstallEngine`
applies the changes of one phase (the setup-deps, then everything else) in batches that follow
the dependency levels. It marks the record dirty before each installer call and advances it
after each batch that succeeds; after the last batch it removes what nothing needs any more,
checks the environment is consistent and clears the mark. A failed change on a completed
environment is undone; an interrupted one is repaired and finished by the next run (see
docs/reliability.md). :func:`install_batch` is the one place that
turns a batch of requirements into an installer call; ``ivpm build`` and ``ivpm.nox`` use it too.

Nothing here reads options or prints: the sessions decide, the engine does.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivpm.errors import ConfigError, SessionFailure
from ivpm.project.names import canonical_name
from ivpm.pyenv import state as records
from ivpm.pyenv.state import Changes, EnvState, Requirement, build_digest

if TYPE_CHECKING:
    from ivpm.lockfile import LockData
    from ivpm.project.model import Dep, Resolution, ResolvedDep
    from ivpm.pyenv.envgraph import Installed, MarkerEnvironment
    from ivpm.pyenv.index import IndexSettings
    from ivpm.pyenv.installer import Installer
    from ivpm.pyenv.repair import Snapshot

Batch = Sequence[Requirement]


def requirement_of(resolved: ResolvedDep, *, setup: bool) -> Requirement:
    """What installing one resolved dep means: a PyPI line, a wheel URL, or a source folder.

    A source folder ivpm cannot write (an entry of the shared cache, which is read-only) is
    installed non-editable, from its real path, so a new cache entry means a reinstall; the
    build runs on a temporary copy (see :func:`install_batch`).
    """
    dep = resolved.dep
    extras = tuple(dep.extras)
    extra_text = f"[{','.join(extras)}]" if extras else ""
    if dep.is_wheel:
        name, url = wheel_reference(dep)
        return Requirement(
            name=canonical_name(name),
            line=f"{name}{extra_text} @ {url}",
            extras=extras,
            setup=setup,
        )
    if dep.is_source:
        assert resolved.path is not None
        path = resolved.path.absolute()
        read_only = is_read_only(path)
        editable = dep.editable and not read_only
        line = os.path.realpath(path) if read_only else str(path)
        if not editable and extras:
            line += extra_text
        return Requirement(
            name=canonical_name(dep.name),
            line=line,
            editable=editable,
            extras=extras,
            digest=build_digest(path),
            setup=setup,
            source=_dir_identity(dep),
        )
    return Requirement(
        name=canonical_name(dep.name),
        line=f"{dep.name}{extra_text}{dep.version or ''}",
        extras=extras,
        setup=setup,
    )


def _dir_identity(dep: Dep) -> str:
    """For a dir dep, where ``packages/<name>`` comes from and how (a change reinstalls it)."""
    from ivpm.project.model import Source

    if dep.src is not Source.DIR:
        return ""
    from ivpm.fetch.local import dir_identity

    return dir_identity(dep)


def is_read_only(path: Path) -> bool:
    """True when ``path`` (links followed) is a folder sealed read-only (no write bit, as a
    cache entry is) or one this process cannot write. The mode is checked too, since root
    may write anywhere."""
    real = os.path.realpath(path)
    try:
        mode = os.stat(real).st_mode
    except OSError:
        return False
    return stat.S_ISDIR(mode) and (not mode & 0o222 or not os.access(real, os.W_OK))


def wheel_reference(dep: Dep) -> tuple[str, str]:
    """The distribution name (from the file name) and the URL of a wheel dep.

    A ``src: file`` path, or a plain path, is made absolute against the folder of the
    ivpm.yaml that declared it and given as a ``file://`` URL.
    """
    from urllib.parse import unquote, urlsplit

    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    assert dep.url is not None
    url = dep.url
    if "://" not in url:
        base = dep.declared_in.parent if dep.declared_in is not None else Path.cwd()
        url = (base / Path(url).expanduser()).absolute().as_uri()
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    try:
        name = str(parse_wheel_filename(filename)[0])
    except InvalidWheelFilename:
        raise ConfigError(
            f"dep '{dep.name}': {filename!r} is not a wheel file name",
            dep.location,
            hint="a wheel is named NAME-VERSION(-BUILD)-PYTHON-ABI-PLATFORM.whl",
        ) from None
    return name, url


def wanted_state(
    resolution: Resolution, *, index: IndexSettings, lock: LockData | None = None
) -> EnvState:
    """What the environment should hold for ``resolution``: setup-deps (with the source
    packages' build requirements) first, then every Python dep in dependency order.

    A build requirement named ``ivpm`` is ivpm's build-script support
    (:func:`~ivpm.pyenv.support_dist.support_requirement`), unless the dep-set lists ``ivpm``
    itself; build requirements the dep-set lists are installed as their dep entries say.
    """
    from ivpm.pyenv.buildreqs import build_requirements
    from ivpm.pyenv.support_dist import NAME as SUPPORT_NAME
    from ivpm.pyenv.support_dist import support_requirement

    requirements: dict[str, Requirement] = {}
    for name in resolution.setup_deps:
        requirement = requirement_of(resolution.deps[name], setup=True)
        requirements[requirement.name] = requirement
    declared = {canonical_name(name) for name in resolution.deps}
    for build_name, line in build_requirements(resolution):
        if build_name == SUPPORT_NAME:
            requirement = support_requirement()
        else:
            requirement = Requirement(name=build_name, line=line, setup=True)
        if requirement.name not in declared and requirement.name not in requirements:
            requirements[requirement.name] = requirement
    for level in resolution.levels:
        for name in level:
            resolved = resolution.deps[name]
            if resolved.is_python:
                requirement = requirement_of(resolved, setup=False)
                requirements.setdefault(requirement.name, requirement)
    settings: dict[str, Any] = {"index": index.as_record()}
    if lock is not None:
        settings["lock"] = hashlib.sha256(repr(lock).encode()).hexdigest()[:16]
    return EnvState(settings=settings, requirements=requirements)


def phase_of(changes: Changes, *, setup: bool) -> Changes:
    """The part of ``changes`` one phase applies: the setup-deps (``setup``), or everything
    else plus the removals. The repair of what an interrupted run left belongs to both: the
    first phase that runs does it."""
    return Changes(
        install=tuple(r for r in changes.install if r.setup == setup),
        reinstall=tuple(r for r in changes.reinstall if r.setup == setup),
        remove=() if setup else changes.remove,
        refresh=changes.refresh,
        repair=changes.repair,
    )


def ordered_batches(
    changes: Changes, wanted: EnvState, resolution: Resolution, *, setup: bool
) -> list[list[Requirement]]:
    """The installer calls of one phase, in order.

    Setup-deps keep their declared order. Each source package among them gets a call of its
    own, so it is built (without isolation) with every earlier setup-dep installed;
    consecutive PyPI ones share a call, since an installer builds a PyPI package in
    isolation, where earlier calls would not help it. The build requirements ivpm adds for the
    source packages come last. The rest go level by level, each level's PyPI requirements in
    one call and its source packages in the next.
    """
    todo = {r.name for r in (*changes.install, *changes.reinstall)}
    if setup:
        return _runs([r for r in wanted.requirements.values() if r.setup and r.name in todo])
    batches: list[list[Requirement]] = []
    for level in resolution.levels:
        names = [canonical_name(name) for name in level]
        in_level = [wanted.requirements[n] for n in names if n in todo and n in wanted.requirements]
        pypi = [r for r in in_level if not r.is_source]
        sources = [r for r in in_level if r.is_source]
        batches.extend(batch for batch in (pypi, sources) if batch)
    return batches


def _runs(requirements: Sequence[Requirement]) -> list[list[Requirement]]:
    """Consecutive PyPI requirements share a batch; each source package has its own."""
    batches: list[list[Requirement]] = []
    for requirement in requirements:
        if batches and not requirement.is_source and not batches[-1][0].is_source:
            batches[-1].append(requirement)
        else:
            batches.append([requirement])
    return batches


def install_batch(
    installer: Installer,
    batch: Batch,
    *,
    index: IndexSettings,
    reinstall: Iterable[str] = (),
    constraints: Sequence[str] = (),
    view: Sequence[str] = (),
    refresh: bool = False,
) -> None:
    """One installer call for ``batch``: PyPI lines as given, source folders editable and
    built without isolation (so they see the setup-deps); names in ``reinstall`` are
    reinstalled even when satisfied. ``view`` holds requirements already installed that the
    installer must keep satisfied (it sees them, so it refuses a conflict instead of breaking
    them); ``refresh`` reinstalls everything the call touches. ivpm's build-script support is
    installed from the wheel it writes into the environment (see
    :func:`~ivpm.pyenv.support_dist.prepare_batch`)."""
    from ivpm.pyenv.support_dist import prepare_batch

    batch, constraints = prepare_batch(batch, installer.venv_dir, constraints)
    again = set(reinstall)
    with _writable_copies(batch) as lines:
        installer.install(
            [*(lines[r.name] for r in batch if not r.editable), *view],
            editable=[editable_target(r) for r in batch if r.editable],
            index=index,
            no_build_isolation=any(r.is_source for r in batch),
            reinstall=[r.line if r.editable else r.name for r in batch if r.name in again],
            force_reinstall=refresh,
            constraints=constraints,
        )


@contextmanager
def _writable_copies(batch: Batch) -> Iterator[dict[str, str]]:
    """Each non-editable requirement's installer argument; a read-only source folder is
    copied to a temporary folder first, since building writes into the source tree."""
    import tempfile

    from ivpm.cache.seal import copy_writable

    lines = {r.name: r.line for r in batch}
    read_only: list[tuple[str, Path, str]] = []  # name, folder, extras suffix ("[a,b]" or "")
    for requirement in batch:
        if requirement.is_source and not requirement.editable:
            folder, _, extras = requirement.line.partition("[")
            if is_read_only(Path(folder)):
                read_only.append((requirement.name, Path(folder), f"[{extras}" if extras else ""))
    if not read_only:
        yield lines
        return
    with tempfile.TemporaryDirectory(prefix="ivpm-build-") as scratch:
        for name, source, suffix in read_only:
            copy = Path(scratch) / name
            copy_writable(source, copy)
            lines[name] = str(copy) + suffix
        yield lines


def editable_target(requirement: Requirement) -> str:
    """The ``-e`` argument of an editable requirement: its folder, with extras."""
    if requirement.extras:
        return f"{requirement.line}[{','.join(requirement.extras)}]"
    return requirement.line


def describe_batch(batch: Batch, reinstall: Iterable[str] = ()) -> str:
    """``pkg>=1 -e srcpkg`` for the log; reinstalls are marked ``(reinstall)``."""
    again = set(reinstall)
    labels = []
    for requirement in batch:
        label = f"-e {Path(requirement.line).name}" if requirement.editable else requirement.line
        labels.append(label + (" (reinstall)" if requirement.name in again else ""))
    return " ".join(labels)


class InstallEngine:
    """Brings one environment from its recorded state to the wanted one, phase by phase.

    ``recorded`` is the state record as read at the start of the run; the engine keeps it
    current as steps succeed, marking it dirty before each step that changes distributions.
    At the end of the last phase it removes what nothing needs any more and checks that the
    environment is consistent. When a change fails on an environment a previous update had
    completed, the distributions it changed are put back as they were (see :meth:`apply`).
    ``installed_editable`` collects the source packages (re)installed.
    """

    def __init__(
        self,
        *,
        venv_dir: Path,
        installer: Installer,
        resolution: Resolution,
        wanted: EnvState,
        recorded: EnvState,
        index: IndexSettings,
        constraints: Sequence[str] = (),
        backend: str = "",
        log: logging.Logger | None = None,
    ) -> None:
        self.venv_dir = venv_dir
        self.installer = installer
        self.resolution = resolution
        self.wanted = wanted
        self.recorded = recorded
        self.start = recorded
        self.index = index
        self.constraints = tuple(constraints)
        self.backend = backend
        self.log = log or logging.getLogger("ivpm")
        self.installed_editable: set[str] = set()
        self.begun = False
        self._before: Snapshot = {}
        self._problems_before: set[str] = set()

    def apply(self, changes: Changes, *, setup: bool) -> None:
        """Install the phase's batches, recording each success; after the last phase
        (``setup`` false) remove what was dropped and check the environment.

        A failure is raised as :class:`SessionFailure` (with notes pointing at the ivpm.yaml
        entries a version conflict involves). When the run started from a completed update,
        whatever the failed change had altered is first put back, so the environment works
        as before; otherwise the record keeps what succeeded and the next run goes on.
        """
        try:
            if not self.begun:
                self._begin(changes)
            self._install(changes, setup=setup)
            if not setup:
                self._sync(changes)
                self._check()
                self._record(replace(self.recorded, settings=self.wanted.settings).clean())
        except SessionFailure as failure:
            raise self._undone(failure) from None

    def _begin(self, changes: Changes) -> None:
        """Repair what an interrupted run left, then note what is installed and which
        inconsistencies there are (an interrupted run's, when it noted them)."""
        from ivpm.pyenv.envgraph import needed_by, read_installed
        from ivpm.pyenv.repair import snapshot

        self.begun = True
        if changes.repair:
            self._repair()
        installed = read_installed(self.venv_dir)
        self._before = snapshot(self.venv_dir)
        found = self._problems(installed)
        if self.recorded.dirty:
            found = set(self.recorded.baseline)
        self._problems_before = found
        if self.recorded.ivpm_installed is None:
            # An older record: what its requirements need is taken as ivpm's.
            known = needed_by(installed, self._roots(self.recorded), self._environment)
            self.recorded = replace(self.recorded, ivpm_installed=frozenset(known))
        self.recorded = replace(
            self.recorded,
            baseline=tuple(sorted(found)),
            refreshing=changes.refresh,
        )

    @cached_property
    def _environment(self) -> MarkerEnvironment:
        from ivpm.pyenv.envgraph import marker_environment

        return marker_environment(self.venv_dir)

    def _problems(self, installed: Mapping[str, Installed]) -> set[str]:
        """The environment's inconsistencies (``pip check``'s), markers for its interpreter."""
        from ivpm.pyenv.envgraph import problems, sees_system_site_packages

        system_site = sees_system_site_packages(self.venv_dir)
        return set(problems(installed, self._environment, system_site=system_site))

    def _repair(self) -> None:
        """Remove pip's leftovers and reinstall distributions an interrupted step left
        half-copied (the record said a step was running when the last run ended)."""
        from ivpm.pyenv.repair import incomplete, remove_leftovers, snapshot

        removed = remove_leftovers(self.venv_dir)
        if removed:
            self.log.info("removed what an interrupted install left: %s", ", ".join(removed))
        broken = incomplete(self.venv_dir)
        if not broken:
            return
        found = snapshot(self.venv_dir)
        lines = [f"{name}=={version}" for name, version in broken if not found[name].editable]
        folders = [str(found[name].editable) for name, _ in broken if found[name].editable]
        self.log.info("reinstalling incomplete %s", ", ".join(name for name, _ in broken))
        self._record(self.recorded.marked_dirty())
        self.installer.install(
            lines,
            editable=folders,
            index=self.index,
            no_build_isolation=bool(folders),
            force_reinstall=True,
            no_deps=True,
        )

    def _install(self, changes: Changes, *, setup: bool) -> None:
        from ivpm.pyenv.distributions import installed_distributions

        reinstall = {r.name for r in changes.reinstall}
        for batch in ordered_batches(changes, self.wanted, self.resolution, setup=setup):
            self.log.info("installing %s", describe_batch(batch, reinstall))
            self._record(self.recorded.marked_dirty(r.name for r in batch))
            before = set(installed_distributions(self.venv_dir))
            try:
                install_batch(
                    self.installer,
                    batch,
                    index=self.index,
                    reinstall=reinstall,
                    constraints=self.constraints,
                    view=self._view(batch),
                    refresh=changes.refresh,
                )
            except SessionFailure as failure:
                from ivpm.pyenv.conflicts import with_requested_here

                deps = [resolved.dep for resolved in self.resolution.deps.values()]
                raise with_requested_here(failure, deps) from None
            appeared = set(installed_distributions(self.venv_dir)) - before
            done = {r.name for r in batch}
            self._record(
                replace(
                    self.recorded.with_installed(batch),
                    ivpm_installed=self._ivpm_installed() | appeared,
                    pending=tuple(name for name in self.recorded.pending if name not in done),
                )
            )
            self.installed_editable.update(r.name for r in batch if r.editable)

    def _view(self, batch: Batch) -> list[str]:
        """What the installer must keep satisfied while installing ``batch``: the wanted PyPI
        requirements installed already and the requirements of the source packages installed
        already (read from their metadata). Requirements of later levels are left out: they
        are installed after the source packages they may need."""
        from ivpm.pyenv.envgraph import applicable, read_installed
        from ivpm.pyenv.support_dist import NAME as SUPPORT_NAME

        in_batch = {r.name for r in batch}
        sources = {r.name for r in self.wanted.requirements.values() if r.is_source}
        done = [
            requirement
            for name, requirement in self.wanted.requirements.items()
            if name not in in_batch
            and name != SUPPORT_NAME
            and name in self.recorded.requirements
            and self.recorded.requirements[name].same_install(requirement)
        ]
        lines = [r.line for r in done if not r.is_source]
        if any(r.is_source for r in done):
            installed = read_installed(self.venv_dir)
            environment = self._environment
            folders = self._editable_names()
            for requirement in (r for r in done if r.is_source):
                dist = installed.get(self._dist_name(requirement, folders))
                for needed in applicable(dist, requirement.extras, environment) if dist else ():
                    if canonical_name(needed.name) not in sources and not needed.url:
                        needed.marker = None
                        lines.append(str(needed))
        return list(dict.fromkeys(lines))

    def _editable_names(self) -> dict[str, str]:
        """Each editable install's real folder -> its distribution name."""
        from ivpm.pyenv.distributions import editable_distributions

        return {
            os.path.realpath(location): name
            for name, location in editable_distributions(self.venv_dir).items()
        }

    def _dist_name(self, requirement: Requirement, folders: Mapping[str, str]) -> str:
        """The installed distribution of a requirement: an editable package's is found by
        its folder in ``folders`` (its metadata may name it otherwise than the dep)."""
        if requirement.editable:
            return folders.get(os.path.realpath(requirement.line), requirement.name)
        return requirement.name

    def _roots(self, state: EnvState) -> dict[str, tuple[str, ...]]:
        """The distributions (with extras) the requirements of ``state`` stand for."""
        folders = self._editable_names()
        return {
            self._dist_name(requirement, folders): requirement.extras
            for requirement in state.requirements.values()
        }

    def _ivpm_installed(self) -> frozenset[str]:
        return self.recorded.ivpm_installed or frozenset()

    def _sync(self, changes: Changes) -> None:
        """Uninstall the dropped requirements and every distribution ivpm installed that
        nothing needs any more; keep what was installed by hand and what it needs."""
        from ivpm.pyenv.distributions import removable_distributions
        from ivpm.pyenv.envgraph import orphans, read_installed

        installed = read_installed(self.venv_dir)
        environment = self._environment
        dropped = removable_distributions(
            self.venv_dir, [self.recorded.requirements[n] for n in changes.remove]
        )
        roots = self._roots(self.wanted)
        roots.update((name, ()) for name in _local_installs(self.venv_dir, self.wanted))
        managed = self._ivpm_installed() | set(dropped)
        leaving = orphans(installed, managed=managed, roots=roots, environment=environment)
        for name in dropped:
            if name not in leaving:
                owner = _needing(installed, name, leaving, environment)
                self.log.info("keeping %s: no longer listed, but %s requires it", name, owner)
        if leaving:
            self.log.info("uninstalling %s", ", ".join(leaving))
            self._record(self.recorded.marked_dirty())
            self.installer.uninstall(leaving)
        self._record(
            replace(
                self.recorded.without(changes.remove),
                ivpm_installed=frozenset(
                    name for name in managed if name in installed and name not in leaving
                ),
            )
        )

    def _check(self) -> None:
        """Fail when the environment has inconsistencies it did not have before the run."""
        from ivpm.pyenv.envgraph import read_installed

        found = self._problems(read_installed(self.venv_dir))
        caused = sorted(found - self._problems_before)
        for problem in sorted(found & self._problems_before):
            self.log.warning("packages/python was already inconsistent: %s", problem)
        if caused:
            raise SessionFailure(
                "the change would leave packages/python inconsistent",
                details="\n".join(caused),
                hint="a package installed outside ivpm.yaml (or by hand) needs what ivpm.yaml "
                "now asks to change: list it in ivpm.yaml or adjust the versions asked for",
            )

    def _undone(self, failure: SessionFailure) -> SessionFailure:
        """``failure``, after putting back what the failed change altered when the run
        started from a completed update (with a note saying what happened)."""
        from ivpm.pyenv.conflicts import with_note
        from ivpm.pyenv.repair import incomplete, snapshot

        if not self.begun or not self.start.requirements or self.start.dirty:
            return failure
        now = snapshot(self.venv_dir)
        if now == self._before and not incomplete(self.venv_dir):
            self._restore_record()
            return failure
        try:
            self._restore(now)
        except SessionFailure as undo_failure:
            return with_note(
                failure,
                f"could not put packages/python back as it was ({undo_failure.message}); "
                "the next update repairs it",
            )
        self._restore_record()
        return with_note(failure, "packages/python was put back as it was before this update")

    def _restore(self, now: Snapshot) -> None:
        """Uninstall what appeared since the run began and reinstall what changed or was
        left half-copied."""
        from ivpm.pyenv.repair import incomplete

        before = self._before
        added = [name for name in now if name not in before]
        changed = [name for name, old in before.items() if now.get(name) != old]
        changed += [n for n, _ in incomplete(self.venv_dir) if n in before and n not in changed]
        folders = [str(before[name].editable) for name in changed if before[name].editable]
        self.log.info("putting packages/python back as it was")
        self._record(self.recorded.marked_dirty())
        self.installer.uninstall(added)
        self.installer.install(
            [f"{name}=={before[name].version}" for name in changed if not before[name].editable],
            editable=folders,
            index=self.index,
            no_build_isolation=bool(folders),
            force_reinstall=True,
            no_deps=True,
        )

    def _restore_record(self) -> None:
        """Write back the record as it was at the start of the run (its installer included)."""
        self.recorded = self.start
        records.save_state(self.venv_dir, self.start)

    def _record(self, state: EnvState) -> None:
        self.recorded = replace(state, installer=self.installer.kind, backend=self.backend)
        records.save_state(self.venv_dir, self.recorded)


def _local_installs(venv_dir: Path, wanted: EnvState) -> list[str]:
    """Distributions installed from a local folder, not editable, when ``wanted`` has a
    non-editable source package (a read-only cache entry, built from a temporary copy whose
    name says nothing): they are kept, since which one it is cannot be told."""
    if not any(r.is_source and not r.editable for r in wanted.requirements.values()):
        return []
    from ivpm.pyenv.distributions import installed_from_folder

    return installed_from_folder(venv_dir)


def _needing(
    installed: Mapping[str, Installed],
    name: str,
    leaving: Sequence[str],
    environment: MarkerEnvironment,
) -> str:
    """One installed distribution (not leaving) that requires ``name``."""
    from ivpm.pyenv.envgraph import applicable

    for owner, dist in installed.items():
        if owner == name or owner in leaving:
            continue
        if any(canonical_name(r.name) == name for r in applicable(dist, (), environment)):
            return owner
    return "another package"
